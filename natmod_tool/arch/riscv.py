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

from ..errors import LinkError
from ..linker.context import LinkContext, Reloc
from ..linker.relocate import apply_data, place_of, unsupported
from .base import ArchInfo, Family

GOT_HI20, PCREL_HI20, HI20 = 20, 23, 26
LUI, AUIPC = 0x37, 0x17
_HI_TYPES = (GOT_HI20, PCREL_HI20, HI20)
_TLS = {22: "TLS", 62: "TLS", 63: "TLS", 64: "TLS", 65: "TLS", 21: "TLS"}
_TPREL = {29, 30, 31, 32}
_ULEB = {60, 61}
_PCREL_TYPES = {16, 17, 18, 19, 44, 45, 57, 59}
_WIDTH = {33: 8, 34: 16, 35: 32, 36: 64, 37: 8, 38: 16, 39: 32, 40: 64, 52: 6, 53: 6, 54: 8, 55: 16, 56: 32}
_ADD, _SUB = {33, 34, 35, 36}, {37, 38, 39, 40, 52}

_NAMES = {
    1: "R_RISCV_32", 2: "R_RISCV_64", 16: "R_RISCV_BRANCH", 17: "R_RISCV_JAL", 18: "R_RISCV_CALL",
    19: "R_RISCV_CALL_PLT", 20: "R_RISCV_GOT_HI20", 21: "R_RISCV_TLS_GOT_HI20", 22: "R_RISCV_TLS_GD_HI20",
    23: "R_RISCV_PCREL_HI20", 24: "R_RISCV_PCREL_LO12_I", 25: "R_RISCV_PCREL_LO12_S", 26: "R_RISCV_HI20",
    27: "R_RISCV_LO12_I", 28: "R_RISCV_LO12_S", 29: "R_RISCV_TPREL_HI20", 30: "R_RISCV_TPREL_LO12_I",
    31: "R_RISCV_TPREL_LO12_S", 32: "R_RISCV_TPREL_ADD", 33: "R_RISCV_ADD8", 34: "R_RISCV_ADD16",
    35: "R_RISCV_ADD32", 36: "R_RISCV_ADD64", 37: "R_RISCV_SUB8", 38: "R_RISCV_SUB16", 39: "R_RISCV_SUB32",
    40: "R_RISCV_SUB64", 41: "R_RISCV_GOT32_PCREL", 43: "R_RISCV_ALIGN", 44: "R_RISCV_RVC_BRANCH",
    45: "R_RISCV_RVC_JUMP", 51: "R_RISCV_RELAX", 52: "R_RISCV_SUB6", 53: "R_RISCV_SET6", 54: "R_RISCV_SET8",
    55: "R_RISCV_SET16", 56: "R_RISCV_SET32", 57: "R_RISCV_32_PCREL", 59: "R_RISCV_PLT32",
    60: "R_RISCV_SET_ULEB128", 61: "R_RISCV_SUB_ULEB128",
}  # fmt: skip


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


def _check(reloc: Reloc, value: int, bits: int) -> None:
    if not -(1 << (bits - 1)) <= value < (1 << (bits - 1)):
        raise LinkError(
            f"{reloc.section.label}: {reloc.section.name}+{reloc.offset:#x}: "
            f"{_NAMES.get(reloc.type, reloc.type)} to {reloc.sym.target().display()} is out of range "
            f"({value:+#x})"
        )


class RiscvFamily(Family):
    """RV32/RV64 relocations; `xlen` picks the data word type and stub."""

    names = _NAMES

    def __init__(self, xlen: int) -> None:
        self.xlen = xlen
        word = 1 if xlen == 32 else 2
        self.got_types = frozenset({word, GOT_HI20, 41})
        self.data_types = frozenset({1, 2})
        self.direct_types = frozenset({PCREL_HI20, HI20, *_PCREL_TYPES})
        if xlen == 32:
            self.stub = (bytes.fromhex("97060000944682860000000000000000")[:12], 8)
        else:
            self.stub = (bytes.fromhex("9706000094668286") + bytes(8), 8)

    def local_got_type(self, rtype: int) -> bool:
        return rtype in (GOT_HI20, 41)

    def trampoline(self, target: int) -> bytes:
        if -2048 <= target <= 2047:
            return (0xA001 | cj_scatter(target)).to_bytes(2, "little")
        if not -(1 << 31) <= target - 8 < (1 << 31):
            raise LinkError("jumps larger than 2GiB are not supported")
        hi, lo = split(target)
        return (hi | 0x00000F97).to_bytes(4, "little") + (((lo << 20) | 0x000F8067) & 0xFFFFFFFF).to_bytes(4, "little")

    def apply_code(self, ctx: LinkContext, reloc: Reloc) -> None:
        rtype, section, p = reloc.type, reloc.section, place_of(reloc)
        sym = reloc.sym.target()
        if rtype in (43, 51):
            return
        if rtype in _TLS:
            raise LinkError(f"{sym.label}: RISC-V TLS relocation: {sym.display()} (thread-locals are not supported)")
        if rtype in _TPREL:
            raise LinkError(
                f"{sym.label}: RISC-V TP-relative relocation: {sym.display()} (thread-locals are not supported)"
            )
        if rtype in _ULEB:
            raise LinkError(f"{sym.label}: RISC-V ULEB128 relocation: {sym.display()}")
        if rtype in (1, 2) and section.name.startswith(".rodata"):
            apply_data(ctx, reloc)
            return
        if rtype in (24, 25):
            self._lo12(ctx, reloc, p)
            return
        if rtype == HI20:
            self._absolute_hi(ctx, reloc, p)
            return
        if rtype in (27, 28):
            self._absolute_lo(ctx, reloc, p)
            return
        if rtype in _WIDTH:
            self._label_arith(ctx, reloc, p, self._symbol_address(ctx, reloc) + reloc.addend)
            return
        if rtype == GOT_HI20 or rtype == 41:
            addr = ctx.got_address() + ctx.got_entry(reloc).offset
        elif rtype == PCREL_HI20 or rtype in _PCREL_TYPES:
            addr = self._symbol_address(ctx, reloc)
        else:
            raise unsupported(ctx, reloc)
        value = addr + reloc.addend - p
        if rtype in _HI_TYPES:
            ctx.riscv_hi[(id(section), reloc.offset)] = value
            hi, _ = split(value)
            ctx.write(section, p, 4, (ctx.read(section, p, 4) & 0xFFF) | hi)
        elif rtype == 41:
            _check(reloc, value, 32)
            ctx.write(section, p, 4, value)
        elif rtype in (18, 19):
            _check(reloc, value, 32)
            hi, lo = split(value)
            ctx.write(section, p, 4, (ctx.read(section, p, 4) & 0xFFF) | hi)
            ctx.write(section, p + 4, 4, (ctx.read(section, p + 4, 4) & 0xFFFFF) | (lo << 20))
        elif rtype == 16:
            _check(reloc, value, 13)
            bits = _bits(value, 12, 12, 31) | _bits(value, 10, 5, 25) | _bits(value, 4, 1, 8) | _bits(value, 11, 11, 7)
            ctx.write(section, p, 4, (ctx.read(section, p, 4) & 0x01FFF07F) | bits)
        elif rtype == 17:
            _check(reloc, value, 21)
            bits = (
                _bits(value, 20, 20, 31) | _bits(value, 10, 1, 21) | _bits(value, 11, 11, 20)
                | _bits(value, 19, 12, 12)
            )  # fmt: skip
            ctx.write(section, p, 4, (ctx.read(section, p, 4) & 0xFFF) | bits)
        elif rtype == 44:
            _check(reloc, value, 9)
            bits = (
                _bits(value, 8, 8, 12) | _bits(value, 4, 3, 10) | _bits(value, 7, 6, 5)
                | _bits(value, 2, 1, 3) | _bits(value, 5, 5, 2)
            )  # fmt: skip
            ctx.write(section, p, 2, (ctx.read(section, p, 2) & 0xE383) | bits)
        elif rtype == 45:
            _check(reloc, value, 12)
            ctx.write(section, p, 2, (ctx.read(section, p, 2) & 0xE003) | cj_scatter(value))
        else:  # 32_PCREL, PLT32
            _check(reloc, value, 32)
            ctx.write(section, p, 4, value)
        ctx.log(3, f"  {p:08x} {reloc.sym.display()} -> {addr:08x}")

    @staticmethod
    def _symbol_address(ctx: LinkContext, reloc: Reloc) -> int:
        sym = reloc.sym.target()
        if sym.section is None or sym.section.pseudo:
            if sym.fixed is not None and sym.name in ctx.externs:
                raise LinkError(
                    f"{reloc.section.label}: direct reference to fixed-address symbol {sym.name}; "
                    "call it through a function pointer variable"
                )
            if sym.section is None:
                raise LinkError(f"{sym.label}: {sym.unbound_reason()}")
            raise LinkError(
                f"{sym.label}: fixed relocation to external symbol: {sym.display()}; "
                "compile with -fpic so it is reached through the GOT"
            )
        if sym.section.image == "bss" and reloc.type != HI20:
            ctx.warn_static_bss(reloc, sym)
        return sym.section.addr + sym.value

    def _absolute_hi(self, ctx: LinkContext, reloc: Reloc, p: int) -> None:
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
        value = self._symbol_address(ctx, reloc) + reloc.addend - p
        if target.section is not None and target.section.image != "text":
            raise LinkError(
                f"{section.label}: {section.name}+{reloc.offset:#x}: non-PIC access to {target.display()} in "
                f"{target.section.name}; link with --writable-data (the SCons tool does) or compile with -fpic"
            )
        _check(reloc, value, 32)
        hi, _ = split(value)
        ctx.write(section, p, 4, (insn & 0xF80) | AUIPC | hi)
        ctx.log(3, f"  {p:08x} {reloc.sym.display()} -> {p + value:08x}")

    def _absolute_lo(self, ctx: LinkContext, reloc: Reloc, p: int) -> None:
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
        his = ctx.riscv_abs_hi.get(id(section))
        if his is None:  # HI20s of this section by (target, register), in offset order
            his = ctx.riscv_abs_hi[id(section)] = {}
            for candidate in sorted((r for r in section.relocs if r.type == HI20), key=lambda r: r.offset):
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
        addr = self._symbol_address(ctx, reloc)
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
    def _patch_lo(ctx: LinkContext, reloc: Reloc, p: int, lo: int) -> None:
        """Write a 12-bit low part into an I-type (loads, addi) or S-type (stores) immediate."""
        old = ctx.read(reloc.section, p, 4)
        if reloc.type in (24, 27, 30):
            new = (old & 0xFFFFF) | (lo << 20)
        else:
            new = (old & 0x01FFF07F) | ((lo & 0xFE0) << 20) | ((lo & 0x1F) << 7)
        ctx.write(reloc.section, p, 4, new)

    @staticmethod
    def _lo12(ctx: LinkContext, reloc: Reloc, p: int) -> None:
        sym = reloc.sym.target()
        section = reloc.section
        label_section = sym.section
        # the HI20 at the label, if one was applied (a dict lookup: no scan per LO12)
        value = ctx.riscv_hi.get((id(label_section), sym.value)) if label_section is not None else None
        if value is None:
            raise LinkError(
                f"{section.label}: {section.name}+{reloc.offset:#x}: {_NAMES[reloc.type]} without a matching "
                "HI20 (absolute addressing); compile with -fpic"
            )
        _, lo = split(value)
        RiscvFamily._patch_lo(ctx, reloc, p, lo)
        ctx.log(3, f"  {p:08x} {reloc.sym.display()} -> {label_section.addr + sym.value:08x}")

    @staticmethod
    def _label_arith(ctx: LinkContext, reloc: Reloc, p: int, v: int) -> None:
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


def _riscv(name: str, number: int, xlen: int, **kw) -> ArchInfo:
    return ArchInfo(
        name=name,
        number=number,
        word_size=xlen // 8,
        elf_machine="EM_RISCV",
        elf_class=xlen,
        text_alignments=(2, 4),  # clang aligns .text to 4 (the loader's text block is word aligned)
        family=RiscvFamily(xlen),
        **kw,
    )


ARCHES = (
    _riscv("rv32imc", 11, 32, supports_arch_flags=True),
    _riscv("rv64imc", 12, 64),
)
