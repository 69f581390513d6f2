"""What the build prints: one short line per step by default, full commands with V=1.

Why in one place: every step (compile, assemble, archive, qstr header, mpy-cross, link,
merge, dist copy) has a `*COMSTR`; keeping them together makes the quiet format
consistent (`CC path.c [arch]`) and lets tests parse it.  Errors found while reading
SConscripts go through `fail`, so each is a single `scons: *** natmod: ...` line.
"""

from __future__ import annotations

import sys
from typing import Any, NoReturn

#: quiet step lines; `$NATMOD_ARCH` tells the arch when several are built in one run
QUIET_COMSTRS = {
    "CCCOMSTR": "CC ${SOURCE.srcpath} [$NATMOD_ARCH]",
    "CXXCOMSTR": "CXX ${SOURCE.srcpath} [$NATMOD_ARCH]",
    "ASPPCOMSTR": "AS ${SOURCE.srcpath} [$NATMOD_ARCH]",
    "ASCOMSTR": "AS ${SOURCE.srcpath} [$NATMOD_ARCH]",
    "ARCOMSTR": "AR ${TARGET.file} [$NATMOD_ARCH]",
    "RANLIBCOMSTR": "RANLIB ${TARGET.file} [$NATMOD_ARCH]",
    "NATMOD_QSTRCOMSTR": "QSTR ${TARGET.file} [$NATMOD_ARCH]",
    "NATMOD_MPYCROSSCOMSTR": "MPY ${SOURCE.srcpath} [$NATMOD_ARCH]",
    "NATMOD_LINKCOMSTR": "LINK ${TARGET.file} [$NATMOD_ARCH]",
    "NATMOD_MERGECOMSTR": "MERGE ${TARGET.file} [$NATMOD_ARCH]",
    "INSTALLSTR": "DIST $TARGET",
    "NATMOD_MIPCOMSTR": "MIP $TARGET",
    "NATMOD_COMPILEDBCOMSTR": "COMPILEDB $TARGET [$NATMOD_ARCH]",
}

#: with V=1: Python actions have no command line, so describe the call they make
VERBOSE_COMSTRS = {
    "NATMOD_QSTRCOMSTR": "natmod_tool.qstr.make_config_header($SOURCES) -> $TARGET",
    # the link runs in-process; this is the same link as a command a user can paste
    "NATMOD_LINKCOMSTR": (
        "natmod-tool link --arch $NATMOD_ARCH --qstrs $NATMOD_CONFIG_H "
        "${'--arch-flags %s' % NATMOD_ARCH_FLAGS if NATMOD_ARCH_FLAGS else ''} "
        "${_concat('-l ', NATMOD_LINK_LIBS, '', __env__)} ${_concat('--math-lib ', NATMOD_MATH_LIBS, '', __env__)} "
        "${'-e ' + NATMOD_ROM_EXTERNS if NATMOD_ROM_EXTERNS else ''} "
        "${'-e ' + NATMOD_EXTERNS if NATMOD_EXTERNS else ''} "
        "${'--mpy-sub-version %s' % NATMOD_MPY_SUB_VERSION if NATMOD_MPY_SUB_VERSION != 3 else ''} "
        "--source-name $NATMOD_SOURCE_NAME --writable-data -o $TARGET $SOURCES"
    ),
    "NATMOD_MERGECOMSTR": (
        "natmod_tool.merge($SOURCES, march_flags=$NATMOD_ARCH_FLAGS, sub_version=$NATMOD_MPY_SUB_VERSION) -> $TARGET"
    ),
    "NATMOD_MIPCOMSTR": "mip package file -> $TARGET",
    "NATMOD_COMPILEDBCOMSTR": "compilation database [$NATMOD_ARCH] -> $TARGET",
}


def apply(env: Any, verbose: bool) -> None:
    """Set the `*COMSTR` variables of `env`: short lines, or full commands when verbose.

    Only variables the user has not set are touched, so a project can restyle one step.
    """
    table = VERBOSE_COMSTRS if verbose else QUIET_COMSTRS
    for key, value in table.items():
        env.SetDefault(**{key: value})


def fail(message: str) -> NoReturn:
    """Stop SCons with one line naming the problem and the fix (no traceback)."""
    import SCons.Script

    sys.stderr.write(f"scons: *** natmod: {message}\n")
    sys.stderr.flush()
    SCons.Script.Exit(2)
    raise SystemExit(2)  # pragma: no cover - Exit() does not return


def note(message: str) -> None:
    """A one-line remark while reading SConscripts (e.g. which arches were skipped)."""
    sys.stdout.write(f"natmod: {message}\n")
    sys.stdout.flush()


def warn(message: str) -> None:
    """A one-line warning while reading SConscripts (the build goes on)."""
    sys.stderr.write(f"natmod: warning: {message}\n")
    sys.stderr.flush()
