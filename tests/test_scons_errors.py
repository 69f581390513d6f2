"""Errors of the SCons tool: one clear line each, and never a half-written `.mpy`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from scons_support import CALC_C, HELPER_C, make_repo, run_scons, scons_env, write


def error_lines(text: str) -> list[str]:
    """The `scons: ***` lines of an output."""
    return [line for line in text.splitlines() if line.startswith("scons: ***")]


def test_unknown_arch(tmp_path: Path, mpy_dir: Path) -> None:
    make_repo(tmp_path)
    result = run_scons(tmp_path, "ARCH=armv9")
    assert result.returncode == 2, result
    lines = error_lines(result.stderr)
    assert len(lines) == 1 and "unknown ARCH 'armv9'" in lines[0] and "rv32imc" in lines[0], result
    assert "Traceback" not in result.stderr


def test_missing_toolchain_names_the_package(tmp_path: Path, mpy_dir: Path) -> None:
    make_repo(tmp_path)
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    env = scons_env()
    env["PATH"] = str(empty)
    done = subprocess.run(
        [sys.executable, "-m", "SCons", "-Q", "ARCH=armv6m"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    lines = error_lines(done.stderr)
    assert len(lines) == 1, done.stderr
    assert "arm-none-eabi-gcc" in lines[0] and "gcc-arm-none-eabi" in lines[0], lines[0]


def test_arch_without_debian_package(tmp_path: Path, mpy_dir: Path) -> None:
    make_repo(tmp_path)
    result = run_scons(tmp_path, "ARCH=xtensawin")
    if result.returncode == 0:  # an ESP-IDF toolchain is installed here
        return
    lines = error_lines(result.stderr)
    assert len(lines) == 1 and "xtensa-esp32-elf-gcc" in lines[0] and "no Debian package" in lines[0], result


def test_wrong_mpy_dir(tmp_path: Path) -> None:
    make_repo(tmp_path)
    result = run_scons(tmp_path, f"MPY_DIR={tmp_path / 'nowhere'}")
    assert result.returncode == 2, result
    lines = error_lines(result.stderr)
    assert len(lines) == 1 and "MPY_DIR" in lines[0], result


def test_compile_error_leaves_no_module(tmp_path: Path, mpy_dir: Path) -> None:
    make_repo(tmp_path)
    write(tmp_path, "mods/calc/helper.c", HELPER_C.replace("return 2 * x;", "return 2 * ;"))
    result = run_scons(tmp_path, "-j2")
    assert result.returncode != 0, result
    assert "helper.c" in result.stderr
    assert error_lines(result.stderr) == ["scons: *** [build/x64/mods/calc/helper.o] Error 1"], result
    assert not (tmp_path / "build/x64/mods/calc/calc.mpy").exists()
    assert not (tmp_path / "build/x64/mods/calc/calc.native.mpy").exists()


def test_link_error_is_one_line_and_writes_nothing(tmp_path: Path, mpy_dir: Path) -> None:
    make_repo(tmp_path)
    broken = CALC_C.replace("helper_twice(mp_obj_get_int", "not_defined_anywhere(mp_obj_get_int")
    write(tmp_path, "mods/calc/calc.c", "extern int not_defined_anywhere(int);\n" + broken)
    result = run_scons(tmp_path, "-j2")
    assert result.returncode != 0, result
    lines = error_lines(result.stderr)
    assert len(lines) == 1, result
    assert lines[0].startswith("scons: *** [build/x64/mods/calc/calc.native.mpy] LinkError [x64]: "), lines
    assert "not_defined_anywhere" in lines[0]
    leftovers = [p.name for p in (tmp_path / "build/x64/mods/calc").iterdir() if "mpy" in p.name]
    assert set(leftovers) <= {"util.py.mpy"}, leftovers
    assert not (tmp_path / "build/x64/mods/calc/calc.mpy").exists()


def test_link_error_keeps_no_stale_module(tmp_path: Path, mpy_dir: Path) -> None:
    """A module that built before and now fails to link is removed, not left stale."""
    make_repo(tmp_path)
    assert run_scons(tmp_path, "-j2").returncode == 0
    broken = CALC_C.replace("helper_twice(mp_obj_get_int", "not_defined_anywhere(mp_obj_get_int")
    write(tmp_path, "mods/calc/calc.c", "extern int not_defined_anywhere(int);\n" + broken)
    result = run_scons(tmp_path, "-j2")
    assert result.returncode != 0, result
    assert not (tmp_path / "build/x64/mods/calc/calc.native.mpy").exists()
    assert os.path.exists(tmp_path / "build/x64/mods/greet/greet.mpy")


def test_unsupported_source_type(tmp_path: Path, mpy_dir: Path) -> None:
    make_repo(tmp_path)
    write(tmp_path, "mods/greet/SConscript", 'Import("env")\nenv.NativeMpy("greet", ["greet.c", "notes.txt"])\n')
    write(tmp_path, "mods/greet/notes.txt", "hello\n")
    result = run_scons(tmp_path)
    assert result.returncode == 2, result
    lines = error_lines(result.stderr)
    assert len(lines) == 1 and "notes.txt" in lines[0], result
