"""Primitive encodings of the `.mpy` container (format.md section 3) and a bounds-checked cursor.

Everything that reads untrusted `.mpy` bytes goes through `Reader`, so a truncated or
corrupted file always ends in a one-line `MpyError` naming the file and the offset,
never in an `IndexError` or a huge allocation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Union

from ..errors import MpyError

__all__ = [
    "MAX_VARUINT_BYTES",
    "Reader",
    "encode_varuint",
    "decode_varuint",
    "encode_signed_varuint",
    "decode_signed_varuint",
    "encode_qstr_static",
    "encode_qstr_inline",
    "QstrEntry",
    "ConstObject",
    "OBJ_TYPE_NAMES",
]

#: A varuint longer than this is treated as corruption.  Ten 7-bit groups hold any
#: 64-bit value (also with a few non-minimal leading zero groups); real files use at most
#: five, so the limit only stops a run of 0x80 bytes from being read as one number.
MAX_VARUINT_BYTES = 10

#: constant-object type bytes of format.md 3.3
OBJ_TYPE_NAMES = {
    0: "mp_fun_table",
    1: "None",
    2: "False",
    3: "True",
    4: "Ellipsis",
    5: "str",
    6: "bytes",
    7: "int",
    8: "float",
    9: "complex",
    10: "tuple",
}

Buffer = Union[bytes, bytearray, memoryview]


def encode_varuint(value: int) -> bytes:
    """Encode `value` as a varuint, most significant 7-bit group first (format.md 3.1).

    The MicroPython docs call this "LSB form", but the loader accumulates
    `value * 128 + group`, so the first byte must hold the highest bits.
    """
    if value < 0:
        raise ValueError(f"varuint cannot encode a negative value ({value})")
    groups = [value & 0x7F]
    value >>= 7
    while value:
        groups.append(0x80 | (value & 0x7F))
        value >>= 7
    return bytes(reversed(groups))


def encode_signed_varuint(value: int) -> bytes:
    """Encode a signed value the way LOAD_CONST_SMALL_INT stores it (format.md 13.3).

    Groups are most significant first; bit 6 of the first group is the sign, so a
    leading 0x7F (negative) or 0x00 (non-negative) group is added when the natural first
    group has the wrong sign bit.  Minimal length, like the bytecode emitter.
    """
    groups = []
    while True:
        groups.append(value & 0x7F)
        value >>= 7  # arithmetic shift: stays -1 for negative values
        if value in (0, -1):
            break
    first = groups[-1]
    if value == -1 and not first & 0x40:
        groups.append(0x7F)
    elif value == 0 and first & 0x40:
        groups.append(0x00)
    out = bytearray(0x80 | g for g in reversed(groups))
    out[-1] &= 0x7F
    return bytes(out)


def decode_varuint(data: Buffer, offset: int = 0, label: str = "<mpy>") -> tuple[int, int]:
    """Decode one varuint at `offset`; return (value, offset after it)."""
    reader = Reader(data, label, offset)
    value = reader.varuint()
    return value, reader.offset


def decode_signed_varuint(data: Buffer, offset: int = 0, label: str = "<mpy>") -> tuple[int, int]:
    """Decode one signed varuint (LOAD_CONST_SMALL_INT argument); return (value, offset after)."""
    reader = Reader(data, label, offset)
    value = reader.signed_varuint()
    return value, reader.offset


def encode_qstr_static(qstr_id: int) -> bytes:
    """A qstr-table entry that refers to static qstr `qstr_id` (1-based, format.md 3.2)."""
    if qstr_id < 1:
        raise ValueError(f"static qstr ids start at 1 (got {qstr_id})")
    return encode_varuint((qstr_id << 1) | 1)


def encode_qstr_inline(name: bytes) -> bytes:
    """A qstr-table entry holding the string itself: length, bytes, NUL (format.md 3.2)."""
    return encode_varuint(len(name) << 1) + bytes(name) + b"\x00"


@dataclass(frozen=True)
class QstrEntry:
    """One qstr-table entry as stored: either a static id or inline bytes."""

    static_id: int | None  # 1-based static qstr id, or None for an inline string
    data: bytes  # the inline string bytes (empty for a static reference)
    offset: int  # file offset of the entry

    @property
    def is_static(self) -> bool:
        """True when the entry refers to the firmware's static qstr list."""
        return self.static_id is not None

    @property
    def text(self) -> str:
        """The inline string for display; undecodable bytes are shown as escapes."""
        return self.data.decode("utf-8", errors="backslashreplace")

    def encode(self) -> bytes:
        """The bytes this entry occupies in a `.mpy` file (minimal varuint)."""
        if self.static_id is not None:
            return encode_qstr_static(self.static_id)
        return encode_qstr_inline(self.data)


@dataclass(frozen=True)
class ConstObject:
    """One constant-object-table entry (format.md 3.3).

    `value` is None for the payload-less types, the raw bytes for str/bytes/int/float/
    complex, and a tuple of `ConstObject` for tuples.  Native modules have none; the
    merge step only needs to skip them, inspect shows them.
    """

    type_code: int
    value: bytes | tuple[ConstObject, ...] | None
    offset: int

    @property
    def type_name(self) -> str:
        """Name of the object type, or `type N` for an unknown type byte."""
        return OBJ_TYPE_NAMES.get(self.type_code, f"type {self.type_code}")

    def describe(self) -> str:
        """A short human-readable rendering for `inspect`."""
        if isinstance(self.value, tuple):
            return "(" + ", ".join(item.describe() for item in self.value) + ")"
        if self.value is None:
            return self.type_name
        text = self.value.decode("utf-8", errors="backslashreplace")
        if self.type_code == 5:
            return repr(text)
        if self.type_code == 6:
            return repr(bytes(self.value))
        return f"{self.type_name} {text}"


class Reader:
    """A cursor over untrusted bytes that reports truncation as `MpyError`.

    Every read checks the remaining length first, so a declared length larger than the
    file never allocates and never reads past the end.
    """

    __slots__ = ("data", "label", "offset", "end", "origin")

    def __init__(
        self,
        data: Buffer,
        label: str = "<mpy>",
        offset: int = 0,
        end: int | None = None,
        origin: int = 0,
    ):
        self.data = bytes(data) if not isinstance(data, bytes) else data
        self.label = label
        self.offset = offset
        self.end = len(self.data) if end is None else min(end, len(self.data))
        #: added to offsets in messages, when `data` is a slice of a larger file
        self.origin = origin

    @property
    def remaining(self) -> int:
        """Bytes left before the end of the readable range."""
        return max(0, self.end - self.offset)

    def at_end(self) -> bool:
        """True when nothing is left to read."""
        return self.offset >= self.end

    def error(self, message: str, offset: int | None = None) -> MpyError:
        """An `MpyError` naming the file and the offset where `message` applies."""
        where = (self.offset if offset is None else offset) + self.origin
        return MpyError(f"{self.label}: {message} at offset {where} (0x{where:x})")

    def need(self, count: int, what: str) -> None:
        """Raise if fewer than `count` bytes remain for `what`."""
        if count < 0 or count > self.remaining:
            raise self.error(f"truncated or corrupt file: {what} needs {count} bytes, only {self.remaining} left")

    def byte(self, what: str = "byte") -> int:
        """Read one byte."""
        self.need(1, what)
        value = self.data[self.offset]
        self.offset += 1
        return value

    def peek(self, what: str = "byte") -> int:
        """The next byte without consuming it."""
        self.need(1, what)
        return self.data[self.offset]

    def take(self, count: int, what: str = "bytes") -> bytes:
        """Read exactly `count` bytes (checked against what is left before slicing)."""
        self.need(count, what)
        start = self.offset
        self.offset += count
        return self.data[start : self.offset]

    def skip(self, count: int, what: str = "bytes") -> None:
        """Advance by `count` bytes."""
        self.need(count, what)
        self.offset += count

    def varuint(self, what: str = "varuint") -> int:
        """Read one varuint, most significant group first (format.md 3.1)."""
        return self._groups(0, what)

    def signed_varuint(self, what: str = "signed varuint") -> int:
        """Read a LOAD_CONST_SMALL_INT argument: bit 6 of the first byte is the sign."""
        return self._groups(-1 if self.peek(what) & 0x40 else 0, what)

    def _groups(self, value: int, what: str) -> int:
        """Accumulate 7-bit groups onto `value` until a byte without the continuation bit."""
        start = self.offset
        for _ in range(MAX_VARUINT_BYTES):
            if self.offset >= self.end:
                raise self.error(f"truncated or corrupt file: {what} runs past the end", start)
            b = self.data[self.offset]
            self.offset += 1
            value = (value << 7) | (b & 0x7F)
            if not b & 0x80:
                return value
        raise self.error(f"corrupt file: {what} is longer than {MAX_VARUINT_BYTES} bytes", start)

    def qstr_entry(self) -> QstrEntry:
        """Read one qstr-table entry (format.md 3.2)."""
        start = self.offset
        value = self.varuint("qstr entry")
        if value & 1:
            return QstrEntry(static_id=value >> 1, data=b"", offset=start)
        length = value >> 1
        text = self.take(length, "inline qstr")
        if self.byte("qstr terminator") != 0:
            raise self.error("corrupt file: inline qstr is not followed by a NUL byte", self.offset - 1)
        return QstrEntry(static_id=None, data=text, offset=start)

    def const_object(self, depth: int = 0, max_depth: int = 32) -> ConstObject:
        """Read one constant-object entry (format.md 3.3); tuples nest at most `max_depth` deep."""
        start = self.offset
        code = self.byte("object type")
        if code <= 4:
            return ConstObject(code, None, start)
        if code in (5, 6):
            length = self.varuint("object length")
            payload = self.take(length, "object data")
            if self.byte("object terminator") != 0:
                raise self.error("corrupt file: str/bytes object is not followed by a NUL byte")
            return ConstObject(code, payload, start)
        if code in (7, 8, 9):
            length = self.varuint("object length")
            return ConstObject(code, self.take(length, "object data"), start)
        if code == 10:
            if depth >= max_depth:
                raise self.error(f"corrupt file: tuples nested deeper than {max_depth}", start)
            count = self.varuint("tuple length")
            items = []
            for _ in range(count):  # each item takes at least one byte: bounded by the file
                items.append(self.const_object(depth + 1, max_depth))
            return ConstObject(code, tuple(items), start)
        raise self.error(f"corrupt file: unknown constant object type {code}", start)
