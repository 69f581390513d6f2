"""`CPPDEFINES` in every form SCons accepts, as one list of entries the tool can extend.

Why not `SCons.Util.flatten`: it splits a `("W", "16")` pair into two defines, `-DW -D16`.
The rules here are those of `env.Append(CPPDEFINES=value)` in SCons 4.5 and later
(`SCons.Environment._add_cppdefines`, a private function): a string is split on
whitespace, a tuple is one `(name, value)` macro, a dict gives one macro per item, and a
list (or deque: what SCons keeps after an `Append`) keeps its items, each a string
(`"NAME"`, `"NAME=value"`), a `(name, value)` tuple, a `[name, value]` list or a dict.
The result is a plain list that SCons' `processDefines` turns into `-D` flags.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from typing import Any

import SCons.Util


def define_entries(value: Any) -> list[Any]:
    """`value` (any CPPDEFINES form) as a list of entries; ValueError names a bad entry."""
    if value is None:
        return []
    if isinstance(value, Mapping):
        return [_pair((name, item)) for name, item in value.items()]
    if SCons.Util.is_String(value):
        return str(value).split()
    if isinstance(value, tuple):
        return [_pair(value)]
    if SCons.Util.is_List(value) or isinstance(value, deque):
        entries: list[Any] = []
        for item in value:
            if isinstance(item, Mapping):
                entries.extend(_pair((name, v)) for name, v in item.items())
            elif isinstance(item, (tuple, list)):
                entries.append(_pair(tuple(item)))
            elif item is None:
                continue
            elif SCons.Util.is_String(item):
                entries.append(str(item))
            else:
                raise ValueError(f"CPPDEFINES entry {item!r} is not a string, (name, value) pair or dict")
        return entries
    raise ValueError(f"CPPDEFINES value {value!r} is not a string, (name, value) pair, list or dict")


def _pair(item: tuple) -> tuple[str, Any]:
    """A `(name,)` or `(name, value)` macro as a 2-tuple (value None: no `=value`)."""
    if len(item) == 1:
        item = (item[0], None)
    if len(item) != 2 or not SCons.Util.is_String(item[0]) or not SCons.Util.is_Scalar(item[1]):
        raise ValueError(f"CPPDEFINES entry {item!r} must be (name, value) with a string name and a scalar value")
    return (str(item[0]), item[1])
