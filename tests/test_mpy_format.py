"""`natmod_tool.mpy.format` is the one source of the format's numbers.

Why these tests: the point of the module is that the `.mpy` library stands alone (an
inspect or merge never loads the linker) and that the arch package cannot drift from
the header table.  Both are properties a later edit can break without any output
changing, so they are checked directly.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from natmod_tool.arch import ARCH_FLAG_BITS as ARCH_PACKAGE_FLAG_BITS
from natmod_tool.arch import ARCHES, arch_by_number, parse_arch_flags
from natmod_tool.mpy import format as fmt
from natmod_tool.mpy.reader import read_mpy
from natmod_tool.mpy.writer import encode_relocs

ROOT = Path(__file__).resolve().parent.parent
VECTORS = ROOT / "tests" / "vectors"

_PROBE = """
import importlib, json, sys
for name in sys.argv[1:]:
    importlib.import_module(name)
print(json.dumps(sorted(m for m in sys.modules if m.startswith("natmod_tool"))))
"""


def _loaded_after(*modules: str) -> list[str]:
    """The natmod_tool modules a fresh interpreter holds after importing `modules`."""
    out = subprocess.run(
        [sys.executable, "-c", _PROBE, *modules], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    return json.loads(out)


@pytest.mark.parametrize(
    "module",
    ["natmod_tool.mpy.merge", "natmod_tool.mpy.reader", "natmod_tool.mpy.writer", "natmod_tool.mpy.compat"],
)
def test_mpy_modules_do_not_load_the_linker_or_arches(module: str) -> None:
    loaded = _loaded_after(module)
    assert module in loaded  # the probe really imported it
    intruders = [m for m in loaded if m.startswith(("natmod_tool.linker", "natmod_tool.arch"))]
    assert intruders == [], f"importing {module} loads {intruders}"


def test_whole_mpy_package_stands_alone() -> None:
    names = sorted(
        f"natmod_tool.mpy.{p.stem}" for p in (ROOT / "natmod_tool" / "mpy").glob("*.py") if p.stem != "__init__"
    )
    loaded = _loaded_after(*names)
    assert set(names) <= set(loaded)
    assert [m for m in loaded if m.startswith(("natmod_tool.linker", "natmod_tool.arch"))] == []


def test_the_probe_sees_the_linker_when_it_is_loaded() -> None:
    """The check above can fail: importing the linker driver shows up in the probe."""
    loaded = _loaded_after("natmod_tool.linker.driver")
    assert "natmod_tool.linker.context" in loaded and "natmod_tool.arch" in loaded


def test_arch_package_agrees_with_the_header_table() -> None:
    assert {name: info.number for name, info in ARCHES.items()} == fmt.ARCH_NUMBERS
    assert {name: info.word_size for name, info in ARCHES.items()} == {a.name: a.word_size for a in fmt.MPY_ARCHES}
    assert {name for name, info in ARCHES.items() if info.supports_arch_flags} == fmt.ARCH_FLAGS_ARCHES
    assert ARCH_PACKAGE_FLAG_BITS is fmt.ARCH_FLAG_BITS
    for arch in fmt.MPY_ARCHES:
        assert arch_by_number(arch.number) is ARCHES[arch.name]
        assert fmt.mpy_arch(arch.number) == arch
    for number in (0, 3, 6, 13, 0x2F):
        assert arch_by_number(number) is None and fmt.mpy_arch(number) is None
    assert set(fmt.LOADER_ONLY_ARCHES).isdisjoint(fmt.ARCH_NAMES)


def test_arch_flag_parsing_uses_the_format_bits() -> None:
    rv32 = ARCHES["rv32imc"]
    assert parse_arch_flags(rv32, ",".join(fmt.ARCH_FLAG_BITS)) == fmt.ARCH_FLAG_MASK == 3
    assert fmt.arch_flag_names(fmt.ARCH_FLAG_MASK | 8) == ["zba", "zcmp"]


def test_feature_byte_round_trips_through_the_decoders() -> None:
    for arch in fmt.MPY_ARCHES:
        for flags in (0, 1, 3):
            byte = fmt.feature_byte(arch.number, flags)
            assert fmt.feature_arch(byte) == arch.number
            assert fmt.feature_sub_version(byte) == fmt.MPY_SUB_VERSION
            assert fmt.feature_has_arch_flags(byte) == bool(flags)
            assert not byte & fmt.FEATURE_RESERVED
    # loaders ignore bit 4 of the arch field: 0x2F, not 0x3F
    assert fmt.feature_arch(0xFF) == 0x2F


def test_feature_byte_matches_every_native_vector() -> None:
    seen = 0
    for path in sorted(VECTORS.glob("*/*/expected*.mpy")):
        mpy = read_mpy(path.read_bytes(), str(path))
        if mpy.arch_number:
            seen += 1
            assert mpy.feature_byte == fmt.feature_byte(mpy.arch_number, mpy.arch_flags), path
            assert mpy.arch_name == path.parent.name, path
    assert seen > 20


def test_dest_codes() -> None:
    encodable = [d for d in range(-1, 130) if fmt.dest_encodable(d)]
    assert encodable == [0, 1, 2, *range(6, 128)]
    # the writer's op bytes: dest 0..2 carry a count flag, 6.. do not (format.md 5.2)
    assert encode_relocs([(0, 0, fmt.DEST_TEXT)], 4) == bytes([0x01, 0x00, fmt.RELOC_END])
    assert encode_relocs([(0, 0, fmt.DEST_BSS), (0, 4, fmt.DEST_BSS)], 4) == bytes([0x0B, 0x00, 0x02, 0xFF])
    assert encode_relocs([(0, 8, fmt.DEST_QSTR_TABLE)], 8) == bytes([0x0D, 0x02, 0xFF])
    assert encode_relocs([(0, 0, fmt.DEST_SLOT0 + 50)], 4)[0] == ((fmt.DEST_SLOT0 + 50) << 1) | 1
