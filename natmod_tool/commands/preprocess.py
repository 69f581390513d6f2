"""`natmod-tool preprocess`: write the qstr config header (format.md 1 step 1, format.md 7.1).

Replaces `mpy_ld.py --preprocess`.  Differences from the reference, on purpose:

* failures are one-line errors with exit status 1 instead of tracebacks (an unknown
  `--arch`, `--arch-flags` on an arch without flags, a first source not ending in `.c`
  without `-o`, an unreadable source);
* an unchanged header is not rewritten (its mtime is kept), so builds that compare
  timestamps do not recompile every object when the qstr set did not change;
* the static qstr list comes from `--mpy-dir`, `$MPY_DIR` or the cached default tree
  (natmod_tool.mpydir) instead of the tree the tool happens to live in.
"""

from __future__ import annotations

import argparse
import os

from ..arch import ARCHES, get_arch, parse_arch_flags
from ..errors import QstrError
from ..mpydir import ENV_VAR, resolve_mpy_dir
from ..qstr import (
    load_static_qstrs,
    make_config_header,
    native_qstr_names,
    read_source,
    write_if_changed,
)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `preprocess` subcommand."""
    parser = subparsers.add_parser(
        "preprocess",
        help="write the qstr config header (MP_CONFIGFILE) for a module's sources",
        description=(
            "Scan C, assembler and Python sources for MP_QSTR_ names and write the qstr config "
            "header that the C sources are compiled with (-DMP_CONFIGFILE=<header>) and that "
            "`link --qstrs` reads back."
        ),
    )
    parser.add_argument(
        "--arch",
        default="x64",
        metavar="ARCH",
        help=f"target architecture, one of {', '.join(ARCHES)} (default: x64)",
    )
    parser.add_argument(
        "--arch-flags",
        metavar="FLAGS",
        help="architecture extension flags (rv32imc only: zba, zcmp, zba,zcmp or a number); validated as for link",
    )
    parser.add_argument(
        "--mpy-dir",
        metavar="DIR",
        help=f"MicroPython tree to read the static qstr list from (default: ${ENV_VAR}, else the "
        "cached default tree, downloaded on first use)",
    )
    parser.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="header to write (default: the first source with .c replaced by .config.h)",
    )
    parser.add_argument(
        "-v", "--verbose", action="count", default=0, help="say what was done; -v also shows tracebacks"
    )
    parser.add_argument("sources", nargs="*", metavar="SOURCE", help="C, assembler and Python sources")
    parser.set_defaults(run=run)


def default_output(first_source: str) -> str:
    """`foo.c` -> `foo.config.h` (the reference replaces the final `c`); else a QstrError."""
    if not first_source.endswith(".c"):
        raise QstrError(
            f"no -o/--output given and the first source {first_source!r} does not end in .c: "
            "give the header name with -o"
        )
    return first_source[:-1] + "config.h"


def run(args: argparse.Namespace) -> int:
    """Validate the options, scan the sources, write the header if it changed."""
    if not args.sources:
        raise QstrError("no sources to preprocess; give the module's .c (and .py) files")
    arch = get_arch(args.arch)
    parse_arch_flags(arch, args.arch_flags)  # format.md 9: validated in preprocess mode too
    output = args.output if args.output else default_output(os.fspath(args.sources[0]))
    folder = os.path.dirname(output)
    if folder and not os.path.isdir(folder):
        raise QstrError(f"{output}: output folder {folder} does not exist; create it or give another -o")
    # read the sources before resolving the tree: a typo should not wait for a download
    sources = [read_source(path) for path in args.sources]
    mpy_dir = resolve_mpy_dir(args.mpy_dir)
    static = load_static_qstrs(mpy_dir)
    header = make_config_header(sources, static)
    changed = write_if_changed(output, header)
    if args.verbose:
        native = native_qstr_names(sources, static)
        state = "written" if changed else "unchanged"
        print(
            f"preprocess: {len(static.names)} static qstrs from {mpy_dir}, "
            f"{len(native)} native qstrs -> {output} ({state})"
        )
    return 0
