"""Include directories and forced includes given in CFLAGS, for the dependency scanner.

Why: flags copied from a module Makefile often carry `-Ilib/inc` (or `-isystem`,
`-iquote`, `-idirafter`, `-include config.h`) in `CFLAGS`.  The compiler honours them, but
SCons' C scanner only searches `CPPPATH`, so a header found through them was not a
dependency: editing it rebuilt nothing.  The scanner (scanner.py) searches these
directories too, before `CPPPATH` (they come first on the command line), and makes a
forced include a dependency of every source.  The command line is left as written; a
relative path means what it means to the compiler, which SCons runs in the top folder.
"""

from __future__ import annotations

import os
import shlex
from typing import Any

import SCons.Node.FS

#: flag variables whose text reaches the compiler (C and C++)
FLAG_VARIABLES = ("CFLAGS", "CFLAGS_EXTRA", "CXXFLAGS", "CXXFLAGS_EXTRA")
#: options taking a directory, searched for `#include` (in command-line order)
DIR_OPTIONS = ("-I", "-isystem", "-iquote", "-idirafter")
FORCED_OPTION = "-include"


#: id(env) -> (env, the flag variables' values as written, their tokens): the scanner asks
#: for every file it scans, and all the files of one module share one environment
_TOKENS: dict[int, tuple[Any, tuple[str, ...], list[str]]] = {}


def _tokens(env: Any) -> list[str]:
    """The flag variables as the command line will have them (variables expanded)."""
    written = tuple(str(env[name]) for name in FLAG_VARIABLES if name in env)
    cached = _TOKENS.get(id(env))
    if cached is not None and cached[0] is env and cached[1] == written:
        return cached[2]
    text = env.subst(" ".join(f"${name}" for name in FLAG_VARIABLES if name in env))
    try:
        tokens = shlex.split(text)
    except ValueError:  # unbalanced quotes: the compile itself will say so
        tokens = text.split()
    _TOKENS[id(env)] = (env, written, tokens)
    return tokens


def _options(tokens: list[str]) -> list[tuple[str, str]]:
    """(option, value) for each include option, `-I dir` and `-Idir` alike."""
    found: list[tuple[str, str]] = []
    items = iter(tokens)
    for token in items:
        for option in (FORCED_OPTION, *DIR_OPTIONS):
            if token == option:
                value = next(items, "")
                if value:
                    found.append((option, value))
                break
            if token.startswith(option) and len(token) > len(option):
                found.append((option, token[len(option) :]))
                break
    return found


def _top(env: Any, path: str) -> str:
    """A compiler-relative path (relative to the top folder) as an SCons path."""
    return path if os.path.isabs(path) else "#" + path


def flag_include_dirs(env: Any) -> tuple[Any, ...]:
    """Dir nodes of the `-I`-style directories in the flags, in order."""
    if env is None:
        return ()
    return tuple(env.Dir(_top(env, value)) for option, value in _options(_tokens(env)) if option != FORCED_OPTION)


def forced_includes(env: Any, search: tuple[Any, ...]) -> list[Any]:
    """File nodes of the `-include` files: the top folder first, then the include path."""
    if env is None:
        return []
    found = []
    for option, value in _options(_tokens(env)):
        if option != FORCED_OPTION:
            continue
        node = env.File(_top(env, value))
        if not (node.exists() or node.has_builder()) and not os.path.isabs(value):
            node = SCons.Node.FS.find_file(value, search) or node
        found.append(node)
    return found
