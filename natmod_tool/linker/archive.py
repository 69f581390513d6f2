"""Static archives (`ar` format) read in memory, with a symbol index per archive.

Members are never written to disk and their names are never used as paths: a
member is addressed by its position in the archive.  The per-archive index is built
from each member's own `.symtab` (like the reference; the archive's `/` index is
skipped because hand-made archives often lack it).  Parsed archives are cached per
process keyed by (path, size, mtime), so linking many modules against libgcc/libm in
one SCons run parses each archive once.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import LinkError
from .elf import SHN_UNDEF, ElfObject, parse_object, scan_global_symbols

MAGIC = b"!<arch>\n"
HEADER_SIZE = 60


@dataclass
class Member:
    """One archive member: name (for messages only) and its bytes."""

    position: int
    name: str
    data: bytes
    header_offset: int = -1  # where its header starts in the archive (armap offsets point there)
    _parsed: ElfObject | None = None
    defines: list[str] = field(default_factory=list)
    needs: list[str] = field(default_factory=list)  # symbol-table order
    weak: set[str] = field(default_factory=set)

    def parsed(self, archive_label: str) -> ElfObject:
        """The member as an ELF object, parsed once."""
        with _LOCK:
            if self._parsed is None:
                self._parsed = parse_object(f"{archive_label}:{self.name}", self.data)
            return self._parsed


@dataclass
class Archive:
    """A parsed archive: members in file order and `index[name] = member`."""

    label: str
    members: list[Member]
    index: dict[str, Member]


def read_members(label: str, data: bytes) -> list[Member]:
    """Split an `ar` archive into members (GNU and BSD long names)."""
    if data[:8] != MAGIC:
        raise LinkError(f"{label}: not a static archive (no !<arch> header); pass .a files to -l")
    members: list[Member] = []
    long_names = b""
    pos = 8
    while pos < len(data):
        if data[pos : pos + 1] == b"\n":  # tolerate padding newlines
            pos += 1
            continue
        header = data[pos : pos + HEADER_SIZE]
        if len(header) < HEADER_SIZE or header[58:60] != b"`\n":
            raise LinkError(f"{label}: truncated or damaged archive member header at offset {pos}; rebuild the library")
        raw_name = header[:16].decode("latin-1").rstrip(" ")
        try:
            size = int(header[48:58].decode("ascii").strip() or "0")
        except ValueError:
            raise LinkError(f"{label}: damaged archive member size at offset {pos}; rebuild the library") from None
        start = pos + HEADER_SIZE
        end = start + size
        if size < 0 or end > len(data):
            raise LinkError(
                f"{label}: archive member at offset {pos} runs past the end of the file; rebuild the library"
            )
        body = data[start:end]
        pos = end + (size & 1)
        if raw_name == "/" or raw_name == "/SYM64/" or raw_name.startswith("__.SYMDEF"):
            continue
        if raw_name == "//":
            long_names = body
            continue
        name = raw_name
        if raw_name.startswith("#1/"):  # BSD: name stored at the start of the data
            try:
                n = int(raw_name[3:])
            except ValueError:
                raise LinkError(f"{label}: damaged BSD member name {raw_name!r}; rebuild the library") from None
            if n < 0 or n > len(body):
                raise LinkError(f"{label}: damaged BSD member name {raw_name!r}; rebuild the library")
            name = body[:n].rstrip(b"\0").decode("latin-1")
            body = body[n:]
        elif raw_name.startswith("/") and raw_name[1:].isdigit():
            offset = int(raw_name[1:])
            if offset >= len(long_names):
                raise LinkError(
                    f"{label}: member long-name offset {offset} outside the name table; rebuild the library"
                )
            tail = long_names[offset:]
            stop = min(i for i in (tail.find(b"/\n"), tail.find(b"\n"), len(tail)) if i >= 0)
            name = tail[:stop].rstrip(b"/").decode("latin-1")
        elif raw_name.endswith("/"):
            name = raw_name[:-1]
        members.append(
            Member(position=len(members), name=_printable(name), data=body, header_offset=start - HEADER_SIZE)
        )
    return members


def _printable(name: str) -> str:
    """Member names only appear in messages: keep them printable and short."""
    clean = "".join(c if c.isprintable() else "?" for c in name)
    return clean[:200] or "?"


def read_armap(data: bytes) -> list[tuple[str, int]] | None:
    """The GNU symbol map (`/` or `/SYM64/` first member): (name, member header offset) pairs.

    It lists every global symbol the members define, in member order, so indexing an
    archive needs no member parsing at all.  None when absent or damaged.
    """
    header = data[8 : 8 + HEADER_SIZE]
    if len(header) < HEADER_SIZE or header[58:60] != b"`\n":
        return None
    name = header[:16].decode("latin-1").rstrip(" ")
    width = {"/": 4, "/SYM64/": 8}.get(name)
    try:
        size = int(header[48:58].decode("ascii").strip() or "0")
    except ValueError:
        return None
    body = data[8 + HEADER_SIZE : 8 + HEADER_SIZE + size]
    if width is None or len(body) != size or size < width:
        return None
    count = int.from_bytes(body[:width], "big")
    names_at = width + count * width
    if names_at > size:
        return None
    offsets = [int.from_bytes(body[width + i * width : 2 * width + i * width], "big") for i in range(count)]
    names = body[names_at:].split(b"\0")
    if len(names) < count:
        return None
    return [(names[i].decode("utf-8", errors="replace"), offsets[i]) for i in range(count)]


def analyse(label: str, member: Member) -> None:
    """Fill a member's defined, needed and weak names (symbol-table order), once."""
    if member.defines or member.needs or member.weak or member.data[:4] != b"\x7fELF":
        return
    symbols = scan_global_symbols(member.data)
    if symbols is None:  # unusual or damaged: the full parser decides (and names the member)
        obj = member.parsed(label)
        symbols = [
            (s.name, s.shndx != SHN_UNDEF, s.bind == "STB_WEAK")
            for s in obj.symbols or ()
            if s.bind in ("STB_GLOBAL", "STB_WEAK") and s.name
        ]
    for name, defined, weak in symbols:
        (member.defines if defined else member.needs).append(name)
        if weak:
            member.weak.add(name)


def build_index(label: str, members: list[Member], armap: list[tuple[str, int]] | None = None) -> dict[str, Member]:
    """Index the members by the global symbols they define (the last definer wins).

    With a symbol map the members are not even scanned until one is pulled.
    """
    index: dict[str, Member] = {}
    if armap is not None:
        by_offset = {m.header_offset: m for m in members}
        if all(offset in by_offset for _, offset in armap):
            for name, offset in armap:
                if name:
                    index[name] = by_offset[offset]
            return index
    for member in members:
        analyse(label, member)
        for name in member.defines:
            index[name] = member
    return index


_CACHE: dict[tuple[str, int, int], Archive] = {}
_LOCK = threading.RLock()  # SCons -j links in several threads of one process


def load_archive(path: str | os.PathLike[str], label: str | None = None) -> Archive:
    """Read and index an archive, reusing the parse from an earlier link in this process."""
    p = Path(path)
    label = label if label is not None else str(path)
    try:
        st = p.stat()
    except OSError as exc:
        raise LinkError(f"{label}: cannot read library ({exc.strerror}); check the -l path") from None
    key = (str(p.resolve()), st.st_size, st.st_mtime_ns)
    with _LOCK:
        cached = _CACHE.get(key)
        if cached is not None and cached.label == label:
            return cached
        data = p.read_bytes()
        members = read_members(label, data)
        archive = Archive(label=label, members=members, index=build_index(label, members, read_armap(data)))
        _CACHE[key] = archive
        return archive


def clear_cache() -> None:
    """Forget parsed archives (tests, long-running processes)."""
    _CACHE.clear()
