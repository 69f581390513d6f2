"""`natmod-tool test`: run test scripts against built `.mpy` files, without SCons.

For projects built with make or mpy_ld.py: point it at the folders holding the
built modules and at the test scripts (or folders of `test_*.py`); each script runs
on the arch's runtime (the unix port for x64, natmod_tool.testrt's emulated boards
for the others) with those folders first on `sys.path`, and is judged exactly as
`scons test` judges it (`.exp` / `.<arch>.exp` files, `SKIP`, timeout).

    natmod-tool test build/armv6m/factorial examples/factorial/test_factorial.py
    natmod-tool test --arch rv32imc -m out/rv32imc -j2 tests/

The arch comes from the `.mpy` files' headers unless `--arch` is given.  Nothing is
written; the exit status is 1 when a test failed.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
from pathlib import Path
from typing import Any

from ..arch import ARCHES
from ..errors import NatmodError

__all__ = ["register", "run", "collect"]


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0:
        raise argparse.ArgumentTypeError(f"not a number of seconds > 0: {text!r}")
    return value


def _jobs(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"not a job count >= 1: {text!r}")
    return int(text)


def register(subparsers: Any) -> None:
    """Add the `test` subcommand."""
    parser = subparsers.add_parser(
        "test",
        help="run test scripts against built .mpy modules on the arch's MicroPython",
        description=(
            "Run MicroPython test scripts with built native modules on their arch's runtime and "
            "compare the output with test_x.exp (test_x.<arch>.exp wins when present).  A folder "
            "argument adds its .mpy files to the import path and its test_*.py files to the tests."
        ),
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="test scripts, or folders of .mpy and test_*.py files")
    parser.add_argument(
        "-m", "--modules", action="append", default=[], metavar="DIR", help="another folder of built .mpy files"
    )
    parser.add_argument("--arch", choices=list(ARCHES), help="the modules' arch (default: read from the .mpy files)")
    parser.add_argument("--mpy-dir", default="", help="MicroPython tree for the emulated runtimes (default: $MPY_DIR)")
    parser.add_argument("-j", "--jobs", type=_jobs, default=1, help="tests run at once (default 1)")
    parser.add_argument("--timeout", type=_positive, default=60.0, help="seconds per test before it fails (60)")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="show tracebacks on errors")
    parser.set_defaults(run=run)


def collect(paths: list[str], module_dirs: list[str]) -> tuple[list[Path], list[Path]]:
    """(test scripts, import folders) from the arguments, in the order given, without repeats."""
    scripts: list[Path] = []
    dirs: list[Path] = [Path(d).resolve() for d in module_dirs]
    for folder in dirs:
        if not folder.is_dir():
            raise NatmodError(f"-m {folder}: no such folder")
    for text in paths:
        path = Path(text).resolve()
        if path.is_dir():
            if any(path.glob("*.mpy")) and path not in dirs:
                dirs.append(path)
            scripts += sorted(path.glob("test_*.py"))
        elif path.is_file() and path.suffix == ".py":
            scripts.append(path)
        else:
            raise NatmodError(f"{text}: not a test script (.py) or a folder")
    scripts = list(dict.fromkeys(scripts))
    if not scripts:
        raise NatmodError("no test scripts: name test scripts, or folders holding test_*.py files")
    if not any(any(d.glob("*.mpy")) for d in dirs):
        raise NatmodError("no built .mpy files in the given folders: add the build folder (or -m DIR)")
    return scripts, dirs


def _arch_of(dirs: list[Path]) -> str:
    """The one arch named by the native `.mpy` files in `dirs`."""
    from ..mpy.reader import read_mpy

    found: dict[str, Path] = {}
    for folder in dirs:
        for path in sorted(folder.glob("*.mpy")):
            try:
                arch = read_mpy(path.read_bytes(), str(path)).arch_name
            except NatmodError:
                continue  # not a module this tool can read: it says nothing about the arch
            if arch:
                found.setdefault(arch, path)
    if not found:
        raise NatmodError("no native .mpy in the given folders names an arch: pass --arch")
    if len(found) > 1:
        listed = ", ".join(f"{arch} ({path.name})" for arch, path in found.items())
        raise NatmodError(f"the .mpy files are for several arches ({listed}): test one arch per run, or pass --arch")
    return next(iter(found))


def run(args: argparse.Namespace) -> int:
    """Run every script, print a line per test, the failures, the table and the count line."""
    from ..testrun import Case, run_case
    from ..testrun.report import counts, progress_line, summary
    from ..testrun.runners import UNIX_PORT_ARCH, find_unix_port, get_runtime

    scripts, dirs = collect(args.paths, args.modules)
    arch = args.arch or _arch_of(dirs)
    mpy_dir = args.mpy_dir
    if not (arch == UNIX_PORT_ARCH and find_unix_port()):
        from ..mpydir import resolve_mpy_dir

        mpy_dir = str(resolve_mpy_dir(args.mpy_dir or None))  # the emulated runtimes are built from it
    try:
        get_runtime(arch, mpy_dir)  # a first build says so (the tests then reuse it quietly)
    except NatmodError:
        pass  # each test reports the missing runtime
    cases = [Case(module=s.parent.name, arch=arch, script=s, import_dirs=dirs) for s in scripts]
    in_ci = bool(os.environ.get("CI"))
    lock = threading.Lock()

    def one(case: Case) -> dict:
        record = run_case(case, mpy_dir, args.timeout, in_ci=in_ci, setting="--timeout")
        with lock:  # whole lines from the worker threads
            sys.stdout.write(progress_line(record) + "\n")
            sys.stdout.flush()
        return record

    from concurrent.futures import ThreadPoolExecutor  # here: every other command's start-up skips it

    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        records = list(pool.map(one, cases))
    sys.stdout.write(summary(records))
    sys.stdout.flush()
    return 1 if counts(records)[1] else 0
