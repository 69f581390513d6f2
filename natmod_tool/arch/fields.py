"""Bit-level helpers every family packs with: the one range check and little-endian access.

One range check for every field of every machine, so an out-of-range value is always
an error that says which field and how far it reaches (never a silent truncation),
and the linker can name the relocation, symbol and place around it.
"""

from __future__ import annotations


class FieldRange(Exception):
    """A value does not fit the instruction field it must go into (raised by `check_range`)."""

    def __init__(self, value: int, low: int, high: int, what: str) -> None:
        super().__init__(f"{value:+#x} does not fit {what} ({low:+#x}..{high:+#x})")
        self.value, self.low, self.high, self.what = value, low, high, what


def check_range(value: int, bits: int, what: str, *, signed: bool = True, wrap: bool = False) -> int:
    """Return `value` as the low `bits` of a field, or raise `FieldRange`.

    `signed`: the field holds -2^(bits-1)..2^(bits-1)-1; else 0..2^bits-1.  `wrap`: a
    whole word whose arithmetic is modular (a 32-bit `S + A - P` word may be read as
    signed or unsigned), so -2^(bits-1)..2^bits-1 is accepted.  The one range check
    of every family: the error always says which field and how far it reaches.
    """
    if wrap:
        low, high = -(1 << (bits - 1)), (1 << bits) - 1
    elif signed:
        low, high = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    else:
        low, high = 0, (1 << bits) - 1
    if not low <= value <= high:
        raise FieldRange(value, low, high, what)
    return value & ((1 << bits) - 1)


def relocation_names(namespace: dict[str, object], prefix: str) -> dict[int, str]:
    """`{number: "R_..."}` from a module's `R_*` constants: one spelling, for messages."""
    return {value: name for name, value in namespace.items() if name.startswith(prefix) and isinstance(value, int)}


def sign_extend(value: int, bits: int) -> int:
    """Interpret the low `bits` of `value` as two's complement."""
    value &= (1 << bits) - 1
    return value - (1 << bits) if value >> (bits - 1) else value


def read_le(buf: bytearray, off: int, size: int) -> int:
    """Little-endian unsigned integer at `off` (every natmod arch is little-endian)."""
    return int.from_bytes(buf[off : off + size], "little")


def write_le(buf: bytearray, off: int, size: int, value: int) -> None:
    """Store `value`, which must already fit `size` bytes (checked by `check_range`)."""
    buf[off : off + size] = value.to_bytes(size, "little")
