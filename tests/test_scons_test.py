"""`scons test` and `natmod-tool test`: real modules, run on real runtimes.

A small repository (two modules, three test scripts) is built and tested in a
temporary folder.  x64 runs in MicroPython's unix port; the re-run checks also use
every other arch that has a compiler and a runtime here (natmod_tool.testrt), so
"only the edited test re-runs" is checked per arch, not just on the host.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import detect_installed_arches, skip_or_fail
from scons_support import GREET_C, SCONSTRUCT, make_repo, scons_env, write

from natmod_tool.testrun import runtime_problem
from natmod_tool.toolchains import toolchain

pytestmark = pytest.mark.runtime

FILES = {
    "SConstruct": SCONSTRUCT,
    "mods/greet/SConscript": 'Import("env")\nenv.NativeMpy("greet", ["greet.c"], CFLAGS=["-DGREETING=7"])\n',
    "mods/greet/greet.c": GREET_C,
    "mods/greet/test_greet.py": "import greet\nprint('hello', greet.hello())\n",
    "mods/greet/test_greet.exp": "hello 7\n",
    "mods/greet/test_sum.py": "import greet\nprint(greet.hello() + 1)\n",
    "mods/greet/test_sum.exp": "8\n",
    "mods/other/SConscript": 'Import("env")\nenv.NativeMpy("other", ["greet.c"])\n',
    "mods/other/greet.c": GREET_C,
    "mods/other/test_other.py": "import other\nprint(other.hello())\n",
    "mods/other/test_other.exp": "1\n",
}

#: a progress line: STATUS module arch test[: reason]
PROGRESS_RE = re.compile(r"^(PASS|FAIL|SKIP) (\S+) (\S+) (\S+\.py)(?:: (.*))?$")
COUNT_RE = re.compile(r"^natmod test: (\d+) passed, (\d+) failed, (\d+) skipped$")


def runnable_arches(limit: int = 3) -> list[str]:
    """x64 first, then up to `limit` - 1 other arches with a compiler and a runtime here."""
    arches = [a for a in detect_installed_arches() if runtime_problem(a) is None]
    ordered = [a for a in arches if a == "x64"] + [a for a in arches if a != "x64"]
    return ordered[:limit]


class Run:
    """One `scons` run: exit status, output, parsed progress and count lines."""

    def __init__(self, done: subprocess.CompletedProcess[str]) -> None:
        self.returncode = done.returncode
        self.stdout = done.stdout
        self.stderr = done.stderr

    @property
    def progress(self) -> list[tuple[str, str, str, str, str]]:
        found = []
        for line in self.stdout.splitlines():
            match = PROGRESS_RE.match(line)
            if match:
                found.append((*match.groups()[:4], match.group(5) or ""))
        return found

    def ran(self) -> list[tuple[str, str, str]]:
        """Sorted (module, arch, test) of the tests that ran."""
        return sorted((module, arch, test) for _status, module, arch, test, _reason in self.progress)

    @property
    def counts(self) -> tuple[int, int, int]:
        last = self.stdout.rstrip("\n").splitlines()[-1] if self.stdout.strip() else ""
        match = COUNT_RE.match(last)
        assert match, f"the output does not end with the count line:\n{self}"
        return int(match.group(1)), int(match.group(2)), int(match.group(3))

    def __str__(self) -> str:
        return f"exit {self.returncode}\n--- stdout\n{self.stdout}\n--- stderr\n{self.stderr}"

    __repr__ = __str__


def scons(root: Path, *args: str, ci: bool | None = None, path: str | None = None, timeout: float = 900) -> Run:
    """`python -m SCons -Q -j2 <args>` in `root`; `ci` sets or clears CI, `path` replaces PATH."""
    env = scons_env()
    if path is not None:
        env["PATH"] = path
    if ci is not None:
        env.pop("CI", None)
        if ci:
            env["CI"] = "1"
    done = subprocess.run(
        [sys.executable, "-m", "SCons", "-Q", "-j2", *args],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return Run(done)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    if "x64" not in detect_installed_arches():
        skip_or_fail("no x64 compiler installed")
    if runtime_problem("x64"):
        skip_or_fail("no x64 runtime (the MicroPython unix port)")
    return make_repo(tmp_path, FILES)


def test_passing_tests_table_and_count(repo: Path, mpy_dir: Path) -> None:
    run = scons(repo, "test", "ARCH=x64", f"MPY_DIR={mpy_dir}")
    assert run.returncode == 0, run
    assert run.ran() == [
        ("greet", "x64", "test_greet.py"),
        ("greet", "x64", "test_sum.py"),
        ("other", "x64", "test_other.py"),
    ]
    assert {status for status, *_ in run.progress} == {"PASS"}
    assert run.counts == (3, 0, 0)
    lines = run.stdout.splitlines()
    table = lines[lines.index("module  x64") :]
    assert table[1:3] == ["greet   pass", "other   pass"], run
    # the result files are in BUILD_DIR, beside the module
    assert (repo / "build/x64/mods/greet/greet.test_greet.result.json").is_file()


def test_wrong_expected_output_fails_with_diff_and_rerun_command(repo: Path, mpy_dir: Path) -> None:
    write(repo, "mods/greet/test_greet.exp", "hello 8\n")
    run = scons(repo, "test", "ARCH=x64", f"MPY_DIR={mpy_dir}")
    assert run.returncode != 0, run
    assert ("FAIL", "greet", "x64", "test_greet.py", "output differs from test_greet.exp") in run.progress
    assert run.counts == (2, 1, 0)
    assert "    -hello 8" in run.stdout and "    +hello 7" in run.stdout, run
    assert "natmod test: 1 failed" in run.stderr
    rerun = [line.strip() for line in run.stdout.splitlines() if line.strip().startswith("rerun: ")]
    assert len(rerun) == 1, run
    # the printed command really reruns the test alone and prints what the test got
    done = subprocess.run(rerun[0][len("rerun: ") :], shell=True, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout == "hello 7\n", done

    # nothing changed: no test runs again, the failure (with its diff) is reported again
    again = scons(repo, "test", "ARCH=x64", f"MPY_DIR={mpy_dir}")
    assert again.returncode != 0 and again.ran() == [] and again.counts == (2, 1, 0), again
    assert "    +hello 7" in again.stdout


def test_crash_is_a_failure_with_the_traceback(repo: Path, mpy_dir: Path) -> None:
    write(repo, "mods/other/test_other.py", "import other\nprint(other.hello())\nraise KeyError('boom')\n")
    run = scons(repo, "test", "ARCH=x64", f"MPY_DIR={mpy_dir}")
    assert run.returncode != 0, run
    assert ("FAIL", "other", "x64", "test_other.py", "exit status 1") in run.progress
    assert "    +KeyError: boom" in run.stdout, run


def test_script_printing_skip_is_skipped(repo: Path, mpy_dir: Path) -> None:
    write(repo, "mods/greet/test_sum.py", "print('SKIP')\nprint('needs a board with a display')\n")
    run = scons(repo, "test", "ARCH=x64", f"MPY_DIR={mpy_dir}")
    assert run.returncode == 0, run
    assert ("SKIP", "greet", "x64", "test_sum.py", "needs a board with a display") in run.progress
    assert run.counts == (2, 0, 1)
    assert "greet   pass 1/2" in run.stdout


def test_per_arch_expected_output_wins(repo: Path, mpy_dir: Path) -> None:
    write(repo, "mods/greet/test_greet.exp", "what other arches print\n")
    run = scons(repo, "test", "ARCH=x64", f"MPY_DIR={mpy_dir}")
    assert ("FAIL", "greet", "x64", "test_greet.py", "output differs from test_greet.exp") in run.progress
    # adding the per-arch file re-runs exactly that test, against the new file
    write(repo, "mods/greet/test_greet.x64.exp", "hello 7\n")
    run = scons(repo, "test", "ARCH=x64", f"MPY_DIR={mpy_dir}")
    assert run.returncode == 0, run
    assert run.progress == [("PASS", "greet", "x64", "test_greet.py", "")]
    write(repo, "mods/greet/test_greet.x64.exp", "hello 70\n")
    run = scons(repo, "test", "ARCH=x64", f"MPY_DIR={mpy_dir}")
    assert ("FAIL", "greet", "x64", "test_greet.py", "output differs from test_greet.x64.exp") in run.progress


def test_missing_expected_output_fails_and_shows_the_output(repo: Path, mpy_dir: Path) -> None:
    (repo / "mods/other/test_other.exp").unlink()
    run = scons(repo, "test", "ARCH=x64", f"MPY_DIR={mpy_dir}")
    assert run.returncode != 0, run
    (line,) = [p for p in run.progress if p[0] == "FAIL"]
    assert line[1:4] == ("other", "x64", "test_other.py") and "no test_other.exp beside test_other.py" in line[4]


def test_hanging_script_times_out(repo: Path, mpy_dir: Path) -> None:
    write(repo, "mods/other/test_other.py", "import other\nprint('started')\nwhile True:\n    pass\n")
    run = scons(repo, "test", "ARCH=x64", "TEST_TIMEOUT=2", f"MPY_DIR={mpy_dir}", timeout=120)
    assert run.returncode != 0, run
    reasons = {test: reason for status, _m, _a, test, reason in run.progress if status == "FAIL"}
    assert reasons == {"test_other.py": "timed out after 2 s (TEST_TIMEOUT): killed"}, run
    assert run.counts == (2, 1, 0)


def test_rerun_runs_exactly_what_changed(repo: Path, mpy_dir: Path) -> None:
    arches = runnable_arches()
    arch_arg = f"ARCH={','.join(arches)}"
    first = scons(repo, "test", arch_arg, f"MPY_DIR={mpy_dir}")
    assert first.returncode == 0, first
    assert len(first.ran()) == 3 * len(arches) and first.counts == (3 * len(arches), 0, 0), first

    same = scons(repo, "test", arch_arg, f"MPY_DIR={mpy_dir}")
    assert same.returncode == 0 and same.ran() == [] and same.counts == first.counts, same

    write(repo, "mods/greet/test_sum.py", "import greet\nprint(greet.hello() + 1)  # edited\n")
    edited = scons(repo, "test", arch_arg, f"MPY_DIR={mpy_dir}")
    assert edited.ran() == [("greet", arch, "test_sum.py") for arch in sorted(arches)], edited

    write(repo, "mods/other/test_other.exp", "1\n\n")  # same lines, other text: the .exp is an input
    edited = scons(repo, "test", arch_arg, f"MPY_DIR={mpy_dir}")
    assert edited.ran() == [("other", arch, "test_other.py") for arch in sorted(arches)], edited

    # a changed module re-runs its own tests only
    write(repo, "mods/greet/greet.c", GREET_C.replace("mp_obj_new_int(GREETING)", "mp_obj_new_int(GREETING + 0)"))
    rebuilt = scons(repo, "test", arch_arg, f"MPY_DIR={mpy_dir}")
    assert {(m, t) for m, _a, t in rebuilt.ran()} <= {("greet", "test_greet.py"), ("greet", "test_sum.py")}, rebuilt

    # the timeout is part of every test's signature
    longer = scons(repo, "test", arch_arg, "TEST_TIMEOUT=90", f"MPY_DIR={mpy_dir}")
    assert len(longer.ran()) == 3 * len(arches), longer


def test_tests_variable_and_clean(repo: Path, mpy_dir: Path) -> None:
    write(repo, "mods/other/checks/check_other.py", "import other\nprint(other.hello() * 5)\n")
    write(repo, "mods/other/checks/check_other.exp", "5\n")
    write(
        repo,
        "mods/other/SConscript",
        'Import("env")\nenv.NativeMpy("other", ["greet.c"], TESTS=["checks/check_other.py"])\n',
    )
    run = scons(repo, "test", "ARCH=x64", f"MPY_DIR={mpy_dir}")
    assert run.returncode == 0, run
    assert ("other", "x64", "check_other.py") in run.ran() and ("other", "x64", "test_other.py") not in run.ran()
    results = sorted(p.name for p in (repo / "build").rglob("*.result.json"))
    assert results == ["greet.test_greet.result.json", "greet.test_sum.result.json", "other.check_other.result.json"]

    clean = scons(repo, "-c", "ARCH=x64", f"MPY_DIR={mpy_dir}")
    assert clean.returncode == 0, clean
    assert not list(repo.rglob("*.result.json")) and not list(repo.rglob("test-runtime.txt"))


def test_bad_settings_are_one_line(repo: Path, mpy_dir: Path) -> None:
    run = scons(repo, "test", "ARCH=x64", "TEST_TIMEOUT=soon", f"MPY_DIR={mpy_dir}")
    assert run.returncode != 0
    assert run.stderr.strip().splitlines() == [
        "scons: *** natmod: TEST_TIMEOUT='soon' is not a number of seconds > 0: use e.g. TEST_TIMEOUT=120"
    ], run
    write(repo, "mods/other/SConscript", 'Import("env")\nenv.NativeMpy("other", ["greet.c"], TESTS=["nope.py"])\n')
    run = scons(repo, "test", "ARCH=x64", f"MPY_DIR={mpy_dir}")
    assert run.returncode != 0
    assert "natmod: NativeMpy('other'): TESTS entry mods/other/nope.py does not exist" in run.stderr, run
    write(repo, "mods/other/a/test_x.py", "print(1)\n")
    write(repo, "mods/other/b/test_x.py", "print(1)\n")
    write(
        repo,
        "mods/other/SConscript",
        'Import("env")\nenv.NativeMpy("other", ["greet.c"], TESTS=["a/test_x.py", "b/test_x.py"])\n',
    )
    run = scons(repo, "test", "ARCH=x64", f"MPY_DIR={mpy_dir}")
    assert run.returncode != 0
    assert run.stderr.strip().splitlines() == [
        "scons: *** natmod: NativeMpy('other'): TESTS has two scripts named test_x.py (mods/other/a/test_x.py and "
        "mods/other/b/test_x.py): their result files would clash; rename one"
    ], run
    assert "Traceback" not in run.stdout + run.stderr


def test_help_documents_test_timeout(repo: Path) -> None:
    run = scons(repo, "-h")
    assert run.returncode == 0, run
    assert "  TEST_TIMEOUT=60\n      'scons test': seconds one test script may run" in run.stdout


def _bin_without_qemu(tmp_path: Path, arch: str) -> str:
    """A PATH holding only `arch`'s compiler tools: its runtime (qemu) is then missing."""
    from natmod_tool.testrt import TARGETS

    folder = tmp_path / "bin"
    folder.mkdir()
    prefix = toolchain(arch).cross_prefix
    for tool in ("gcc", "g++", "ar", "ranlib"):
        found = shutil.which(prefix + tool)
        if found:
            (folder / (prefix + tool)).symlink_to(found)
    assert shutil.which(TARGETS[arch].qemu, path=str(folder)) is None
    return str(folder)


def test_missing_runtime_skips_but_fails_under_ci(repo: Path, mpy_dir: Path, tmp_path: Path) -> None:
    arch = "armv6m"
    if arch not in detect_installed_arches():
        skip_or_fail(f"no {arch} compiler installed")
    path = _bin_without_qemu(tmp_path, arch)
    local = scons(repo, "test", f"ARCH={arch}", f"MPY_DIR={mpy_dir}", ci=False, path=path)
    assert local.returncode == 0, local
    reasons = {reason for status, _m, _a, _t, reason in local.progress if status == "SKIP"}
    assert reasons == {
        f"no runtime for {arch}: qemu-system-arm is not installed: apt-get install "
        "gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm"
    }, local
    assert local.counts == (0, 0, 3)
    ci = scons(repo, "test", f"ARCH={arch}", f"MPY_DIR={mpy_dir}", ci=True, path=path)
    assert ci.returncode != 0, ci
    assert {s for s, *_ in ci.progress} == {"FAIL"} and ci.counts == (0, 3, 0), ci
    assert all(reason.endswith("(CI is set: it must be there)") for *_rest, reason in ci.progress)


def test_xtensa_runs_under_ci(repo: Path, mpy_dir: Path) -> None:
    """xtensa modules run on qemu's sim machine: under CI a pass, not a skip (the arch
    without any runtime, xtensawin, is test_testrun.py's)."""
    arch = "xtensa"
    if arch not in detect_installed_arches():
        skip_or_fail(f"no {arch} compiler installed: run tools/bootstrap.sh")
    run = scons(repo, "test", f"ARCH={arch}", f"MPY_DIR={mpy_dir}", ci=True)
    assert run.returncode == 0, run
    assert {s for s, *_ in run.progress} == {"PASS"}, run
    assert run.counts == (3, 0, 0)


def test_cli_runs_built_modules(repo: Path, mpy_dir: Path) -> None:
    build = scons(repo, "ARCH=x64", f"MPY_DIR={mpy_dir}")
    assert build.returncode == 0, build
    cli = [sys.executable, "-m", "natmod_tool", "test"]
    ok = subprocess.run(
        [*cli, "-j2", str(repo / "build/x64/mods/greet"), str(repo / "mods/greet")],
        capture_output=True,
        text=True,
        timeout=120,
        env=scons_env(),
    )
    assert ok.returncode == 0, ok
    assert ok.stdout.splitlines()[-1] == "natmod test: 2 passed, 0 failed, 0 skipped"
    write(repo, "mods/greet/test_sum.exp", "9\n")
    bad = subprocess.run(
        [*cli, str(repo / "build/x64/mods/greet"), str(repo / "mods/greet/test_sum.py")],
        capture_output=True,
        text=True,
        timeout=120,
        env=scons_env(),
    )
    assert bad.returncode == 1, bad
    assert "FAIL greet x64 test_sum.py: output differs from test_sum.exp" in bad.stdout
    assert "    -9" in bad.stdout and "    +8" in bad.stdout and "rerun: env MICROPYPATH=" in bad.stdout
    none = subprocess.run([*cli, str(repo / "mods/greet")], capture_output=True, text=True, timeout=60, env=scons_env())
    assert none.returncode == 1 and none.stderr.strip().splitlines() == [
        "error: no built .mpy files in the given folders: add the build folder (or -m DIR)"
    ], none


def test_cache_dir_never_answers_for_a_test(repo: Path, mpy_dir: Path, tmp_path: Path) -> None:
    """With CACHE_DIR, modules come from the cache after `scons -c`; tests still run."""
    cache = f"CACHE_DIR={tmp_path / 'cache'}"
    first = scons(repo, "test", "ARCH=x64", cache, f"MPY_DIR={mpy_dir}")
    assert first.returncode == 0 and len(first.ran()) == 3, first
    assert scons(repo, "-c", "ARCH=x64", cache, f"MPY_DIR={mpy_dir}").returncode == 0
    again = scons(repo, "test", "ARCH=x64", cache, f"MPY_DIR={mpy_dir}")
    assert again.returncode == 0 and len(again.ran()) == 3, again
    assert "LINK" not in again.stdout, "the modules should have come from the cache"
