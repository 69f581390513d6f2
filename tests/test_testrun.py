"""natmod_tool.testrun without SCons: verdicts, records and the printed summary, runtime identity."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

from natmod_tool.testrun import FAIL, PASS, SKIP, Case, RunResult, identity, judge, run_case, summary
from natmod_tool.testrun import execute as execute_module
from natmod_tool.testrun.cases import expected_file
from natmod_tool.testrun.report import make_record
from natmod_tool.testrun.runners import NoRuntime, UnixPortRuntime, run_process


def _script(tmp_path: Path, exp: str | None = "a\nb\n", arch_exp: str | None = None) -> Path:
    script = tmp_path / "test_x.py"
    script.write_text("print('a')\n")
    if exp is not None:
        (tmp_path / "test_x.exp").write_text(exp)
    if arch_exp is not None:
        (tmp_path / "test_x.armv6m.exp").write_text(arch_exp)
    return script


def test_judge_verdicts(tmp_path: Path) -> None:
    script = _script(tmp_path)
    exp = expected_file(script, "x64")
    assert judge(RunResult(0, "a\r\nb\r\n", False), script, exp, "x64", 60).status == PASS  # serial CR LF
    assert judge(RunResult(0, "a\nb", False), script, exp, "x64", 60).status == PASS  # final newline
    differs = judge(RunResult(0, "a\nc\n", False), script, exp, "x64", 60)
    assert (differs.status, differs.reason) == (FAIL, "output differs from test_x.exp")
    assert "-b" in differs.diff.splitlines() and "+c" in differs.diff.splitlines()
    crashed = judge(RunResult(1, "a\nb\n", False), script, exp, "x64", 60)
    assert (crashed.status, crashed.reason) == (FAIL, "exit status 1")
    hung = judge(RunResult(-9, "a\n", True), script, exp, "x64", 2.5)
    assert (hung.status, hung.reason) == (FAIL, "timed out after 2.5 s (TEST_TIMEOUT): killed")
    cli = judge(RunResult(-9, "", True), script, exp, "x64", 3, "--timeout")
    assert cli.reason == "timed out after 3 s (--timeout): killed"
    skipped = judge(RunResult(0, "SKIP\nno floats here\n", False), script, exp, "x64", 60)
    assert (skipped.status, skipped.reason) == (SKIP, "no floats here")
    # SKIP counts only as the first line of a clean exit
    assert judge(RunResult(0, "a\nSKIP\n", False), script, exp, "x64", 60).status == FAIL
    assert judge(RunResult(1, "SKIP\n", False), script, exp, "x64", 60).status == FAIL


def test_per_arch_expected_file_wins_on_its_arch_only(tmp_path: Path) -> None:
    script = _script(tmp_path, exp="a\n", arch_exp="a1\n")
    assert expected_file(script, "armv6m") == tmp_path / "test_x.armv6m.exp"
    assert expected_file(script, "x64") == tmp_path / "test_x.exp"
    missing = judge(RunResult(0, "a\n", False), script, None, "x64", 60)
    assert missing.status == FAIL and missing.reason.startswith("no test_x.exp beside test_x.py")
    assert missing.diff == "a"


def test_summary_lists_failures_table_and_count_line() -> None:
    script = Path("/src/test_m.py")
    records = [
        make_record("m", "x64", script, PASS, "", "", ["run", "it"]),
        make_record("m", "armv6m", script, FAIL, "output differs from test_m.exp", "-1\n+2", ["qemu", "x y"]),
        make_record("n", "x64", Path("/src/test_n.py"), SKIP, "no floats", "", []),
    ]
    text = summary(records, ["m", "n", "o"], ["x64", "armv6m"])
    assert text.splitlines() == [
        "FAILED m armv6m test_m.py: output differs from test_m.exp",
        "    -1",
        "    +2",
        "    rerun: qemu 'x y'",
        "module  x64   armv6m",
        "m       pass  FAIL",
        "n       skip  -",
        "o       -     -",
        "natmod test: 1 passed, 1 failed, 1 skipped",
    ]


def test_missing_runtime_skips_and_fails_under_ci(monkeypatch, tmp_path: Path) -> None:
    def no_runtime(arch, mpy_dir, quiet=False):
        raise NoRuntime(f"no runtime for {arch}: qemu-system-arm is not installed")

    monkeypatch.setattr(execute_module, "get_runtime", no_runtime)
    case = Case("m", "armv7m", _script(tmp_path), [tmp_path])
    local = run_case(case, "/nowhere", 60, in_ci=False)
    assert (local["status"], local["reason"]) == (SKIP, "no runtime for armv7m: qemu-system-arm is not installed")
    ci = run_case(case, "/nowhere", 60, in_ci=True)
    assert ci["status"] == FAIL and ci["reason"].endswith("(CI is set: it must be there)")


def test_arch_without_any_runtime_skips_even_under_ci(monkeypatch, tmp_path: Path) -> None:
    """An arch no runtime is made for (xtensawin): nothing to install, so a SKIP under CI too."""

    def never_made(arch, mpy_dir, quiet=False):
        raise NoRuntime(f"no runtime for {arch}: no test runtime for arch {arch!r}", exists=False)

    monkeypatch.setattr(execute_module, "get_runtime", never_made)
    case = Case("m", "xtensawin", _script(tmp_path), [tmp_path])
    for in_ci in (False, True):
        record = run_case(case, "/nowhere", 60, in_ci=in_ci)
        assert (record["status"], record["reason"]) == (
            SKIP,
            "no runtime for xtensawin: no test runtime for arch 'xtensawin'",
        )


def test_timeout_kills_the_whole_process_group(tmp_path: Path) -> None:
    marker = tmp_path / "child-alive"
    child = tmp_path / "child.py"
    child.write_text(f"import time\ntime.sleep(3)\nopen({str(marker)!r}, 'w').close()\n")
    parent = tmp_path / "parent.py"
    # the child outlives its parent unless the whole group is killed
    parent.write_text(
        "import subprocess, sys, time\n"
        f"subprocess.Popen([sys.executable, {str(child)!r}])\n"
        "print('started', flush=True)\n"
        "time.sleep(60)\n"
    )
    start = time.monotonic()
    result = run_process([sys.executable, str(parent)], None, timeout=1.0)
    assert result.timed_out and time.monotonic() - start < 10
    assert result.output == "started\n"
    time.sleep(3.5)
    assert not marker.exists(), "the child process survived the timeout"


def test_identity_follows_the_runtime_files(tmp_path: Path) -> None:
    exe = tmp_path / "micropython"
    exe.write_bytes(b"build 1")
    runtime = UnixPortRuntime(str(exe))
    first = identity(runtime)
    assert identity(runtime) == first
    exe.write_bytes(b"build 2")
    os.utime(exe, (time.time() + 5, time.time() + 5))
    assert identity(runtime) != first
    assert identity(UnixPortRuntime(str(tmp_path / "elsewhere"))) != first


def test_unix_port_runs_with_import_dirs(micropython: str, tmp_path: Path) -> None:
    mods = tmp_path / "mods"
    mods.mkdir()
    (mods / "helper.py").write_text("VALUE = 42\n")
    script = tmp_path / "t.py"
    script.write_text("import helper\nprint(helper.VALUE)\n")
    runtime = UnixPortRuntime(micropython)
    result = runtime.run(script, [mods], timeout=30)
    assert (result.returncode, result.output, result.timed_out) == (0, "42\n", False)
    assert runtime.command(script, [mods])[:2] == ["env", f"MICROPYPATH={mods}:.frozen"]


@pytest.mark.parametrize("bad", ["0", "-1", "soon", "inf"])
def test_test_timeout_must_be_positive(bad: str) -> None:
    from natmod_scons.variables import _test_timeout

    with pytest.raises(ValueError, match="is not a number of seconds > 0"):
        _test_timeout(bad)
    assert _test_timeout("2.5") == 2.5
