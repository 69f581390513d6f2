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

from ..mpy.format import ARCH_NUMBERS
from .base import ArchInfo, Family, Kind
from .fields import check_range, read_le, relocation_names, sign_extend, write_le

EM_386, EM_X86_64 = 3, 62

R_386_32, R_386_PC32, R_386_GOT32, R_386_PLT32 = 1, 2, 3, 4
R_386_GOTOFF, R_386_GOTPC, R_386_TLS_GD, R_386_GOT32X = 9, 10, 18, 43

R_X86_64_64, R_X86_64_PC32, R_X86_64_GOT32, R_X86_64_PLT32 = 1, 2, 3, 4
R_X86_64_GOTPCREL, R_X86_64_32, R_X86_64_32S, R_X86_64_TLSGD = 9, 10, 11, 19
R_X86_64_GOTPCRELX, R_X86_64_REX_GOTPCRELX = 41, 42


def jump(target: int) -> bytes:
    """`jmp rel8` (EB) if it reaches, else `jmp rel32` (E9); both count from the next instruction."""
    short = target - 2
    if -128 <= short <= 127:
        return bytes((0xEB, short & 0xFF))
    near = check_range(target - 5, 32, "jmp rel32 (+-2 GiB)")
    return b"\xe9" + near.to_bytes(4, "little")


class _Le32Family(Family):
    """Every code relocation of both machines patches one little-endian 32-bit word.

    The word's stored bytes are added to (the addend of i386's REL objects lives
    there; x86-64 is RELA, but the reference adds there too, so we keep that).
    """

    def implicit_addend(self, buf: bytearray, off: int, rtype: int) -> int:
        return sign_extend(read_le(buf, off, 4), 32)

    def write(self, buf: bytearray, off: int, rtype: int, value: int) -> None:
        write_le(buf, off, 4, check_range(value, 32, "a 32-bit word", wrap=True))

    def trampoline(self, target: int) -> bytes:
        return jump(target)


class X86Family(_Le32Family):
    """i386: GOT base via GOTPC, slots by offset, local data by GOTOFF."""

    elf_machine_number, elf_machine_name = EM_386, "EM_386"
    names = relocation_names(globals(), "R_386_")
    got_types = frozenset({R_386_PC32, R_386_GOT32, R_386_GOT32X})
    direct_types = frozenset({R_386_PC32, R_386_PLT32, R_386_GOTOFF})
    data_types = frozenset({R_386_32})
    stub = (bytes.fromhex("909090b800000000ffe0"), 4)
    #: every object carries its own copy of the pc thunk (a COMDAT-like section)
    duplicate_ok_prefixes = ("__x86.get_pc_thunk.",)
    _kinds = {
        R_386_PC32: Kind.PC_REL,
        R_386_PLT32: Kind.PC_REL,
        R_386_GOTPC: Kind.GOT_BASE,
        R_386_GOT32: Kind.GOT_OFFSET,
        R_386_GOT32X: Kind.GOT_OFFSET,
        R_386_GOTOFF: Kind.GOT_REL,
    }

    def local_got_type(self, rtype: int) -> bool:
        return rtype in (R_386_GOT32, R_386_GOT32X)

    def classify(self, rtype: int) -> Kind:
        return self._kinds.get(rtype, Kind.UNSUPPORTED)


class X64Family(_Le32Family):
    """x86-64: everything PC-relative, GOT slots included."""

    elf_machine_number, elf_machine_name = EM_X86_64, "EM_X86_64"
    names = relocation_names(globals(), "R_X86_64_")
    got_types = frozenset({R_X86_64_GOTPCREL, R_X86_64_GOTPCRELX, R_X86_64_REX_GOTPCRELX})
    direct_types = frozenset({R_X86_64_PC32, R_X86_64_PLT32})
    data_types = frozenset({R_X86_64_64})
    stub = (bytes.fromhex("90909090909048b80000000000000000ffe0"), 8)
    _kinds = {
        R_X86_64_PC32: Kind.PC_REL,
        R_X86_64_PLT32: Kind.PC_REL,
        R_X86_64_GOTPCREL: Kind.GOT_PC_REL,
        R_X86_64_GOTPCRELX: Kind.GOT_PC_REL,
        R_X86_64_REX_GOTPCRELX: Kind.GOT_PC_REL,
    }

    def local_got_type(self, rtype: int) -> bool:
        return True

    def classify(self, rtype: int) -> Kind:
        return self._kinds.get(rtype, Kind.UNSUPPORTED)


def _x86(name: str, bits: int, family: Family) -> ArchInfo:
    return ArchInfo(
        name=name,
        number=ARCH_NUMBERS[name],
        word_size=bits // 8,
        elf_class=bits,
        text_alignments=(1, 4),
        family=family,
    )


ARCHES = (
    _x86("x86", 32, X86Family()),
    _x86("x64", 64, X64Family()),
)
