"""Full builds with the SCons tool: every installed arch, exact flags, dist, clean, help.

The sample repository (tests/scons_support.py) is a user's repository: a top
SConstruct loading the tool from the installed package, two module folders, C in
subfolders with a shared header, and Python merged into a module.
"""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from scons_support import CHECK_PY, REPO_ROOT, SCONSTRUCT, files_under, make_repo, run_scons, scons_env, write

from natmod_tool.arch import ARCHES


def mpy_arch_number(path: Path) -> int:
    """Native arch number in a `.mpy` header (format.md 4)."""
    data = path.read_bytes()
    assert data[:2] == b"M\x06", f"{path}: not a v6 .mpy"
    return (data[2] >> 2) & 0x2F


def test_every_installed_arch_builds_and_x64_runs(
    tmp_path: Path, mpy_dir: Path, installed_arches: tuple[str, ...], run_micropython
) -> None:
    make_repo(tmp_path)
    result = run_scons(tmp_path, "-j2", "ARCH=all")
    assert result.returncode == 0, result
    built = sorted(p.name for p in (tmp_path / "build").iterdir())
    assert built == sorted(installed_arches), result
    for arch in installed_arches:
        for module in ("calc", "greet"):
            path = tmp_path / "build" / arch / "mods" / module / f"{module}.mpy"
            assert mpy_arch_number(path) == ARCHES[arch].number, path
    missing = [a for a in ARCHES if a not in installed_arches]
    if missing:
        # listed once, with what to install
        skips = [line for line in result.stdout.splitlines() if line.startswith("natmod: ARCH=all skips")]
        assert len(skips) == 1 and all(a in skips[0] for a in missing), result
    script = tmp_path / "check.py"
    script.write_text(CHECK_PY)
    mods = tmp_path / "build" / "x64" / "mods"
    done = run_micropython(script, [mods / "calc", mods / "greet"], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "25 8 3 calc:9 7"
    assert run_scons(tmp_path, "-q", "ARCH=all").returncode == 0


def _flags(command: str) -> list[str]:
    """Compile flags of a command line, without what legitimately differs per setup.

    Dropped: the compiler itself and `-m32` (x86 may use i686-linux-gnu-gcc or gcc
    -m32), include paths, the config-file define, output/input; the picolibc specs path
    is kept only as the option name.
    """
    words = shlex.split(command)
    out = []
    skip = False
    for word in words[1:]:
        if skip:
            skip = False
            continue
        if word in ("-o", "-c"):
            skip = True
            continue
        if word == "-m32" or word.startswith(("-I", "-DMP_CONFIGFILE", "[-DMP_CONFIGFILE")) or word.endswith("]"):
            continue
        out.append("-specs=" if word.startswith("-specs=") else word)
    return out


def test_compile_flags_are_the_reference_flags(tmp_path: Path, mpy_dir: Path, installed_arches) -> None:
    manifest = json.loads((REPO_ROOT / "tests" / "vectors" / "manifest.json").read_text())["compile_flags"]
    make_repo(tmp_path)
    # the manifest's xtensawin line is the vectors' lx106 build, not a reference build
    arches = [a for a in installed_arches if a in manifest and a != "xtensawin"]
    result = run_scons(tmp_path, "-j2", "V=1", f"ARCH={','.join(arches)}")
    assert result.returncode == 0, result
    for arch in arches:
        lines = [
            line
            for line in result.stdout.splitlines()
            if line.endswith(" -c mods/calc/helper.c") and f" -o build/{arch}/" in line
        ]
        assert len(lines) == 1, (arch, result)
        expected = _flags(manifest[arch].replace("<case>/src", "x").replace("<vector dir>", "x"))
        assert _flags(lines[0]) == expected, arch
        assert "-DMP_CONFIGFILE=<calc.config.h>" in shlex.split(lines[0])


def test_dist_alias_and_clean(tmp_path: Path, mpy_dir: Path) -> None:
    make_repo(tmp_path)
    result = run_scons(tmp_path, "-j2", "dist", "DIST_PATTERN={arch}/{name}.mpy")
    assert result.returncode == 0, result
    # each module also gets a mip package file (MIP_PATTERN, default {name}-{arch}.json)
    expected = ["calc-x64.json", "greet-x64.json", "x64/calc.mpy", "x64/greet.mpy"]
    assert sorted(files_under(tmp_path / "dist")) == expected
    assert (tmp_path / "dist/x64/calc.mpy").read_bytes() == (tmp_path / "build/x64/mods/calc/calc.mpy").read_bytes()
    cleaned = run_scons(tmp_path, "-c", "DIST_PATTERN={arch}/{name}.mpy")
    assert cleaned.returncode == 0, cleaned
    assert files_under(tmp_path / "build") == {}
    assert files_under(tmp_path / "dist") == {}


def test_default_dist_names(tmp_path: Path, mpy_dir: Path) -> None:
    make_repo(tmp_path)
    result = run_scons(tmp_path, "dist")
    assert result.returncode == 0, result
    assert result.names("DIST") == ["dist/calc-x64.mpy", "dist/greet-x64.mpy"], result


def test_help_lists_the_variables(tmp_path: Path, mpy_dir: Path) -> None:
    make_repo(tmp_path)
    result = run_scons(tmp_path, "-h")
    assert result.returncode == 0, result
    for name in ("ARCH", "MPY_DIR", "MPY_CROSS", "LINK_RUNTIME", "V", "BUILD_DIR", "DIST_DIR", "DIST_PATTERN"):
        assert f"\n  {name}=" in result.stdout, name


def test_generate_callable_without_toolpath(tmp_path: Path, mpy_dir: Path) -> None:
    make_repo(tmp_path)
    write(
        tmp_path,
        "SConstruct",
        SCONSTRUCT.replace('tools=["natmod"], toolpath=[natmod_scons.TOOLPATH]', "tools=[natmod_scons.generate]"),
    )
    result = run_scons(tmp_path, "-j2")
    assert result.returncode == 0, result
    assert result.names("LINK") == ["calc.native.mpy", "greet.mpy"], result


def test_verbose_shows_commands(tmp_path: Path, mpy_dir: Path) -> None:
    make_repo(tmp_path)
    result = run_scons(tmp_path, "V=1", "build/x64/mods/greet/greet.mpy")
    assert result.returncode == 0, result
    assert result.steps == [], result
    assert " -DGREETING=7 " in result.stdout, result
    # the link is printed as a natmod-tool command that gives the same module when run
    links = [line for line in result.stdout.splitlines() if line.startswith("natmod-tool link ")]
    assert len(links) == 1, result
    words = shlex.split(links[0])
    assert words[-3:] == ["-o", "build/x64/mods/greet/greet.mpy", "build/x64/mods/greet/greet.o"], words
    words[-2] = "again.mpy"
    done = subprocess.run(
        [sys.executable, "-m", "natmod_tool", *words[1:]], cwd=tmp_path, env=scons_env(), capture_output=True
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "again.mpy").read_bytes() == (tmp_path / "build/x64/mods/greet/greet.mpy").read_bytes()


def test_this_repository_examples_build_and_run(tmp_path: Path, mpy_dir: Path, run_micropython) -> None:
    """The checkout's own SConstruct and site_scons/, on a copy of examples/, for x64."""
    if not any((REPO_ROOT / "examples").glob("*/SConscript")):
        pytest.fail("examples/ has no modules")
    shutil.copy(REPO_ROOT / "SConstruct", tmp_path / "SConstruct")
    shutil.copytree(REPO_ROOT / "site_scons", tmp_path / "site_scons", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO_ROOT / "examples", tmp_path / "examples", ignore=shutil.ignore_patterns("__pycache__"))
    result = run_scons(tmp_path, "-j2")
    assert result.returncode == 0, result
    ran = 0
    for script in sorted((tmp_path / "examples").glob("*/test_*.py")):
        name = script.parent.name
        expected = script.with_suffix(".exp")
        module_dir = tmp_path / "build" / "x64" / "examples" / name
        if not expected.exists() or not (module_dir / f"{name}.mpy").exists():
            continue
        done = run_micropython(script, [module_dir], cwd=script.parent)
        assert done.returncode == 0, (name, done.stderr)
        assert done.stdout == expected.read_text(), name
        ran += 1
    assert ran > 0


EXTERN_C = """\
#include "py/dynruntime.h"

extern volatile uint32_t board_status;

static mp_obj_t status_addr(void) {
    return mp_obj_new_int_from_uint((uintptr_t)&board_status);
}
static MP_DEFINE_CONST_FUN_OBJ_0(status_addr_obj, status_addr);

mp_obj_t mpy_init(mp_obj_fun_bc_t *self, size_t n_args, size_t n_kw, mp_obj_t *args) {
    MP_DYNRUNTIME_INIT_ENTRY
    mp_store_global(MP_QSTR_status_addr, MP_OBJ_FROM_PTR(&status_addr_obj));
    MP_DYNRUNTIME_INIT_EXIT
}
"""


def test_externs_file_and_arch_flags(tmp_path: Path, mpy_dir: Path, installed_arches, run_micropython) -> None:
    make_repo(tmp_path)
    write(
        tmp_path,
        "mods/board/SConscript",
        'Import("env")\nenv.NativeMpy("board", ["board.c"], EXTERNS="board.ld", ARCH_FLAGS="zba")\n',
    )
    write(tmp_path, "mods/board/board.c", EXTERN_C)
    write(tmp_path, "mods/board/board.ld", "board_status = 0x40001000;\n")
    arches = ["x64"] + (["rv32imc"] if "rv32imc" in installed_arches else [])
    result = run_scons(tmp_path, "-j2", f"ARCH={','.join(arches)}")
    assert result.returncode == 0, result
    script = tmp_path / "check_board.py"
    script.write_text("import board\nprint(hex(board.status_addr()))\n")
    done = run_micropython(script, [tmp_path / "build/x64/mods/board"], cwd=tmp_path)
    assert done.stdout.strip() == "0x40001000", done.stderr
    x64_header = (tmp_path / "build/x64/mods/board/board.mpy").read_bytes()[2]
    assert not x64_header & 0x40  # a flags string only applies where the arch takes flags
    if "rv32imc" in arches:
        assert (tmp_path / "build/rv32imc/mods/board/board.mpy").read_bytes()[2] & 0x40
    # a changed externs file relinks that module only, without compiling
    write(tmp_path, "mods/board/board.ld", "board_status = 0x40002000;\n")
    again = run_scons(tmp_path, "-j2", "ARCH=x64")
    assert again.returncode == 0, again
    assert again.names("CC") == [] and again.names("LINK") == ["board.mpy"], again
    done = run_micropython(script, [tmp_path / "build/x64/mods/board"], cwd=tmp_path)
    assert done.stdout.strip() == "0x40002000", done.stderr


ASM_C = """\
#include "py/dynruntime.h"

int asm_seven(void);

static mp_obj_t seven(void) {
    return mp_obj_new_int(asm_seven());
}
static MP_DEFINE_CONST_FUN_OBJ_0(seven_obj, seven);

mp_obj_t mpy_init(mp_obj_fun_bc_t *self, size_t n_args, size_t n_kw, mp_obj_t *args) {
    MP_DYNRUNTIME_INIT_ENTRY
    mp_store_global(MP_QSTR_seven, MP_OBJ_FROM_PTR(&seven_obj));
    MP_DYNRUNTIME_INIT_EXIT
}
"""

ASM_S = """\
    .text
    .globl asm_seven
    .type asm_seven, @function
asm_seven:
    movl $7, %eax
    ret
"""


def test_assembler_source_in_a_subfolder(tmp_path: Path, mpy_dir: Path, run_micropython) -> None:
    make_repo(tmp_path)
    write(tmp_path, "mods/asm/SConscript", 'Import("env")\nenv.NativeMpy("asmmod", ["asmmod.c", "x64/seven.S"])\n')
    write(tmp_path, "mods/asm/asmmod.c", ASM_C)
    write(tmp_path, "mods/asm/x64/seven.S", ASM_S)
    result = run_scons(tmp_path, "-j2", "build/x64/mods/asm")
    assert result.returncode == 0, result
    assert result.names("AS") == ["mods/asm/x64/seven.S"], result
    script = tmp_path / "check_asm.py"
    script.write_text("import asmmod\nprint(asmmod.seven())\n")
    done = run_micropython(script, [tmp_path / "build/x64/mods/asm"], cwd=tmp_path)
    assert done.stdout.strip() == "7", done.stderr
