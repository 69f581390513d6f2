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

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..errors import LinkError
from ..mpy.format import ARCH_NUMBERS
from .base import ArchInfo, Family, Kind, LinkView
from .fields import FieldRange, check_range, relocation_names, sign_extend

if TYPE_CHECKING:  # pragma: no cover
    from ..linker.context import GotEntry, Reloc, Section

EM_XTENSA = 94

R_XTENSA_32, R_XTENSA_PLT, R_XTENSA_ASM_EXPAND = 1, 6, 11
R_XTENSA_DIFF8, R_XTENSA_DIFF16, R_XTENSA_DIFF32, R_XTENSA_SLOT0_OP = 17, 18, 19, 20
R_XTENSA_PDIFF8, R_XTENSA_PDIFF16, R_XTENSA_PDIFF32 = 59, 60, 61
R_XTENSA_NDIFF8, R_XTENSA_NDIFF16, R_XTENSA_NDIFF32 = 62, 63, 64
#: label differences and assembler hints: nothing to do inside code
_IGNORED = frozenset(
    {
        R_XTENSA_ASM_EXPAND,
        R_XTENSA_DIFF8,
        R_XTENSA_DIFF16,
        R_XTENSA_DIFF32,
        R_XTENSA_PDIFF8,
        R_XTENSA_PDIFF16,
        R_XTENSA_PDIFF32,
        R_XTENSA_NDIFF8,
        R_XTENSA_NDIFF16,
        R_XTENSA_NDIFF32,
    }
)
_LITERAL_SYMBOL_TYPES = ("STT_NOTYPE", "STT_FUNC", "STT_OBJECT", "STT_SECTION")
L32R_OPCODE = 0x1  # op0 of `l32r at, label`


def l32r_patch(insn: int, p: int, target: int) -> int:
    """Re-point the `l32r` at `p` (whose imm16 is relative to P in the object) at `target`.

    L32R loads from ((P + 3) & ~3) + (sign-extended imm16 << 2), always backwards:
    imm16 is negative.  The object's imm16 holds an offset relative to P that the
    distance is added to (the assembler leaves the rounding to the linker).
    """
    new = (sign_extend(insn >> 8, 16) + target - p) >> 2
    if not -(1 << 16) <= new < 0:
        raise FieldRange(new, -(1 << 16), -1, "L32R (backwards only, 256 KiB)")
    return (insn & 0xFF) | ((new & 0xFFFF) << 8)


def j_insn(offset: int) -> int:
    """`j` with the byte offset from PC + 4 (18-bit signed, CALL format, op0 = 6)."""
    return (check_range(offset, 18, "J (+-128 KiB)") << 6) | 6


@dataclass
class XtensaState:
    """Per link: the literal sections and what each literal word became."""

    literals: list[Section] = field(default_factory=list)
    lit_values: dict[int, int] = field(default_factory=dict)  # value -> LIT offset
    #: (id(literal section), offset) -> its GOT entry, or the plain value (a LIT word)
    literal_keys: dict[tuple[int, int], GotEntry | int] = field(default_factory=dict)
    lit_section: Section | None = None


class XtensaFamily(Family):
    """Literal pools to GOT/LIT, `L32R` redirection."""

    elf_machine_number, elf_machine_name = EM_XTENSA, "EM_XTENSA"
    names = relocation_names(globals(), "R_XTENSA_")
    data_types = frozenset({R_XTENSA_32})
    side_section_prefixes = (".literal",)

    def new_state(self) -> XtensaState:
        return XtensaState()

    def classify(self, rtype: int) -> Kind:
        if rtype == R_XTENSA_32:  # an absolute address word (jump table, pointer in rodata)
            return Kind.ABS_WORD
        if rtype in _IGNORED or rtype == R_XTENSA_SLOT0_OP:
            return Kind.SPECIAL
        return Kind.UNSUPPORTED

    def trampoline(self, target: int) -> bytes:
        return j_insn(target - 4).to_bytes(3, "little")  # J: PC + 4 + offset

    def take_section(self, state: XtensaState, section: Section) -> None:
        state.literals.append(section)

    def sections_to_scan(self, state: XtensaState) -> list[Section]:
        return state.literals

    def prepare(self, ctx: LinkView, state: XtensaState) -> None:
        """Every literal word becomes a GOT entry (relocated) or a LIT word (a constant)."""
        for lit in state.literals:
            if lit.size % 4:
                raise LinkError(f"{lit.label}: {lit.name} size {lit.size} is not a multiple of 4")
            recorded: set[int] = set()
            for reloc in lit.relocs:
                self._literal_entry(ctx, state, reloc)
                recorded.add(reloc.offset)
            for offset in range(0, lit.size, 4):
                if offset in recorded:
                    continue
                value = int.from_bytes(lit.data[offset : offset + 4], "little")
                if value not in state.lit_values:
                    state.lit_values[value] = 4 * len(state.lit_values)
                state.literal_keys[(id(lit), offset)] = value

    def _literal_entry(self, ctx: LinkView, state: XtensaState, reloc: Reloc) -> None:
        lit, sym = reloc.section, reloc.sym
        where = f"{lit.label}: {lit.name}+{reloc.offset:#x}"
        if reloc.type not in (R_XTENSA_32, R_XTENSA_PLT):
            raise LinkError(f"{where}: unsupported relocation {self.reloc_name(reloc.type)} in a literal")
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
        entry = ctx.got_entry_named(name, sym, initial=initial, addend=addend)
        state.literal_keys[(id(lit), reloc.offset)] = entry

    def extra_sections(self, ctx: LinkView, state: XtensaState) -> list[Section]:
        """LIT: the deduplicated constants, right after the GOT, before the code."""
        state.lit_section = ctx.internal_section("LIT", 4 * len(state.lit_values), 4)
        return [state.lit_section]

    def finish_layout(self, ctx: LinkView, state: XtensaState) -> None:
        lit = state.lit_section
        if lit is None:
            return
        ctx.log(2, f"LIT: {lit.addr:08x}")
        for value, offset in state.lit_values.items():
            ctx.log(2, f"  {offset:08x} = {value:08x}")
            ctx.text[lit.addr + offset : lit.addr + offset + 4] = value.to_bytes(4, "little")

    def apply_special(self, ctx: LinkView, state: XtensaState, reloc: Reloc) -> None:
        rtype, section = reloc.type, reloc.section
        p = section.addr + reloc.offset
        if rtype in _IGNORED:
            target = reloc.sym.section
            if target is None or target.name.startswith(".text") or rtype == R_XTENSA_ASM_EXPAND:
                return
            raise ctx.unsupported(reloc)
        lsec = reloc.sym.section
        if lsec is None:
            raise ctx.unsupported(reloc)
        if lsec.name.startswith(".text"):  # call0/call8 inside a section: already PC-relative
            if lsec is not section:
                raise LinkError(
                    f"{section.label}: {section.name}+{reloc.offset:#x}: PC-relative operand reaches "
                    f"into another section ({lsec.name}); compile without -ffunction-sections"
                )
            return
        if not lsec.name.startswith(".literal"):
            raise ctx.unsupported(reloc)
        key = (id(lsec), reloc.sym.value + reloc.addend)
        item = state.literal_keys.get(key)
        if item is None:
            raise LinkError(f"{section.label}: {section.name}+{reloc.offset:#x}: L32R to an unknown literal")
        if isinstance(item, int):
            assert state.lit_section is not None
            addr, name = state.lit_section.addr + state.lit_values[item], "LIT"
        else:
            addr, name = ctx.got_address() + item.offset, f"GOT {item.name}"
        insn = ctx.read(section, p, 3)
        if insn & 0xF != L32R_OPCODE:
            raise LinkError(f"{section.label}: {section.name}+{reloc.offset:#x}: SLOT0_OP is not on an L32R")
        try:
            new = l32r_patch(insn, p, addr)
        except FieldRange as exc:
            raise LinkError(
                f"{section.label}: {section.name}+{reloc.offset:#x}: literal out of L32R range "
                f"({name} is {exc.value:+#x} words away; {exc.what} reaches {exc.low:+#x}..{exc.high:+#x} words)"
            ) from None
        ctx.write(section, p, 3, new)
        ctx.log(3, f"  {p:08x} {name} -> {addr:08x}")


FAMILY = XtensaFamily()


def _xtensa(name: str, **kw) -> ArchInfo:
    return ArchInfo(
        name=name,
        number=ARCH_NUMBERS[name],
        word_size=4,
        elf_class=32,
        text_alignments=(4,),
        got_first=True,
        family=FAMILY,
        **kw,
    )


ARCHES = (
    _xtensa(
        "xtensa",
        rom_externs="esp8266_rom.ld",  # the ESP8266 ROM's compiler support routines
        rom_name="ESP8266",
    ),
    _xtensa("xtensawin", rodata_in_text=False),
)
