"""Xtensa: xtensa (ESP8266, lx106) and xtensawin (ESP32, windowed ABI).

Xtensa code loads every address and large constant with `L32R` from a literal
pool (`.literal*` sections) placed before the code.  The native format has no
literal pools, so the linker rebuilds them: each relocated literal becomes a GOT
word (deduplicated by name), each plain constant a LIT word (deduplicated by
value), and every `L32R` (`R_XTENSA_SLOT0_OP` against a literal section) is
re-pointed at its GOT or LIT word.  GOT and LIT lead the text image, before the
code, so `L32R`'s backwards-only reach always works.

* A literal `symbol+addend` keeps its addend in the GOT word (the reference drops
  it, so `&buf[4]` pointed at `buf`).  `mp_native_qstr_table+N` becomes a GOT word
  N relocated by the qstr-table address (the reference asserted).
* Calls within a section (`call0`/`call8` with `SLOT0_OP` against `.text`) are
  already PC-relative in the object and need nothing.
* `R_XTENSA_32` words in code or rodata hold absolute addresses (jump tables):
  they become load-time relocations like words in `.data.rel.ro` (the reference
  turned local ones into PC-relative values).
* On xtensawin rodata is a separate image (ESP32 code memory cannot be read byte
  by byte), so rodata is only reachable through the GOT.
* The trampoline is a `J` (jumps to PC + 4 + offset); with GOT/LIT in front it is
  needed for almost every module.
"""

from __future__ import annotations

from ..errors import LinkError
from ..linker.context import GotEntry, LinkContext, Reloc, signed
from ..linker.relocate import apply_data, place_of, unsupported
from .base import ArchInfo, Family

R_XTENSA_32, R_XTENSA_ASM_EXPAND, R_XTENSA_PLT, R_XTENSA_DIFF32, R_XTENSA_SLOT0_OP = 1, 11, 6, 19, 20
_IGNORED = frozenset({11, 17, 18, 19, 59, 60, 61, 62, 63, 64})  # ASM_EXPAND, DIFF*, PDIFF*, NDIFF*
_LITERAL_SYMBOL_TYPES = ("STT_NOTYPE", "STT_FUNC", "STT_OBJECT", "STT_SECTION")


class XtensaFamily(Family):
    """Literal pools to GOT/LIT, `L32R` redirection."""

    names = {
        1: "R_XTENSA_32",
        6: "R_XTENSA_PLT",
        11: "R_XTENSA_ASM_EXPAND",
        17: "R_XTENSA_DIFF8",
        18: "R_XTENSA_DIFF16",
        19: "R_XTENSA_DIFF32",
        20: "R_XTENSA_SLOT0_OP",
    }
    data_types = frozenset({R_XTENSA_32})

    def trampoline(self, target: int) -> bytes:
        offset = target - 4  # J: PC + 4 + offset
        if not -(1 << 17) <= offset < (1 << 17):
            raise LinkError("jumps larger than 128KiB are not supported")
        return (((offset & 0x3FFFF) << 6) | 6).to_bytes(3, "little")

    def collect_got(self, ctx: LinkContext) -> None:
        for lit in ctx.literals:
            if lit.size % 4:
                raise LinkError(f"{lit.label}: {lit.name} size {lit.size} is not a multiple of 4")
            recorded: set[int] = set()
            for reloc in lit.relocs:
                self._literal_entry(ctx, reloc)
                recorded.add(reloc.offset)
            for offset in range(0, lit.size, 4):
                if offset in recorded:
                    continue
                value = int.from_bytes(lit.data[offset : offset + 4], "little")
                if value not in ctx.lit_values:
                    ctx.lit_values[value] = 4 * len(ctx.lit_values)
                ctx.literal_keys[(id(lit), offset)] = value

    @staticmethod
    def _literal_entry(ctx: LinkContext, reloc: Reloc) -> None:
        lit, sym = reloc.section, reloc.sym
        where = f"{lit.label}: {lit.name}+{reloc.offset:#x}"
        if reloc.type not in (R_XTENSA_32, R_XTENSA_PLT):
            raise LinkError(f"{where}: unsupported relocation {XtensaFamily().reloc_name(reloc.type)} in a literal")
        if reloc.offset % 4 or reloc.offset + 4 > lit.size:
            raise LinkError(f"{where}: misaligned literal relocation; the object is damaged")
        if sym.type not in _LITERAL_SYMBOL_TYPES:
            raise LinkError(f"{where}: literal refers to {sym.display()} of type {sym.type}")
        stored = int.from_bytes(lit.data[reloc.offset : reloc.offset + 4], "little")
        if sym.type == "STT_SECTION":
            if sym.section is None:
                raise LinkError(f"{where}: literal refers to a section that is not linked")
            initial = stored + reloc.addend
            name = f"{sym.section.name}+0x{initial:x}"
            addend = 0
        else:
            initial = stored
            addend = reloc.addend
            name = sym.name if not (addend or stored) else f"{sym.name}+0x{(addend + stored) & 0xFFFFFFFF:x}"
            if sym.bind == "STB_LOCAL":
                name = f"{sym.label}:{name}"
        entry = ctx.got.get(name)
        if entry is None:
            entry = ctx.got[name] = GotEntry(name=name, symbol=sym, initial=initial, addend=addend)
        ctx.literal_keys[(id(lit), reloc.offset)] = entry

    def apply_code(self, ctx: LinkContext, reloc: Reloc) -> None:
        rtype, section, p = reloc.type, reloc.section, place_of(reloc)
        if rtype == R_XTENSA_32:  # an absolute address word (jump table, pointer in rodata)
            apply_data(ctx, reloc)
            return
        if rtype in _IGNORED:
            target = reloc.sym.section
            if target is None or target.name.startswith(".text") or rtype == R_XTENSA_ASM_EXPAND:
                return
            raise unsupported(ctx, reloc)
        if rtype != R_XTENSA_SLOT0_OP:
            raise unsupported(ctx, reloc)
        lsec = reloc.sym.section
        if lsec is None:
            raise unsupported(ctx, reloc)
        if lsec.name.startswith(".text"):
            if lsec is not section:
                raise LinkError(
                    f"{section.label}: {section.name}+{reloc.offset:#x}: PC-relative operand reaches "
                    f"into another section ({lsec.name}); compile without -ffunction-sections"
                )
            return
        if not lsec.name.startswith(".literal"):
            raise unsupported(ctx, reloc)
        key = (id(lsec), reloc.sym.value + reloc.addend)
        item = ctx.literal_keys.get(key)
        if item is None:
            raise LinkError(f"{section.label}: {section.name}+{reloc.offset:#x}: L32R to an unknown literal")
        if isinstance(item, GotEntry):
            addr, name = ctx.got_address() + item.offset, f"GOT {item.name}"
        else:
            assert ctx.lit_section is not None
            addr, name = ctx.lit_section.addr + ctx.lit_values[item], "LIT"
        insn = ctx.read(section, p, 3)
        if insn & 0xF != 0x1:
            raise LinkError(f"{section.label}: {section.name}+{reloc.offset:#x}: SLOT0_OP is not on an L32R")
        imm16 = signed(insn >> 8, 16)
        # L32R loads from ((P + 3) & ~3) + (imm16 << 2); the object's imm16 is relative to P.
        new = (imm16 + addr - p) >> 2
        if not -(1 << 16) <= new < 0:
            raise LinkError(f"{section.label}: {section.name}+{reloc.offset:#x}: literal out of L32R range")
        ctx.write(section, p, 3, (insn & 0xFF) | ((new & 0xFFFF) << 8))
        ctx.log(3, f"  {p:08x} {name} -> {addr:08x}")


FAMILY = XtensaFamily()


def _xtensa(name: str, number: int, **kw) -> ArchInfo:
    return ArchInfo(
        name=name,
        number=number,
        word_size=4,
        elf_machine="EM_XTENSA",
        elf_class=32,
        text_alignments=(4,),
        got_first=True,
        family=FAMILY,
        **kw,
    )


ARCHES = (
    _xtensa("xtensa", 9),
    _xtensa("xtensawin", 10, rodata_in_text=False),
)
