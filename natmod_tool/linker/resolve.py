"""Symbol resolution: archives, firmware objects, fixed addresses and mem* stubs (spec 10.2, 10.4, 10.8).

Archive members are pulled in a fixed, documented order (the reference's order
depends on Python's string hashing): the work list starts with the global names the
command-line objects reference but none of them defines, in order of first appearance,
and each pulled member appends the names it needs that are still undefined, in its
symbol-table order; the list is processed first-in first-out.  Archives are searched in
`-l` order, all of them for every name (like GNU ld's `--start-group`).  As in GNU ld, a
member is pulled only for a name undefined at that point: a module that defines
`__errno` itself never pulls a library's.
"""

from __future__ import annotations

from collections import deque

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
)

#: Symbols that mean "this code expects a C/C++ runtime natmods do not have", with the way out.
_RUNTIME_HINTS = {
    "__cxa_atexit": "a static object has a destructor, which needs a C++ runtime; make it trivially destructible",
    "atexit": "exit-time handlers need a C runtime; natmods have none",
    "__dso_handle": "a static object has a destructor, which needs a C++ runtime; make it trivially destructible",
    "__cxa_pure_virtual": "a pure virtual function is called through a vtable; compile with the natmod C++ flags",
    "__gxx_personality_v0": "C++ exceptions need a runtime; compile with -fno-exceptions",
    "_Unwind_Resume": "C++ exceptions need a runtime; compile with -fno-exceptions",
    "__cxa_guard_acquire": "thread-safe statics need a runtime; compile with -fno-threadsafe-statics",
    "__errno": "the C library's errno: link a definition of `int *__errno(void)` (the SCons LINK_RUNTIME does)",
    "errno": "the C library's thread-local errno (glibc, picolibc) cannot be linked into a natmod",
    "_dl_x86_cpu_features": "glibc's libm picks its code at load time (IFUNC) and cannot be linked into a natmod",
}

MEM_FUNCTIONS = {"memset": "memset", "memcpy": "memmove", "memmove": "memmove"}


def pull_members(ctx: LinkContext, archives: list[Archive]) -> list[tuple[Archive, Member]]:
    """Choose the archive members that provide names still undefined, transitively."""
    own = ctx.definitions  # the objects' own definitions (weak ones too) are never replaced
    work: deque[str] = deque(
        dict.fromkeys(s.name for s in ctx.unresolved if s.bind == "STB_GLOBAL" and s.name not in own)
    )
    provided: dict[str, tuple[Archive, Member]] = {}
    pulled: list[tuple[Archive, Member]] = []
    pulled_ids: set[int] = set()
    while work:
        name = work.popleft()
        if name in provided:
            continue
        found = next(((a, a.index[name]) for a in archives if name in a.index), None)
        if found is None:
            continue
        archive, member = found
        if id(member) in pulled_ids:
            continue
        pulled_ids.add(id(member))
        analyse(archive.label, member)
        pulled.append((archive, member))
        for defined in member.defines:
            if defined in provided and not defined.startswith("__x86.get_pc_thunk."):
                if defined in member.weak:
                    continue
                other_archive, other = provided[defined]
                if defined not in other.weak:
                    raise LinkError(
                        f"duplicate symbol: {defined} (defined in {other_archive.label}:{other.name} "
                        f"and {archive.label}:{member.name})"
                    )
            provided[defined] = (archive, member)
        for needed in member.needs:
            if needed in member.weak:
                continue
            if needed not in provided and needed not in own:
                work.append(needed)
    return pulled


def _pseudo(name: str) -> Section:
    return Section(name=name, data=bytearray(), align=1, label="<firmware>", pseudo=True)


def resolve_symbols(ctx: LinkContext) -> None:
    """Bind every undefined symbol (spec 10.4); report all failures at once."""
    pseudo = {n: _pseudo(n) for n in (EXT_FUN_TABLE, EXT_QSTR_TABLE, EXT_OBJ_TABLE, EXT_TYPE_SLOT)}
    errors: list[str] = []
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
        elif name in _RUNTIME_HINTS:
            errors.append(f"{sym.label}: undefined symbol: {name}: {_RUNTIME_HINTS[name]}")
        elif name.startswith("__emutls_") or name.endswith("__tls_get_addr"):
            errors.append(f"{sym.label}: undefined symbol: {name}: thread-local storage is not supported in natmods")
        else:
            errors.append(f"{sym.label}: undefined symbol: {name}")
    for name, address in ctx.externs.items():
        if name in ctx.definitions:
            ctx.log(
                1,
                f"Symbol {name} is a fixed-address symbol at {address:08x} and is also provided from an object file",
            )
    if errors:
        unique = list(dict.fromkeys(errors))
        hint = "define them, add the library that has them with -l, or list them in --externs"
        raise LinkError(f"{'; '.join(unique)} ({hint})")


def _mem_stub(ctx: LinkContext, canonical: str) -> Section | None:
    """The shared stub that jumps through fun-table slot 50/51; inserted at position 1."""
    name = f".internal.{canonical}"
    for section in ctx.sections:
        if section.name == name:
            return section
    stub = ctx.arch.family.stub
    if stub is None:
        return None  # xtensa: these functions are only reached through the GOT
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
