"""Merging a native `.mpy` with bytecode `.mpy` files into one module (format.md section 13).

The output is byte-identical to `mpy-tool.py --merge` with one deliberate exception:
jump offsets are measured from the end of the offset field, as the VM does, so an
UNWIND_JUMP that does not move keeps its offset (the reference adds one, which makes
`break` out of `try`/`with` in a loop land on the wrong instruction; format.md 13.3 and
15.1 item 8).  Every reference crash (two native inputs, a non-bytecode raw code to
rewrite, a jump to a non-instruction, an overflowing jump) is a one-line `MpyError`.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import MpyError
from .bytecode import FMT_QSTR, OP_LOAD_CONST_OBJ, decode_function, encode_opcodes, encode_prelude_size
from .encoding import encode_varuint
from .format import KIND_BYTECODE, MPY_MAGIC, MPY_SUB_VERSION, MPY_VERSION, feature_byte, mpy_arch
from .reader import MpyFile, RawCode, read_header, read_mpy

__all__ = ["merge", "outer_raw_code", "rewrite_raw_code"]


def _arch_label(number: int) -> str:
    info = mpy_arch(number)
    return info.name if info is not None else f"arch #{number}"


def _read_input(label: str, data: bytes, merge_arch: list[tuple[int, str]], sub_version: int) -> MpyFile:
    """Parse one input with the reference's header checks and messages (format.md 13.1).

    The arch mismatch names both files' arches.  (Plain bytecode records no arch:
    `mpy-cross -march=x64` writes the same bytes as `-march=armv7m` unless the code
    has `@micropython.native`/`viper` functions, so only such files can mismatch.)
    """
    header = read_header(data, label)
    arch = header.arch_number
    if arch:
        if header.sub_version != sub_version:
            raise MpyError(f"{label}: incompatible .mpy sub-version")
        if not merge_arch:
            merge_arch.append((arch, label))
        elif merge_arch[0][0] != arch:
            first, first_label = merge_arch[0]
            raise MpyError(
                f"{label}: native architecture mismatch: {label} is {_arch_label(arch)}, {first_label} is "
                f"{_arch_label(first)}; build every part for one arch (mpy-cross -march={_arch_label(first)})"
            )
    mpy = read_mpy(data, label)
    if mpy.qstrs:
        first = mpy.qstrs[0]
        if not first.is_static and any(not 0x20 <= b <= 0x7F for b in first.data):
            raise MpyError(f"{label}: cannot have unicode characters in module name")
    return mpy


def outer_raw_code(count: int) -> bytes:
    """The synthesised module body that runs each input's top level in turn (13.2 step 5)."""
    body = bytearray(b"\x00\x02\x00")  # prelude: 1 state slot; 1 byte of source info; name = qstr 0
    for i in range(count):
        body += b"\x32" + encode_varuint(i)  # MAKE_FUNCTION child i
        body += b"\x34\x00"  # CALL_FUNCTION, no arguments
        body += b"\x59"  # POP_TOP
    body += b"\x51\x63"  # LOAD_CONST_NONE, RETURN_VALUE
    return encode_varuint((len(body) << 3) | 4) + bytes(body) + encode_varuint(count)


def rewrite_raw_code(rc: RawCode, qb: int, ob: int, label: str, depth: int = 0) -> bytes:
    """Re-emit a bytecode raw code with qstr indices +qb and object indices +ob (13.3).

    Line-number information is dropped, as the reference does; every child must be
    bytecode as well.
    """
    if rc.kind != KIND_BYTECODE:
        raise MpyError(
            f"{label}: can only rewrite bytecode, found {rc.kind_name} code at offset {rc.offset} "
            "(only the first input of a merge may contain native code)"
        )
    fun = decode_function(rc.code, label, rc.code_offset)
    names = b"".join(encode_varuint(qb + index) for index in fun.prelude.names)
    for ins in fun.instrs:
        if ins.arg is None:
            continue
        if ins.fmt == FMT_QSTR:
            ins.arg += qb
        elif ins.op == OP_LOAD_CONST_OBJ:
            ins.arg += ob
    opcodes = encode_opcodes(fun.instrs, f"{label} (raw code at offset {rc.offset})")
    body = (
        fun.prelude.signature
        + encode_prelude_size(len(names), fun.prelude.n_cell)
        + names
        + fun.prelude.closure_info
        + opcodes
    )
    out = bytearray(encode_varuint((len(body) << 3) | (int(rc.has_children) << 2)))
    out += body
    if rc.has_children:
        out += encode_varuint(len(rc.children))
        for child in rc.children:
            out += rewrite_raw_code(child, qb, ob, label, depth + 1)
    return bytes(out)


def merge(
    inputs: Sequence[tuple[str, bytes]], march_flags: int | None = None, sub_version: int = MPY_SUB_VERSION
) -> bytes:
    """Merge `.mpy` files given as (label, bytes) pairs into one `.mpy` (format.md 13).

    One input is returned unchanged.  With several, the one native input (at most
    one) goes first and is copied verbatim, the others are rewritten onto the merged
    qstr and object tables.  `march_flags` replaces the arch flags of the result;
    `sub_version` is the native ABI revision native inputs must carry (the target tree's).
    """
    if not inputs:
        raise MpyError("merge: no input files; give the .mpy files to merge")
    merge_arch: list[tuple[int, str]] = []
    files = [_read_input(label, bytes(data), merge_arch, sub_version) for label, data in inputs]
    if len(files) == 1:
        return files[0].data
    # every file's header overwrites the value while reading: the last one on the command line wins
    small_int_bits = files[-1].small_int_bits
    if march_flags is not None and march_flags < 0:
        raise MpyError(f"-march-flags: negative value {march_flags}")

    native = [f for f in files if f.arch_number]
    if len(native) > 1:
        names = ", ".join(f.label for f in native)
        raise MpyError(f"can't merge files when more than one contains native code ({names})")
    if native:
        files = native + [f for f in files if not f.arch_number]
    arch = native[0].arch_number if native else 0
    flags = native[0].arch_flags if native else 0
    if march_flags is not None:
        flags = march_flags
    if flags and not arch:
        # The reference writes the flags varuint after a feature byte of 0, which no loader
        # can read; refuse instead.
        raise MpyError("-march-flags: no input contains native code, a bytecode-only file has no arch flags")

    out = bytearray([MPY_MAGIC, MPY_VERSION])
    out.append(feature_byte(arch, flags, sub_version) if arch else 0)
    out.append(small_int_bits)
    if flags:
        out += encode_varuint(flags)
    out += encode_varuint(sum(len(f.qstrs) for f in files))
    out += encode_varuint(sum(len(f.objects) for f in files))
    for f in files:
        out += f.data[f.qstr_table_offset : f.obj_table_offset]
    for f in files:
        out += f.data[f.obj_table_offset : f.raw_code_offset]
    out += outer_raw_code(len(files))
    qb = ob = 0
    for f in files:
        if qb == 0 and ob == 0:
            out += f.data[f.raw_code_offset :]
        else:
            out += rewrite_raw_code(f.raw_code, qb, ob, f.label)
        qb += len(f.qstrs)
        ob += len(f.objects)
    return bytes(out)
