"""`python -m natmod_tool.testrt ARCH SCRIPT [IMPORT_DIR...]`: build if needed, run, exit with its status."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from ..errors import NatmodError
from ..mpydir import resolve_mpy_dir
from . import ensure_runtime
from .targets import TARGETS


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m natmod_tool.testrt",
        description="Run a MicroPython script that imports natmods on ARCH's test runtime "
        "(built from the MicroPython tree on first use, then cached).",
    )
    parser.add_argument("arch", choices=sorted(TARGETS), metavar="ARCH", help=", ".join(TARGETS))
    parser.add_argument("script", type=Path, help="the script to run")
    parser.add_argument("import_dirs", nargs="*", type=Path, metavar="IMPORT_DIR", help="folders first on sys.path")
    parser.add_argument("--mpy-dir", default=None, help="MicroPython tree (default: $MPY_DIR or the cached default)")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds before the run is stopped (default 60)")
    parser.add_argument(
        "--print-command", action="store_true", help="print the command that runs the script, then run it"
    )
    args = parser.parse_args(argv)
    if not args.script.is_file():
        print(f"error: {args.script}: no such script", file=sys.stderr)
        return 2
    try:
        runtime = ensure_runtime(args.arch, resolve_mpy_dir(args.mpy_dir))
    except NatmodError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if args.print_command:
        import shlex

        print(shlex.join(runtime.command(args.script, args.import_dirs)), file=sys.stderr)
    result = runtime.run(args.script, args.import_dirs, timeout=args.timeout)
    sys.stdout.write(result.output)
    sys.stdout.flush()
    if result.stderr:
        sys.stderr.write(result.stderr)
    if result.timed_out:
        print(f"error: {args.script} did not finish within {args.timeout:g} s on {args.arch}", file=sys.stderr)
    return result.returncode


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
