"""Section placement and the entry trampoline (format.md 10.6, 10.7).

Execution starts at text offset 0.  The reference computes the trampoline from
`mpy_init`'s offset inside its own section before layout, which is right only when
that section is laid out first.  We lay out first and jump to `mpy_init`'s final
address, trying gaps of one, two, ... alignments until the jump fits: identical bytes
whenever the reference is right, a working module when it is not.
"""

from __future__ import annotations

from ..arch.fields import FieldRange
from ..errors import LinkError
from .context import LinkContext, Section, Symbol
from .elf import MAX_SIZE


def _align(value: int, alignment: int) -> int:
    alignment = max(alignment, 1)
    return (value + alignment - 1) // alignment * alignment


def image_for(ctx: LinkContext, section: Section) -> str:
    """Which image holds a section (format.md 10.6, plus writable data; see docs/linker.md).

    Zero-initialised data goes to the bss image and initialised writable data
    (`.data*`) to the rodata image, which the loader allocates in RAM next to the
    bss.  Both are only reachable through the GOT or relocated words, so when code
    reaches a writable section PC-relatively (static variables) the section is put
    in the text image instead, at a fixed distance from the code.
    """
    name = section.name
    if name.startswith(".bss"):
        return "text" if section.pc_relative else "bss"
    if name.startswith(".data") and not name.startswith(".data.rel.ro"):
        return "text" if section.pc_relative else "rodata"
    if not ctx.arch.rodata_in_text and name.startswith((".rodata", ".data.rel.ro")):
        return "rodata"
    return "text"


def mark_pc_relative_data(ctx: LinkContext) -> None:
    """Find writable sections that code reaches PC-relatively (static variables)."""
    if not ctx.writable_data:
        return  # the reference's layout: static BSS stays in the bss image
    direct = ctx.arch.family.direct_types
    for section in ctx.sections:
        if not section.name.startswith((".text", ".rodata")):
            continue
        for reloc in section.relocs:
            if reloc.type not in direct:
                continue
            target = reloc.sym.target().section
            if target is None or target.pseudo:
                continue
            if target.name.startswith(".bss") or (
                target.name.startswith(".data") and not target.name.startswith(".data.rel.ro")
            ):
                target.pc_relative = True


def place(ctx: LinkContext, gap: int) -> None:
    """Assign addresses with a trampoline of `gap` bytes at the start of text (no bytes yet)."""
    sizes = {"text": gap, "rodata": 0, "bss": 0}
    for section in ctx.sections:
        image = image_for(ctx, section)
        section.image = image
        section.addr = _align(sizes[image], section.align)
        sizes[image] = section.addr + section.size
        if sizes[image] > MAX_SIZE:
            raise LinkError(
                f"{section.label}: section {section.name} (size {section.size:#x}, alignment {section.align}) "
                f"ends beyond the {MAX_SIZE >> 20} MiB limit of the {image} image; the object is damaged"
            )


def build_images(ctx: LinkContext, trampoline: bytes) -> None:
    """Fill the text and rodata images and the bss size from the placed sections."""
    ctx.text = bytearray(trampoline)
    ctx.rodata = bytearray()
    bss = 0
    for section in ctx.sections:
        if section.image == "bss":
            bss = section.addr + section.size
            continue
        buf = ctx.text if section.image == "text" else ctx.rodata
        buf.extend(bytes(section.addr - len(buf)))
        buf.extend(section.data)
    ctx.bss_size = bss


def entry_alignment_warning(ctx: LinkContext, entry: Symbol) -> None:
    align = entry.section.align if entry.section else 0
    if align not in ctx.arch.text_alignments:
        message = (
            f"A .text section with an alignment of {align} bytes for {ctx.arch.elf_machine} "
            "is not tested and may not work"
        )
        ctx.warnings.append(message)
        ctx.log(1, message)


def static_data_warning(ctx: LinkContext) -> None:
    """One warning per link when writable data went to the text image of such an arch.

    Per link, not per object or variable: the user decides once per module whether it
    targets those boards, and the names say what to change.
    """
    boards = ctx.arch.write_protected_code
    placed = [section for section in ctx.sections if section.pc_relative and section.image == "text"]
    if boards is None or not placed:
        return
    names = list(dict.fromkeys(sym.name for section in placed for sym in section.named or [section]))
    listed = ", ".join(names[:3]) + (", ..." if len(names) > 3 else "")
    ctx.warn(
        f"static data ({listed}) is placed next to the code: {boards} run {ctx.arch.name} code from memory "
        "they cannot write, so this module fails there; for those boards make the variables non-static "
        "(globals live in RAM)"
    )


def layout_with_trampoline(ctx: LinkContext, entry: Symbol) -> None:
    """Lay out all sections and write the jump to `mpy_init` at text offset 0."""
    section = entry.section
    assert section is not None
    step = max(section.align, 1)
    place(ctx, 0)
    if section.image == "text" and section.addr + entry.value == 0:
        ctx.log(2, "mpy_init is the first symbol in the .text segment, do not emit trampoline")
        build_images(ctx, b"")
        return
    family = ctx.arch.family
    gap = step
    while True:  # every encoding is at most 8 bytes, so this ends
        place(ctx, gap)
        target = section.addr + entry.value
        ctx.log(
            2,
            f"Generating trampoline jumping to mpy_init at address {target:08x} to fit in {gap} byte(s)",
        )
        try:
            code = family.trampoline(target)
        except FieldRange as exc:
            raise LinkError(
                f"{entry.label}: mpy_init is at text offset {target:#x}, beyond the entry jump's reach "
                f"({exc.what}: {exc.low:+#x}..{exc.high:+#x}); jumps that long are not supported"
            ) from None
        if len(code) <= gap:
            build_images(ctx, code + bytes(gap - len(code)))
            return
        gap += step
