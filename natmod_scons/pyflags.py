"""Per-file `mpy-cross` options: `MPY_CROSS_FLAGS={"util.py": ["-s", "lib/util.py"], ...}`.

Why: ported Makefiles compile some Python files differently, most often with `-s` (the
source name stored in the bytecode, shown in tracebacks) or another `-O` level.  A list
or string applies to every `.py` source of the module; a dict maps a source (as written
in the SConscript, relative to its folder) to its own options, added after the
environment's.  `-s NAME` in a file's options replaces the name the tool stores (the
file's path relative to the module folder), so the command has one `-s`.  (The merge
into `<name>.mpy` keeps every file's qstrs, so the stored name stays in the module; like
`mpy-tool.py --merge`, it drops line numbers, and tracebacks name the module.)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import SCons.Util

from .output import fail


def is_per_file(value: Any) -> bool:
    """True for the dict form (handled here, not appended to the environment's list)."""
    return isinstance(value, Mapping)


def per_file_flags(env: Any, module: str, value: Any, py_files: list) -> dict[Any, list[str]]:
    """Map each named `.py` source node to its options; a key that names none stops the build."""
    if not is_per_file(value):
        return {}
    by_node = {node: node for node in py_files}
    found: dict[Any, list[str]] = {}
    for key, flags in value.items():
        node = env.File(key) if SCons.Util.is_String(key) else key
        if node not in by_node:
            names = ", ".join(n.srcnode().path for n in py_files) or "none"
            fail(
                f"NativeMpy({module!r}): MPY_CROSS_FLAGS names {key}, which is not a .py source of "
                f"the module (its .py sources: {names})"
            )
        found[node] = _flag_list(module, key, flags)
    return found


def _flag_list(module: str, key: Any, flags: Any) -> list[str]:
    if SCons.Util.is_String(flags):
        return str(flags).split()
    if SCons.Util.is_List(flags) or isinstance(flags, tuple):
        items = list(SCons.Util.flatten(flags))
        if all(SCons.Util.is_String(item) for item in items):
            return [str(item) for item in items]
    fail(f"NativeMpy({module!r}): MPY_CROSS_FLAGS[{key!r}] must be a string or a list of strings, not {flags!r}")


def split_source_name(module: str, key: Any, flags: list[str]) -> tuple[list[str], str | None]:
    """(`flags` without `-s NAME`, NAME or None): the stored name goes to `-s` once."""
    rest: list[str] = []
    name = None
    items = iter(flags)
    for flag in items:
        if flag == "-s":
            name = next(items, None)
            if name is None:
                fail(f"NativeMpy({module!r}): MPY_CROSS_FLAGS[{key!r}] ends with -s: give the source name after it")
        else:
            rest.append(flag)
    return rest, name
