"""Loading objects into a link: keep the sections a natmod can carry, bind symbols (format.md 10.1)."""

from __future__ import annotations

from ..errors import LinkError
from .context import LinkContext, Reloc, Section, Symbol
from .elf import MAX_SIZE, SHN_UNDEF, ElfObject

#: input sections the native format can carry (plus the family's side sections)
KEPT_PREFIXES = (".text", ".rodata", ".data", ".bss")


def canonical_name(name: str, aliases: tuple[tuple[str, str], ...]) -> str:
    """With the family's aliases, e.g. `.srodata.cst8` -> `.rodata.srodata.cst8`; others unchanged."""
    for prefix, usual in aliases:
        if name.startswith(prefix):
            return usual + name
    return name


def is_writable_data(name: str) -> bool:
    """`.data*` but not `.data.rel.ro*` (which is read-only after relocation)."""
    return name.startswith(".data") and not name.startswith(".data.rel.ro")


#: code the C/C++ runtime runs before main/after exit: a natmod has no such runtime
STARTUP_PREFIXES = (".init_array", ".preinit_array", ".fini_array", ".ctors", ".dtors")


def check_machine(ctx: LinkContext, obj: ElfObject) -> None:
    """Refuse objects of another machine, class or byte order, naming the file."""
    arch = ctx.arch
    if obj.machine != arch.elf_machine:
        raise LinkError(
            f"{obj.label}: incompatible arch: object is {obj.machine}, --arch {arch.name} "
            f"needs {arch.elf_machine}; compile it for {arch.name}"
        )
    if obj.elf_class != arch.elf_class:
        raise LinkError(
            f"{obj.label}: incompatible arch: {obj.elf_class}-bit ELF, --arch {arch.name} "
            f"needs {arch.elf_class}-bit objects"
        )
    if not obj.little_endian:
        raise LinkError(f"{obj.label}: big-endian object; every natmod arch is little-endian")
    if obj.elf_type != "ET_REL":
        raise LinkError(f"{obj.label}: not a relocatable object ({obj.elf_type}); give the .o files (gcc -c)")


def load_object(ctx: LinkContext, obj: ElfObject) -> None:
    """Add one object's sections and symbols to the link."""
    check_machine(ctx, obj)
    if obj.symbols is None:
        raise LinkError(f"{obj.label}: no symbol table (.symtab); do not strip objects before linking")
    family = ctx.arch.family
    side = family.side_section_prefixes
    kept_prefixes = (*side, *KEPT_PREFIXES)
    kept: dict[int, Section] = {}
    for sec in obj.sections:
        if sec.size and sec.name.startswith(STARTUP_PREFIXES) and sec.type != "SHT_NOBITS":
            raise LinkError(
                f"{obj.label}: {sec.name}: static constructors/destructors need a C++ runtime that natmods "
                "do not have; give global objects a constexpr constructor (or none), or create them in mpy_init"
            )
        if sec.type in ("SHT_PROGBITS", "SHT_NOBITS"):
            if sec.size == 0:
                continue
            name = canonical_name(sec.name, family.section_aliases)
            if is_writable_data(name) and not ctx.writable_data:
                raise LinkError(
                    f"{obj.label}: {sec.name} non-empty: initialised writable data; make it const or "
                    "zero-initialised, or link with --writable-data (the SCons tool does)"
                )
            if name.startswith(kept_prefixes):
                if sec.addr != 0:
                    raise LinkError(f"{obj.label}: section {sec.name} has a load address; give .o files")
                if sec.type == "SHT_NOBITS":
                    ctx.nobits_bytes += sec.size
                    if ctx.nobits_bytes > MAX_SIZE:
                        raise LinkError(
                            f"{obj.label}: section {sec.name} is implausibly large ({sec.size} bytes); "
                            "the object is damaged"
                        )
                data = bytearray(sec.data) if sec.type == "SHT_PROGBITS" else bytearray(sec.size)
                section = Section(name=name, data=data, align=sec.align, label=obj.label)
                kept[sec.index] = section
                if side and sec.name.startswith(side):
                    family.take_section(ctx.arch_state, section)
                else:
                    ctx.sections.append(section)
            elif sec.name.startswith((".tdata", ".tbss")):
                raise LinkError(f"{obj.label}: {sec.name}: thread-local storage is not supported in natmods")
        elif sec.type in ("SHT_REL", "SHT_RELA") and not 0 <= sec.info < len(obj.sections):
            raise LinkError(
                f"{obj.label}: {sec.name}: relocations for section index {sec.info}, the object has "
                f"{len(obj.sections)} sections; the object is damaged"
            )
        elif sec.type in ("SHT_REL", "SHT_RELA") and sec.info in kept:
            if sec.reloc_error:
                raise LinkError(f"{obj.label}: {sec.name}: {sec.reloc_error}")
            kept[sec.info].reloc_source = sec.name
    for s in obj.symbols:
        if isinstance(s.shndx, int) and not 0 <= s.shndx < len(obj.sections):
            raise LinkError(
                f"{obj.label}: symbol {s.name or s.index} names section index {s.shndx}, the object has "
                f"{len(obj.sections)} sections; the object is damaged"
            )
    symbols = [Symbol(elf=s, label=obj.label) for s in obj.symbols]
    for sec in obj.sections:
        if sec.type in ("SHT_REL", "SHT_RELA") and sec.info in kept and sec.index > sec.info:
            target = kept[sec.info]
            for r in sec.relocs:
                if r.sym >= len(symbols):
                    raise LinkError(
                        f"{obj.label}: {sec.name}: relocation at {r.offset:#x} names symbol "
                        f"index {r.sym}, outside the symbol table; the object is damaged"
                    )
                target.relocs.append(Reloc(elf=r, sym=symbols[r.sym], section=target))
    duplicates: list[str] = []
    for sym in symbols:
        shndx = sym.elf.shndx
        if isinstance(shndx, int) and shndx in kept:
            sym.section = kept[shndx]
            if sym.type in ("STT_OBJECT", "STT_FUNC") and sym.name:
                sym.section.named.append(sym)
            if sym.bind in ("STB_GLOBAL", "STB_WEAK") and sym.name:
                previous = ctx.definitions.get(sym.name)
                if previous is not None and not sym.name.startswith(family.duplicate_ok_prefixes):
                    # Weak definitions (C++ inline functions and template instances, or
                    # __attribute__((weak))) yield to a strong one, else the first wins;
                    # the reference refused every repeat.
                    if sym.bind == "STB_WEAK":
                        sym.resolved = previous  # references inside this object use the winner too
                        continue
                    previous.resolved = sym
                    if previous.bind != "STB_WEAK":
                        duplicates.append(
                            f"duplicate symbol: {sym.name} (defined in {previous.label} and {sym.label}; "
                            "make one of them static or rename it)"
                        )
                ctx.definitions[sym.name] = sym
        elif shndx == SHN_UNDEF and sym.bind in ("STB_GLOBAL", "STB_WEAK") and sym.name:
            ctx.unresolved.append(sym)
        elif isinstance(shndx, int) and 0 < shndx < len(obj.sections):
            sym.dropped_in = obj.sections[shndx].name
        elif shndx == "SHN_COMMON":
            raise LinkError(
                f"{obj.label}: {sym.name} is a COMMON symbol; compile with -fno-common (the natmod flags include it)"
            )
        elif sym.type == "STT_TLS" and sym.bind != "STB_LOCAL":
            raise LinkError(f"{obj.label}: {sym.name}: thread-local storage is not supported in natmods")
    if duplicates:
        raise LinkError("; ".join(duplicates))
