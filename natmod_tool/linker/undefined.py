"""Undefined symbols as structured data, and the one-line message each front end prints.

Why structured: the fix depends on who asks.  The CLI user adds `-l libgcc.a` or
`--externs`, the SCons user sets `LINK_RUNTIME=1`, `LIBS=` or `EXTERNS=`.  The linker
raises `UndefinedSymbolError` with every missing name, the objects and functions that
use it and its hint (`linker/hints.py`); `str(error)` is the CLI's wording and
`error.message(fixes)` lets another front end choose its own.

A link of many objects against a libgcc that lacks a helper used everywhere used to
print one line of thousands of characters; names are grouped by symbol, each names
at most `MAX_REFERENCES` objects and says how many more, at most `MAX_SYMBOLS`
symbols are spelled out.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from ..errors import LinkError, one_line
from .hints import LIBC, MATHS, RUNTIME, UNSUPPORTED, Hint, classify

if TYPE_CHECKING:  # pragma: no cover
    from ..arch.base import ArchInfo
    from .context import LinkContext, Section, Symbol

MAX_REFERENCES = 3
MAX_USERS = 3
MAX_SYMBOLS = 8

#: where the ROM externs files named by `ArchInfo.rom_externs` are shipped
DATA_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data")


def rom_externs_file(arch: ArchInfo) -> str | None:
    """The shipped `--externs` file of the arch's firmware ROM, if it has one."""
    return os.path.join(DATA_DIR, arch.rom_externs) if arch.rom_externs else None


@lru_cache(maxsize=4)
def rom_symbols(path: str) -> dict[str, int]:
    """The fixed addresses of a ROM externs file shipped with natmod_tool."""
    from pathlib import Path

    from .externs import parse_externs

    return parse_externs(path, Path(path).read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Reference:
    """One object that uses an undefined name, and the functions/variables that do."""

    label: str
    users: tuple[str, ...]


@dataclass(frozen=True)
class Undefined:
    """One undefined name with everything a message needs."""

    name: str
    references: tuple[Reference, ...]
    hint: Hint | None
    rom: str | None = None  # the shipped ROM externs file that has it (`ArchInfo.rom_externs`)


@dataclass(frozen=True)
class Fixes:
    """How a front end words the way out, per kind of missing name."""

    generic: str  # a name nobody defines
    runtime: str  # a compiler support routine (libgcc)
    maths: str  # a <math.h> function
    rom: str  # a routine the firmware's ROM has ({rom} is the externs file)


def cli_fixes(arch: ArchInfo) -> Fixes:
    """The CLI's wording: its own flags, with the compiler command for this arch."""
    from ..toolchains import toolchain

    facts = toolchain(arch.name)
    cc = " ".join([facts.gcc, *facts.cflags])
    return Fixes(
        generic="define them, add the library that has them with -l, or list them in --externs",
        runtime=f"link the compiler's libgcc: -l $({cc} -print-libgcc-file-name)",
        maths=f"link a maths library with --math-lib, e.g. --math-lib $({cc} -print-file-name=libm.a)",
        rom=f"the {arch.rom_name} ROM has it: add --externs {{rom}}",
    )


def _describe(item: Undefined, fixes: Fixes) -> str:
    refs = item.references
    if len(refs) == 1:
        users = refs[0].users
        shown = ", ".join(users[:MAX_USERS]) + (", ..." if len(users) > MAX_USERS else "")
        text = f"{refs[0].label}: undefined symbol: {item.name}" + (f" (used in {shown})" if users else "")
    else:
        parts = []
        for ref in refs[:MAX_REFERENCES]:
            users = "/".join(ref.users[:2]) + ("/..." if len(ref.users) > 2 else "")
            parts.append(f"{users} in {ref.label}" if users else ref.label)
        more = len(refs) - MAX_REFERENCES
        listed = ", ".join(parts) + (f" and {more} more object{'s' if more > 1 else ''}" if more > 0 else "")
        text = f"undefined symbol: {item.name} (used in {listed})"
    hint = item.hint
    if hint is None:
        return text
    if hint.kind == RUNTIME and item.rom:
        return f"{text}: {hint.text}: {fixes.rom.format(rom=item.rom)}"
    if hint.kind == RUNTIME:
        return f"{text}: {hint.text}: {fixes.runtime}"
    if hint.kind == MATHS:
        return f"{text}: {hint.text}: {fixes.maths}"
    assert hint.kind in (LIBC, UNSUPPORTED)
    return f"{text}: {hint.text}"


class UndefinedSymbolError(LinkError):
    """Some names are defined nowhere; `symbols` lists them, hinted ones first."""

    def __init__(self, symbols: Iterable[Undefined], arch: ArchInfo) -> None:
        self.symbols = tuple(sorted(symbols, key=lambda s: s.hint is None))
        self.arch = arch
        super().__init__(self.message(cli_fixes(arch)))

    def __reduce__(self) -> tuple[type, tuple[str]]:
        """Pickled (e.g. from a worker process) as the plain LinkError it prints as."""
        return (LinkError, (str(self),))

    def message(self, fixes: Fixes) -> str:
        """The one-line message with `fixes`' wording."""
        shown = [_describe(item, fixes) for item in self.symbols[:MAX_SYMBOLS]]
        more = len(self.symbols) - MAX_SYMBOLS
        text = "; ".join(shown)
        if more > 0:
            text += f"; and {more} more undefined symbol{'s' if more > 1 else ''}"
        if any(item.hint is None for item in self.symbols):
            text += f" ({fixes.generic})"
        return one_line(text)


# -- who uses a name ------------------------------------------------------------------


def _names_at(section: Section, offset: int, code_mask: int) -> list[str]:
    """The functions/variables of `section` that cover `offset`.

    A function's symbol value may carry an instruction-set bit (bit 0 on some,
    `Family.code_address_mask`): its code starts lower.
    """
    found = []
    for s in section.named:
        start = s.value & code_mask if s.type == "STT_FUNC" else s.value
        if start <= offset < start + max(s.elf.size, 1):
            found.append(s.name)
    return found


def _users(ctx: LinkContext, missing: set[int]) -> dict[int, list[str]]:
    """For each missing Symbol (by id), the functions/variables whose relocations name it.

    Code may reach a function through a side section of its family (a literal
    pool): the relocation naming it is in the side section, and the function is the
    one whose code loads that word.
    """
    family = ctx.arch.family
    mask = family.code_address_mask
    side = family.sections_to_scan(ctx.arch_state)
    side_ids = {id(section) for section in side}
    loads: dict[tuple[int, int], list[tuple[Section, int]]] = {}
    for section in ctx.sections:
        for reloc in section.relocs:
            target = reloc.sym.section
            if target is not None and reloc.sym.type == "STT_SECTION" and id(target) in side_ids:
                key = (id(target), reloc.sym.value + reloc.addend)
                loads.setdefault(key, []).append((section, reloc.offset))
    found: dict[int, list[str]] = {}
    for section in [*ctx.sections, *side]:
        for reloc in section.relocs:
            if id(reloc.sym) not in missing:
                continue
            if id(section) in side_ids:
                names = [n for s, off in loads.get((id(section), reloc.offset), []) for n in _names_at(s, off, mask)]
            else:
                names = _names_at(section, reloc.offset, mask)
            bucket = found.setdefault(id(reloc.sym), [])
            bucket += [n for n in names if n not in bucket]
    return found


def undefined_error(ctx: LinkContext, symbols: list[Symbol]) -> UndefinedSymbolError:
    """Group the unresolvable symbols by name (first-use order) into one error."""
    users = _users(ctx, {id(s) for s in symbols})
    by_name: dict[str, list[Reference]] = {}
    for sym in symbols:
        refs = by_name.setdefault(sym.name, [])
        names = tuple(users.get(id(sym), ()))
        for i, ref in enumerate(refs):
            if ref.label == sym.label:  # the same object listed twice (weak + strong use)
                refs[i] = Reference(ref.label, ref.users + tuple(n for n in names if n not in ref.users))
                break
        else:
            refs.append(Reference(sym.label, names))
    rom_file = rom_externs_file(ctx.arch)
    rom = rom_symbols(rom_file) if rom_file else {}
    items = [
        Undefined(name, tuple(refs), classify(name), rom_file if name in rom else None)
        for name, refs in by_name.items()
    ]
    return UndefinedSymbolError(items, ctx.arch)
