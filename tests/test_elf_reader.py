"""The struct-based object reader gives exactly what pyelftools gives.

The fast path reads plain little-endian relocatable objects; everything else goes
through pyelftools.  Both must produce the same dataclasses, on the vector objects
and on every member of the installed compilers' runtime archives.
"""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import skip_or_fail

from natmod_tool.linker.archive import read_members
from natmod_tool.linker.elf import _parse, _parse_fast

VECTORS = Path(__file__).parent / "vectors"
_SECTION_TYPES = {"SHT_NULL", "SHT_PROGBITS", "SHT_SYMTAB", "SHT_STRTAB", "SHT_RELA", "SHT_NOBITS", "SHT_REL"}
_SYMBOL_TYPES = {"STT_NOTYPE", "STT_OBJECT", "STT_FUNC", "STT_SECTION", "STT_FILE", "STT_COMMON", "STT_TLS"}


def _normalised(obj):
    """Names of types the linker never tests (e.g. SHT_ARM_ATTRIBUTES) may be spelled differently."""
    sections = tuple(dataclasses.replace(s, type=s.type if s.type in _SECTION_TYPES else "other") for s in obj.sections)
    symbols = obj.symbols and tuple(
        dataclasses.replace(x, type=x.type if x.type in _SYMBOL_TYPES else "other") for x in obj.symbols
    )
    return dataclasses.replace(obj, sections=sections, symbols=symbols)


def _assert_same(label: str, data: bytes) -> None:
    fast = _parse_fast(label, data)
    assert fast is not None, label
    assert _normalised(fast) == _normalised(_parse(label, data)), label


@pytest.mark.parametrize(
    "path", sorted(VECTORS.glob("*/*/*.o")), ids=lambda p: f"{p.parent.parent.name}-{p.parent.name}-{p.name}"
)
def test_vector_objects(path):
    _assert_same(path.name, path.read_bytes())


@pytest.mark.parametrize(
    "compiler, flags",
    [
        ("arm-none-eabi-gcc", ["-mthumb", "-mcpu=cortex-m0"]),
        ("riscv64-unknown-elf-gcc", ["-march=rv32imac", "-mabi=ilp32"]),
        ("xtensa-lx106-elf-gcc", []),
        ("gcc", ["-m32"]),
    ],
)
def test_runtime_archive_members(compiler, flags):
    if shutil.which(compiler) is None:
        skip_or_fail(f"{compiler} not installed")
    path = subprocess.run([compiler, *flags, "--print-libgcc-file-name"], capture_output=True, text=True).stdout.strip()
    data = Path(path).read_bytes()
    members = [m for m in read_members(path, data) if m.data[:4] == b"\x7fELF"]
    assert members
    for member in members:
        _assert_same(member.name, member.data)
