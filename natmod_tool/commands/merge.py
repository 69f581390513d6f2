"""`natmod-tool merge`: join a native `.mpy` and bytecode `.mpy` files (format.md 13).

A drop-in for `mpy-tool.py --merge [-o OUT] [-march-flags N] FILE...`, so the same
command lines work (the reference's single-dash `-march-flags` is accepted next to
`--march-flags`).  Without `-o` the merged file goes to standard output as binary.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ..errors import MpyError
from ..fileio import write_atomic

__all__ = ["register", "run", "parse_march_flags"]


def parse_march_flags(text: str) -> int:
    """A non-negative flags number: decimal like the reference, or 0x../0b.. for convenience."""
    value = text.strip()
    try:
        if value[:2].lower() in ("0x", "0b"):
            flags = int(value, 0)
        else:
            flags = int(value, 10)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid flags number {text!r}") from None
    if flags < 0:
        raise argparse.ArgumentTypeError(f"negative flags number {text!r}")
    return flags


def register(subparsers: Any) -> None:
    """Add the `merge` subcommand."""
    parser = subparsers.add_parser(
        "merge",
        help="merge a native .mpy with bytecode .mpy files (mpy-tool.py --merge)",
        description=(
            "Merge .mpy files into one module: the native input (at most one) goes first and "
            "is copied unchanged, bytecode inputs are re-indexed onto the merged qstr and "
            "object tables.  A single input is copied unchanged."
        ),
    )
    parser.add_argument("-o", "--output", metavar="OUT", help="output file (default: standard output)")
    parser.add_argument(
        "-march-flags",
        "--march-flags",
        dest="march_flags",
        metavar="N",
        type=parse_march_flags,
        default=None,
        help="replace the arch flags of the merged file (0 removes them)",
    )
    parser.add_argument(
        "--mpy-sub-version",
        type=int,
        choices=range(4),
        default=3,
        metavar="N",
        help="native ABI revision the native input must have: the target tree's MPY_SUB_VERSION (default 3)",
    )
    parser.add_argument("-v", "--verbose", action="count", default=0, help="describe the merge on standard error")
    parser.add_argument("inputs", nargs="*", metavar="FILE", help=".mpy files, native one in any position")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Read the inputs, merge, write the result atomically (or to standard output)."""
    from ..mpy.merge import merge
    from ..mpy.reader import read_mpy

    inputs = []
    for name in args.inputs:
        with open(name, "rb") as handle:
            inputs.append((name, handle.read()))
    merged = merge(inputs, args.march_flags, sub_version=args.mpy_sub_version)
    if args.verbose:
        info = read_mpy(merged, args.output or "<stdout>")
        arch = info.arch_name or ("none" if not info.arch_number else f"#{info.arch_number}")
        print(
            f"merge: {len(inputs)} input(s) -> {len(merged)} bytes, arch {arch}, "
            f"arch flags 0x{info.arch_flags:x}, {len(info.qstrs)} qstrs, {len(info.objects)} objects",
            file=sys.stderr,
        )
    if args.output:
        write_atomic(args.output, merged)
    else:
        if sys.stdout.isatty():
            raise MpyError("merge: refusing to write a binary .mpy to a terminal; use -o OUT")
        sys.stdout.flush()
        sys.stdout.buffer.write(merged)
        sys.stdout.buffer.flush()
    return 0
