"""Only `natmod_tool/arch/` knows an architecture by name or ELF machine.

What is searched: every `.py` file of `natmod_tool/` outside `natmod_tool/arch/`, for
(case-insensitive, whole words) the `--arch` names, the machine names people use for
them (arm, thumb, riscv, risc-v, rv32, rv64, xtensa, x86, x64, x86-64, x86_64, i386,
i686, amd64, aarch64, lx106, esp8266, esp32), any `EM_<NAME>` constant, the two ELF
machine numbers that are distinctive as literals (94 = EM_XTENSA, 243 = EM_RISCV, also
in hex) and any comparison of an `e_machine` with a number.  The numbers 3, 40 and 62
(EM_386, EM_ARM, EM_X86_64) are too common as literals (struct offsets, sizes) to
search for blindly; they are covered by the `e_machine` comparison search and by the
machine table living only in the family modules (`Family.elf_machine_number`).

Whole words: identifiers such as `_dl_x86_cpu_features` or `__riscv_save_0` (names of
C library routines in linker/hints.py, which say nothing about dispatch) do not match.

`natmod_tool/linker/` has no exemption at all.  Outside it, the files in `ALLOWED` may
name arches, each for the reason given: the tables other parts own (mpy format,
toolchains, test runtime machines), firmware facts per arch (mpy/compat.py) and
user-facing words (CLI defaults, help texts, docstring examples).  `natmod_scons/` is
searched the same way, with its own list (`SCONS_ALLOWED`): it names arches in words
only.  Both tests also fail when an exemption has become unnecessary, so the lists stay
exact.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.fast

ROOT = Path(__file__).resolve().parent.parent / "natmod_tool"
SCONS_ROOT = ROOT.parent / "natmod_scons"

WORDS = re.compile(
    r"\b(arm|armv6m|armv7m|armv7em|armv7emsp|armv7emdp|thumb|riscv|risc-v|rv32imc|rv64imc|rv32|rv64|"
    r"xtensa|xtensawin|x86|x64|x86-64|x86_64|i386|i686|amd64|aarch64|lx106|esp8266|esp32)\b"
    r"|\bEM_[A-Z0-9_]+"
    r"|(?<![\w.])(94|243|0x5[eE]|0x[fF]3)(?![\w.])"
    r"|e_machine\s*(==|!=|in)\s*[\d(\[{]",
    re.IGNORECASE,
)

#: files outside natmod_tool/arch/ that may name arches, and why
ALLOWED = {
    # the other helpers' tables: mpy format facts (arch number table) and the test runtime's machines
    "mpy/format.py": "the .mpy format's arch number table",
    "toolchains.py": "the toolchain table: compilers, flags and packages per arch",
    "testrt/__init__.py": "test runtime: which emulator/board runs which arch",
    "testrt/run.py": "test runtime: native vs qemu runs",
    "testrt/targets.py": "test runtime: the machine table (qemu boards per arch)",
    "testrt/tools.py": "test runtime: host requirements per arch",
    "testrt/build.py": "test runtime: what its build digest covers (the xtensa ROM table)",
    "testrt/romtable.py": "test runtime: the ESP8266 ROM jump table of the xtensa machine",
    # firmware facts per arch, not linker dispatch
    "mpy/compat.py": "which MicroPython release and emitter loads each arch, and its boards",
    "mpy/merge.py": "docstring example of two arches with equal bytecode",
    # user-facing words: defaults, help texts and examples
    "commands/link.py": "--arch default and --arch-flags help",
    "commands/preprocess.py": "--arch default and --arch-flags help",
    "commands/test.py": "usage examples",
    "errors.py": "did-you-mean examples in a docstring",
    "testrun/__init__.py": "which runner runs which arch (docstring)",
    "testrun/execute.py": "an arch without a runtime is a SKIP (docstring)",
    "testrun/report.py": "example progress line",
    "testrun/runners.py": "the unix port runs x64 modules",
}


def _hits(path: Path) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [f"{i}: {line.strip()}" for i, line in enumerate(lines, 1) if WORDS.search(line)]


def _files() -> list[Path]:
    return sorted(p for p in ROOT.rglob("*.py") if "arch" not in p.relative_to(ROOT).parts[:1])


def test_the_search_finds_what_it_looks_for() -> None:
    """The pattern itself must catch each kind of mention (else the test below proves nothing)."""
    for line in (
        'if ctx.arch.name == "xtensa":',
        "thumb = machine == 'EM_ARM'",
        "# RISC-V small data",
        "if e_machine == 40:",
        "MACHINES = {243: 'x'}",
        "SMALL = 0xF3",
        "x86-64 only",
    ):
        assert WORDS.search(line), line
    for line in ("harmless alarm", "_dl_x86_cpu_features", "__riscv_save_0", "offset 0x94", "1243", "v9.4"):
        assert not WORDS.search(line), line


def test_linker_names_no_arch_or_machine() -> None:
    found = {str(p.relative_to(ROOT)): _hits(p) for p in (ROOT / "linker").rglob("*.py")}
    assert {k: v for k, v in found.items() if v} == {}


def test_only_allowed_files_outside_arch_name_arches() -> None:
    found = {str(p.relative_to(ROOT)): _hits(p) for p in _files()}
    offenders = {k: v for k, v in found.items() if v and k not in ALLOWED}
    assert offenders == {}, "name the arch's fact in natmod_tool/arch/ (ArchInfo or Family) instead"
    stale = sorted(k for k in ALLOWED if (ROOT / k).exists() and not found.get(k))
    assert stale == [], "these files no longer name an arch: remove them from ALLOWED"


#: natmod_scons files that may name arches: none dispatches on one (the facts come from
#: natmod_tool.toolchains and natmod_tool.arch); they name them in words users read
SCONS_ALLOWED = {
    "arches.py": "examples of compiler names and the ESP8266 ROM in comments",
    "builders.py": "the ESP8266 ROM hint's words",
    "checks.py": "MicroPython's module names (esp32) and an ARCHES= example",
    "clang.py": "which targets Debian's clang has (docstrings)",
    "cli.py": "examples of arch targets (`scons armv7m`)",
    "helptext.py": "the example target of `scons -h` when no arch is requested",
    "native_mpy.py": "ARCH_FLAGS only means something on rv32imc (docstring)",
    "probes.py": "why the multilib folder wins (comment)",
    "project.py": "the ARCH=all message and comments",
    "support.py": "the ARM EABI helpers (docstring)",
    "trees.py": "an example step line",
    "variables.py": "the ARCH default and examples in the help",
}


def test_only_allowed_files_of_the_scons_tool_name_arches() -> None:
    found = {str(p.relative_to(SCONS_ROOT)): _hits(p) for p in sorted(SCONS_ROOT.rglob("*.py"))}
    offenders = {k: v for k, v in found.items() if v and k not in SCONS_ALLOWED}
    assert offenders == {}, "take the arch's fact from natmod_tool.toolchains or natmod_tool.arch instead"
    stale = sorted(k for k in SCONS_ALLOWED if (SCONS_ROOT / k).exists() and not found.get(k))
    assert stale == [], "these files no longer name an arch: remove them from SCONS_ALLOWED"
