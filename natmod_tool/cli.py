"""Command line: `python -m natmod_tool link|preprocess|merge|inspect|test ...`.

Each subcommand lives in `natmod_tool/commands/<name>.py` and exposes
`register(subparsers)`, which adds its parser and sets `run=<function(args) -> int>`.
This module only dispatches and turns errors into one line and an exit status.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import traceback
from collections.abc import Sequence

from .errors import LinkError, NatmodError

COMMANDS = ("link", "preprocess", "merge", "inspect", "test")


def version_text() -> str:
    """`natmod-tool X.Y.Z (.mpy version 6.3)`: the tool and the .mpy format it writes."""
    from importlib.metadata import PackageNotFoundError, version

    from .mpy.format import MPY_SUB_VERSION, MPY_VERSION

    try:
        label = version("natmod-tool")
    except PackageNotFoundError:  # a checkout that was never installed
        label = "(not installed)"
    return f"natmod-tool {label} (.mpy version {MPY_VERSION}.{MPY_SUB_VERSION})"


class _VersionAction(argparse.Action):
    """`--version`, its text made only when asked for.

    Why not argparse's own "version" action: it takes the text when the parser is built,
    and reading the installed version (importlib.metadata) is about a sixth of the start-up
    of every `natmod-tool link` a Makefile runs.
    """

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: object) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, help="show the version and exit")

    def __call__(self, parser: argparse.ArgumentParser, *args: object) -> None:
        sys.stdout.write(version_text() + "\n")  # on stdout, as argparse's own version action
        parser.exit()


def build_parser(commands: Sequence[str] = COMMANDS) -> argparse.ArgumentParser:
    """The top-level parser with `commands` registered (by default every subcommand)."""
    parser = argparse.ArgumentParser(
        prog="natmod-tool",
        description="Link, merge and inspect MicroPython native modules (.mpy).",
    )
    parser.add_argument("--version", action=_VersionAction)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in commands:
        importlib.import_module(f"natmod_tool.commands.{name}").register(sub)
    return parser


def _wanted(argv: Sequence[str]) -> Sequence[str]:
    """The commands to register: only the one named first, if any, else all (for -h, typos).

    Why: each command module imports what its command needs; a `natmod-tool link` that a
    Makefile runs per module should not load the inspector, the test runner and the
    MicroPython tree fetcher too (a third of its start-up).
    """
    return (argv[0],) if argv and argv[0] in COMMANDS else COMMANDS


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `natmod-tool` console script and of `python -m natmod_tool`."""
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(_wanted(argv))
    args = parser.parse_args(argv)
    verbose = getattr(args, "verbose", 0) or 0
    try:
        return int(args.run(args) or 0)
    except LinkError as exc:
        if verbose:
            traceback.print_exc()
        print(f"LinkError: {exc}", file=sys.stderr)
        return 1
    except NatmodError as exc:
        if verbose:
            traceback.print_exc()
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        if verbose:
            traceback.print_exc()
        name = f"{exc.filename}: " if exc.filename else ""
        print(f"error: {name}{exc.strerror or exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # e.g. `natmod-tool link -vvv ... | head`
        return 1
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug in natmod-tool: still one line unless -v
        if verbose:
            traceback.print_exc()
        print(
            f"error: internal error ({type(exc).__name__}: {exc}); rerun with -v and report it",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
