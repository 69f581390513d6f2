"""x86 (i386) and x64 (x86-64).

Natmod code is compiled with `-fpic`, so the compiler reaches globals through the
GOT and calls functions PC-relatively; nothing in `.text` needs a load-time fix-up
except the GOT words themselves.

* i386 has no PC-relative data addressing: PIC code calls `__x86.get_pc_thunk.*`
  to learn its own address, adds `_GLOBAL_OFFSET_TABLE_` (`R_386_GOTPC`) and then
  loads GOT slots by offset (`R_386_GOT32[X]`) or addresses local data relative to
  the GOT (`R_386_GOTOFF`).  Every object carries its own copy of the pc thunk in a
  COMDAT-like section, so duplicate thunk definitions are allowed.  The reference
  also creates (unused) GOT entries for every global hit by `R_386_PC32`; we keep
  that for byte-identical output.
* x86-64 addresses the GOT PC-relatively (`R_X86_64_GOTPCREL`,
  `R_X86_64_REX_GOTPCRELX`; we also accept `R_X86_64_GOTPCRELX`, which the reference
  rejects, because it is the same computation).  Relaxation is never done: the GOT
  load stays a load.
* Data words in `.data.rel.ro` are `R_386_32` / `R_X86_64_64`.
* The entry trampoline is a short `jmp rel8` or a near `jmp rel32`; the mem* stubs
  load the firmware function pointer into eax/rax and jump to it.
"""

from __future__ import annotations

from ..errors import LinkError
from ..linker.context import LinkContext, Reloc
from ..linker.relocate import direct_address, got_slot_address, place_of, unsupported
from .base import ArchInfo, Family


def _jump(target: int) -> bytes:
    short = target - 2
    if -128 <= short <= 127:
        return bytes((0xEB, short & 0xFF))
    near = target - 5
    if -(1 << 31) <= near < (1 << 31):
        return b"\xe9" + (near & 0xFFFFFFFF).to_bytes(4, "little")
    raise LinkError("jumps larger than 2GiB are not supported")


class X86Family(Family):
    """i386: GOT base via GOTPC, slots by offset, local data by GOTOFF."""

    names = {
        1: "R_386_32",
        2: "R_386_PC32",
        3: "R_386_GOT32",
        4: "R_386_PLT32",
        9: "R_386_GOTOFF",
        10: "R_386_GOTPC",
        18: "R_386_TLS_GD",
        43: "R_386_GOT32X",
    }
    got_types = frozenset({2, 3, 43})
    direct_types = frozenset({2, 4, 9})
    data_types = frozenset({1})
    stub = (bytes.fromhex("909090b800000000ffe0"), 4)

    def local_got_type(self, rtype: int) -> bool:
        return rtype in (3, 43)

    def trampoline(self, target: int) -> bytes:
        return _jump(target)

    def apply_code(self, ctx: LinkContext, reloc: Reloc) -> None:
        rtype, section, p = reloc.type, reloc.section, place_of(reloc)
        if rtype in (2, 4):  # PC32, PLT32: S + A - P
            addr = direct_address(ctx, reloc)
            ctx.le32_add(section, p, addr - p + reloc.addend)
        elif rtype == 10:  # GOTPC: GOT + A - P
            if reloc.sym.name != "_GLOBAL_OFFSET_TABLE_":
                raise unsupported(ctx, reloc)
            addr = ctx.got_address()
            ctx.le32_add(section, p, addr - p + reloc.addend)
        elif rtype in (3, 43):  # GOT32, GOT32X: G (offset of the slot in the GOT)
            addr = ctx.got_entry(reloc).offset
            ctx.le32_add(section, p, addr)
        elif rtype == 9:  # GOTOFF: S + A - GOT, S taken from the symbol itself
            sym = reloc.sym
            if sym.section is None:
                sym = sym.target()
            if sym.section is None or sym.section.pseudo:
                raise unsupported(ctx, reloc)
            if sym.section.image == "bss":
                ctx.warn_static_bss(reloc, sym)
            addr = sym.section.addr + sym.value
            ctx.le32_add(section, p, addr - ctx.got_address() + reloc.addend)
        else:
            raise unsupported(ctx, reloc)
        ctx.log(3, f"  {p:08x} {reloc.sym.display()} -> {addr:08x}")


class X64Family(Family):
    """x86-64: everything PC-relative, GOT slots included."""

    names = {
        1: "R_X86_64_64",
        2: "R_X86_64_PC32",
        3: "R_X86_64_GOT32",
        4: "R_X86_64_PLT32",
        9: "R_X86_64_GOTPCREL",
        10: "R_X86_64_32",
        11: "R_X86_64_32S",
        19: "R_X86_64_TLSGD",
        41: "R_X86_64_GOTPCRELX",
        42: "R_X86_64_REX_GOTPCRELX",
    }
    got_types = frozenset({9, 41, 42})
    direct_types = frozenset({2, 4})
    data_types = frozenset({1})
    stub = (bytes.fromhex("90909090909048b80000000000000000ffe0"), 8)

    def local_got_type(self, rtype: int) -> bool:
        return True

    def trampoline(self, target: int) -> bytes:
        return _jump(target)

    def apply_code(self, ctx: LinkContext, reloc: Reloc) -> None:
        rtype, section, p = reloc.type, reloc.section, place_of(reloc)
        if rtype in (2, 4):
            addr = direct_address(ctx, reloc)
        elif rtype in (9, 41, 42):
            addr = got_slot_address(ctx, reloc)
        else:
            raise unsupported(ctx, reloc)
        ctx.le32_add(section, p, addr - p + reloc.addend)
        ctx.log(3, f"  {p:08x} {reloc.sym.display()} -> {addr:08x}")


def _x86(name: str, number: int, bits: int, family: Family) -> ArchInfo:
    return ArchInfo(
        name=name,
        number=number,
        word_size=bits // 8,
        elf_machine="EM_386" if bits == 32 else "EM_X86_64",
        elf_class=bits,
        text_alignments=(1, 4),
        family=family,
    )


ARCHES = (
    _x86("x86", 1, 32, X86Family()),
    _x86("x64", 2, 64, X64Family()),
)
