"""SCons conventions of a NativeMpyProject: `scons -h`, arch and module targets, `-Q`, `scons -c`, `-j`.

Real SCons on the sample repository of scons_support.py; the cross-arch cases need an
armv7m compiler (gcc-arm-none-eabi).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import skip_or_fail
from scons_support import SCONSTRUCT, Result, files_under, make_repo, run_scons, scons_env, write

from natmod_scons.cli import cpu_count


def _scons(root: Path, *args: str, env: dict[str, str] | None = None) -> Result:
    """SCons without the `-Q` run_scons adds (SCons' usual progress lines)."""
    done = subprocess.run(
        [sys.executable, "-m", "SCons", *args],
        cwd=root,
        env=env or scons_env(),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    return Result(done.returncode, done.stdout, done.stderr)


@pytest.fixture
def armv7m(installed_arches: tuple[str, ...]) -> str:
    if "armv7m" not in installed_arches:
        skip_or_fail("no armv7m compiler (gcc-arm-none-eabi) installed")
    return "armv7m"


# ---------------------------------------------------------------------------------------
# scons -h


def test_help_shows_the_values_in_use_then_the_targets(tmp_path: Path, mpy_dir: Path) -> None:
    make_repo(tmp_path)
    result = run_scons(tmp_path, "-h", "ARCH=x64,armv6m", f"MPY_DIR={mpy_dir}")
    assert result.returncode == 0, result
    out = result.stdout
    assert "\n  ARCH=x64,armv6m\n" in out and "\n      default: x64\n" in out, out
    assert f"\n  MPY_DIR={mpy_dir.resolve()}\n" in out, out
    assert "\n  LINK_RUNTIME=0\n" in out and "(default: $MPY_DIR, else" in out, out
    assert out.index("\n  CC_WRAPPER=") < out.index("Targets (scons TARGET ...):"), out
    targets = out[out.index("Targets (scons TARGET ...):") :]
    for line in ("every module for ARCH=x64,armv6m", "calc, greet", "calc-x64", "\n  dist\n", "\n  compiledb\n"):
        assert line in targets, line
    assert "--clean" not in out and "--jobs" not in out, out  # SCons' own options: under -H
    options = run_scons(tmp_path, "-H")
    assert options.returncode == 0 and "--clean" in options.stdout, options


def test_help_before_the_default_tree_is_fetched(tmp_path: Path) -> None:
    """`scons -h` on a fresh machine: no fetch, no traceback, and it says where the tree will go."""
    root = make_repo(tmp_path / "repo")
    cache = tmp_path / "cache"
    cache.mkdir()
    env = {key: value for key, value in scons_env().items() if key != "MPY_DIR"}
    env["XDG_CACHE_HOME"] = str(cache)
    result = _scons(root, "-Q", "-h", env=env)
    assert result.returncode == 0, result
    assert "Traceback" not in result.stderr, result
    expected = cache / "natmod-tool" / "micropython-1.28.0.4"
    assert f"\n  MPY_DIR={expected} (not fetched yet" in result.stdout, result
    assert not expected.exists(), "scons -h fetched the tree"


# ---------------------------------------------------------------------------------------
# arch and module targets


def test_arch_and_module_targets_without_arch(tmp_path: Path, mpy_dir: Path, armv7m: str) -> None:
    make_repo(tmp_path)
    arch = run_scons(tmp_path, "-j2", armv7m)
    assert arch.returncode == 0, arch
    assert arch.names("LINK", armv7m) == ["calc.native.mpy", "greet.mpy"] and arch.names("LINK", "x64") == [], arch

    one = run_scons(tmp_path, "-j2", "-c", armv7m)
    assert one.returncode == 0, one
    single = run_scons(tmp_path, "-j2", f"greet-{armv7m}")
    assert single.returncode == 0, single
    assert [(step[0], step[2]) for step in single.steps if step[0] == "LINK"] == [("LINK", armv7m)], single
    assert single.names("LINK") == ["greet.mpy"], single

    both = run_scons(tmp_path, "-j2", "calc", f"ARCH=x64,{armv7m}")
    assert both.returncode == 0, both
    assert both.names("LINK", "x64") == ["calc.native.mpy"] and both.names("LINK", armv7m) == ["calc.native.mpy"]
    assert "greet.mpy" not in both.names("LINK"), both

    by_path = run_scons(tmp_path, "-j2", "-c", armv7m)
    assert by_path.returncode == 0, by_path
    path = run_scons(tmp_path, f"build/{armv7m}/mods/greet/greet.mpy")
    assert path.returncode == 0 and path.names("LINK", armv7m) == ["greet.mpy"], path


def test_named_arch_without_toolchain_says_what_to_install(tmp_path: Path, mpy_dir: Path, installed_arches) -> None:
    if "xtensawin" in installed_arches:
        pytest.skip("this machine has an xtensawin compiler: the missing-toolchain line cannot show")
    make_repo(tmp_path)
    result = run_scons(tmp_path, "greet-xtensawin", "ARCH=all")  # named: required even with ARCH=all
    assert result.returncode == 2, result
    assert result.stderr.startswith("scons: *** natmod: ") and "xtensawin" in result.stderr, result
    assert "Traceback" not in result.stderr, result


# ---------------------------------------------------------------------------------------
# -Q


def test_quiet_up_to_date_build_prints_nothing(tmp_path: Path, mpy_dir: Path) -> None:
    make_repo(tmp_path)
    assert run_scons(tmp_path, "-j2", "dist").returncode == 0
    quiet = run_scons(tmp_path)
    assert quiet.returncode == 0 and quiet.stdout == "" and quiet.stderr == "", quiet
    for target in ("x64", "calc", "calc-x64", "dist"):
        again = run_scons(tmp_path, target)
        assert again.returncode == 0 and again.stdout == "", (target, again)
    usual = _scons(tmp_path)  # without -Q: SCons' own lines, one per default target
    assert usual.returncode == 0, usual
    assert "scons: `build/x64/mods/calc/calc.mpy' is up to date." in usual.stdout, usual
    assert run_scons(tmp_path, "-q").returncode == 0  # -Q -q: still "up to date"
    assert run_scons(tmp_path, "-q", "dist").returncode == 0


# ---------------------------------------------------------------------------------------
# scons -c


def test_clean_removes_compile_commands_but_not_the_users(tmp_path: Path, mpy_dir: Path) -> None:
    make_repo(tmp_path)
    built = run_scons(tmp_path, "-j2", "compiledb")
    assert built.returncode == 0, built
    top, per_arch = tmp_path / "compile_commands.json", tmp_path / "build/x64/compile_commands.json"
    assert top.is_file() and per_arch.is_file()
    cleaned = run_scons(tmp_path, "-c")
    assert cleaned.returncode == 0, cleaned
    assert not top.exists() and not per_arch.exists(), cleaned

    top.write_text("[]\n")  # the user's own (e.g. from bear): SCons never built it
    assert run_scons(tmp_path, "-j2").returncode == 0
    assert run_scons(tmp_path, "-c").returncode == 0
    assert top.read_text() == "[]\n"


def test_stale_dist_files_go_on_dist_and_clean(tmp_path: Path, mpy_dir: Path) -> None:
    make_repo(tmp_path)
    assert run_scons(tmp_path, "-j2", "dist").returncode == 0
    write(tmp_path, "dist/README.txt", "the user's\n")
    (tmp_path / "mods/greet/SConscript").unlink()  # greet no longer exists
    again = run_scons(tmp_path, "dist")
    assert again.returncode == 0, again
    assert sorted(files_under(tmp_path / "dist")) == ["README.txt", "calc-x64.json", "calc-x64.mpy"], again
    assert "natmod: removed stale dist/greet-x64.mpy" in again.stdout, again

    write(tmp_path, "mods/greet/SConscript", 'Import("env")\nenv.NativeMpy("greet", ["greet.c"])\n')
    pattern = "DIST_PATTERN={arch}/{name}.mpy"
    assert run_scons(tmp_path, "-j2", "dist", pattern).returncode == 0
    assert run_scons(tmp_path, "dist").returncode == 0  # the old pattern's files and folder go
    assert sorted(files_under(tmp_path / "dist")) == [
        "README.txt",
        "calc-x64.json",
        "calc-x64.mpy",
        "greet-x64.json",
        "greet-x64.mpy",
    ]
    assert not (tmp_path / "dist/x64").exists()

    write(tmp_path, "dist/greet-x64.json", "{}\n")  # edited by the user: theirs now
    (tmp_path / "mods/greet/SConscript").unlink()
    cleaned = run_scons(tmp_path, "-c")
    assert cleaned.returncode == 0, cleaned
    assert sorted(files_under(tmp_path / "dist")) == ["README.txt", "greet-x64.json"], cleaned


# ---------------------------------------------------------------------------------------
# -j


def test_jobs_default_to_the_cpus(tmp_path: Path, mpy_dir: Path) -> None:
    make_repo(tmp_path)
    write(tmp_path, "SConstruct", SCONSTRUCT + 'print("jobs=%s" % GetOption("num_jobs"))\n')
    default = run_scons(tmp_path, "-n")
    assert default.returncode == 0 and f"jobs={cpu_count()}\n" in default.stdout, default
    given = run_scons(tmp_path, "-n", "-j1")
    assert given.returncode == 0 and "jobs=1\n" in given.stdout, given
    env = {**scons_env(), "SCONSFLAGS": "-j1"}
    flags = _scons(tmp_path, "-Q", "-n", env=env)
    assert flags.returncode == 0 and "jobs=1\n" in flags.stdout, flags
