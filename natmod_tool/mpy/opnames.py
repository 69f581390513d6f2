"""Bytecode opcode names, read from a MicroPython tree's own `py/bc0.h`.

Why from the tree: the opcode numbering belongs to a MicroPython release; reading
the header of the tree the module was built against names every opcode of that
release without a copied table that could go stale.  `inspect` falls back to the
bare numbers when no tree is at hand.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

_DEFINE = re.compile(r"#define\s+MP_BC_(\w+)\s+\((?:(MP_BC_\w+)\s*\+\s*)?(0x[0-9a-fA-F]+|\d+)\)")


@dataclass(frozen=True)
class OpcodeNames:
    """Single opcodes by number, and the ranges that carry their argument in the opcode."""

    single: dict[int, str]
    multi: tuple[tuple[int, int, str, int], ...]  # (first, count, name, value of the first)

    def name(self, op: int) -> str:
        """`LOAD_GLOBAL`, `LOAD_FAST 2`, `LOAD_CONST_SMALL_INT -3`, or `0x..` when unknown."""
        if op in self.single:
            return self.single[op]
        for first, count, name, base in self.multi:
            if first <= op < first + count:
                return f"{name} {base + op - first}"
        return f"0x{op:02x}"


@lru_cache(maxsize=4)
def load_opcode_names(mpy_dir: str) -> OpcodeNames | None:
    """Opcode names from `<mpy_dir>/py/bc0.h`, or None when it is missing or unreadable."""
    try:
        text = Path(mpy_dir, "py", "bc0.h").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    values: dict[str, int] = {}
    for name, base, number in _DEFINE.findall(text):
        if base and base.removeprefix("MP_BC_") not in values:
            continue
        values[name] = (values[base.removeprefix("MP_BC_")] if base else 0) + int(number, 0)
    bases = {n for n in values if n.startswith(("BASE_", "MASK_", "FORMAT"))}
    single = {v: n for n, v in values.items() if n not in bases and not n.endswith(("_MULTI", "_NUM", "_EXCESS"))}
    multi = []
    for name, count_name, excess in (
        ("LOAD_CONST_SMALL_INT", "LOAD_CONST_SMALL_INT_MULTI_NUM", "LOAD_CONST_SMALL_INT_MULTI_EXCESS"),
        ("LOAD_FAST", "LOAD_FAST_MULTI_NUM", None),
        ("STORE_FAST", "STORE_FAST_MULTI_NUM", None),
    ):
        first = values.get(f"{name}_MULTI")
        count = values.get(count_name)
        if first is not None and count is not None:
            multi.append((first, count, name, -values.get(excess, 0) if excess else 0))
    unary, binary = values.get("UNARY_OP_MULTI"), values.get("BINARY_OP_MULTI")
    if unary is not None and binary is not None:
        multi.append((unary, binary - unary, "UNARY_OP", 0))
        multi.append((binary, 0x100 - binary, "BINARY_OP", 0))
    if not single:
        return None
    return OpcodeNames(single=single, multi=tuple(multi))
