"""Decoding and re-encoding MicroPython bytecode function data (format.md 13.3).

The merge step has to shift every qstr and constant-object index of a bytecode module
by the number of entries that precede it in the merged tables.  Indices are varuints,
so their width can change, which moves code and forces every jump offset to be
re-encoded.  This module turns function data into a list of `Instr` with absolute jump
targets, and back into bytes.

Jump offsets are measured the way the VM measures them: from the end of the offset
field.  The reference merge measures from the end of the whole instruction when it
decodes, which moves every UNWIND_JUMP one byte too far (format.md 13.3 "Quirk"); that is
deliberately not reproduced here, so code that does not move keeps its offsets.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ..errors import MpyError
from .encoding import Reader, encode_signed_varuint, encode_varuint

__all__ = [
    "FMT_NONE",
    "FMT_QSTR",
    "FMT_VAR",
    "FMT_JUMP",
    "SIGNED_JUMPS",
    "OP_LOAD_CONST_SMALL_INT",
    "OP_LOAD_CONST_OBJ",
    "OP_UNWIND_JUMP",
    "CHILD_OPS",
    "Prelude",
    "Instr",
    "FunctionData",
    "opcode_format",
    "has_extra_byte",
    "decode_function",
    "encode_prelude_size",
    "encode_opcodes",
]

FMT_NONE = "none"
FMT_QSTR = "qstr"
FMT_VAR = "var"
FMT_JUMP = "jump"

OP_UNWIND_JUMP = 0x40
OP_LOAD_CONST_SMALL_INT = 0x22
OP_LOAD_CONST_OBJ = 0x23
#: jumps whose offset is signed (UNWIND_JUMP, JUMP, POP_JUMP_IF_TRUE, POP_JUMP_IF_FALSE)
SIGNED_JUMPS = frozenset({0x40, 0x42, 0x43, 0x44})
#: opcodes whose varuint argument is a child index (MAKE_CLOSURE[_DEFARGS], MAKE_FUNCTION[_DEFARGS])
CHILD_OPS = frozenset({0x20, 0x21, 0x32, 0x33})

#: an upper bound on re-encoding passes; jump widths only change near the 1/2-byte limit,
#: so real code settles in two or three passes
_MAX_PASSES = 64


def opcode_format(op: int) -> str:
    """Argument format of an opcode, chosen by its high nibble (format.md 13.3)."""
    high = op >> 4
    if high == 1:
        return FMT_QSTR
    if high in (2, 3):
        return FMT_VAR
    if high == 4:
        return FMT_JUMP
    return FMT_NONE


def has_extra_byte(op: int) -> bool:
    """True for the opcodes that carry one byte after their argument."""
    return (op & 0x9E) == 0


@dataclass
class Prelude:
    """The decoded prelude of one bytecode function."""

    signature: bytes  # raw prelude-signature bytes (copied unchanged by merge)
    n_state: int
    n_exc_stack: int
    scope_flags: int
    n_pos_args: int
    n_kwonly_args: int
    n_def_pos_args: int
    n_info: int
    n_cell: int
    names: list[int]  # qstr indices: simple name, then the argument names
    line_info: bytes  # the rest of the source info (dropped by merge)
    closure_info: bytes  # n_cell bytes


@dataclass
class Instr:
    """One decoded instruction; offsets are relative to the start of the opcodes."""

    offset: int
    op: int
    fmt: str
    arg: int | None = None  # qstr index, varuint value, or decoded jump offset
    extra: int | None = None  # the extra byte, for opcodes that have one
    size: int = 1  # encoded length
    target: int | None = None  # jumps: absolute target offset (VM measurement)
    jump_width: int = 0  # jumps: 1 or 2 bytes of offset
    target_index: int | None = field(default=None, repr=False)


@dataclass
class FunctionData:
    """A bytecode function split into prelude and instructions."""

    prelude: Prelude
    opcodes_start: int  # offset of the first opcode inside the function data
    instrs: list[Instr]
    opcode_bytes: bytes


def _prelude_signature(reader: Reader) -> tuple[bytes, dict[str, int]]:
    """Read the prelude signature: `x SSSS E AA`, then `x F SS K A E D` per continuation byte."""
    start = reader.offset
    z = reader.byte("prelude signature")
    state = (z >> 3) & 0xF
    exc = (z >> 2) & 1
    pos = z & 3
    flags = kwonly = defs = 0
    n = 0
    while z & 0x80:
        if n >= 8:
            raise reader.error("corrupt bytecode: prelude signature is too long", start)
        z = reader.byte("prelude signature")
        flags |= ((z >> 6) & 1) << n
        state |= ((z >> 4) & 3) << (4 + 2 * n)
        kwonly |= ((z >> 3) & 1) << n
        pos |= ((z >> 2) & 1) << (2 + n)
        exc |= ((z >> 1) & 1) << (1 + n)
        defs |= (z & 1) << n
        n += 1
    fields = {
        "n_state": state + 1,
        "n_exc_stack": exc,
        "scope_flags": flags,
        "n_pos_args": pos,
        "n_kwonly_args": kwonly,
        "n_def_pos_args": defs,
    }
    return reader.data[start : reader.offset], fields


def _prelude_size(reader: Reader) -> tuple[int, int]:
    """Read the prelude size: bytes `x IIIIII C`, six info bits and one cell bit each."""
    start = reader.offset
    n_info = n_cell = 0
    n = 0
    while True:
        if n >= 8:
            raise reader.error("corrupt bytecode: prelude size is too long", start)
        z = reader.byte("prelude size")
        n_info |= ((z >> 1) & 0x3F) << (6 * n)
        n_cell |= (z & 1) << n
        n += 1
        if not z & 0x80:
            return n_info, n_cell


def encode_prelude_size(n_info: int, n_cell: int) -> bytes:
    """Encode the prelude size: at least one byte, low bits first (format.md 13.3 step 2)."""
    out = bytearray()
    while True:
        z = ((n_info & 0x3F) << 1) | (n_cell & 1)
        n_cell >>= 1
        n_info >>= 6
        if n_cell or n_info:
            z |= 0x80
        out.append(z)
        if not (n_cell or n_info):
            return bytes(out)


def _decode_opcodes(reader: Reader, end: int) -> list[Instr]:
    """Decode instructions from the reader's offset to `end` and resolve jump targets."""
    base = reader.offset
    instrs: list[Instr] = []
    while reader.offset < end:
        start = reader.offset
        op = reader.byte("opcode")
        fmt = opcode_format(op)
        ins = Instr(offset=start - base, op=op, fmt=fmt)
        if fmt == FMT_QSTR:
            ins.arg = reader.varuint("qstr argument")
        elif fmt == FMT_VAR:
            if op == OP_LOAD_CONST_SMALL_INT:
                ins.arg = reader.signed_varuint("small int argument")
            else:
                ins.arg = reader.varuint("varuint argument")
        elif fmt == FMT_JUMP:
            b0 = reader.byte("jump offset")
            if b0 < 0x80:
                value, width, bias = b0, 1, 0x40
            else:
                value = (b0 & 0x7F) | (reader.byte("jump offset") << 7)
                width, bias = 2, 0x4000
            if op in SIGNED_JUMPS:
                value -= bias
            ins.arg = value
            ins.jump_width = width
            # The VM adds the offset to the address just past the offset field.
            ins.target = reader.offset - base + value
        if has_extra_byte(op):
            ins.extra = reader.byte("extra byte")
        if reader.offset > end:
            raise reader.error("corrupt bytecode: instruction runs past the end of the function", start)
        ins.size = reader.offset - start
        instrs.append(ins)
    starts = {ins.offset: i for i, ins in enumerate(instrs)}
    for ins in instrs:
        if ins.target is not None:
            ins.target_index = starts.get(ins.target)
    return instrs


def decode_function(data: bytes, label: str = "<mpy>", file_offset: int = 0) -> FunctionData:
    """Split bytecode function data into prelude and instructions.

    `file_offset` is where `data` starts in its file, so that errors point into the
    file.  Any inconsistency (a prelude that does not fit, an instruction that runs
    past the end) is an `MpyError`.
    """
    reader = Reader(data, label, origin=file_offset)
    end = reader.end
    signature, fields = _prelude_signature(reader)
    n_info, n_cell = _prelude_size(reader)
    info_start = reader.offset
    reader.need(n_info, "source info")
    info = Reader(reader.data, label, info_start, info_start + n_info, origin=file_offset)
    names = []
    for _ in range(1 + fields["n_pos_args"] + fields["n_kwonly_args"]):
        names.append(info.varuint("argument name"))
    line_info = reader.data[info.offset : info_start + n_info]
    reader.offset = info_start + n_info
    closure = reader.take(n_cell, "closure info")
    prelude = Prelude(
        signature=signature,
        n_info=n_info,
        n_cell=n_cell,
        names=names,
        line_info=line_info,
        closure_info=closure,
        **fields,
    )
    opcodes_start = reader.offset
    instrs = _decode_opcodes(reader, end)
    return FunctionData(
        prelude=prelude,
        opcodes_start=opcodes_start,
        instrs=instrs,
        opcode_bytes=reader.data[opcodes_start:end],
    )


def _encode_jump(op: int, distance: int) -> tuple[bytes, bool]:
    """Encode a jump `distance` (target - opcode offset - 2); return (bytes, overflowed)."""
    signed = op in SIGNED_JUMPS
    if signed and -64 <= distance <= 63:
        value = distance + 0x40
        return bytes([value & 0x7F]), not 0 <= value <= 0x7F
    if not signed and distance <= 127:
        return bytes([distance & 0x7F]), not 0 <= distance <= 0x7F
    value = distance - 1 + (0x4000 if signed else 0)
    return bytes([0x80 | (value & 0x7F), (value >> 7) & 0xFF]), not 0 <= value <= 0x7FFF


def encode_opcodes(instrs: Sequence[Instr], label: str = "<mpy>") -> bytes:
    """Re-encode instructions with minimal argument widths (format.md 13.3 step 3).

    Jumps are re-encoded against the current offsets of their targets; passes repeat
    until no instruction moves.  A jump that no longer fits its field is an `MpyError`
    ("bytecode overflow").
    """
    for ins in instrs:
        if ins.fmt == FMT_JUMP and ins.target_index is None:
            raise MpyError(
                f"{label}: bad bytecode: jump at opcode offset {ins.offset} targets offset "
                f"{ins.target}, which is not the start of an instruction"
            )
    offsets = [ins.offset for ins in instrs]
    for _ in range(_MAX_PASSES):
        out = bytearray()
        changed = False
        overflow = False
        for i, ins in enumerate(instrs):
            if offsets[i] != len(out):
                offsets[i] = len(out)
                changed = True
            here = len(out)
            out.append(ins.op)
            if ins.fmt in (FMT_QSTR, FMT_VAR):
                assert ins.arg is not None
                if ins.op == OP_LOAD_CONST_SMALL_INT:
                    out += encode_signed_varuint(ins.arg)
                else:
                    out += encode_varuint(ins.arg)
            elif ins.fmt == FMT_JUMP:
                assert ins.target_index is not None
                encoded, bad = _encode_jump(ins.op, offsets[ins.target_index] - here - 2)
                out += encoded
                overflow = overflow or bad
            if ins.extra is not None:
                out.append(ins.extra)
        if not changed:
            if overflow:
                raise MpyError(f"{label}: bytecode overflow: a jump does not fit after re-encoding")
            return bytes(out)
    raise MpyError(f"{label}: bytecode re-encoding did not settle after {_MAX_PASSES} passes")
