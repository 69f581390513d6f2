"""The GOT: which entries exist, their order and values (format.md 10.5).

Natmod code is position independent: every address that is not PC-relative goes
through a GOT word that the loader relocates.  Entries are created in relocation
order, sorted stably by kind (firmware, text, rodata, bss) once addresses are known,
and each one yields a record of the run-time relocation stream.
"""

from __future__ import annotations

from ..errors import LinkError
from .context import (
    DEST_SLOT0,
    EXT_TYPE_SLOT,
    IMAGE_DEST,
    PSEUDO_DEST,
    SLOT_MEMMOVE,
    SLOT_MEMSET,
    GotEntry,
    LinkContext,
    Section,
    Symbol,
    got_key,
)

_GOT_SYMBOL_TYPES = ("STT_NOTYPE", "STT_FUNC", "STT_OBJECT")


def collect_got(ctx: LinkContext) -> None:
    """Create GOT entries from GOT-creating relocations, then let the family add its own.

    A family that builds GOT words from something else (literal pools) does
    that in `prepare`, with its own per-link state.
    """
    _collect_from_relocs(ctx)
    ctx.arch.family.prepare(ctx, ctx.arch_state)


def _collect_from_relocs(ctx: LinkContext) -> None:
    types = ctx.arch.family.got_types
    for section in ctx.sections:
        for reloc in section.relocs:
            if reloc.type not in types:
                continue
            sym = reloc.sym
            if sym.bind not in ("STB_GLOBAL", "STB_WEAK"):
                if not ctx.arch.family.local_got_type(reloc.type):
                    continue  # side-effect types (PC32, data words): only globals get (unused) entries
            _check_got_symbol(sym, section)
            key = got_key(sym)
            if key not in ctx.got:
                ctx.got[key] = GotEntry(name=key, symbol=sym)


def _check_got_symbol(sym: Symbol, section: Section) -> None:
    if sym.bind in ("STB_GLOBAL", "STB_WEAK") and sym.type not in _GOT_SYMBOL_TYPES:
        kind = "thread-local" if sym.type == "STT_TLS" else sym.type
        raise LinkError(f"{section.label}: {sym.display()}: {kind} symbols cannot be reached through the GOT")


def add_got_sections(ctx: LinkContext) -> None:
    """Create the GOT (and the family's extra sections) and put them where the arch wants them."""
    got = ctx.internal_section("GOT", len(ctx.got) * ctx.word, ctx.word)
    ctx.got_section = got
    extra = ctx.arch.family.extra_sections(ctx, ctx.arch_state)
    if ctx.arch.got_first:
        ctx.sections[0:0] = [got, *extra]
    else:
        ctx.sections.extend([got, *extra])


def _sort_key(section_name: str) -> int:
    key = 0
    if section_name.startswith(".external"):
        key += 1
    if section_name.startswith(".text"):
        key += 2
    if section_name.startswith((".rodata", ".data.rel.ro")):
        key += 3
    if section_name.startswith(".bss"):
        key += 4
    return key


def populate_got(ctx: LinkContext) -> None:
    """Compute every GOT word after layout, sort the entries and emit their records."""
    for entry in ctx.got.values():
        _value_of(ctx, entry)
    ctx.got_order = sorted(ctx.got.values(), key=lambda e: _sort_key(e.section_name))
    got = ctx.got_section
    assert got is not None
    ctx.log(2, f"GOT: {got.addr:08x}")
    for i, entry in enumerate(ctx.got_order):
        entry.offset = i * ctx.word
        ctx.log(2, f"  {entry.offset:08x} {entry.name} -> {entry.section_name}+{entry.value:08x}")
        bits = 8 * ctx.word
        if not -(1 << (bits - 1)) <= entry.value < (1 << bits):  # never truncated silently
            raise LinkError(
                f"{entry.symbol.label}: the GOT word of {entry.name} would be {entry.value:#x}, which does not "
                f"fit the {ctx.word}-byte words of --arch {ctx.arch.name}; check its --externs address"
            )
        ctx.text[got.addr + entry.offset : got.addr + entry.offset + ctx.word] = (
            entry.value & ((1 << bits) - 1)
        ).to_bytes(ctx.word, "little")
        if entry.dest is not None:
            ctx.records.append((0, got.addr + entry.offset, entry.dest))
    ctx.arch.family.finish_layout(ctx, ctx.arch_state)


def _value_of(ctx: LinkContext, entry: GotEntry) -> None:
    sym = entry.symbol.target()
    name = sym.name
    if sym.fixed is not None and sym.section is None:
        entry.section_name, entry.value, entry.dest = ".external.fixed_addr", sym.fixed + entry.addend, None
        return
    if name in ctx.externs:
        entry.section_name, entry.value, entry.dest = ".external.fixed_addr", ctx.externs[name], None
        return
    if name in ("memset", "memcpy", "memmove") and sym.bind != "STB_LOCAL":
        entry.section_name, entry.value = f".external.{name}", 0
        entry.dest = DEST_SLOT0 + (SLOT_MEMSET if name == "memset" else SLOT_MEMMOVE)
        return
    section = sym.section
    if section is None:
        raise LinkError(f"{sym.label}: {sym.display()} has no definition to put in the GOT")
    entry.section_name = section.name
    if section.pseudo:
        if section.name == EXT_TYPE_SLOT:
            if entry.initial or entry.addend:
                raise LinkError(f"{sym.label}: {name}+offset: firmware objects cannot be offset")
            entry.value, entry.dest = 0, DEST_SLOT0 + (sym.slot or 0)
        else:
            entry.value, entry.dest = entry.initial + entry.addend + sym.value, PSEUDO_DEST[section.name]
        return
    if section.stub_slot is not None:
        entry.value, entry.dest = section.addr + sym.value, IMAGE_DEST["text"]
        return
    entry.value = entry.initial + entry.addend + section.addr + sym.value
    entry.dest = IMAGE_DEST[section.image]
