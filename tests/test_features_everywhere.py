"""The features beyond the reference linker, run on each CPU's own test runtime.

One SCons build (session fixture, the project's real tool) makes a module per feature
for x64, x86, armv6m, armv7m, rv32imc, rv64imc and xtensa; then each (feature, arch) runs
one script on that arch's runtime (natmod_tool.testrt: hosted for x86/x64, qemu boards
and qemu's xtensa sim machine for the rest) and must print exactly the expected output:

* `statics` -- static BSS and initialised writable data (tests/e2e_src/statics.c);
* `cppclass` -- C++ classes, templates, new/delete (examples/cppclass and its test);
* `mathy` -- LINK_RUNTIME=1 `sqrtf`, `sinf`, `pow` (tests/e2e_src/mathy.c); integer
  results, so it also runs where MicroPython has no floats (rv32imc, rv64imc: the C code
  uses soft-float from libgcc). Not x86: glibc's libm cannot be linked into a natmod,
  which is refused in one line (tests/test_scons_libm.py). Not xtensa: its soft-float
  routines are the ESP8266 ROM's (__mulsf3, __floatsisf, ...), and the xtensa runtime
  provides only the ROM's integer ones (natmod_tool/testrt/romtable.py). The armv6m build (21 KiB of
  code: pow, sinf and soft double for Thumb-1) does not fit the microbit's 12 KiB heap:
  it runs on the Cortex-M3 board, which executes armv6m modules (Thumb-1 is a subset);
* `extlib` -- a static archive built by the SConscript, LIBS= (examples/extlib);
* `nonpic` -- RISC-V only: a library compiled without -fpic, whose lui/%lo pairs the
  linker turns into auipc pairs (tests/e2e_src/nonpic);
* `externs` -- an EXTERNS= file written here per arch: a marker address the module
  returns as a number (more than 8 hex digits on 64-bit arches) and, on the boards,
  whose firmware sits at fixed addresses, a firmware function and a firmware type
  object looked up in the runtime's ELF symbol table (tests/e2e_src/externs).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import REPO_ROOT, show, skip_or_fail
from elftools.elf.elffile import ELFFile
from scons_support import SCONSTRUCT, make_repo, run_scons

from natmod_tool.arch import ARCHES
from natmod_tool.testrt import TARGETS, ensure_runtime, runtime_problem

pytestmark = pytest.mark.runtime

E2E = Path(__file__).parent / "e2e_src"
ARCHES_UNDER_TEST = ("x64", "x86", "armv6m", "armv7m", "rv32imc", "rv64imc", "xtensa")
RISCV = ("rv32imc", "rv64imc")
#: a cold build of all the runtimes and modules takes minutes on two shared cores
BUILD_TIMEOUT = 30 * 60
RUN_TIMEOUT = 60.0
#: firmware symbols the externs module reaches: EXTERNS name -> firmware ELF symbol
FIRMWARE_SYMBOLS = {"ext_floor_divide": "mp_small_int_floor_divide", "ext_type_bytearray": "mp_type_bytearray"}


def marker_address(arch: str) -> int:
    """The externs marker: beyond 32 bits where the word is 64 bits, a small int everywhere."""
    return 0xBADC0FFEE0 if ARCHES[arch].word_size == 8 else 0x0BADC0DE


def expected_externs(arch: str) -> str:
    text = f"{hex(marker_address(arch))}\n"
    if not TARGETS[arch].hosted:
        text += "-4 -4 3\nTrue bytearray(b'ab')\n"
    return text


@dataclass(frozen=True)
class Feature:
    """One feature module: where its sources come from, its script and expected output."""

    module: str
    sources: Path  # copied to mods/<module>/ (a folder) or mods/<module>/<module>.c (a file)
    script: Path
    expected: Callable[[str], str]  # arch -> exact output
    arches: tuple[str, ...] = ARCHES_UNDER_TEST
    runs_on: tuple[tuple[str, str], ...] = ()  # (arch, runtime arch) where another board runs it

    def runtime_arch(self, arch: str) -> str:
        return dict(self.runs_on).get(arch, arch)


def _exp(path: Path) -> Callable[[str], str]:
    return lambda arch: path.read_text()


FEATURES = (
    Feature("statics", E2E / "statics.c", E2E / "check_statics.py", _exp(E2E / "check_statics.exp")),
    Feature(
        "cppclass",
        REPO_ROOT / "examples" / "cppclass",
        REPO_ROOT / "examples" / "cppclass" / "test_cppclass.py",
        _exp(REPO_ROOT / "examples" / "cppclass" / "test_cppclass.exp"),
    ),
    Feature(
        "mathy",
        E2E / "mathy.c",
        E2E / "check_mathy.py",
        _exp(E2E / "check_mathy.exp"),
        tuple(a for a in ARCHES_UNDER_TEST if a not in ("x86", "xtensa")),
        runs_on=(("armv6m", "armv7m"),),
    ),
    Feature(
        "extlib",
        REPO_ROOT / "examples" / "extlib",
        REPO_ROOT / "examples" / "extlib" / "test_extlib.py",
        _exp(REPO_ROOT / "examples" / "extlib" / "test_extlib.exp"),
    ),
    Feature("nonpic", E2E / "nonpic", E2E / "nonpic" / "check_nonpic.py", _exp(E2E / "nonpic/check_nonpic.exp"), RISCV),
    Feature("externs", E2E / "externs", E2E / "externs" / "check_externs.py", expected_externs),
)
#: SConscripts of the modules made from one C file
SINGLE_FILE_SCONSCRIPTS = {
    "statics": 'Import("env")\nenv.NativeMpy("statics", ["statics.c"])\n',
    "mathy": 'Import("env")\nenv.NativeMpy("mathy", ["mathy.c"], LINK_RUNTIME=1, SKIP_ARCHES=["x86", "xtensa"])\n',
}


def firmware_address(program: Path, symbol: str) -> int:
    """`symbol`'s address in a firmware ELF (Thumb functions keep their odd address)."""
    with program.open("rb") as stream:
        table = ELFFile(stream).get_section_by_name(".symtab")
        found = table.get_symbol_by_name(symbol) if table is not None else None
        assert found, f"{program} has no symbol {symbol}"
        return found[0]["st_value"]


def externs_file(arch: str, program: Path) -> str:
    """The EXTERNS= file for `arch`: the marker, plus the firmware's symbols on a board."""
    lines = [f"/* fixed addresses for the externs module on {arch} */", f"ext_marker = {hex(marker_address(arch))};"]
    if not TARGETS[arch].hosted:
        for name, symbol in FIRMWARE_SYMBOLS.items():
            lines.append(f"PROVIDE({name} = {hex(firmware_address(program, symbol))});")
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class FeatureBuild:
    """The build: its top folder and the arches it was made for."""

    top: Path
    arches: tuple[str, ...]

    def module_dir(self, arch: str, module: str) -> Path:
        folder = self.top / "build" / arch / "mods" / module
        assert (folder / f"{module}.mpy").is_file(), f"{module}.mpy was not built for {arch}"
        return folder


@pytest.fixture(scope="session")
def feature_build(tmp_path_factory, installed_arches, mpy_dir) -> FeatureBuild:
    """Every feature module for each arch under test that has a compiler and a runtime here."""
    arches = tuple(a for a in ARCHES_UNDER_TEST if a in installed_arches and runtime_problem(a) is None)
    if not arches:
        skip_or_fail("no arch under test has both a compiler and a runtime here")
    top = make_repo(tmp_path_factory.mktemp("features"), {"SConstruct": SCONSTRUCT})
    for feature in FEATURES:
        target = top / "mods" / feature.module
        if feature.sources.is_dir():
            shutil.copytree(feature.sources, target, ignore=shutil.ignore_patterns("__pycache__", "check_*"))
        else:
            target.mkdir(parents=True)
            shutil.copy(feature.sources, target / feature.sources.name)
            (target / "SConscript").write_text(SINGLE_FILE_SCONSCRIPTS[feature.module])
    for arch in arches:
        program = ensure_runtime(arch, mpy_dir, quiet=True).program
        (top / "mods" / "externs" / f"externs-{arch}.ld").write_text(externs_file(arch, program))
    result = run_scons(top, "-j2", f"ARCH={','.join(arches)}", f"MPY_DIR={mpy_dir}", timeout=BUILD_TIMEOUT)
    assert result.returncode == 0, f"building the feature modules failed:\n{result}"
    return FeatureBuild(top, arches)


@pytest.mark.parametrize(
    "feature, arch",
    [pytest.param(f, a, id=f"{f.module}-{a}") for f in FEATURES for a in f.arches],
)
def test_feature_runs(feature: Feature, arch: str, feature_build: FeatureBuild, runtime) -> None:
    runs_on = feature.runtime_arch(arch)
    for needed in {arch, runs_on}:
        if needed not in feature_build.arches:
            skip_or_fail(f"{needed}: no compiler or no runtime here: {runtime_problem(needed) or 'no compiler'}")
    rt = runtime(runs_on)
    result = rt.run(feature.script, [feature_build.module_dir(arch, feature.module)], timeout=RUN_TIMEOUT)
    assert result.returncode == 0, show(result)
    assert result.output == feature.expected(arch), show(result)


@pytest.mark.parametrize("arch", RISCV)
def test_nonpic_library_is_absolute_code(arch: str, feature_build: FeatureBuild) -> None:
    """The ledger library really is non-PIC (lui/%lo pairs), so the run above tests their conversion."""
    if arch not in feature_build.arches:
        skip_or_fail(f"{arch}: no compiler or no runtime here")
    obj = feature_build.module_dir(arch, "nonpic") / "lib" / "ledger.o"
    with obj.open("rb") as stream:
        elf = ELFFile(stream)
        relocations = elf.get_section_by_name(".rela.text")
        names = {ARCHES[arch].family.names.get(r["r_info_type"], "?") for r in relocations.iter_relocations()}
    assert {"R_RISCV_HI20", "R_RISCV_LO12_I", "R_RISCV_LO12_S"} <= names, names
    assert "R_RISCV_PCREL_HI20" not in names and "R_RISCV_GOT_HI20" not in names, names
