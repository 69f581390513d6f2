"""Applying relocations: the driver and the arch-neutral computations (format.md 11).

The family says what a relocation type computes (`classify` -> `Kind`), where its
addend is (`implicit_addend`) and how the value is packed (`write`); this module
walks the sections, computes S, A, P and G and the data words, and checks what the
native format cannot express (a PC-relative reference into BSS or into a separately
loaded rodata image, or to a firmware object that only exists at run time).  It
never names an arch: `tests/test_arch_names.py` keeps it that way.
"""

from __future__ import annotations

from ..arch.base import Kind
from ..arch.fields import FieldRange
from ..errors import LinkError
from .context import DEST_SLOT0, EXT_TYPE_SLOT, IMAGE_DEST, PSEUDO_DEST, LinkContext, Reloc, Section


def apply_all(ctx: LinkContext) -> None:
    """Walk the final section list and apply every relocation (format.md 11.1)."""
    family = ctx.arch.family
    for section in ctx.sections:
        if section.stub_slot is not None:
            ctx.log(3, f"{section.label}: {section.name} relocations via unknown:")
            ctx.record(section, section.addr + section.stub_pointer, DEST_SLOT0 + section.stub_slot)
            continue
        if not section.relocs:
            continue
        ctx.log(3, f"{section.label}: {section.name} relocations via {section.reloc_source}:")
        if section.name.startswith((".text", ".rodata")):
            for reloc in section.relocs:
                apply_code(ctx, reloc)
        elif section.name.startswith(".data"):
            for reloc in section.relocs:
                if reloc.type not in family.data_types:
                    raise unsupported(ctx, reloc)
                apply_data(ctx, reloc)
        else:
            raise LinkError(f"{section.label}: {section.name}: relocations in this section are not supported")


def apply_code(ctx: LinkContext, reloc: Reloc) -> None:
    """One relocation in a code-style section: classify, compute S/A/P/G, let the family pack it."""
    family = ctx.arch.family
    kind = family.classify(reloc.type)
    if kind is Kind.IGNORE:
        return
    if kind is Kind.ABS_WORD or (kind is Kind.RODATA_WORD and reloc.section.name.startswith(".rodata")):
        apply_data(ctx, reloc)
        return
    if kind is Kind.SPECIAL:
        family.apply_special(ctx, ctx.arch_state, reloc)
        return
    if kind is Kind.UNSUPPORTED or kind is Kind.RODATA_WORD:
        raise unsupported(ctx, reloc)
    section, p = reloc.section, place_of(reloc)
    buf = ctx.image_of(section)
    ctx.check_bounds(section, p, family.field_size(reloc.type), buf)
    a = reloc.addend + family.implicit_addend(buf, p, reloc.type)
    addr, value = _compute(ctx, reloc, kind, a, p)
    family.remember(ctx.arch_state, reloc, value)
    try:
        family.write(buf, p, reloc.type, value)
    except FieldRange as exc:
        raise ctx.out_of_range(reloc, exc) from None
    ctx.log(3, f"  {p:08x} {reloc.sym.display()} -> {addr:08x}")


def _compute(ctx: LinkContext, reloc: Reloc, kind: Kind, a: int, p: int) -> tuple[int, int]:
    """(the address logged, the value to pack) for one of the computed kinds."""
    if kind is Kind.PC_REL:  # S + A - P
        addr = pc_relative_address(ctx, reloc)
        return addr, addr + a - p
    if kind is Kind.GOT_BASE:  # GOT + A - P
        if reloc.sym.name != "_GLOBAL_OFFSET_TABLE_":
            raise unsupported(ctx, reloc)
        addr = ctx.got_address()
        return addr, addr + a - p
    if kind is Kind.GOT_OFFSET:  # G + A
        addr = ctx.got_entry(reloc).offset
        return addr, addr + a
    if kind is Kind.GOT_PC_REL:  # GOT + G + A - P
        addr = got_slot_address(ctx, reloc)
        return addr, addr + a - p
    assert kind is Kind.GOT_REL  # S + A - GOT
    addr = local_address(ctx, reloc)
    return addr, addr + a - ctx.got_address()


def local_address(ctx: LinkContext, reloc: Reloc) -> int:
    """S of a GOT-relative reference: the symbol's own section (static BSS warns)."""
    sym = reloc.sym
    if sym.section is None:
        sym = sym.target()
    if sym.section is None or sym.section.pseudo:
        raise unsupported(ctx, reloc)
    if sym.section.image == "bss":
        ctx.warn_static_bss(reloc, sym)
    return sym.section.addr + sym.value


def pc_relative_address(ctx: LinkContext, reloc: Reloc) -> int:
    """S of a PC-relative reference, by the family's rule for static BSS."""
    if ctx.arch.family.pc_relative_bss_warns:
        return ctx.lenient_address(reloc)
    return direct_address(ctx, reloc)


def place_of(reloc: Reloc) -> int:
    """P: the image position of the patched bytes."""
    return reloc.section.addr + reloc.offset


def unsupported(ctx: LinkContext, reloc: Reloc) -> LinkError:
    """The error for a relocation type the native format cannot express."""
    return ctx.unsupported(reloc)


def direct_address(ctx: LinkContext, reloc: Reloc) -> int:
    """S for a direct (PC-relative) reference, with the checks of format.md 11.2 (a)."""
    sym = reloc.sym.target()
    target = sym.section
    if target is None:
        if sym.fixed is not None and sym.name in ctx.externs:
            raise LinkError(
                f"{reloc.section.label}: direct reference to fixed-address symbol {sym.name} from "
                f"{reloc.section.name}; PC-relative code cannot reach a fixed address: "
                "call it through a function pointer variable"
            )
        if sym.fixed is not None:
            raise LinkError(
                f"{reloc.section.label}: direct reference to undefined weak symbol {sym.name}; "
                "define it or test its address through a pointer"
            )
        raise LinkError(f"{reloc.section.label}: {sym.unbound_reason()}")
    if target.image == "rodata":
        raise LinkError(
            f"{sym.label}: fixed relocation to rodata with rodata referenced via GOT "
            f"({sym.display()} from {reloc.section.name})"
        )
    if target.image == "bss" and not target.pseudo:
        raise LinkError(
            f"{sym.label}: fixed relocation to bss (bss variables can't be static): "
            f"{target.names_at(sym.value if sym.type != 'STT_SECTION' else None)}; "
            "make the variable non-static or link with --writable-data"
        )
    if target.pseudo:
        raise LinkError(
            f"{sym.label}: fixed relocation to external symbol: {sym.name}; "
            "compile with -fpic so firmware objects are reached through the GOT"
        )
    return target.addr + sym.value


def got_slot_address(ctx: LinkContext, reloc: Reloc) -> int:
    """Image address of the GOT word for the relocation's symbol."""
    return ctx.got_address() + ctx.got_entry(reloc).offset


def apply_data(ctx: LinkContext, reloc: Reloc, section: Section | None = None) -> None:
    """A word holding an address (format.md 11.4): patch it and add a run-time relocation."""
    section = section or reloc.section
    word = ctx.word
    pos = place_of(reloc)
    if pos % word:
        raise LinkError(
            f"{section.label}: {section.name}+{reloc.offset:#x}: address word is not "
            f"{word}-byte aligned; the loader can only relocate aligned words"
        )
    sym = reloc.sym.target()
    target = sym.section
    name = sym.display()
    stored = ctx.read(section, pos, word)
    if stored >> (8 * word - 1):
        stored -= 1 << (8 * word)
    if target is None:
        if sym.fixed is None:
            raise LinkError(f"{reloc.section.label}: {sym.unbound_reason()}")
        value = stored + sym.fixed + reloc.addend  # absolute: no relocation
        if not -(1 << (8 * word - 1)) <= value < (1 << (8 * word)):
            raise LinkError(
                f"{reloc.section.label}: {section.name}+{reloc.offset:#x}: the address word of {name} would be "
                f"{value:#x}, which does not fit the {word}-byte words of --arch {ctx.arch.name}; "
                "check its --externs address"
            )
        ctx.write(section, pos, word, value)
        ctx.log(3, f"  {pos:08x} -> {name} {sym.fixed + reloc.addend:08x}")
        return
    if target.pseudo:
        if target.name == EXT_TYPE_SLOT:
            if reloc.addend or sym.value:
                raise LinkError(f"{reloc.section.label}: {name}+{reloc.addend}: firmware objects cannot be offset")
            ctx.log(3, f"  {pos:08x} -> {name} {0:08x}")
            ctx.record(section, pos, DEST_SLOT0 + (sym.slot or 0))
            return
        ctx.write(section, pos, word, stored + reloc.addend)
        ctx.log(3, f"  {pos:08x} -> {name} {reloc.addend:08x}")
        ctx.record(section, pos, PSEUDO_DEST[target.name])
        return
    addr = target.addr + sym.value + reloc.addend
    ctx.log(3, f"  {pos:08x} -> {name} {addr:08x}")
    ctx.write(section, pos, word, stored + addr)
    ctx.record(section, pos, IMAGE_DEST[target.image])
