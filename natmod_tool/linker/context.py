"""The mutable state of one link: sections, symbols, GOT, images and relocation records.

Everything here is per link (nothing global), so the SCons layer can run many links
in one process.  Parsed ELF data stays immutable in `elf.py`; this module wraps it in
objects that carry the link-time facts (bound section, resolution, address).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

from ..errors import LinkError
from ..mpy.format import (
    DEST_BSS,
    DEST_FUN_TABLE,
    DEST_OBJ_TABLE,
    DEST_QSTR_TABLE,
    DEST_RODATA,
    DEST_TEXT,
)
from ..mpy.format import DEST_SLOT0 as DEST_SLOT0  # re-exported: got.py and relocate.py take it from here
from ..mpy.names import FUN_TABLE_SLOTS

if TYPE_CHECKING:  # pragma: no cover
    from ..arch.base import ArchInfo
    from ..arch.fields import FieldRange
    from .elf import ElfReloc, ElfSymbol

IMAGE_DEST = {"text": DEST_TEXT, "rodata": DEST_RODATA, "bss": DEST_BSS}

# Pseudo sections that stand for firmware objects (format.md 10.4).
EXT_FUN_TABLE = ".external"
EXT_QSTR_TABLE = ".external.qstr_table"
EXT_OBJ_TABLE = ".external.obj_table"
EXT_TYPE_SLOT = ".external.mp_fun_table"
PSEUDO_DEST = {
    EXT_FUN_TABLE: DEST_FUN_TABLE,
    EXT_QSTR_TABLE: DEST_QSTR_TABLE,
    EXT_OBJ_TABLE: DEST_OBJ_TABLE,
}

#: Firmware objects reachable by symbol name: the named slots from 73 on (format.md 8.1).
TYPE_SLOTS = {name: slot for slot, name in enumerate(FUN_TABLE_SLOTS) if slot >= 73}
SLOT_MEMSET, SLOT_MEMMOVE = 50, 51


@dataclass(eq=False)
class Section:
    """An output-bound section: an object's input section, a stub, the GOT/LIT or a pseudo section."""

    name: str
    data: bytearray
    align: int
    label: str  # file label for messages
    relocs: list[Reloc] = field(default_factory=list)
    reloc_source: str = "unknown"
    addr: int = 0
    image: str = "text"  # text, rodata or bss; decided at layout
    pseudo: bool = False  # stands for a firmware object, never laid out
    stub_slot: int | None = None  # memset/memmove stub: fun-table slot of its pointer word
    stub_pointer: int = 0  # offset of the stub's pointer word
    pc_relative: bool = False  # writable data reached PC-relatively: must live in the text image
    named: list[Symbol] = field(default_factory=list)  # object/function symbols, for messages

    def names_at(self, offset: int | None = None) -> str:
        """Name the variable(s) at `offset` (or all of them) for an error message."""
        hits = [s.name for s in self.named if offset is None or s.value <= offset < s.value + max(s.elf.size, 1)]
        hits = hits or [s.name for s in self.named]
        return ", ".join(hits[:3]) + (", ..." if len(hits) > 3 else "") if hits else self.name

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass(eq=False)
class Symbol:
    """A symbol-table entry of one loaded object, with its link-time binding."""

    elf: ElfSymbol
    label: str
    section: Section | None = None
    resolved: Symbol | None = None  # for undefined symbols: the definition they resolve to
    slot: int | None = None  # for firmware type objects: their fun-table slot
    fixed: int | None = None  # fixed address (externs) or 0 for an unresolved weak symbol
    dropped_in: str | None = None  # name of the section it is defined in, when natmods cannot carry it

    @property
    def name(self) -> str:
        return self.elf.name

    @property
    def value(self) -> int:
        return self.elf.value

    @property
    def bind(self) -> str:
        return self.elf.bind

    @property
    def type(self) -> str:
        return self.elf.type

    def target(self) -> Symbol:
        """The symbol that actually provides the address (S in format.md 11.2)."""
        return self.resolved if self.resolved is not None else self

    def unbound_reason(self) -> str:
        """Why this symbol has no address in the module, for an error message."""
        if self.dropped_in:
            return (
                f"{self.display()} is in section {self.dropped_in}, which natmods cannot carry "
                "(small-data and other special sections come from code built without the natmod flags)"
            )
        return f"{self.display()} is not defined in any loaded section"

    def display(self) -> str:
        """Name for messages: the section name for section symbols."""
        if self.type == "STT_SECTION" and self.section is not None:
            return self.section.name
        return self.name or f"<symbol {self.elf.index}>"


@dataclass(eq=False)
class Reloc:
    """A relocation bound to its symbol and containing section."""

    elf: ElfReloc
    sym: Symbol
    section: Section

    @property
    def type(self) -> int:
        return self.elf.type

    @property
    def offset(self) -> int:
        return self.elf.offset

    @property
    def addend(self) -> int:
        return self.elf.addend


@dataclass(eq=False)
class GotEntry:
    """One GOT word: named (format.md 10.5), filled after layout."""

    name: str
    symbol: Symbol
    initial: int = 0  # a literal-pool word's stored value (families that build the GOT from pools)
    addend: int = 0  # `symbol+addend` literals keep their addend here
    section_name: str = ""
    value: int = 0
    offset: int = 0
    dest: int | None = None


@dataclass
class LinkContext:
    """All state of one link."""

    arch: ArchInfo
    log: Callable[[int, str], None]
    writable_data: bool = False  # place .data and PC-relatively reached BSS (docs/linker.md)
    sections: list[Section] = field(default_factory=list)
    definitions: dict[str, Symbol] = field(default_factory=dict)
    unresolved: list[Symbol] = field(default_factory=list)
    externs: dict[str, int] = field(default_factory=dict)
    got: dict[str, GotEntry] = field(default_factory=dict)
    got_order: list[GotEntry] = field(default_factory=list)
    got_section: Section | None = None
    text: bytearray = field(default_factory=bytearray)
    rodata: bytearray = field(default_factory=bytearray)
    bss_size: int = 0
    records: list[tuple[int, int, int]] = field(default_factory=list)  # (base, byte pos, dest)
    warnings: list[str] = field(default_factory=list)
    arch_state: Any = None  # the family's own per-link state (`Family.new_state()`)
    nobits_bytes: int = 0  # zero-filled input bytes allocated so far (bounded by elf.MAX_SIZE)

    def __post_init__(self) -> None:
        self.arch_state = self.arch.family.new_state()

    @property
    def word(self) -> int:
        return self.arch.word_size

    def warn(self, message: str) -> None:
        """A problem that does not stop the link (printed at level 1, kept in the result)."""
        if message not in self.warnings:
            self.warnings.append(message)
            self.log(1, f"warning: {message}")

    def warn_static_bss(self, reloc: Reloc, sym: Symbol) -> None:
        """Without writable_data, the reference's wrong code is kept (GOT-relative and some PC-relative) but named."""
        name = sym.name if sym.type in ("STT_OBJECT", "STT_FUNC") else sym.section.names_at() if sym.section else "?"
        self.warn(
            f"{reloc.section.label}: {name} is static BSS reached PC-relatively from {reloc.section.name}: "
            "the module will use the wrong memory; make the variable non-static or link with --writable-data"
        )

    # -- images -----------------------------------------------------------------
    def image_of(self, section: Section) -> bytearray:
        """The buffer holding `section`'s bytes (bss has none)."""
        if section.image == "rodata":
            return self.rodata
        if section.image == "text":
            return self.text
        raise LinkError(f"{section.label}: {section.name}: relocation inside BSS")

    def read(self, section: Section, pos: int, size: int) -> int:
        buf = self.image_of(section)
        self.check_bounds(section, pos, size, buf)
        return int.from_bytes(buf[pos : pos + size], "little")

    def write(self, section: Section, pos: int, size: int, value: int) -> None:
        """Store a whole little-endian word; a value that does not fit is an error, never masked.

        Words have modular arithmetic, so -2^(n-1)..2^n-1 fits `size` = n/8 bytes.
        """
        buf = self.image_of(section)
        self.check_bounds(section, pos, size, buf)
        bits = 8 * size
        if not -(1 << (bits - 1)) <= value < (1 << bits):
            raise LinkError(
                f"{section.label}: {section.name}+{pos - section.addr:#x}: value {value:+#x} does not fit "
                f"a {size}-byte word"
            )
        buf[pos : pos + size] = (value & ((1 << bits) - 1)).to_bytes(size, "little")

    def check_bounds(self, section: Section, pos: int, size: int, buf: bytearray) -> None:
        if pos < section.addr or pos + size > section.addr + section.size or pos + size > len(buf):
            raise LinkError(
                f"{section.label}: relocation at offset {pos - section.addr:#x} lies outside "
                f"section {section.name} (size {section.size:#x}); the object is damaged"
            )

    def record(self, section: Section, pos: int, dest: int) -> None:
        """Add a run-time relocation (base image, byte position, destination)."""
        self.records.append((1 if section.image == "rodata" else 0, pos, dest))

    def got_entry(self, reloc: Reloc) -> GotEntry:
        """The GOT entry that a GOT-type relocation refers to."""
        sym = reloc.sym.target()
        entry = self.got.get(got_key(reloc.sym))
        if entry is None:
            entry = self.got.get(got_key(sym))
        if entry is None:
            raise LinkError(f"{reloc.section.label}: no GOT entry for {sym.display()}")
        return entry

    def got_entry_named(self, name: str, symbol: Symbol, *, initial: int = 0, addend: int = 0) -> GotEntry:
        """The GOT entry called `name`, created on first use (families that build GOT words)."""
        entry = self.got.get(name)
        if entry is None:
            entry = self.got[name] = GotEntry(name=name, symbol=symbol, initial=initial, addend=addend)
        return entry

    def internal_section(self, name: str, size: int, align: int) -> Section:
        """A zero-filled section the linker makes (GOT, a family's constant pool)."""
        return Section(name=name, data=bytearray(size), align=align, label="<internal>")

    def unsupported(self, reloc: Reloc) -> LinkError:
        """The error for a relocation type the native format cannot express."""
        return LinkError(
            f"{reloc.section.label}: unsupported relocation {self.arch.family.reloc_name(reloc.type)} against "
            f"{reloc.sym.target().display()} in {reloc.section.name}; compile with the natmod flags "
            "(-fpic, no -mlong-calls / -mcmodel changes)"
        )

    def out_of_range(self, reloc: Reloc, exc: FieldRange) -> LinkError:
        """A value that does not fit its field, named by relocation, symbol and place."""
        return LinkError(
            f"{reloc.section.label}: {reloc.section.name}+{reloc.offset:#x}: "
            f"{self.arch.family.reloc_name(reloc.type)} to {reloc.sym.target().display()} is out of range "
            f"({exc.value:+#x}; {exc.what} holds {exc.low:+#x}..{exc.high:+#x})"
        )

    def lenient_address(self, reloc: Reloc, warn: bool = True) -> int:
        """S where the reference accepted PC-relative static BSS: kept, with a warning."""
        sym = reloc.sym.target()
        if sym.section is None or sym.section.pseudo:
            if sym.fixed is not None and sym.name in self.externs:
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
        if sym.section.image == "bss" and warn:
            self.warn_static_bss(reloc, sym)
        return sym.section.addr + sym.value

    def got_address(self) -> int:
        assert self.got_section is not None
        return self.got_section.addr


def got_key(sym: Symbol) -> str:
    """GOT entries of global symbols are keyed by name; locals get a file-qualified key."""
    if sym.bind in ("STB_GLOBAL", "STB_WEAK"):
        return sym.name
    return f"{sym.label}:{sym.display()}#{sym.elf.index}"


def signed(value: int, bits: int) -> int:
    """Interpret the low `bits` of `value` as two's complement."""
    value &= (1 << bits) - 1
    return value - (1 << bits) if value >> (bits - 1) else value
