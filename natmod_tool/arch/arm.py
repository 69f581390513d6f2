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

from ..errors import LinkError
from ..linker.context import LinkContext, Reloc, signed
from ..linker.relocate import apply_data, direct_address, place_of, unsupported
from .base import ArchInfo, Family


class ArmFamily(Family):
    """Thumb relocations; `thumb2` selects the long trampoline form."""

    names = {
        2: "R_ARM_ABS32",
        3: "R_ARM_REL32",
        10: "R_ARM_THM_CALL",
        25: "R_ARM_BASE_PREL",
        26: "R_ARM_GOT_BREL",
        30: "R_ARM_THM_JUMP24",
        38: "R_ARM_TARGET1",
        42: "R_ARM_PREL31",
        47: "R_ARM_THM_MOVW_ABS_NC",
        48: "R_ARM_THM_MOVT_ABS",
        96: "R_ARM_GOT_PREL",
        102: "R_ARM_THM_JUMP11",
        104: "R_ARM_TLS_GD32",
        132: "R_ARM_THM_ALU_ABS_G0_NC",
        133: "R_ARM_THM_ALU_ABS_G1_NC",
        134: "R_ARM_THM_ALU_ABS_G2_NC",
        135: "R_ARM_THM_ALU_ABS_G3_NC",
    }
    got_types = frozenset({26, 96})
    direct_types = frozenset({3, 10, 30})
    data_types = frozenset({2})
    stub = (bytes.fromhex("004b184700000000"), 4)

    def __init__(self, thumb2: bool) -> None:
        self.thumb2 = thumb2

    def local_got_type(self, rtype: int) -> bool:
        return True

    def trampoline(self, target: int) -> bytes:
        d = target - 4
        if -2048 <= d <= 2047:
            return (0xE000 | ((d >> 1) & 0x7FF)).to_bytes(2, "little")
        if self.thumb2:
            if not -(1 << 22) <= d < (1 << 22):
                raise LinkError("jumps larger than 4MiB are not supported")
            halves = (0xF000 | ((d >> 12) & 0x7FF), 0xB800 | ((d >> 1) & 0x7FF))
        else:
            halves = (0xB501, 0xF000 | (((d - 2) >> 12) & 0x7FF), 0xF800 | (((d - 2) >> 1) & 0x7FF), 0xBD01)
        return b"".join(h.to_bytes(2, "little") for h in halves)

    def apply_code(self, ctx: LinkContext, reloc: Reloc) -> None:
        rtype, section, p = reloc.type, reloc.section, place_of(reloc)
        if rtype == 2:  # literal-pool word: a load-time relocation
            apply_data(ctx, reloc)
            return
        if rtype in (3, 10, 30):  # REL32, THM_CALL, THM_JUMP24: S + A - P
            addr = direct_address(ctx, reloc)
            value = addr - p + reloc.addend
            if rtype == 3:
                ctx.le32_add(section, p, value)
            else:
                self._patch_branch(ctx, reloc, p, value)
        elif rtype == 25:  # BASE_PREL: GOT + A - P
            if reloc.sym.name != "_GLOBAL_OFFSET_TABLE_":
                raise unsupported(ctx, reloc)
            addr = ctx.got_address()
            ctx.le32_add(section, p, addr - p + reloc.addend)
        elif rtype == 26:  # GOT_BREL: offset of the slot
            addr = ctx.got_entry(reloc).offset
            ctx.le32_add(section, p, addr)
        elif rtype == 96:  # GOT_PREL: slot address - P
            addr = ctx.got_address() + ctx.got_entry(reloc).offset
            ctx.le32_add(section, p, addr - p + reloc.addend)
        else:
            raise unsupported(ctx, reloc)
        ctx.log(3, f"  {p:08x} {reloc.sym.display()} -> {addr:08x}")

    @staticmethod
    def _patch_branch(ctx: LinkContext, reloc: Reloc, p: int, value: int) -> None:
        section = reloc.section
        hi = ctx.read(section, p, 2)
        lo = ctx.read(section, p + 2, 2)
        current = signed(((hi & 0x7FF) << 12) | ((lo & 0x7FF) << 1), 23)
        new = current + value
        if not -(1 << 22) <= new < (1 << 22):
            raise LinkError(
                f"{section.label}: branch to {reloc.sym.target().display()} in {section.name} "
                f"is out of range ({new:+#x} bytes; Thumb bl reaches +-4 MiB)"
            )
        ctx.write(section, p, 2, (hi & 0xF800) | ((new >> 12) & 0x7FF))
        ctx.write(section, p + 2, 2, (lo & 0xF800) | ((new >> 1) & 0x7FF))


THUMB1 = ArmFamily(thumb2=False)
THUMB2 = ArmFamily(thumb2=True)


def _arm(name: str, number: int, family: ArmFamily) -> ArchInfo:
    return ArchInfo(
        name=name,
        number=number,
        word_size=4,
        elf_machine="EM_ARM",
        elf_class=32,
        text_alignments=(4,),
        family=family,
    )


ARCHES = (
    _arm("armv6m", 4, THUMB1),
    _arm("armv7m", 5, THUMB2),
    _arm("armv7emsp", 7, THUMB2),
    _arm("armv7emdp", 8, THUMB2),
)
