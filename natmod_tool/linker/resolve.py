"""Symbol resolution: archives, firmware objects, fixed addresses and mem* stubs (format.md 10.2, 10.4, 10.8).

Archive members are pulled in a fixed, documented order (the reference's order
depends on Python's string hashing): the work list starts with the global names the
command-line objects reference but none of them defines, in order of first appearance,
and each pulled member appends the names it needs that are still undefined, in its
symbol-table order; the list is processed first-in first-out.  Archives are searched in
`-l` order, all of them for every name (like GNU ld's `--start-group`), then the maths
libraries (`--math-lib`, for `<math.h>` names only).  As in GNU ld, a member is pulled
only for a name undefined at that point: a module that defines `__errno` itself never
pulls a library's.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence

from ..errors import LinkError
from .archive import Archive, Member, analyse
from .context import (
    EXT_FUN_TABLE,
    EXT_OBJ_TABLE,
    EXT_QSTR_TABLE,
    EXT_TYPE_SLOT,
    SLOT_MEMMOVE,
    SLOT_MEMSET,
    TYPE_SLOTS,
    LinkContext,
    Section,
    Symbol,
)
from .hints import is_maths
from .undefined import undefined_error

MEM_FUNCTIONS = {"memset": "memset", "memcpy": "memmove", "memmove": "memmove"}


def pull_members(
    ctx: LinkContext, archives: Sequence[Archive], math_archives: Sequence[Archive] = ()
) -> list[tuple[Archive, Member]]:
    """Choose the archive members that provide undefined names, transitively.

    `math_archives` (a libm, or a libc that holds libm) come after `archives` and are
    searched only for `<math.h>` names, and for whatever their own members need: a
    natmod then gets the same maths on every arch and never a C library's `printf` or
    `malloc` by accident (linker/hints.py has what to use instead).
    """
    own = ctx.definitions  # the objects' own definitions (weak ones too) are never replaced
    math_ids = {id(a) for a in math_archives}
    searched = [*archives, *math_archives]
    # (name, free): free names may come from any archive, others not from math_archives
    work: deque[tuple[str, bool]] = deque(
        (name, False)
        for name in dict.fromkeys(s.name for s in ctx.unresolved if s.bind == "STB_GLOBAL" and s.name not in own)
    )
    provided: dict[str, tuple[Archive, Member]] = {}
    pulled: list[tuple[Archive, Member]] = []
    pulled_ids: set[int] = set()
    duplicate_ok = ctx.arch.family.duplicate_ok_prefixes
    while work:
        name, free = work.popleft()
        if name in provided:
            continue
        found = next(
            (
                (a, a.index[name])
                for a in searched
                if name in a.index and (free or id(a) not in math_ids or is_maths(name))
            ),
            None,
        )
        if found is None:
            continue
        archive, member = found
        if id(member) in pulled_ids:
            continue
        pulled_ids.add(id(member))
        analyse(archive.label, member)
        pulled.append((archive, member))
        for defined in member.defines:
            if defined in provided and not defined.startswith(duplicate_ok):
                if defined in member.weak:
                    continue
                other_archive, other = provided[defined]
                if defined not in other.weak:
                    raise LinkError(
                        f"duplicate symbol: {defined} (defined in {other_archive.label}:{other.name} "
                        f"and {archive.label}:{member.name})"
                    )
            provided[defined] = (archive, member)
        from_math = id(archive) in math_ids
        for needed in member.needs:
            if needed in member.weak:
                continue
            if needed not in provided and needed not in own:
                work.append((needed, from_math))
    return pulled


def _pseudo(name: str) -> Section:
    return Section(name=name, data=bytearray(), align=1, label="<firmware>", pseudo=True)


def resolve_symbols(ctx: LinkContext) -> None:
    """Bind every undefined symbol (format.md 10.4); report all failures at once."""
    pseudo = {n: _pseudo(n) for n in (EXT_FUN_TABLE, EXT_QSTR_TABLE, EXT_OBJ_TABLE, EXT_TYPE_SLOT)}
    missing: list[Symbol] = []
    for sym in ctx.unresolved:
        name = sym.name
        if name == "_GLOBAL_OFFSET_TABLE_":
            continue
        if name == "mp_fun_table":
            sym.section = pseudo[EXT_FUN_TABLE]
        elif name == "mp_native_qstr_table":
            sym.section = pseudo[EXT_QSTR_TABLE]
        elif name == "mp_native_obj_table":
            sym.section = pseudo[EXT_OBJ_TABLE]
        elif name in ctx.definitions:
            sym.resolved = ctx.definitions[name]
        elif name in ctx.externs:
            sym.fixed = ctx.externs[name]
        elif name in TYPE_SLOTS:
            sym.section = pseudo[EXT_TYPE_SLOT]
            sym.slot = TYPE_SLOTS[name]
        elif name in MEM_FUNCTIONS:
            sym.section = _mem_stub(ctx, MEM_FUNCTIONS[name])
        elif sym.bind == "STB_WEAK":
            sym.fixed = 0  # an unresolved weak reference is a null address
        else:
            missing.append(sym)
    for name, address in ctx.externs.items():
        if name in ctx.definitions:
            ctx.log(
                1,
                f"Symbol {name} is a fixed-address symbol at {address:08x} and is also provided from an object file",
            )
    if missing:
        raise undefined_error(ctx, missing)


def _mem_stub(ctx: LinkContext, canonical: str) -> Section | None:
    """The shared stub that jumps through fun-table slot 50/51; inserted at position 1."""
    name = f".internal.{canonical}"
    for section in ctx.sections:
        if section.name == name:
            return section
    stub = ctx.arch.family.stub
    if stub is None:
        return None  # a family without stubs reaches these functions only through the GOT
    code, pointer = stub
    section = Section(
        name=name,
        data=bytearray(code),
        align=ctx.word,
        label="<internal>",
        stub_slot=SLOT_MEMSET if canonical == "memset" else SLOT_MEMMOVE,
        stub_pointer=pointer,
    )
    ctx.sections.insert(1, section)
    return section
