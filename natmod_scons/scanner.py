"""A C include scanner that also sees the module's qstr config header.

Why: natmod objects reach the generated `<module>.config.h` through
`#include MP_CONFIGFILE` inside MicroPython's `py/mpconfig.h`, a macro include that
SCons' classic scanner cannot follow.  Rather than make every object depend on the
header (which would recompile plain C helpers that never include MicroPython headers),
this scanner adds the header exactly where `py/mpconfig.h` is included, so a changed
qstr set recompiles only what includes it, and `--debug=explain` names the header.

It also searches the `-I`-style directories and `-include` files written in CFLAGS
(flagpaths.py), which SCons' scanner ignores.

It replaces SCons' default C scanner for the C/asm/header suffixes; for environments
that are not a natmod module (no `NATMOD_CONFIG_H`) it behaves exactly like the default.
"""

from __future__ import annotations

import os
from typing import Any

import SCons.Scanner
import SCons.Scanner.C
import SCons.Tool

from .flagpaths import flag_include_dirs, forced_includes

#: files compiled (not included): a CFLAGS `-include` is a dependency of each
SOURCE_SUFFIXES = (".c", ".cpp", ".cc", ".cxx", ".S", ".sx")
#: the same include pattern as SCons' own CScanner
_INCLUDE_RE = r'^[ \t]*#[ \t]*(?:include|import)[ \t]*(<|")([^>"]+)(>|")'


class ConfigHeaderScanner(SCons.Scanner.ClassicCPP):
    """ClassicCPP plus one edge: `<MPY_DIR>/py/mpconfig.h` -> the module's config header."""

    def __init__(self) -> None:
        super().__init__("NatmodCScanner", "$CPPSUFFIXES", "CPPPATH", _INCLUDE_RE)

    def path(self, env: Any, dir: Any = None, target: Any = None, source: Any = None) -> tuple:
        """CPPPATH, after the `-I`/`-isystem` directories given in CFLAGS (flagpaths.py)."""
        return (*flag_include_dirs(env), *super().path(env, dir, target, source))

    def __call__(self, node: Any, env: Any, path: tuple = ()) -> list:
        found = super().__call__(node, env, path)
        if env is not None and os.path.splitext(node.name)[1] in SOURCE_SUFFIXES:
            found = [*forced_includes(env, path), *found]  # `-include x.h` in CFLAGS
        if env is None or node.name != "mpconfig.h":
            return found
        config_h = env.get("NATMOD_CONFIG_H")
        mpy_dir = env.get("NATMOD_MPY_DIR")
        if config_h is None or not mpy_dir:
            return found
        if os.path.normcase(node.abspath) == os.path.normcase(os.path.join(mpy_dir, "py", "mpconfig.h")):
            return [*found, config_h]
        return found


_INSTALLED: ConfigHeaderScanner | None = None


def install() -> ConfigHeaderScanner:
    """Put the scanner in place of SCons' C scanner for every C-preprocessed suffix (once)."""
    global _INSTALLED
    if _INSTALLED is None:
        _INSTALLED = ConfigHeaderScanner()
        for suffix in SCons.Tool.CSuffixes:
            SCons.Tool.SourceFileScanner.add_scanner(suffix, _INSTALLED)
    return _INSTALLED
