"""ARCH_JOBS=N: the arches built by N SCons processes side by side (natmod_scons/fanout.py).

The sample repository (tests/scons_support.py) on three arches: a split build must give
the same modules as one process, each step once, records one process can use after the
other, an edit rebuilds only what it touches, a failure anywhere is a failed build.
"""

from __future__ import annotations

import pickle
from pathlib import Path

from conftest import skip_or_fail
from scons_support import Result, make_repo, run_scons, write

ARCHES = ("x64", "armv7m", "armv6m")
ARCH = f"ARCH={','.join(ARCHES)}"
#: the parent's own line: it started the children, so it is never recorded as a no-op
PARENT = "not recorded: the SConscripts reached outside (subprocess.Popen)"


def _need_arches(installed_arches: tuple[str, ...]) -> None:
    if not set(ARCHES) <= set(installed_arches):
        skip_or_fail("needs the ARM cross compiler (tools/bootstrap.sh installs gcc-arm-none-eabi)")


def _outputs(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted((root / "build").rglob("*.mpy"))}


def _scons(root: Path, *args: str, explain: bool = False) -> Result:
    done = run_scons(root, ARCH, *args, env={"NATMOD_NOOP": "explain"} if explain else None)
    assert done.returncode == 0, done
    return done


def _work_steps(done: Result) -> list[tuple[str, str, str]]:
    return [step for step in done.steps if step[0] in ("CC", "LINK", "MERGE", "QSTR", "MPY")]


def test_split_build_is_the_one_process_build(tmp_path: Path, installed_arches) -> None:
    _need_arches(installed_arches)
    split, single = make_repo(tmp_path / "split"), make_repo(tmp_path / "single")
    built = _scons(split, "ARCH_JOBS=2", explain=True)
    assert PARENT in built.stderr + built.stdout, built  # it did fan out
    one = _scons(single)
    assert sorted(_work_steps(built)) == sorted(_work_steps(one))  # each step once
    assert {a for _k, _n, a in _work_steps(built)} == set(ARCHES)
    assert _outputs(split) == _outputs(single) and _outputs(split)
    assert "Reading SConscript" not in built.stdout  # the children's banners are not repeated

    # each arch's records in its own file, none of them in the top one
    for arch in ARCHES:
        assert (split / "build" / arch / ".sconsign.dblite").stat().st_size > 0
    top = pickle.loads((split / ".sconsign.dblite").read_bytes())
    assert top and not [key for key in top if key.startswith("build/")]

    # one process reads the split build's records, and the other way round: nothing to do
    assert _work_steps(_scons(split)) == []
    assert _work_steps(_scons(single, "ARCH_JOBS=2")) == []
    # a repeated split no-op is a no-op in every child (the shortcut, recorded per share)
    _scons(split, "ARCH_JOBS=2")
    again = _scons(split, "ARCH_JOBS=2", explain=True)
    text = again.stdout + again.stderr
    assert text.count("no-op shortcut: taken") == 2, again


def test_split_build_rebuilds_only_the_edit(tmp_path: Path, installed_arches) -> None:
    _need_arches(installed_arches)
    root = make_repo(tmp_path / "repo")
    _scons(root, "ARCH_JOBS=3")
    write(root, "mods/greet/greet.c", (root / "mods/greet/greet.c").read_text() + "\nint natmod_edit;\n")
    rebuilt = _scons(root, "ARCH_JOBS=3")
    assert sorted(rebuilt.names("CC")) == ["mods/greet/greet.c"] * 3, rebuilt
    assert {n for _k, n, _a in _work_steps(rebuilt)} <= {"mods/greet/greet.c", "greet.config.h", "greet.mpy"}, rebuilt
    assert _work_steps(_scons(root)) == []


def test_a_failing_arch_fails_the_build(tmp_path: Path, installed_arches) -> None:
    _need_arches(installed_arches)
    root = make_repo(tmp_path / "repo")
    write(
        root,
        "mods/greet/greet.c",
        "#ifdef __thumb__\n#error no thumb today\n#endif\n" + (root / "mods/greet/greet.c").read_text(),
    )
    done = run_scons(root, ARCH, "ARCH_JOBS=3", "-k")
    assert done.returncode != 0, done
    assert "no thumb today" in done.stderr + done.stdout, done
    assert (root / "build/x64/mods/greet/greet.mpy").is_file()  # the other arches went on
    assert not (root / "build/armv7m/mods/greet/greet.mpy").exists()
    assert "Traceback" not in done.stderr


def test_other_targets_are_one_process(tmp_path: Path, installed_arches) -> None:
    """`dist` (and any target but natmods) builds as without ARCH_JOBS."""
    _need_arches(installed_arches)
    root = make_repo(tmp_path / "repo")
    done = run_scons(root, ARCH, "ARCH_JOBS=2", "dist", env={"NATMOD_NOOP": "explain"})
    assert done.returncode == 0, done
    assert PARENT not in done.stdout + done.stderr, done
    assert sorted(p.name for p in (root / "dist").glob("*.mpy")) == sorted(
        f"{name}-{arch}.mpy" for name in ("calc", "greet") for arch in ARCHES
    )


def test_arch_jobs_must_be_a_count(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo")
    done = run_scons(root, "ARCH_JOBS=two")
    assert done.returncode != 0
    assert "ARCH_JOBS='two' is not a number of processes >= 1: use e.g. ARCH_JOBS=2" in done.stderr, done
    assert "Traceback" not in done.stderr and not (root / "build").exists()
