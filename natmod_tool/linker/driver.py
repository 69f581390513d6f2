"""`link()`: the whole link, in the order of format.md section 10.0.

The function is pure with respect to the process: it reads the files it is given,
never the working directory's other contents, never writes anything, and keeps no
state between calls except the parsed-archive cache.  The SCons tool calls it
in-process for every module and arch.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Union

from ..arch import get_arch, parse_arch_flags
from ..errors import LinkError, NatmodError
from ..mpy.format import ARCH_FLAG_BITS, ARCH_FLAG_MASK
from ..mpy.writer import encode_native_mpy
from .archive import Archive, load_archive
from .context import LinkContext
from .elf import parse_object
from .externs import parse_externs
from .got import add_got_sections, collect_got, populate_got
from .layout import entry_alignment_warning, layout_with_trampoline, mark_pc_relative_data, static_data_warning
from .libs import expand_libs
from .load import load_object
from .relocate import apply_all
from .resolve import pull_members, resolve_symbols

ObjectInput = Union[str, "os.PathLike[str]", tuple[str, bytes]]


@dataclass
class LinkResult:
    """The linked module and the figures users ask about."""

    mpy: bytes
    arch: str
    text_size: int
    rodata_size: int
    bss_size: int
    got_entries: int
    reloc_count: int
    qstr_count: int
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One line for build logs and `SIZE=1`."""
        return (
            f"text={self.text_size} rodata={self.rodata_size} bss={self.bss_size} "
            f"got={self.got_entries} relocs={self.reloc_count}"
        )


def _read_input(item: ObjectInput) -> tuple[str, bytes]:
    if isinstance(item, tuple):
        return item
    label = os.fspath(item)
    try:
        return label, Path(label).read_bytes()
    except OSError as exc:
        raise LinkError(f"{label}: cannot read object ({exc.strerror})") from None


def _read_text(path: str | os.PathLike[str], what: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise LinkError(f"{os.fspath(path)}: cannot read {what} ({exc.strerror})") from None


def link(
    objects: Sequence[ObjectInput],
    arch: str,
    *,
    qstrs: str | os.PathLike[str] | None = None,
    qstr_names: Sequence[str] | None = None,
    libs: Sequence[str | os.PathLike[str]] = (),
    math_libs: Sequence[str | os.PathLike[str]] = (),
    externs: str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | None = None,
    arch_flags: str | int | None = None,
    source_name: str | None = None,
    static_qstr_ids: Mapping[str, int] | None = None,
    writable_data: bool = False,
    log: Callable[[int, str], None] | None = None,
    mpy_sub_version: int | None = None,
) -> LinkResult:
    """Link ELF objects (paths or `(label, bytes)`) into native `.mpy` bytes for `arch`.

    `qstrs` is the config header from `preprocess` (or pass `qstr_names` directly),
    `libs` static archives (or GNU ld GROUP scripts), searched in order; `math_libs`
    C maths libraries searched after them for `<math.h>` functions only (and what
    those need), so a libc holding libm never lends its `printf`.  `externs` is a
    fixed-address symbol file, or several (a later file's address wins).
    `source_name` is stored as qstr 0 (default: "module.mpy").
    `log(level, line)` receives the reference's verbose lines.  `writable_data=True`
    accepts initialised `.data` and static BSS (docs/linker.md#writable-data) where the
    reference refuses them.  `mpy_sub_version` is the target tree's MPY_SUB_VERSION (default
    3, MicroPython 1.23 and newer), for a build against an older or newer tree.  Raises `LinkError`.
    """
    try:
        info = get_arch(arch)
        flags = parse_arch_flags(info, arch_flags)
    except LinkError:
        raise
    except NatmodError as exc:
        raise LinkError(str(exc)) from None
    ctx = LinkContext(arch=info, log=log or (lambda level, line: None), writable_data=writable_data)
    unknown_flags = flags & ~ARCH_FLAG_MASK
    if unknown_flags:  # the reference accepts any number; no firmware loads such a module
        known = ", ".join(f"{name}={bit}" for name, bit in ARCH_FLAG_BITS.items())
        ctx.warn(f"arch flags {flags:#x} include bits {unknown_flags:#x} that no firmware knows ({known})")
    if not objects:
        raise LinkError("no object files to link; give at least one .o")
    if qstr_names is None:
        qstr_names = []
        if qstrs is not None:
            from ..qstr import read_native_qstrs

            try:
                qstr_names = read_native_qstrs(qstrs)
            except NatmodError as exc:
                raise LinkError(str(exc)) from None
    ctx.log(2, "qstr vals: " + ", ".join(qstr_names))
    if externs is not None:
        files = [externs] if isinstance(externs, (str, os.PathLike)) else list(externs)
        for path in files:
            ctx.externs.update(parse_externs(os.fspath(path), _read_text(path, "externs file")))

    labels = []
    for item in objects:
        obj = parse_object(*_read_input(item))
        labels.append(obj.label)
        load_object(ctx, obj)
    if libs or math_libs:
        archives: list[Archive] = [load_archive(p) for p in expand_libs(libs)]
        maths: list[Archive] = [load_archive(p) for p in expand_libs(math_libs)]
        for archive, member in pull_members(ctx, archives, maths):
            ctx.log(2, f"using {archive.label}:{member.name}")
            load_object(ctx, member.parsed(archive.label))

    if not qstr_names:
        _check_qstrs_given(ctx)
    collect_got(ctx)
    add_got_sections(ctx)
    resolve_symbols(ctx)

    entry = ctx.definitions.get("mpy_init")
    if entry is None:
        names = ", ".join(labels[:5]) + (", ..." if len(labels) > 5 else "")
        raise LinkError(
            f"unknown symbol: mpy_init: not defined in {names} (every natmod needs a global mpy_init function)"
        )
    entry_alignment_warning(ctx, entry)
    mark_pc_relative_data(ctx)
    layout_with_trampoline(ctx, entry)
    static_data_warning(ctx)
    ctx.log(2, "sections:")
    for section in ctx.sections:
        ctx.log(2, f"  {section.addr:08x} {section.name} size={section.size}")
    populate_got(ctx)
    apply_all(ctx)

    source = source_name if source_name is not None else "module.mpy"
    mpy = encode_native_mpy(
        arch_number=info.number,
        arch_flags=flags,
        qstr_names=[source, *qstr_names],
        static_qstr_ids=_static_ids(source, static_qstr_ids),
        text=bytes(ctx.text),
        rodata=bytes(ctx.rodata),
        bss_size=ctx.bss_size,
        relocs=ctx.records,
        word_size=info.word_size,
        **({} if mpy_sub_version is None else {"sub_version": mpy_sub_version}),
    )
    ctx.log(1, f"arch:         {info.elf_machine}")
    ctx.log(1, f"text size:    {len(ctx.text)}")
    if ctx.rodata:
        ctx.log(1, f"rodata size:  {len(ctx.rodata)}")
    ctx.log(1, f"bss size:     {ctx.bss_size}")
    ctx.log(1, f"GOT entries:  {len(ctx.got)}")
    return LinkResult(
        mpy=mpy,
        arch=info.name,
        text_size=len(ctx.text),
        rodata_size=len(ctx.rodata),
        bss_size=ctx.bss_size,
        got_entries=len(ctx.got),
        reloc_count=len(ctx.records),
        qstr_count=1 + len(qstr_names),
        warnings=ctx.warnings,
    )


def _check_qstrs_given(ctx: LinkContext) -> None:
    """Objects that read the qstr table need the header's names, or the module loses its globals.

    Without them every `MP_QSTR_x` is read from a one-entry table: the module imports,
    but `mp_store_global` stores its functions under the wrong names.
    """
    users = list(dict.fromkeys(s.label for s in ctx.unresolved if s.name == "mp_native_qstr_table"))
    if users:
        names = ", ".join(users[:3]) + (", ..." if len(users) > 3 else "")
        raise LinkError(
            f"{names}: uses qstrs (MP_QSTR_...) but no qstr header was given; make one with "
            "`natmod-tool preprocess` and link with --qstrs HEADER"
        )


def _static_ids(source: str, given: Mapping[str, int] | None) -> Mapping[str, int]:
    """Static qstr ids are only needed if the source name could be one of them.

    Static qstrs are Python identifiers and dunder names, never file names with a
    dot, so the usual `name.mpy` source name never needs the MicroPython tree.
    """
    if given is not None:
        return given
    if "." in source:
        return {}
    from ..mpydir import resolve_mpy_dir
    from ..qstr import load_static_qstrs

    try:
        return load_static_qstrs(resolve_mpy_dir()).ids
    except NatmodError as exc:
        raise LinkError(f"source name {source!r} may be a static qstr, but {exc}") from None
