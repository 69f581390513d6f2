"""`natmod-tool link`: objects and archives to a native .mpy (options as the reference's mpy_ld.py)."""

from __future__ import annotations

import argparse
import os

from ..fileio import write_atomic


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `link` subcommand."""
    p = subparsers.add_parser(
        "link",
        help="link ELF objects into a native .mpy",
        description="Link ELF relocatable objects (and static archives) into a native .mpy module.",
    )
    p.add_argument("--arch", default="x64", help="target architecture (default: x64)")
    p.add_argument("--arch-flags", default=None, help="rv32imc extensions: zba, zcmp, or a number")
    p.add_argument("--qstrs", default=None, help="qstr config header made by `preprocess`")
    p.add_argument("-l", "--libs", action="append", default=[], help="static archive to search (repeatable)")
    p.add_argument(
        "--math-lib",
        action="append",
        default=[],
        help="C maths library (libm.a, or a libc.a holding it) searched after -l for <math.h> functions only",
    )
    p.add_argument(
        "-e",
        "--externs",
        action="append",
        default=None,
        help="file of fixed-address symbols (name = 0xADDR;); repeatable, a later file wins",
    )
    p.add_argument("--source-name", default=None, help="name stored in the module (default: output file name)")
    p.add_argument("-o", "--output", default=None, help="output .mpy (default: first input with .mpy suffix)")
    p.add_argument("-v", "--verbose", action="count", default=0, help="more detail; -v also shows tracebacks")
    p.add_argument("--size", action="store_true", help="print a one-line size summary")
    p.add_argument(
        "--writable-data",
        action="store_true",
        help="accept initialised .data and static BSS (the reference refuses them; see docs/linker.md)",
    )
    p.add_argument(
        "--mpy-sub-version",
        type=int,
        choices=range(4),
        default=None,
        metavar="N",
        help="native ABI revision in the header: the target tree's MPY_SUB_VERSION (default 3)",
    )
    p.add_argument("inputs", nargs="*", help="object files (.o)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Link and write the output atomically; errors propagate as LinkError."""
    from ..errors import LinkError
    from ..linker.driver import link

    if not args.inputs:
        raise LinkError("no object files to link; give at least one .o")
    output = args.output
    if output is None:
        first = args.inputs[0]
        if not first.endswith(".o"):
            raise LinkError(f"{first}: cannot derive the output name (not a .o file); give -o")
        output = first[:-1] + "mpy"
    level = 1 + args.verbose

    def log(lvl: int, line: str) -> None:
        if lvl <= level:
            print(line)

    result = link(
        args.inputs,
        args.arch,
        qstrs=args.qstrs,
        libs=args.libs,
        math_libs=args.math_lib,
        externs=args.externs,
        arch_flags=args.arch_flags,
        source_name=args.source_name if args.source_name is not None else os.path.basename(output),
        log=log,
        writable_data=args.writable_data,
        mpy_sub_version=args.mpy_sub_version,
    )
    write_atomic(output, result.mpy)
    if args.size:
        print(f"{output}: {result.summary()}")
    return 0
