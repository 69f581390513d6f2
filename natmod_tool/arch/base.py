"""What every architecture module provides: a table of facts and a `Family` that describes its machine.

The generic linker (load, layout, GOT, relocation stream) never tests an arch name or
an ELF machine; it asks the `ArchInfo` of the target for facts and the `Family` for
what a relocation type means (`classify`), where its addend lives (`implicit_addend`)
and how a value is packed into the bytes (`write`).  The linker computes S, A, P and
G; the family only encodes.  The few relocations that are more than "compute, then
pack" (Xtensa's literal redirection, RISC-V's HI20/LO12 pairing) go through
`apply_special`, with the family's own per-link state from `new_state()`.

Adding an architecture means adding one module in this package that builds
`ArchInfo` entries and registering it in `__init__.py` (or `register()` at run time).

Packing errors: every field is checked by `fields.check_range`, which raises
`FieldRange`; the linker turns it into a one-line error naming the relocation, the
symbol and the place, so nothing is ever truncated silently.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Protocol

if TYPE_CHECKING:  # pragma: no cover
    from ..linker.context import GotEntry, Reloc, Section, Symbol
    from .fields import FieldRange


class Kind(enum.Enum):
    """What the value of a relocation is, in the linker's terms (lld's `RelExpr`)."""

    ABS_WORD = "S + A in a whole word: a load-time relocation of the native format"
    RODATA_WORD = "S + A like ABS_WORD, in read-only data only (never in code)"
    PC_REL = "S + A - P"
    GOT_BASE = "GOT + A - P, against _GLOBAL_OFFSET_TABLE_ only"
    GOT_OFFSET = "G + A: offset of the symbol's slot in the GOT"
    GOT_PC_REL = "GOT + G + A - P: the slot, PC-relatively"
    GOT_REL = "S + A - GOT: local data relative to the GOT"
    IGNORE = "nothing to do (relaxation hints, label differences inside code)"
    SPECIAL = "the family applies it itself (`apply_special`)"
    UNSUPPORTED = "the native format cannot express it"


class LinkView(Protocol):
    """All of a link that a family's hooks may use; `LinkContext` provides it.

    Families never import the linker: the common case (`classify`, `write`) sees only
    bytes, and the hooks for special relocations see this much and no more
    (`tests/test_arch_interface.py` checks that the family modules keep to it).
    """

    text: bytearray
    log: Callable[[int, str], None]

    def read(self, section: Section, pos: int, size: int) -> int: ...

    def write(self, section: Section, pos: int, size: int, value: int) -> None: ...

    def got_address(self) -> int: ...

    def got_entry_named(self, name: str, symbol: Symbol, *, initial: int = 0, addend: int = 0) -> GotEntry: ...

    def internal_section(self, name: str, size: int, align: int) -> Section: ...

    def lenient_address(self, reloc: Reloc, warn: bool = True) -> int: ...

    def unsupported(self, reloc: Reloc) -> Exception: ...

    def out_of_range(self, reloc: Reloc, exc: FieldRange) -> Exception: ...


@dataclass(frozen=True)
class ArchInfo:
    """Facts about one `--arch` value (format.md section 2)."""

    name: str
    number: int  # native arch number in the .mpy header: ARCH_NUMBERS[name] of mpy/format.py
    word_size: int  # W
    elf_class: int  # 32 or 64
    text_alignments: tuple[int, ...]  # `.text` alignments that raise no warning
    family: Family
    supports_arch_flags: bool = False
    rodata_in_text: bool = True  # False: .rodata/.data.rel.ro form a separate rodata image
    got_first: bool = False  # xtensa: GOT and LIT lead the section list
    #: boards of this arch that run module code from memory the CPU cannot write
    #: (static data next to the code faults there): named in a warning
    write_protected_code: str | None = None
    #: the externs file shipped for this arch's ROM (natmod_tool/data), for hints
    rom_externs: str | None = None
    rom_name: str = "firmware"  # what users call that ROM, for the same hints

    @property
    def elf_machine(self) -> str:
        """`e_machine` name of the objects this arch links, as the ELF reader reports it."""
        return self.family.elf_machine_name

    @property
    def elf_machine_number(self) -> int:
        """`e_machine` of the objects this arch links (the family's machine)."""
        return self.family.elf_machine_number


class Family:
    """How one ELF machine's relocations work, shared by the arches of that machine.

    Subclasses set the class attributes and implement `classify`/`write` (and
    `implicit_addend` for REL machines); see the module docstrings of x86.py, arm.py,
    xtensa.py and riscv.py for each machine's essay.
    """

    #: `e_machine` and its name as pyelftools spells it (`EM_<number>` for a machine it
    #: does not know): the fast ELF reader reads exactly the registered machines
    elf_machine_number: ClassVar[int] = 0
    elf_machine_name: ClassVar[str] = ""
    #: relocation type numbers that create GOT entries (format.md 10.5.1)
    got_types: ClassVar[frozenset[int]] = frozenset()
    #: relocation type numbers for data words in `.data.rel.ro*` (format.md 11.4)
    data_types: ClassVar[frozenset[int]] = frozenset()
    #: relocation types whose value is a distance from the code (S - P, S - GOT): their
    #: targets must be in the text image (format.md 11.2 (a), (e) and RISC-V PC-relative)
    direct_types: ClassVar[frozenset[int]] = frozenset()
    #: memset/memmove stub bytes and offset of the pointer word (format.md 10.8); None: no stubs
    stub: ClassVar[tuple[bytes, int] | None] = None
    #: PC-relative access to static BSS (no --writable-data): False refuses it, True keeps
    #: the reference's wrong code with a warning (the reference accepted it on RISC-V)
    pc_relative_bss_warns: ClassVar[bool] = False
    #: input section name prefixes renamed to an ordinary one, so every rule for that one
    #: applies (RISC-V small data): (prefix, prepended name)
    section_aliases: ClassVar[tuple[tuple[str, str], ...]] = ()
    #: input sections that are not laid out but handed to the family (`take_section`)
    side_section_prefixes: ClassVar[tuple[str, ...]] = ()
    #: global symbols every object may define once (a per-object helper): never duplicates
    duplicate_ok_prefixes: ClassVar[tuple[str, ...]] = ()
    #: function symbols carry an instruction-set bit in `st_value` (Thumb): mask for addresses
    code_address_mask: ClassVar[int] = ~0

    #: relocation type names, for messages
    names: ClassVar[dict[int, str]] = {}

    def new_state(self) -> Any:
        """Per-link state of this family (literal pools, HI20 pairing); None if it has none."""
        return None

    def local_got_type(self, rtype: int) -> bool:
        """Whether a GOT-creating type against a *local* symbol needs an entry.

        True GOT accesses do (the reference crashes on them); the reference's side
        effect types (x86 PC32, RISC-V data words) only create entries for globals.
        """
        return False

    def reloc_name(self, rtype: int) -> str:
        """Human name of a relocation type, for error messages."""
        return self.names.get(rtype, f"type {rtype}")

    def classify(self, rtype: int) -> Kind:
        """What a relocation found in a code-style section computes (format.md 11.2)."""
        return Kind.UNSUPPORTED

    def field_size(self, rtype: int) -> int:
        """Bytes that `write` reads and changes at the place (for the bounds check)."""
        return 4

    def implicit_addend(self, buf: bytearray, off: int, rtype: int) -> int:
        """The addend stored in the patched bytes (REL machines); 0 for RELA."""
        return 0

    def write(self, buf: bytearray, off: int, rtype: int, value: int) -> None:
        """Pack `value` (already S/A/P/G-computed) into the field at `buf[off]`."""
        raise NotImplementedError

    def trampoline(self, target: int) -> bytes:
        """Encoding of a jump at text offset 0 to `target` (format.md 10.7); `FieldRange` if it cannot reach."""
        raise NotImplementedError

    # -- hooks for the machines whose relocations are more than compute-and-pack --------
    def take_section(self, state: Any, section: Section) -> None:
        """Receive an input section matched by `side_section_prefixes`."""
        raise NotImplementedError

    def prepare(self, ctx: LinkView, state: Any) -> None:
        """Before layout, after the generic GOT entries exist (xtensa: literal pools)."""

    def extra_sections(self, ctx: LinkView, state: Any) -> list[Section]:
        """Sections the family adds after the GOT (xtensa: LIT), already built."""
        return []

    def finish_layout(self, ctx: LinkView, state: Any) -> None:
        """After the GOT words are written (xtensa: fill LIT)."""

    def remember(self, state: Any, reloc: Reloc, value: int) -> None:
        """See each computed value (RISC-V: HI20 values for the LO12 that follows)."""

    def apply_special(self, ctx: LinkView, state: Any, reloc: Reloc) -> None:
        """Apply a relocation classified `Kind.SPECIAL`."""
        raise NotImplementedError

    def sections_to_scan(self, state: Any) -> list[Section]:
        """Side sections whose relocations name undefined symbols too (for messages)."""
        return []
