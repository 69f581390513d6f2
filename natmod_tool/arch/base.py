"""What every architecture module provides: a table of facts and a `Family` of handlers.

The generic linker (layout, GOT, relocation stream) never tests an ARCH name; it asks
the `ArchInfo` of the target for facts and delegates instruction patching, trampolines
and stubs to the family object.  Adding an architecture means adding one module in
this package that builds `ArchInfo` entries and registering it in `__init__.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:  # pragma: no cover
    from ..linker.context import LinkContext, Reloc


@dataclass(frozen=True)
class ArchInfo:
    """Facts about one `--arch` value (spec section 2)."""

    name: str
    number: int  # native arch number in the .mpy header
    word_size: int  # W
    elf_machine: str  # pyelftools e_machine name, e.g. "EM_ARM"
    elf_class: int  # 32 or 64
    text_alignments: tuple[int, ...]  # `.text` alignments that raise no warning
    family: Family
    supports_arch_flags: bool = False
    rodata_in_text: bool = True  # False: .rodata/.data.rel.ro form a separate rodata image
    got_first: bool = False  # xtensa: GOT and LIT lead the section list


class Family:
    """Relocation handlers and code snippets shared by the arches of one ELF machine.

    Subclasses set the class attributes and implement the hooks; see the module
    docstrings of x86.py, arm.py, xtensa.py and riscv.py for each machine's essay.
    """

    #: relocation type numbers that create GOT entries (spec 10.5.1)
    got_types: ClassVar[frozenset[int]] = frozenset()
    #: relocation type numbers for data words in `.data.rel.ro*` (spec 11.4)
    data_types: ClassVar[frozenset[int]] = frozenset()
    #: relocation types whose value is a distance from the code (S - P, S - GOT): their
    #: targets must be in the text image (spec 11.2 (a), (e) and RISC-V PC-relative)
    direct_types: ClassVar[frozenset[int]] = frozenset()
    #: memset/memmove stub bytes and offset of the pointer word (spec 10.8); None: no stubs
    stub: ClassVar[tuple[bytes, int] | None] = None

    #: relocation type names, for messages
    names: ClassVar[dict[int, str]] = {}

    def local_got_type(self, rtype: int) -> bool:
        """Whether a GOT-creating type against a *local* symbol needs an entry.

        True GOT accesses do (the reference crashes on them); the reference's side
        effect types (x86 PC32, RISC-V data words) only create entries for globals.
        """
        return False

    def collect_got(self, ctx: LinkContext) -> None:
        """Create GOT entries before layout (spec 10.5.1); xtensa overrides this."""
        from ..linker.got import collect_got

        collect_got(ctx)

    def reloc_name(self, rtype: int) -> str:
        """Human name of a relocation type, for error messages."""
        return self.names.get(rtype, f"type {rtype}")

    def trampoline(self, target: int) -> bytes:
        """Encoding of a jump at text offset 0 to `target` (spec 10.7)."""
        raise NotImplementedError

    def apply_code(self, ctx: LinkContext, reloc: Reloc) -> None:
        """Apply one relocation found in a code-style section (spec 11.2)."""
        raise NotImplementedError
