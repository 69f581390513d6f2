"""The no-op shortcut (natmod_scons/noop.py): taken only when every input is as recorded.

Each test builds the sample repository (tests/scons_support.py) for x64, runs the no-op that
records the manifest, changes one thing, and checks that the next build is a real SCons
build doing exactly the work the change needs, and that the one after it takes the
shortcut again.  The shortcut is seen in the output ("nothing changed since the last
build"), so these runs leave out `-Q`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from scons_support import FILES, Result, make_repo, run_scons, write

MARK = "nothing changed since the last build"
MANIFEST = ".natmod-noop.json"


def scons(root: Path, *args: str, env: dict[str, str] | None = None) -> Result:
    """`python -m SCons -j2 <args>` in `root`, without -Q (the shortcut's line shows)."""
    return run_scons(root, "-j2", *args, env=env, quiet=False)


def shortcut(result: Result) -> bool:
    assert result.returncode == 0, result
    return MARK in result.stdout


def built(result: Result) -> list[str]:
    """The targets SCons said it built (the step lines), sorted."""
    return sorted(f"{kind} {name}" for kind, name, _arch in result.steps)


def settle(root: Path, *args: str, env: dict[str, str] | None = None) -> Result:
    """The run after a build: a full no-op that records; returns the run after it (the shortcut)."""
    recording = scons(root, *args, env=env)
    assert not shortcut(recording) and built(recording) == [], recording
    return scons(root, *args, env=env)


@pytest.fixture
def repo(tmp_path: Path, mpy_dir: Path, scons_command: list[str]) -> Path:
    """The sample repository, built once for x64, with a recorded no-op."""
    make_repo(tmp_path)
    first = scons(tmp_path)
    assert first.returncode == 0 and "CC mods/calc/calc.c" in built(first), first
    again = settle(tmp_path)
    assert shortcut(again), again
    return tmp_path


def test_shortcut_prints_what_the_full_no_op_printed(repo: Path) -> None:
    full = scons(repo, env={"NATMOD_NOOP": "0"})
    quick = scons(repo)
    assert not shortcut(full) and shortcut(quick)
    assert [line for line in quick.stdout.splitlines() if MARK not in line] == [
        line for line in full.stdout.splitlines() if "done building targets" not in line
    ]
    assert quick.stderr == full.stderr
    entry = next(iter(json.loads((repo / MANIFEST).read_text())["entries"].values()))
    assert str(repo / "mods/calc/common.h") in entry["paths"]  # a scanned header
    assert str(repo / "mods/calc/SConscript") in entry["paths"]  # read by the SConstruct
    assert str(repo / "mods") in entry["folders"]  # the mods/*/SConscript glob


def test_quiet_no_op_prints_nothing_either_way(repo: Path) -> None:
    assert settle(repo, "-Q").stdout == ""
    assert (repo / MANIFEST).exists()
    assert len(json.loads((repo / MANIFEST).read_text())["entries"]) == 2  # with and without -Q


@pytest.mark.parametrize(
    ("rel", "compiled"),
    [
        ("mods/calc/helper.c", ["CC mods/calc/helper.c"]),
        ("mods/calc/common.h", ["CC mods/calc/calc.c", "CC mods/calc/ops/ops.c"]),
    ],
)
def test_an_edited_source_or_header_is_rebuilt(repo: Path, rel: str, compiled: list[str]) -> None:
    path = repo / rel
    write(repo, rel, path.read_text().replace("2 * x", "3 * x") + "\n/* edited */\n")
    after = scons(repo)
    assert not shortcut(after), after
    assert [step for step in built(after) if step.startswith("CC ")] == compiled, after
    assert shortcut(settle(repo))


def test_an_edit_that_keeps_the_modification_time_is_seen(repo: Path) -> None:
    """The change time, which no tool can set back, tells the shortcut; SCons then decides."""
    path = repo / "mods/calc/helper.c"
    before = path.stat()
    path.write_text(path.read_text() + "\n")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert not shortcut(scons(repo))


def test_a_new_module_folder_is_found(repo: Path) -> None:
    write(repo, "mods/extra/SConscript", FILES["mods/greet/SConscript"].replace('"greet"', '"extra"'))
    write(repo, "mods/extra/greet.c", FILES["mods/greet/greet.c"])
    after = scons(repo)
    assert not shortcut(after) and "LINK extra.mpy" in built(after), after


def test_a_deleted_output_is_built_again(repo: Path) -> None:
    (repo / "build/x64/mods/greet/greet.mpy").unlink()
    after = scons(repo)
    assert not shortcut(after) and built(after) == ["LINK greet.mpy"], after


def test_an_environment_variable_a_sconscript_reads(repo: Path) -> None:
    write(
        repo,
        "mods/greet/SConscript",
        'import os\nImport("env")\n'
        'env.NativeMpy("greet", ["greet.c"], CFLAGS=["-DGREETING=" + os.environ.get("GREETING", "7")])\n',
    )
    same = scons(repo)  # the same flags as before: a no-op, which records
    assert not shortcut(same) and built(same) == [], same
    assert shortcut(scons(repo))
    after = scons(repo, env={"GREETING": "8"})
    assert not shortcut(after) and "CC mods/greet/greet.c" in built(after), after
    assert shortcut(settle(repo, env={"GREETING": "8"}))
    back = scons(repo)  # unset again: a real build, which compiles the old flags again
    assert not shortcut(back) and "CC mods/greet/greet.c" in built(back), back


def test_a_file_a_sconscript_only_checks_for(repo: Path) -> None:
    """`os.path.exists` of a file that is not there yet: its appearance is a change."""
    write(
        repo,
        "mods/greet/SConscript",
        'import os\nImport("env")\n'
        'flags = ["-DGREETING=9"] if os.path.exists(File("loud").srcnode().abspath) else []\n'
        'env.NativeMpy("greet", ["greet.c"], CFLAGS=flags)\n',
    )
    assert "CC mods/greet/greet.c" in built(scons(repo))  # no -DGREETING=7 any more
    assert shortcut(settle(repo))
    write(repo, "mods/greet/loud", "")
    after = scons(repo)
    assert not shortcut(after) and "CC mods/greet/greet.c" in built(after), after


def test_other_variables_and_options_run_scons(repo: Path) -> None:
    assert not shortcut(scons(repo, "V=1"))  # another command line: its own record
    assert not shortcut(scons(repo, "-n"))  # options that change what a build does: never
    assert not shortcut(scons(repo, "--debug=explain"))
    assert not shortcut(scons(repo, env={"NATMOD_NOOP": "0"}))
    assert shortcut(scons(repo))  # the record of the plain command line still holds
    assert shortcut(settle(repo, "-f", "SConstruct"))  # which SConstruct: traced all the same


@pytest.mark.parametrize(
    "line",
    [
        'import subprocess\nsubprocess.run(["true"], check=True)\n',  # a process: anything could change
        "import natmod_scons.noop\nnatmod_scons.noop.volatile()\n",
    ],
)
def test_a_sconscript_that_reaches_outside_is_never_recorded(repo: Path, line: str) -> None:
    write(repo, "mods/greet/SConscript", line + FILES["mods/greet/SConscript"])
    assert scons(repo).returncode == 0
    for _ in range(2):
        assert not shortcut(scons(repo))


def test_a_build_that_did_work_is_not_recorded(repo: Path) -> None:
    first, second = scons(repo, "sizes"), scons(repo, "sizes")
    assert not shortcut(first) and not shortcut(second)  # `sizes` prints a table every time


def test_clean_removes_the_record(repo: Path) -> None:
    assert (repo / MANIFEST).exists()
    cleaned = scons(repo, "-c")
    assert cleaned.returncode == 0, cleaned
    assert not (repo / MANIFEST).exists()
    assert not shortcut(scons(repo))


def test_imported_late_nothing_is_traced(tmp_path: Path, mpy_dir: Path, scons_command: list[str]) -> None:
    """A SConstruct that runs code before importing natmod_scons gets plain SCons."""
    files = dict(FILES)
    files["SConstruct"] = "DefaultEnvironment(tools=[])\n" + FILES["SConstruct"]
    make_repo(tmp_path, files)
    for _ in range(3):
        assert not shortcut(scons(tmp_path))
    assert not (tmp_path / MANIFEST).exists()


def test_a_site_init_that_ran_first_turns_it_off(repo: Path) -> None:
    """Code in ~/.scons/site_scons/site_init.py runs before the SConstruct, unseen by the trace."""
    home = repo / "home"
    (home / ".scons/site_scons").mkdir(parents=True)
    (home / ".scons/site_scons/site_init.py").write_text("import os\nGREETING = os.environ.get('GREETING')\n")
    env = {"HOME": str(home), "NATMOD_NOOP": "explain"}
    for _ in range(2):
        run = scons(repo, env=env)
        assert not shortcut(run) and "natmod: no-op shortcut: off: code ran before" in run.stderr, run
