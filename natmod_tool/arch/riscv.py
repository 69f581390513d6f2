"""RISC-V: rv32imc and rv64imc (compiled with `-mno-relax`).

* Addresses are built from `auipc` + a 12-bit low part.  The LO12 relocation does
  not name the target: its symbol is the label of the `auipc`, whose HI20
  relocation carries the real PC-relative value.  We therefore remember the value
  computed for each HI20 place and look it up when the LO12 arrives (the HI20 comes
  first in the section).  `split()` rounds the high part so that high + sign-extended
  low reproduces the value.
* GOT access is `auipc` + `lw/ld` (`R_RISCV_GOT_HI20`).  The reference also
  creates unused GOT entries for globals hit by `R_RISCV_32/64` data words; we
  keep that for identical output.
* Nothing is relaxed; `R_RISCV_RELAX`/`ALIGN` are ignored, which is why the
  flags include `-mno-relax`.  Label differences (`ADD*`/`SUB*`/`SET*`) are
  computed in place.
* The S-type store patch writes the immediate into bits 31..25 and 11..7 and keeps
  opcode, funct3 and registers (the reference kept the old immediate instead and
  destroyed the instruction).
* TLS and TP-relative accesses cannot work in a natmod and are rejected.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..errors import LinkError
from ..mpy.format import ARCH_NUMBERS
from .base import ArchInfo, Family, Kind, LinkView
from .fields import FieldRange, check_range, read_le, relocation_names, write_le

if TYPE_CHECKING:  # pragma: no cover
    from ..linker.context import Reloc

EM_RISCV = 243

R_RISCV_32, R_RISCV_64 = 1, 2
R_RISCV_BRANCH, R_RISCV_JAL, R_RISCV_CALL, R_RISCV_CALL_PLT = 16, 17, 18, 19
R_RISCV_GOT_HI20, R_RISCV_TLS_GOT_HI20, R_RISCV_TLS_GD_HI20, R_RISCV_PCREL_HI20 = 20, 21, 22, 23
R_RISCV_PCREL_LO12_I, R_RISCV_PCREL_LO12_S, R_RISCV_HI20, R_RISCV_LO12_I, R_RISCV_LO12_S = 24, 25, 26, 27, 28
R_RISCV_TPREL_HI20, R_RISCV_TPREL_LO12_I, R_RISCV_TPREL_LO12_S, R_RISCV_TPREL_ADD = 29, 30, 31, 32
R_RISCV_ADD8, R_RISCV_ADD16, R_RISCV_ADD32, R_RISCV_ADD64 = 33, 34, 35, 36
R_RISCV_SUB8, R_RISCV_SUB16, R_RISCV_SUB32, R_RISCV_SUB64 = 37, 38, 39, 40
R_RISCV_GOT32_PCREL, R_RISCV_ALIGN, R_RISCV_RVC_BRANCH, R_RISCV_RVC_JUMP, R_RISCV_RELAX = 41, 43, 44, 45, 51
R_RISCV_SUB6, R_RISCV_SET6, R_RISCV_SET8, R_RISCV_SET16, R_RISCV_SET32 = 52, 53, 54, 55, 56
R_RISCV_32_PCREL, R_RISCV_PLT32, R_RISCV_SET_ULEB128, R_RISCV_SUB_ULEB128 = 57, 59, 60, 61
R_RISCV_TLSDESC_HI20, R_RISCV_TLSDESC_LOAD_LO12, R_RISCV_TLSDESC_ADD_LO12, R_RISCV_TLSDESC_CALL = 62, 63, 64, 65

LUI, AUIPC = 0x37, 0x17
_HI_TYPES = (R_RISCV_GOT_HI20, R_RISCV_PCREL_HI20)  # their value is what the LO12 at the label needs
_TLS = frozenset(
    {
        R_RISCV_TLS_GOT_HI20,
        R_RISCV_TLS_GD_HI20,
        R_RISCV_TLSDESC_HI20,
        R_RISCV_TLSDESC_LOAD_LO12,
        R_RISCV_TLSDESC_ADD_LO12,
        R_RISCV_TLSDESC_CALL,
    }
)
_TPREL = frozenset({R_RISCV_TPREL_HI20, R_RISCV_TPREL_LO12_I, R_RISCV_TPREL_LO12_S, R_RISCV_TPREL_ADD})
_ULEB = frozenset({R_RISCV_SET_ULEB128, R_RISCV_SUB_ULEB128})
_PCREL_TYPES = frozenset(
    {
        R_RISCV_BRANCH,
        R_RISCV_JAL,
        R_RISCV_CALL,
        R_RISCV_CALL_PLT,
        R_RISCV_RVC_BRANCH,
        R_RISCV_RVC_JUMP,
        R_RISCV_32_PCREL,
        R_RISCV_PLT32,
    }
)
#: label arithmetic: field width in bits
_WIDTH = {
    R_RISCV_ADD8: 8, R_RISCV_ADD16: 16, R_RISCV_ADD32: 32, R_RISCV_ADD64: 64,
    R_RISCV_SUB8: 8, R_RISCV_SUB16: 16, R_RISCV_SUB32: 32, R_RISCV_SUB64: 64,
    R_RISCV_SUB6: 6, R_RISCV_SET6: 6, R_RISCV_SET8: 8, R_RISCV_SET16: 16, R_RISCV_SET32: 32,
}  # fmt: skip
_ADD = frozenset({R_RISCV_ADD8, R_RISCV_ADD16, R_RISCV_ADD32, R_RISCV_ADD64})
_SUB = frozenset({R_RISCV_SUB8, R_RISCV_SUB16, R_RISCV_SUB32, R_RISCV_SUB64, R_RISCV_SUB6})
_I_TYPE_LO = frozenset({R_RISCV_PCREL_LO12_I, R_RISCV_LO12_I, R_RISCV_TPREL_LO12_I})
_SPECIAL = frozenset(
    {
        *_TLS,
        *_TPREL,
        *_ULEB,
        *_WIDTH,
        R_RISCV_PCREL_LO12_I,
        R_RISCV_PCREL_LO12_S,
        R_RISCV_HI20,
        R_RISCV_LO12_I,
        R_RISCV_LO12_S,
    }
)

_NAMES = relocation_names(globals(), "R_RISCV_")


def split(x: int) -> tuple[int, int]:
    """(hi, lo) with hi + sign_extend(lo) == x (mod 2^32)."""
    if -2048 < x < 0:
        return 0, x + 4096
    x &= 0xFFFFFFFF
    hi, lo = x & ~0xFFF, x & 0xFFF
    if lo & 0x800:
        hi += 0x1000
    return hi & 0xFFFFFFFF, lo


def _bits(v: int, hi: int, lo: int, to: int) -> int:
    """Take bits hi..lo of v and place them starting at bit `to`."""
    return ((v >> lo) & ((1 << (hi - lo + 1)) - 1)) << to


def cj_scatter(v: int) -> int:
    """The c.j / c.jal offset bits of a CJ-format halfword."""
    return (
        _bits(v, 11, 11, 12) | _bits(v, 4, 4, 11) | _bits(v, 9, 8, 9) | _bits(v, 10, 10, 8)
        | _bits(v, 6, 6, 7) | _bits(v, 7, 7, 6) | _bits(v, 3, 1, 3) | _bits(v, 5, 5, 2)
    )  # fmt: skip


def cb_scatter(v: int) -> int:
    """The c.beqz / c.bnez offset bits of a CB-format halfword."""
    return (
        _bits(v, 8, 8, 12) | _bits(v, 4, 3, 10) | _bits(v, 7, 6, 5) | _bits(v, 2, 1, 3) | _bits(v, 5, 5, 2)
    )  # fmt: skip


def b_scatter(v: int) -> int:
    """The offset bits of a B-type (conditional branch) instruction."""
    return _bits(v, 12, 12, 31) | _bits(v, 10, 5, 25) | _bits(v, 4, 1, 8) | _bits(v, 11, 11, 7)


def j_scatter(v: int) -> int:
    """The offset bits of a J-type (`jal`) instruction."""
    return _bits(v, 20, 20, 31) | _bits(v, 10, 1, 21) | _bits(v, 11, 11, 20) | _bits(v, 19, 12, 12)


def i_lo(insn: int, lo: int) -> int:
    """An I-type instruction (loads, addi, jalr) with its 12-bit immediate replaced."""
    return (insn & 0xFFFFF) | (lo << 20)


def s_lo(insn: int, lo: int) -> int:
    """An S-type instruction (stores) with its 12-bit immediate (bits 31..25, 11..7) replaced."""
    return (insn & 0x01FFF07F) | ((lo & 0xFE0) << 20) | ((lo & 0x1F) << 7)


def u_hi(insn: int, hi: int) -> int:
    """A U-type instruction (`lui`, `auipc`) with its upper 20 bits replaced by those of `hi`."""
    return (insn & 0xFFF) | hi


@dataclass
class RiscvState:
    """Per link: HI20 values by place, for the LO12 relocations that name their label."""

    #: (id(section), offset of the auipc) -> the PC-relative value its HI20 got
    hi: dict[tuple[int, int], int] = field(default_factory=dict)
    #: non-PIC `lui` pairing: per section, the HI20s by (id(target), rd), in offset order
    abs_hi: dict[int, dict] = field(default_factory=dict)


class RiscvFamily(Family):
    """RV32/RV64 relocations; `xlen` picks the data word type and stub."""

    elf_machine_number, elf_machine_name = EM_RISCV, "EM_RISCV"
    names = _NAMES
    pc_relative_bss_warns = True
    #: small-data sections (code built without -fpic, e.g. picolibc) are ordinary data:
    #: renamed so that every rule for .rodata/.data/.bss applies to them
    section_aliases = ((".srodata", ".rodata"), (".sdata", ".data"), (".sbss", ".bss"))

    def __init__(self, xlen: int) -> None:
        self.xlen = xlen
        word = R_RISCV_32 if xlen == 32 else R_RISCV_64
        self.got_types = frozenset({word, R_RISCV_GOT_HI20, R_RISCV_GOT32_PCREL})
        self.data_types = frozenset({R_RISCV_32, R_RISCV_64})
        self.direct_types = frozenset({R_RISCV_PCREL_HI20, R_RISCV_HI20, *_PCREL_TYPES})
        if xlen == 32:
            self.stub = (bytes.fromhex("97060000944682860000000000000000")[:12], 8)
        else:
            self.stub = (bytes.fromhex("9706000094668286") + bytes(8), 8)

    def new_state(self) -> RiscvState:
        return RiscvState()

    def local_got_type(self, rtype: int) -> bool:
        return rtype in (R_RISCV_GOT_HI20, R_RISCV_GOT32_PCREL)

    def trampoline(self, target: int) -> bytes:
        """`c.j` if it reaches (+-2 KiB), else `auipc t6, hi; jalr zero, lo(t6)`."""
        if -2048 <= target <= 2047:
            return (0xA001 | cj_scatter(target)).to_bytes(2, "little")
        check_range(target - 8, 32, "auipc + jalr (+-2 GiB)")
        hi, lo = split(target)
        return (hi | 0x00000F97).to_bytes(4, "little") + (((lo << 20) | 0x000F8067) & 0xFFFFFFFF).to_bytes(4, "little")

    def classify(self, rtype: int) -> Kind:
        if rtype in (R_RISCV_ALIGN, R_RISCV_RELAX):
            return Kind.IGNORE
        if rtype in _SPECIAL:
            return Kind.SPECIAL
        if rtype in (R_RISCV_32, R_RISCV_64):
            return Kind.RODATA_WORD
        if rtype in (R_RISCV_GOT_HI20, R_RISCV_GOT32_PCREL):
            return Kind.GOT_PC_REL
        if rtype == R_RISCV_PCREL_HI20 or rtype in _PCREL_TYPES:
            return Kind.PC_REL
        return Kind.UNSUPPORTED

    def field_size(self, rtype: int) -> int:
        if rtype in (R_RISCV_RVC_BRANCH, R_RISCV_RVC_JUMP):
            return 2
        return 8 if rtype in (R_RISCV_CALL, R_RISCV_CALL_PLT) else 4

    def remember(self, state: RiscvState, reloc: Reloc, value: int) -> None:
        if reloc.type in _HI_TYPES:
            state.hi[(id(reloc.section), reloc.offset)] = value

    def write(self, buf: bytearray, off: int, rtype: int, value: int) -> None:
        name = _NAMES.get(rtype, "")
        if rtype in _HI_TYPES:
            check_range(value, 32, "auipc + 12-bit (+-2 GiB)")
            write_le(buf, off, 4, u_hi(read_le(buf, off, 4), split(value)[0]))
        elif rtype in (R_RISCV_CALL, R_RISCV_CALL_PLT):
            check_range(value, 32, "auipc + jalr (+-2 GiB)")
            hi, lo = split(value)
            write_le(buf, off, 4, u_hi(read_le(buf, off, 4), hi))
            write_le(buf, off + 4, 4, i_lo(read_le(buf, off + 4, 4), lo))
        elif rtype == R_RISCV_BRANCH:
            check_range(value, 13, "a B-type branch (+-4 KiB)")
            write_le(buf, off, 4, (read_le(buf, off, 4) & 0x01FFF07F) | b_scatter(value))
        elif rtype == R_RISCV_JAL:
            check_range(value, 21, "jal (+-1 MiB)")
            write_le(buf, off, 4, (read_le(buf, off, 4) & 0xFFF) | j_scatter(value))
        elif rtype == R_RISCV_RVC_BRANCH:
            check_range(value, 9, "c.beqz/c.bnez (+-256 B)")
            write_le(buf, off, 2, (read_le(buf, off, 2) & 0xE383) | cb_scatter(value))
        elif rtype == R_RISCV_RVC_JUMP:
            check_range(value, 12, "c.j (+-2 KiB)")
            write_le(buf, off, 2, (read_le(buf, off, 2) & 0xE003) | cj_scatter(value))
        else:  # GOT32_PCREL, 32_PCREL, PLT32: a signed 32-bit word
            write_le(buf, off, 4, check_range(value, 32, f"a signed 32-bit word ({name})"))

    def apply_special(self, ctx: LinkView, state: RiscvState, reloc: Reloc) -> None:
        rtype, section = reloc.type, reloc.section
        p = section.addr + reloc.offset
        sym = reloc.sym.target()
        if rtype in _TLS:
            raise LinkError(f"{sym.label}: RISC-V TLS relocation: {sym.display()} (thread-locals are not supported)")
        if rtype in _TPREL:
            raise LinkError(
                f"{sym.label}: RISC-V TP-relative relocation: {sym.display()} (thread-locals are not supported)"
            )
        if rtype in _ULEB:
            raise LinkError(f"{sym.label}: RISC-V ULEB128 relocation: {sym.display()}")
        if rtype in (R_RISCV_PCREL_LO12_I, R_RISCV_PCREL_LO12_S):
            self._lo12(ctx, state, reloc, p)
        elif rtype == R_RISCV_HI20:
            self._absolute_hi(ctx, reloc, p)
        elif rtype in (R_RISCV_LO12_I, R_RISCV_LO12_S):
            self._absolute_lo(ctx, state, reloc, p)
        else:
            self._label_arith(ctx, reloc, p, ctx.lenient_address(reloc) + reloc.addend)

    def _absolute_hi(self, ctx: LinkView, reloc: Reloc, p: int) -> None:
        """Non-PIC `lui rd, %hi(S+A)` becomes `auipc rd, %pcrel_hi(S+A)`.

        The loader cannot relocate an absolute address split over two instructions, but
        the distance from the `lui` to its target is fixed, so the pair can be made
        PC-relative: the `lui` turns into an `auipc` and each `%lo` user is re-based on
        it (see `_absolute_lo`).  This is what lets non-PIC libraries such as picolibc's
        maths code link.
        """
        section = reloc.section
        insn = ctx.read(section, p, 4)
        if insn & 0x7F != LUI:
            raise LinkError(f"{section.label}: {section.name}+{reloc.offset:#x}: R_RISCV_HI20 is not on a lui")
        target = reloc.sym.target()
        value = ctx.lenient_address(reloc, warn=False) + reloc.addend - p
        if target.section is not None and target.section.image != "text":
            raise LinkError(
                f"{section.label}: {section.name}+{reloc.offset:#x}: non-PIC access to {target.display()} in "
                f"{target.section.name}; link with --writable-data (the SCons tool does) or compile with -fpic"
            )
        try:
            check_range(value, 32, "auipc + 12-bit (+-2 GiB)")
        except FieldRange as exc:
            raise ctx.out_of_range(reloc, exc) from None
        hi, _ = split(value)
        ctx.write(section, p, 4, (insn & 0xF80) | AUIPC | hi)
        ctx.log(3, f"  {p:08x} {reloc.sym.display()} -> {p + value:08x}")

    def _absolute_lo(self, ctx: LinkView, state: RiscvState, reloc: Reloc, p: int) -> None:
        """The `%lo(S+A)` half of a converted pair, re-based on its `auipc`.

        Its partner is the nearest preceding HI20 of the same symbol in this section
        whose destination register is this instruction's base register.  Sharing one
        `lui` between different offsets only works when no carry separates them; that
        is checked, not assumed.
        """
        section = reloc.section
        insn = ctx.read(section, p, 4)
        base = (insn >> 15) & 0x1F
        target = reloc.sym.target()
        his = state.abs_hi.get(id(section))
        if his is None:  # HI20s of this section by (target, register), in offset order
            his = state.abs_hi[id(section)] = {}
            for candidate in sorted((r for r in section.relocs if r.type == R_RISCV_HI20), key=lambda r: r.offset):
                rd = (ctx.read(section, section.addr + candidate.offset, 4) >> 7) & 0x1F
                his.setdefault((id(candidate.sym.target()), rd), []).append(candidate)
        parent = None
        for candidate in his.get((id(target), base), ()):
            if candidate.offset >= reloc.offset:
                break
            parent = candidate
        if parent is None:
            raise LinkError(
                f"{section.label}: {section.name}+{reloc.offset:#x}: {_NAMES[reloc.type]} against "
                f"{target.display()} without a matching lui; compile with -fpic"
            )
        addr = ctx.lenient_address(reloc)
        p_hi = section.addr + parent.offset
        v_hi, v_lo = addr + parent.addend - p_hi, addr + reloc.addend - p_hi
        hi, _ = split(v_hi)
        _, lo = split(v_lo)
        if (hi + (lo - 4096 if lo & 0x800 else lo) - v_lo) & 0xFFFFFFFF:
            raise LinkError(
                f"{section.label}: {section.name}+{reloc.offset:#x}: %lo({target.display()}+{reloc.addend}) "
                "shares a lui across a 4 KiB boundary and cannot be made PC-relative; compile with -fpic"
            )
        self._patch_lo(ctx, reloc, p, lo)
        ctx.log(3, f"  {p:08x} {reloc.sym.display()} -> {addr:08x}")

    @staticmethod
    def _patch_lo(ctx: LinkView, reloc: Reloc, p: int, lo: int) -> None:
        """Write a 12-bit low part into an I-type (loads, addi) or S-type (stores) immediate."""
        old = ctx.read(reloc.section, p, 4)
        ctx.write(reloc.section, p, 4, i_lo(old, lo) if reloc.type in _I_TYPE_LO else s_lo(old, lo))

    @staticmethod
    def _lo12(ctx: LinkView, state: RiscvState, reloc: Reloc, p: int) -> None:
        sym = reloc.sym.target()
        section = reloc.section
        label_section = sym.section
        # the HI20 at the label, if one was applied (a dict lookup: no scan per LO12)
        value = state.hi.get((id(label_section), sym.value)) if label_section is not None else None
        if value is None:
            raise LinkError(
                f"{section.label}: {section.name}+{reloc.offset:#x}: {_NAMES[reloc.type]} without a matching "
                "HI20 (absolute addressing); compile with -fpic"
            )
        _, lo = split(value)
        RiscvFamily._patch_lo(ctx, reloc, p, lo)
        ctx.log(3, f"  {p:08x} {reloc.sym.display()} -> {label_section.addr + sym.value:08x}")

    @staticmethod
    def _label_arith(ctx: LinkView, reloc: Reloc, p: int, v: int) -> None:
        width = _WIDTH[reloc.type]
        size = 1 if width <= 8 else width // 8
        mask = (1 << width) - 1
        old = ctx.read(reloc.section, p, size)
        if reloc.type in _ADD:
            t = (old & mask) + v
        elif reloc.type in _SUB:
            t = (old & mask) - v
        else:
            t = v
        ctx.write(reloc.section, p, size, (old & ~mask) | (t & mask))
        ctx.log(3, f"  {p:08x} {reloc.sym.display()} == {t:08x}")


def _riscv(name: str, xlen: int, **kw) -> ArchInfo:
    return ArchInfo(
        name=name,
        number=ARCH_NUMBERS[name],
        word_size=xlen // 8,
        elf_class=xlen,
        text_alignments=(2, 4),  # clang aligns .text to 4 (the loader's text block is word aligned)
        family=RiscvFamily(xlen),
        **kw,
    )


ARCHES = (
    # ESP32-C3/C6 execute rv32imc natmods from IRAM, so data placed next to the code faults there
    _riscv("rv32imc", 32, supports_arch_flags=True, write_protected_code="ESP32-C3/C6"),
    _riscv("rv64imc", 64),
)
