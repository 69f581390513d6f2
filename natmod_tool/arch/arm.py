"""ARM Thumb: armv6m (Thumb-1 only), armv7m, armv7emsp and armv7emdp (Thumb-2).

* The Thumb bit: function symbols have bit 0 set in `st_value`.  Branch patches
  drop it (`>> 1`); data words keep it, so a function pointer in rodata is
  callable with `blx`.  Because `st_value` of `mpy_init` is odd, a trampoline is
  always emitted.
* ARM objects are REL: the addend lives in the instruction or word being patched,
  and every patch adds to what is there (a `bl` to an external symbol holds -4).
* PIC code finds the GOT with `R_ARM_BASE_PREL` against `_GLOBAL_OFFSET_TABLE_`
  and loads slots at `R_ARM_GOT_BREL` offsets (or PC-relative `R_ARM_GOT_PREL`);
  literal-pool words in `.text` carry `R_ARM_ABS32` and become load-time relocations.
* `bl`/`b.w` are patched in the classic Thumb-1 two-halfword form; J1/J2 stay 1,
  which is exact for offsets within +-4 MiB, and we check that range instead of
  truncating like the reference.
* Non-PIC code (`movw/movt`, `R_ARM_THM_ALU_ABS_*`) cannot be relocated by the
  loader and is rejected with a hint to compile with `-fpic`.
"""

from __future__ import annotations

from ..mpy.format import ARCH_NUMBERS
from .base import ArchInfo, Family, Kind
from .fields import check_range, read_le, relocation_names, sign_extend, write_le

EM_ARM = 40

R_ARM_ABS32, R_ARM_REL32, R_ARM_THM_CALL, R_ARM_BASE_PREL, R_ARM_GOT_BREL = 2, 3, 10, 25, 26
R_ARM_THM_JUMP24, R_ARM_TARGET1, R_ARM_PREL31 = 30, 38, 42
R_ARM_THM_MOVW_ABS_NC, R_ARM_THM_MOVT_ABS, R_ARM_GOT_PREL, R_ARM_THM_JUMP11, R_ARM_TLS_GD32 = 47, 48, 96, 102, 104
R_ARM_THM_ALU_ABS_G0_NC, R_ARM_THM_ALU_ABS_G1_NC, R_ARM_THM_ALU_ABS_G2_NC, R_ARM_THM_ALU_ABS_G3_NC = 132, 133, 134, 135

_BRANCHES = (R_ARM_THM_CALL, R_ARM_THM_JUMP24)


def branch_offset(hi: int, lo: int) -> int:
    """The offset held by a `bl`/`b.w` halfword pair, read with J1 = J2 = 1 (+-4 MiB)."""
    return sign_extend(((hi & 0x7FF) << 12) | ((lo & 0x7FF) << 1), 23)


def patch_branch(hi: int, lo: int, offset: int) -> tuple[int, int]:
    """The halfword pair with its offset replaced; keeps opcode bits, J1 and J2."""
    check_range(offset, 23, "Thumb bl/b.w (+-4 MiB)")
    return (hi & 0xF800) | ((offset >> 12) & 0x7FF), (lo & 0xF800) | ((offset >> 1) & 0x7FF)


class ArmFamily(Family):
    """Thumb relocations; `thumb2` selects the long trampoline form."""

    elf_machine_number, elf_machine_name = EM_ARM, "EM_ARM"
    names = relocation_names(globals(), "R_ARM_")
    got_types = frozenset({R_ARM_GOT_BREL, R_ARM_GOT_PREL})
    direct_types = frozenset({R_ARM_REL32, R_ARM_THM_CALL, R_ARM_THM_JUMP24})
    data_types = frozenset({R_ARM_ABS32})
    stub = (bytes.fromhex("004b184700000000"), 4)
    code_address_mask = ~1  # the Thumb bit of function symbols
    _kinds = {
        R_ARM_ABS32: Kind.ABS_WORD,  # literal-pool word: a load-time relocation
        R_ARM_REL32: Kind.PC_REL,
        R_ARM_THM_CALL: Kind.PC_REL,
        R_ARM_THM_JUMP24: Kind.PC_REL,
        R_ARM_BASE_PREL: Kind.GOT_BASE,
        R_ARM_GOT_BREL: Kind.GOT_OFFSET,
        R_ARM_GOT_PREL: Kind.GOT_PC_REL,
    }

    def __init__(self, thumb2: bool) -> None:
        self.thumb2 = thumb2

    def local_got_type(self, rtype: int) -> bool:
        return True

    def classify(self, rtype: int) -> Kind:
        return self._kinds.get(rtype, Kind.UNSUPPORTED)

    def implicit_addend(self, buf: bytearray, off: int, rtype: int) -> int:
        """REL: the addend is what the word or the branch already holds."""
        if rtype in _BRANCHES:
            return branch_offset(read_le(buf, off, 2), read_le(buf, off + 2, 2))
        return sign_extend(read_le(buf, off, 4), 32)

    def write(self, buf: bytearray, off: int, rtype: int, value: int) -> None:
        if rtype in _BRANCHES:
            hi, lo = patch_branch(read_le(buf, off, 2), read_le(buf, off + 2, 2), value)
            write_le(buf, off, 2, hi)
            write_le(buf, off + 2, 2, lo)
        else:
            write_le(buf, off, 4, check_range(value, 32, "a 32-bit word", wrap=True))

    def trampoline(self, target: int) -> bytes:
        """`b` (T2, +-2 KiB), else `b.w` on Thumb-2 or `push {r0,lr}; bl; pop {r0,pc}` on Thumb-1."""
        d = target - 4
        if -2048 <= d <= 2047:
            return (0xE000 | ((d >> 1) & 0x7FF)).to_bytes(2, "little")
        if self.thumb2:
            check_range(d, 23, "b.w (+-4 MiB)")
            halves = (0xF000 | ((d >> 12) & 0x7FF), 0xB800 | ((d >> 1) & 0x7FF))
        else:  # the bl sits at offset 2: its offset counts from 6
            check_range(d - 2, 23, "bl (+-4 MiB)")
            halves = (0xB501, 0xF000 | (((d - 2) >> 12) & 0x7FF), 0xF800 | (((d - 2) >> 1) & 0x7FF), 0xBD01)
        return b"".join(h.to_bytes(2, "little") for h in halves)


THUMB1 = ArmFamily(thumb2=False)
THUMB2 = ArmFamily(thumb2=True)


def _arm(name: str, family: ArmFamily) -> ArchInfo:
    return ArchInfo(
        name=name,
        number=ARCH_NUMBERS[name],
        word_size=4,
        elf_class=32,
        text_alignments=(4,),
        family=family,
    )


ARCHES = (
    _arm("armv6m", THUMB1),
    _arm("armv7m", THUMB2),
    _arm("armv7emsp", THUMB2),
    _arm("armv7emdp", THUMB2),
)
