"""`scons test`: run every module's test scripts on every arch built, the SCons way.

Nodes (all in `BUILD_DIR/<arch>/`):

* `test-runtime.txt` per arch: names the arch's runtime build (a digest of its
  interpreter or firmware, see natmod_tool.testrun.runners.identity), or why there
  is none.  Rebuilt on every `scons test` (asking is cheap once built) but rewritten
  only when its text changes, so it is the runtime's part of every test's signature.
* `<folder>/<module>.<test>.result.json` per (module, arch, test script): depends on
  the module's `.mpy`, the script, the `.exp` file that applies on that arch and the
  runtime file; TEST_TIMEOUT and the tool version are in its action's signature.  A
  re-run with nothing changed runs no test; an edited script re-runs that script on
  each arch and nothing else.  The action writes the result (PASS, FAIL or SKIP)
  and succeeds, so a failure is recorded, not retried, until an input changes.
* the `test` alias: reads every result file, prints each failure's diff and rerun
  command, a module x arch table and `natmod test: P passed, F failed, S skipped`,
  and fails the build when anything failed.

Test scripts: `test_*.py` beside the module's SConscript, or `NativeMpy(...,
TESTS=[...])` (paths relative to the SConscript; `TESTS=[]` for none).
"""

from __future__ import annotations

import functools
import glob
import os
import sys
import threading
from pathlib import Path
from typing import Any

from natmod_tool.errors import NatmodError
from natmod_tool.fileio import write_atomic

from .output import fail
from .variables import Settings, top_path

#: construction variables that are part of every test's signature
TEST_VARLIST = ["NATMOD_ARCH", "NATMOD_TEST_MODULE", "NATMOD_TEST_TIMEOUT", "NATMOD_TOOL_VERSION"]
#: the file naming each arch's runtime build, in BUILD_DIR/<arch>/
RUNTIME_FILE = "test-runtime.txt"

_print_lock = threading.Lock()


def _say(text: str) -> None:
    """Print whole lines from SCons' worker threads without interleaving them."""
    with _print_lock:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        sys.stdout.flush()


def _in_ci() -> bool:
    return bool(os.environ.get("CI"))


def declared_tests(env: Any, name: str, tests: Any) -> list[Any]:
    """The test script nodes of module `name` (called from NativeMpy, in its SConscript's folder)."""
    import SCons.Util

    folder = env.Dir(".").srcnode()
    if tests is None:
        return [env.File(path) for path in _test_scripts(folder.abspath)]
    nodes = []
    for entry in SCons.Util.flatten([tests]):
        node = (env.File(entry) if isinstance(entry, str) else entry).srcnode()
        shown = os.path.relpath(node.abspath, env.Dir("#").abspath)
        if not node.name.endswith(".py"):
            fail(f"NativeMpy({name!r}): TESTS entry {shown} is not a .py test script")
        if not os.path.isfile(node.abspath):
            fail(f"NativeMpy({name!r}): TESTS entry {shown} does not exist (paths are relative to the SConscript)")
        clash = [other for other in nodes if other.name == node.name and other is not node]
        if clash:
            other = os.path.relpath(clash[0].abspath, env.Dir("#").abspath)
            fail(
                f"NativeMpy({name!r}): TESTS has two scripts named {node.name} ({other} and {shown}): "
                "their result files would clash; rename one"
            )
        if node not in nodes:
            nodes.append(node)
    return nodes


@functools.cache
def _test_scripts(folder: str) -> tuple[str, ...]:
    """`test_*.py` in a module folder, listed once per run (the folder is read for every arch)."""
    return tuple(sorted(glob.glob(os.path.join(glob.escape(folder), "test_*.py"))))


def runtime_file_action(target: list, source: list, env: Any) -> int:
    """Write which runtime serves `$NATMOD_ARCH` (or why none does), only if that changed."""
    from natmod_tool.qstr import write_if_changed
    from natmod_tool.testrun.runners import NoRuntime, get_runtime, identity

    arch = env["NATMOD_ARCH"]
    try:
        state = f"ready {identity(get_runtime(arch, env['NATMOD_MPY_DIR']))}"
    except NoRuntime as exc:
        state = f"missing {exc}"
    except NatmodError as exc:
        state = f"error {exc}"
    text = f"arch {arch}\nmpy_dir {env['NATMOD_MPY_DIR']}\nci {int(_in_ci())}\n{state}\n"
    write_if_changed(target[0].abspath, text)
    return 0


def test_action(target: list, source: list, env: Any) -> int:
    """Run one test script on its arch, write its result record, print its progress line."""
    from natmod_tool.testrun import Case, run_case
    from natmod_tool.testrun.report import dump, progress_line

    case = Case(
        module=env["NATMOD_TEST_MODULE"],
        arch=env["NATMOD_ARCH"],
        script=Path(env["NATMOD_TEST_SCRIPT"]),
        import_dirs=[Path(d) for d in env["NATMOD_TEST_IMPORT_DIRS"]],
    )
    record = run_case(case, env["NATMOD_MPY_DIR"], float(env["NATMOD_TEST_TIMEOUT"]), in_ci=_in_ci())
    write_atomic(target[0].abspath, dump(record))
    _say(progress_line(record))
    return 0


def _no_scan(node: Any, env: Any, path: tuple = ()) -> list:
    """A test's inputs are listed explicitly; its imports are the module under test."""
    return []


def _column(aenv: Any, several: bool) -> str:
    """The table column of an arch environment: `<arch>`, or `<arch>_<mpy version>` with several trees."""
    return f"{aenv['NATMOD_ARCH']}_{aenv['NATMOD_MPY_VERSION']}" if several else aenv["NATMOD_ARCH"]


def declare(env: Any, settings: Settings, groups: list[tuple[list[Any], list, dict]]) -> list[Any]:
    """Add the test nodes and the `test` alias; returns the result nodes.

    `groups` holds one (arch environments, modules ((name, arch, node) each), extras) per
    MicroPython tree: each tree's modules run on a runtime of that tree, and with several
    trees the table's columns say which (`x64_6.2`).
    """
    import SCons.Action
    import SCons.Builder
    import SCons.Errors
    import SCons.Scanner

    from natmod_tool.testrun.cases import expected_file

    no_scan = SCons.Scanner.ScannerBase(_no_scan, name="NatmodTestNoScan")
    runtime_builder = SCons.Builder.Builder(
        action=SCons.Action.Action(runtime_file_action, None, varlist=["NATMOD_MPY_DIR"]),
        source_scanner=no_scan,
    )
    test_builder = SCons.Builder.Builder(
        action=SCons.Action.Action(test_action, None, varlist=TEST_VARLIST),
        source_scanner=no_scan,
    )
    several = len(groups) > 1
    tests = []  # (result node, module, column label, script path)
    arch_names = []
    all_modules = []
    for envs, modules, extras in groups:
        runtime_files = {}
        mpy_dirs = {aenv["NATMOD_ARCH"]: aenv["NATMOD_MPY_DIR"] for aenv in envs}
        labels = {
            aenv["NATMOD_ARCH"]: f"{aenv['NATMOD_ARCH']}_{aenv['NATMOD_MPY_VERSION']}"
            if several
            else aenv["NATMOD_ARCH"]
            for aenv in envs
        }
        arch_names += [labels[aenv["NATMOD_ARCH"]] for aenv in envs]
        all_modules += modules
        for aenv in envs:
            arch = aenv["NATMOD_ARCH"]
            node = runtime_builder(
                env,
                env.File(os.path.join(top_path(aenv["NATMOD_BUILD_DIR"]), RUNTIME_FILE)),
                [],
                NATMOD_ARCH=arch,
                NATMOD_MPY_DIR=aenv["NATMOD_MPY_DIR"],
            )
            env.AlwaysBuild(node)
            env.Precious(node)  # kept between runs: its unchanged text is what spares the tests
            env.NoCache(node)  # CACHE_DIR must not answer for this machine's runtime
            runtime_files[arch] = node[0]
        for name, arch, mpy in modules:
            for script in extras.get((name, arch), {}).get("tests", []):
                script_path = Path(script.abspath)
                exp = expected_file(script_path, arch)
                stem = script_path.stem
                result = test_builder(
                    env,
                    env.File(f"{name}.{stem}.result.json", mpy.dir),
                    [mpy, script, *([env.File(str(exp))] if exp else []), runtime_files[arch]],
                    NATMOD_ARCH=arch,
                    NATMOD_MPY_DIR=mpy_dirs[arch],
                    NATMOD_TEST_MODULE=name,
                    NATMOD_TEST_SCRIPT=str(script_path),
                    NATMOD_TEST_IMPORT_DIRS=[mpy.dir.abspath],
                    NATMOD_TEST_TIMEOUT=settings.test_timeout,
                )
                env.Clean(mpy, result)
                env.NoCache(result)  # a result names this checkout's paths; a test is run, not fetched
                tests.append((result[0], name, labels[arch], script_path))
        for _name, arch, mpy in modules:
            env.Clean(mpy, runtime_files[arch])

    module_names = list(dict.fromkeys(name for name, _arch, _node in all_modules))

    def show(target: list, source: list, env: Any) -> int:
        from natmod_tool.testrun.report import counts, load, summary

        records = [{**load(node.abspath, name, label, script), "arch": label} for node, name, label, script in tests]
        _say(summary(records, module_names, arch_names))
        failed = counts(records)[1]
        if failed:
            raise SCons.Errors.BuildError(errstr=f"natmod test: {failed} failed (see above)", status=1, exitstatus=1)
        return 0

    alias = env.Alias("test", [node for node, *_rest in tests], SCons.Action.Action(show, None))
    env.AlwaysBuild(alias)
    return [node for node, *_rest in tests]
