"""The objects clang made (tests/vectors/clang/, tools/make_clang_vectors.py) through the `link` CLI.

Each vector must link to its stored `expected.mpy` byte for byte and validate; the x64
modules must run in the MicroPython unix port and print what the examples' `.exp` files
(and `src/check_stress.exp`) say.  The objects must carry the relocation types clang
uses where gcc uses others, so the vectors keep testing what they were made for, and
the ARM ones must need the AEABI helper archive.  No clang is needed to run these.
"""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest
from conftest import REPO_ROOT
from elftools.elf.elffile import ELFFile
from elftools.elf.relocation import RelocationSection
from elftools.elf.sections import SymbolTableSection

from natmod_tool.arch import ARCHES
from natmod_tool.cli import main
from natmod_tool.linker.archive import read_members
from natmod_tool.mpy.reader import read_mpy, validate
from natmod_tool.mpydir import resolve_mpy_dir
from natmod_tool.qstr import load_static_qstrs

VECTORS = Path(__file__).parent / "vectors" / "clang"
MANIFEST = json.loads((VECTORS / "clang.json").read_text())
#: relocation types clang emits that the gcc-made conformance vectors barely use (or not at all)
CLANG_TYPES = {
    "x86": "R_386_GOT32X",
    "x64": "R_X86_64_REX_GOTPCRELX",
    "armv6m": "R_ARM_GOT_PREL",
    "armv7m": "R_ARM_GOT_PREL",
    "armv7emsp": "R_ARM_GOT_PREL",
    "armv7emdp": "R_ARM_GOT_PREL",
    "rv32imc": "R_RISCV_GOT_HI20",
    "rv64imc": "R_RISCV_GOT_HI20",
}
#: where the x64 test scripts and their expected output live
SCRIPTS = {
    "data": REPO_ROOT / "examples" / "data" / "test_data",
    "heap": REPO_ROOT / "examples" / "heap" / "test_heap",
    "stress": VECTORS / "src" / "check_stress",
}


def _id(v: dict) -> str:
    return f"{v['arch']}-{v['module']}"


def _link(tmp_path: Path, v: dict, monkeypatch, capsys, drop_libs: bool = False) -> tuple[int, Path, str]:
    """Link the vector in a scratch copy of its folder; (exit status, output path, stderr)."""
    work = tmp_path / "v"
    shutil.copytree(VECTORS / v["arch"] / v["module"], work)
    (work / "expected.mpy").unlink()
    options = list(v["options"])
    if drop_libs:
        while "-l" in options:
            at = options.index("-l")
            del options[at : at + 2]
    monkeypatch.chdir(work)
    rc = main(["link", *options, *v["inputs"]])
    return rc, work / f"{v['module']}.mpy", capsys.readouterr().err


def test_manifest_covers_every_clang_arch():
    assert {v["arch"] for v in MANIFEST["vectors"]} == set(CLANG_TYPES)
    assert MANIFEST["compiler"].startswith("Debian clang version")


@pytest.mark.parametrize("v", MANIFEST["vectors"], ids=_id)
def test_links_to_expected_output(v, tmp_path, monkeypatch, capsys):
    rc, out, err = _link(tmp_path, v, monkeypatch, capsys)
    assert rc == 0, err
    data = out.read_bytes()
    assert data == (VECTORS / v["arch"] / v["module"] / "expected.mpy").read_bytes()
    mpy = read_mpy(data, str(out))
    static = load_static_qstrs(resolve_mpy_dir(None, fetch=False))
    assert validate(mpy, static_qstr_count=len(static.names)) == []
    assert mpy.arch_name == v["arch"]


@pytest.mark.parametrize("v", MANIFEST["vectors"], ids=_id)
def test_objects_were_made_by_clang_with_its_relocations(v):
    path = VECTORS / v["arch"] / v["module"] / v["inputs"][0]
    with path.open("rb") as handle:
        elf = ELFFile(handle)
        comment = elf.get_section_by_name(".comment")
        assert comment is not None and b"clang version" in comment.data()
        types = {
            reloc.entry.r_info_type
            for section in elf.iter_sections()
            if isinstance(section, RelocationSection)
            for reloc in section.iter_relocations()
        }
    names = ARCHES[v["arch"]].family.names  # our linker's type table: number -> name
    found = {names.get(t, str(t)) for t in types}
    wanted = CLANG_TYPES[v["arch"]]
    assert wanted in found, f"{path.name} has no {wanted}: {sorted(found)}"


ARM_DATA_HEAP = [v for v in MANIFEST["vectors"] if v["libs"] and v["module"] in ("data", "heap")]


@pytest.mark.parametrize("v", ARM_DATA_HEAP, ids=_id)
def test_arm_modules_need_the_aeabi_helpers(v, tmp_path, monkeypatch, capsys):
    """Without libnatmod_aeabi.a the link fails naming the helper clang called."""
    rc, out, err = _link(tmp_path, v, monkeypatch, capsys, drop_libs=True)
    assert rc == 1
    assert not out.exists()
    helper = "__aeabi_memclr4" if v["module"] == "data" else "__aeabi_memcpy"
    assert helper in err
    assert "Traceback" not in err


@pytest.mark.parametrize("arch", sorted({v["arch"] for v in ARM_DATA_HEAP}))
def test_aeabi_helpers_only_call_memset_and_memmove(arch):
    """The helpers sit on the firmware's memset/memmove, never on each other (no recursion)."""
    archive = VECTORS / arch / "data" / "libnatmod_aeabi.a"
    defined, undefined = set(), set()
    for member in read_members(str(archive), archive.read_bytes()):
        elf = ELFFile(io.BytesIO(member.data))
        for section in elf.iter_sections():
            if isinstance(section, SymbolTableSection):
                for sym in section.iter_symbols():
                    if sym["st_info"]["bind"] == "STB_GLOBAL":
                        (undefined if sym["st_shndx"] == "SHN_UNDEF" else defined).add(sym.name)
    assert {"__aeabi_memcpy", "__aeabi_memclr4", "__aeabi_memset8", "__aeabi_memmove4"} <= defined
    assert undefined == {"memset", "memmove"}


X64 = [v for v in MANIFEST["vectors"] if v["arch"] == "x64"]


@pytest.mark.parametrize("v", X64, ids=_id)
def test_x64_modules_run_in_micropython(v, tmp_path, run_micropython):
    folder = tmp_path / "mods"
    folder.mkdir()
    shutil.copy2(VECTORS / "x64" / v["module"] / "expected.mpy", folder / f"{v['module']}.mpy")
    script = SCRIPTS[v["module"]]
    done = run_micropython(script.with_suffix(".py"), [folder])
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout == script.with_suffix(".exp").read_text()
