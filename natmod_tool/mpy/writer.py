"""Writing the native `.mpy` file the linker produces (format.md sections 4 and 5).

Kept apart from the linker so that the byte layout can be tested against the reader
without ELF input, and so that the exact quirks of the reference output (location on
every relocation entry, runs only between neighbours, small-int bits 31) live in one
place.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..errors import MpyError
from .encoding import encode_qstr_inline, encode_qstr_static, encode_varuint
from .format import (
    DEST_RUN_MAX,
    KIND_VIPER,
    MAX_HEADER_ARCH,
    MPY_MAGIC,
    MPY_SUB_VERSION,
    MPY_VERSION,
    RELOC_END,
    SCOPE_VIPERBSS,
    SCOPE_VIPERRELOC,
    SCOPE_VIPERRODATA,
    dest_encodable,
    feature_byte,
)

__all__ = ["SMALL_INT_BITS", "encode_native_mpy", "encode_relocs", "feature_byte"]

#: the reference linker writes 31 for every architecture, 64-bit ones included (15.1 #7)
SMALL_INT_BITS = 31


def _op_byte(dest: int, has_count: bool) -> int:
    """The op byte of an entry that carries a location (format.md 5.2)."""
    if dest <= DEST_RUN_MAX:
        return (((dest << 1) | int(has_count)) << 1) | 1
    return (dest << 1) | 1


def encode_relocs(relocs: Sequence[tuple[int, int, int]], word_size: int) -> bytes:
    """Encode (base, byte offset, dest) triples as a relocation stream ending in 0xFF.

    Runs are only formed between list neighbours with the same destination (0..2) and
    base and consecutive word indices; the list is never sorted and every entry carries
    its location, exactly like the reference (format.md 5.3, 15.1 items 1 and 2).
    """
    words: list[tuple[int, int, int]] = []
    for base, offset, dest in relocs:
        if base not in (0, 1):
            raise MpyError(f"relocation at byte {offset}: base {base} is neither text (0) nor rodata (1)")
        if offset < 0 or offset % word_size:
            raise MpyError(
                f"relocation at {'rodata' if base else 'text'} byte 0x{offset:x} is not aligned to "
                f"the {word_size}-byte word size"
            )
        if not dest_encodable(dest):
            raise MpyError(f"relocation at byte 0x{offset:x}: destination code {dest} cannot be encoded")
        words.append((base, offset // word_size, dest))

    out = bytearray()
    i = 0
    while i < len(words):
        base, word, dest = words[i]
        run = 1
        if dest <= DEST_RUN_MAX:
            while (
                i + run < len(words)
                and words[i + run][0] == base
                and words[i + run][2] == dest
                and words[i + run][1] == word + run
            ):
                run += 1
        out.append(_op_byte(dest, run > 1))
        out += encode_varuint((word << 1) | base)
        if run > 1:
            out += encode_varuint(run)
        i += run
    out.append(RELOC_END)
    return bytes(out)


def encode_native_mpy(
    *,
    arch_number: int,
    arch_flags: int,
    qstr_names: Sequence[str],
    static_qstr_ids: Mapping[str, int],
    text: bytes,
    rodata: bytes,
    bss_size: int,
    relocs: Sequence[tuple[int, int, int]],
    word_size: int,
    sub_version: int = MPY_SUB_VERSION,
) -> bytes:
    """The complete native `.mpy` file of format.md section 4.

    `qstr_names[0]` is the source name; a name found in `static_qstr_ids` (string ->
    1-based id) is written as a static reference, any other inline as ASCII.  `relocs`
    are (base, byte offset, dest) triples in creation order: base 0 text / 1 rodata;
    dest 0/1/2 text/rodata/bss, 6 qstr table, 7 object table, 8 `mp_fun_table`, 9 + N
    slot N.  `sub_version` is the native ABI revision of the target MicroPython tree.
    """
    if not qstr_names:
        raise MpyError("the qstr table needs at least the source name")
    if arch_flags < 0:
        raise MpyError(f"negative arch flags {arch_flags}")
    if bss_size < 0:
        raise MpyError(f"negative bss size {bss_size}")
    if not 0 <= arch_number <= MAX_HEADER_ARCH:
        raise MpyError(f"native arch number {arch_number} does not fit the header")
    out = bytearray([MPY_MAGIC, MPY_VERSION, feature_byte(arch_number, arch_flags, sub_version), SMALL_INT_BITS])
    if arch_flags:
        out += encode_varuint(arch_flags)
    out += encode_varuint(len(qstr_names))
    out += encode_varuint(0)  # no constant objects
    for name in qstr_names:
        if name in static_qstr_ids:
            out += encode_qstr_static(static_qstr_ids[name])
            continue
        try:
            raw = name.encode("ascii")
        except UnicodeEncodeError:
            raise MpyError(f"qstr {name!r}: only ASCII names can be written to a .mpy file") from None
        out += encode_qstr_inline(raw)
    out += encode_varuint((len(text) << 3) | KIND_VIPER)
    out += text
    flags = SCOPE_VIPERRELOC
    if rodata:
        flags |= SCOPE_VIPERRODATA
    if bss_size:
        flags |= SCOPE_VIPERBSS
    out += encode_varuint(flags)
    if rodata:
        out += encode_varuint(len(rodata))
    if bss_size:
        out += encode_varuint(bss_size)
    out += rodata
    out += encode_relocs(relocs, word_size)
    return bytes(out)
