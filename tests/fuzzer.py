"""The project's one fuzzer: seeded mutation of the conformance vectors, and the case runner.

Why a library and not a test: the CI-sized run (`tests/test_fuzz.py`) and the long
campaigns (`tools/fuzz.py`) must exercise exactly the same mutators and the same
verdict, or a long campaign would prove nothing about what CI checks.  Nothing here
is part of the product; it only drives `natmod_tool`'s public entry points.

Every case takes one conformance-vector input (an object or an archive of an `ok`
link vector, or any `.mpy`), damages it with one to three seeded mutations (bit
flips, interesting values, byte insertions and deletions, truncation, splicing, and
ELF/`ar`/`.mpy`-aware corruption of header fields, section headers, relocation and
symbol entries, archive member headers, the `.mpy` header and its varuints) and runs
it through the link, or through the `.mpy` reader, validator, `inspect` and merge
(with a bytecode `.mpy`, in both orders).  A case passes when each step succeeds or
raises a `NatmodError` whose message is one line (and, for the reader, names the
file), within a time bound and without a large allocation (campaign workers run
under an address-space limit, so an allocation sized from an untrusted header is a
`MemoryError`, which is a finding).  A case is reproducible from the seed and its
number alone.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import resource
import signal
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from natmod_tool.errors import MpyError, NatmodError

ROOT = Path(__file__).resolve().parent.parent
VECTORS = ROOT / "tests" / "vectors"
#: what a campaign can aim at: everything, only links (objects and archives), only `.mpy` files
TARGETS = ("all", "link", "mpy")
SLOW_CASE_SECONDS = 2.0  # a case slower than this is a finding
HARD_TIMEOUT_SECONDS = 20  # a case still running after this is stopped (and is a finding)
MEMORY_HEADROOM = 768 << 20  # address space a worker may add to what it had at start
#: how many rejection messages that do not name the damaged file a campaign keeps per kind
UNNAMED_SAMPLES = 3
#: the label a mutated `.mpy` is read under; reader errors must name it
MPY_LABEL = "fuzz.mpy"

# --------------------------------------------------------------------------------------
# seeds


@dataclass
class LinkSeed:
    """One `ok` link vector: its objects, libraries and options."""

    name: str
    arch: str
    objects: list[tuple[str, bytes]]
    libs: list[tuple[str, bytes]]
    externs: str | None
    arch_flags: str | None
    qstrs: str | None  # path of the vector's qstr header, for the command line
    qstr_names: list[str]


@dataclass
class Corpus:
    """The inputs cases are made from; loaded once per process."""

    links: list[LinkSeed] = field(default_factory=list)
    mpys: list[tuple[str, bytes]] = field(default_factory=list)
    bytecode_mpys: list[tuple[str, bytes]] = field(default_factory=list)


def _option(options: list[str], *names: str) -> list[str]:
    return [options[i + 1] for i, o in enumerate(options) if o in names and i + 1 < len(options)]


def load_corpus(vectors: Path = VECTORS) -> Corpus:
    """Every `ok` link vector and every `.mpy` of the conformance suite."""
    from natmod_tool.qstr import read_native_qstrs

    manifest = json.loads((vectors / "manifest.json").read_text())
    corpus = Corpus()
    seen: set[tuple[str, str, tuple[str, ...]]] = set()
    for v in manifest["vectors"]:
        if v["kind"] != "link" or v["expect"] not in ("ok", "reference-broken"):
            continue
        folder = vectors / v["case"] / v["arch"]
        opts = v["options"]
        key = (v["case"], v["arch"], tuple(opts[:-2]))
        if key in seen:
            continue
        seen.add(key)
        qstrs = _option(opts, "--qstrs")
        externs = _option(opts, "--externs", "-e")
        arch = (_option(opts, "--arch") or ["x64"])[0]
        flags = _option(opts, "--arch-flags")
        corpus.links.append(
            LinkSeed(
                name=f"{v['case']}/{v['arch']}",
                arch=arch,
                objects=[(n, (folder / n).read_bytes()) for n in v["inputs"]],
                libs=[(n, (folder / n).read_bytes()) for n in _option(opts, "-l", "--libs")],
                externs=str(folder / externs[0]) if externs else None,
                arch_flags=flags[0] if flags else None,
                qstrs=str(folder / qstrs[0]) if qstrs else None,
                qstr_names=read_native_qstrs(folder / qstrs[0]) if qstrs else [],
            )
        )
    for path in sorted(vectors.glob("*/*/*.mpy")):
        item = (f"{path.parent.parent.name}/{path.parent.name}/{path.name}", path.read_bytes())
        corpus.mpys.append(item)
        if len(item[1]) > 2 and item[1][2] == 0:
            corpus.bytecode_mpys.append(item)
    return corpus


# --------------------------------------------------------------------------------------
# mutations

INTERESTING = (0, 1, 2, 3, 4, 7, 8, 0x10, 0x20, 0x3F, 0x40, 0x7F, 0x80, 0xFF, 0x100, 0x7FFF, 0x8000, 0xFFFF,
               0x10000, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 1 << 31, 1 << 32, 1 << 62, 1 << 63,
               (1 << 64) - 1)  # fmt: skip


def _interesting(rng: random.Random, width: int, file_len: int) -> int:
    """A value that tends to break size and offset arithmetic: limits, powers of two, the file length."""
    choice = rng.random()
    if choice < 0.15:
        value = file_len + rng.randint(-64, 64)
    elif choice < 0.3:
        value = rng.randrange(1 << min(8 * width, 16))
    else:
        value = rng.choice(INTERESTING)
    return value & ((1 << (8 * width)) - 1)


def _put(buf: bytearray, offset: int, width: int, value: int, little: bool) -> None:
    """Store `value` if the field lies inside `buf` (a damaged layout may point outside)."""
    if 0 <= offset and offset + width <= len(buf):
        buf[offset : offset + width] = value.to_bytes(width, "little" if little else "big")


def _get(buf: bytes, offset: int, width: int, little: bool) -> int:
    """Read an integer field."""
    return int.from_bytes(buf[offset : offset + width], "little" if little else "big")


@dataclass
class ElfLayout:
    """Where the header fields of an (undamaged) ELF object are."""

    is64: bool
    little: bool
    shoff: int
    shentsize: int
    sections: list[dict[str, int]]  # header offset, type, offset, size, entsize


_SH_FIELDS32 = {
    "name": (0, 4),
    "type": (4, 4),
    "flags": (8, 4),
    "addr": (12, 4),
    "offset": (16, 4),
    "size": (20, 4),
    "link": (24, 4),
    "info": (28, 4),
    "addralign": (32, 4),
    "entsize": (36, 4),
}
_SH_FIELDS64 = {
    "name": (0, 4),
    "type": (4, 4),
    "flags": (8, 8),
    "addr": (16, 8),
    "offset": (24, 8),
    "size": (32, 8),
    "link": (40, 4),
    "info": (44, 4),
    "addralign": (48, 8),
    "entsize": (56, 8),
}
_SYM_FIELDS32 = {"name": (0, 4), "value": (4, 4), "size": (8, 4), "info": (12, 1), "other": (13, 1), "shndx": (14, 2)}
_SYM_FIELDS64 = {"name": (0, 4), "info": (4, 1), "other": (5, 1), "shndx": (6, 2), "value": (8, 8),
                 "size": (16, 8)}  # fmt: skip


def elf_layout(data: bytes) -> ElfLayout | None:
    """The section headers of an ELF file, or None if it is not a plausible ELF."""
    if len(data) < 64 or data[:4] != b"\x7fELF" or data[4] not in (1, 2) or data[5] not in (1, 2):
        return None
    is64, little = data[4] == 2, data[5] == 1
    if is64:
        shoff, shentsize, shnum = _get(data, 0x28, 8, little), _get(data, 0x3A, 2, little), _get(data, 0x3C, 2, little)
    else:
        shoff, shentsize, shnum = _get(data, 0x20, 4, little), _get(data, 0x2E, 2, little), _get(data, 0x30, 2, little)
    fields = _SH_FIELDS64 if is64 else _SH_FIELDS32
    sections = []
    for i in range(shnum):
        at = shoff + i * shentsize
        if at + shentsize > len(data):
            return None
        sec = {"at": at}
        for name in ("type", "offset", "size", "entsize", "link", "info"):
            off, width = fields[name]
            sec[name] = _get(data, at + off, width, little)
        sections.append(sec)
    return ElfLayout(is64, little, shoff, shentsize, sections)


def mutate_elf(rng: random.Random, buf: bytearray, base: int = 0) -> str:
    """Corrupt one header field of the ELF object at `buf[base:]`; return what was done."""
    layout = elf_layout(bytes(buf[base:]))
    if layout is None:
        return mutate_bytes(rng, buf, base)
    little, is64 = layout.little, layout.is64
    n = len(buf) - base
    target = rng.random()
    if target < 0.15 or not layout.sections:  # file header
        if is64:
            name, (off, width) = rng.choice(
                [("e_shoff", (0x28, 8)), ("e_shnum", (0x3C, 2)), ("e_shstrndx", (0x3E, 2)), ("e_shentsize", (0x3A, 2)),
                 ("e_machine", (0x12, 2)), ("e_type", (0x10, 2)), ("ei_class", (4, 1)), ("ei_data", (5, 1))]
            )  # fmt: skip
        else:
            name, (off, width) = rng.choice(
                [("e_shoff", (0x20, 4)), ("e_shnum", (0x30, 2)), ("e_shstrndx", (0x32, 2)), ("e_shentsize", (0x2E, 2)),
                 ("e_machine", (0x12, 2)), ("e_type", (0x10, 2)), ("ei_class", (4, 1)), ("ei_data", (5, 1))]
            )  # fmt: skip
        value = _interesting(rng, width, n)
        _put(buf, base + off, width, value, little)
        return f"{name}={value:#x}"
    fields = _SH_FIELDS64 if is64 else _SH_FIELDS32
    if target < 0.55:  # a section header field
        i = rng.randrange(len(layout.sections))
        name = rng.choice(["offset", "size", "link", "info", "addralign", "entsize", "type", "name", "flags",
                           "size", "offset", "info", "link"])  # fmt: skip
        off, width = fields[name]
        value = _interesting(rng, width, n)
        if name == "type" and rng.random() < 0.7:
            value = rng.choice((1, 2, 3, 4, 8, 9, 0, 7, 0x70000003))
        elif name in ("link", "info") and rng.random() < 0.5:
            value = rng.choice((0, len(layout.sections), len(layout.sections) + 1, 0xFFFF, rng.randrange(64)))
        _put(buf, base + layout.sections[i]["at"] + off, width, value, little)
        return f"section {i} sh_{name}={value:#x}"
    # an entry of a relocation or symbol table
    rels = [s for s in layout.sections if s["type"] in (4, 9) and s["entsize"]]
    syms = [s for s in layout.sections if s["type"] == 2 and s["entsize"]]
    if rels and (target < 0.8 or not syms):
        sec = rng.choice(rels)
        count = sec["size"] // sec["entsize"]
        if not count:
            return mutate_bytes(rng, buf, base)
        at = base + sec["offset"] + rng.randrange(count) * sec["entsize"]
        word = 8 if is64 else 4
        what = rng.random()
        if what < 0.4:  # symbol index
            info = _get(buf, at + word, word, little)
            sym = _interesting(rng, 4 if is64 else 3, n)
            info = (info & 0xFFFFFFFF) | (sym << 32) if is64 else (info & 0xFF) | (sym << 8)
            _put(buf, at + word, word, info, little)
            return f"r_info.sym={sym:#x}"
        if what < 0.7:  # relocation type
            info = _get(buf, at + word, word, little)
            rtype = rng.randrange(256) if rng.random() < 0.8 else _interesting(rng, 4 if is64 else 1, n)
            info = (info & ~0xFFFFFFFF) | rtype if is64 else (info & ~0xFF) | rtype
            _put(buf, at + word, word, info, little)
            return f"r_info.type={rtype:#x}"
        if what < 0.9:
            value = _interesting(rng, word, n)
            _put(buf, at, word, value, little)
            return f"r_offset={value:#x}"
        value = _interesting(rng, word, n)
        _put(buf, at + 2 * word, word, value, little)
        return f"r_addend={value:#x}"
    if syms:
        sec = rng.choice(syms)
        count = sec["size"] // sec["entsize"]
        if not count:
            return mutate_bytes(rng, buf, base)
        at = base + sec["offset"] + rng.randrange(count) * sec["entsize"]
        sym_fields = _SYM_FIELDS64 if is64 else _SYM_FIELDS32
        name = rng.choice(["shndx", "shndx", "shndx", "value", "size", "info", "name"])
        off, width = sym_fields[name]
        value = _interesting(rng, width, n)
        if name == "shndx" and rng.random() < 0.7:
            value = rng.choice((0, 0xFFF1, 0xFFF2, 0xFF00, 0xFFFF, len(layout.sections), rng.randrange(32)))
        elif name == "info" and rng.random() < 0.7:
            value = (rng.randrange(4) << 4) | rng.randrange(8)
        _put(buf, at + off, width, value, little)
        return f"st_{name}={value:#x}"
    return mutate_bytes(rng, buf, base)


def mutate_bytes(rng: random.Random, buf: bytearray, base: int = 0) -> str:
    """Format-blind damage: bit flips, interesting values, a run of one byte."""
    n = len(buf) - base
    if n <= 0:
        buf.extend(bytes([rng.randrange(256)]))
        return "append"
    what = rng.random()
    if what < 0.4:
        flips = rng.randint(1, 8)
        for _ in range(flips):
            pos = base + rng.randrange(n)
            buf[pos] ^= 1 << rng.randrange(8)
        return f"{flips} bit flips"
    if what < 0.8:
        width = rng.choice((1, 1, 2, 4, 8))
        pos = base + rng.randrange(n)
        value = _interesting(rng, width, n)
        _put(buf, pos, width, value, True)
        return f"{width}-byte {value:#x} at {pos - base}"
    pos = base + rng.randrange(n)
    length = rng.randint(1, 64)
    buf[pos : pos + length] = bytes([rng.choice((0, 0xFF, 0x80, 0x7F))]) * length
    return f"run at {pos - base}"


def edit_bytes(rng: random.Random, buf: bytearray) -> str:
    """Byte-level edits that shift everything after them: replace, insert or delete 1 to 4 bytes.

    Shifting defeats every offset in a file at once, which overwrites in place cannot do;
    this is what the `.mpy` reader's own fuzz loop used to do before there was one fuzzer.
    """
    edits = rng.randint(1, 4)
    for _ in range(edits):
        if not buf:
            buf.append(rng.randrange(256))
            continue
        pos = rng.randrange(len(buf))
        action = rng.random()
        if action < 0.6:
            buf[pos] = rng.randrange(256)
        elif action < 0.8:
            buf.insert(pos, rng.choice((0x00, 0x7F, 0x80, 0xFF, rng.randrange(256))))
        elif len(buf) > 1:
            del buf[pos]
    return f"{edits} byte edits"


def truncate(rng: random.Random, buf: bytearray) -> str:
    """Cut the file short, often at a header boundary."""
    keep = rng.randrange(len(buf)) if buf else 0
    if rng.random() < 0.3:
        keep = rng.choice((0, 1, 4, 8, 16, 52, 63, 64, 68)) if keep > 68 else keep
    del buf[keep:]
    return f"truncate to {keep}"


def splice(rng: random.Random, buf: bytearray, other: bytes) -> str:
    """Copy or insert a chunk of another input: well-formed pieces in the wrong place."""
    if not other or not buf:
        return truncate(rng, buf)
    start = rng.randrange(len(other))
    chunk = other[start : start + rng.randint(1, 256)]
    pos = rng.randrange(len(buf))
    if rng.random() < 0.5:
        buf[pos : pos + len(chunk)] = chunk
        return f"splice {len(chunk)} bytes over {pos}"
    buf[pos:pos] = chunk
    return f"insert {len(chunk)} bytes at {pos}"


def _archive_members(data: bytes) -> list[tuple[int, int, int]]:
    """(header offset, data offset, size) of every member of an undamaged archive."""
    out = []
    pos = 8
    while pos + 60 <= len(data):
        if data[pos : pos + 1] == b"\n":
            pos += 1
            continue
        try:
            size = int(data[pos + 48 : pos + 58].decode("ascii").strip() or "0")
        except ValueError:
            break
        out.append((pos, pos + 60, size))
        pos += 60 + size + (size & 1)
    return out


HOSTILE_NAMES = (b"../../etc/passwd/", b"/etc/passwd", b"a\0b.o/", b"/9999999", b"#1/99999", b"#1/-1",
                 b"\0" * 16, b"..", b"/", b"//", b"C:\\x.o/", b"#1/16", b"/0")  # fmt: skip


def mutate_archive(rng: random.Random, buf: bytearray) -> str:
    """Corrupt a member header (hostile names, sizes, terminator) or the ELF member inside."""
    members = _archive_members(bytes(buf))
    what = rng.random()
    if not members or what < 0.1:
        return mutate_bytes(rng, buf)
    head, body, size = rng.choice(members)
    if what < 0.3:  # the name field
        name = rng.choice(HOSTILE_NAMES)
        buf[head : head + 16] = name[:16].ljust(16, b" ")
        return f"member name {name!r}"
    if what < 0.45:  # the size field
        text = rng.choice((b"999999999", b"-5", b"abc", b"", b"0", str(size + 1).encode(), str(size * 4).encode()))
        buf[head + 48 : head + 58] = text[:10].ljust(10, b" ")
        return f"member size {text!r}"
    if what < 0.5:
        buf[head + 58 : head + 60] = b"XX"
        return "member header terminator"
    if what < 0.55:
        buf[head : head + 60] = rng.choice(HOSTILE_NAMES)[:16].ljust(16, b" ") + buf[head + 16 : head + 60]
        return "member name (second form)"
    if buf[body : body + 4] == b"\x7fELF":
        member = bytearray(buf[body : body + size])
        done = mutate_elf(rng, member)
        buf[body : body + size] = member
        return f"member at {head}: {done}"
    return mutate_bytes(rng, buf, body)


def mutate_mpy(rng: random.Random, buf: bytearray) -> str:
    """`.mpy`-aware damage: a header byte (magic, version, feature bits), a run of varuint bytes,
    or shifting edits (every later offset of a `.mpy` is implicit, so a shift re-frames the rest)."""
    what = rng.random()
    if what < 0.25 and len(buf) >= 4:
        pos = rng.randrange(4)
        value = rng.choice((0, 1, 2, 3, 5, 6, 7, 0x4D, 0x40, 0x41, 0x80, 0xFF, rng.randrange(256)))
        buf[pos] = value
        return f"header byte {pos}={value:#x}"
    if what < 0.35 and buf:
        pos = rng.randrange(len(buf))
        run = bytes([rng.choice((0x80, 0xFF, 0x7F))]) * rng.randint(1, 12)
        buf[pos:pos] = run
        return f"varuint run at {pos}"
    if what < 0.65:
        return edit_bytes(rng, buf)
    return mutate_bytes(rng, buf)


def mutate(rng: random.Random, data: bytes, kind: str, others: list[bytes]) -> tuple[bytes, list[str]]:
    """One to three mutations of `data` (an `object`, `archive` or `mpy`); the bytes and what was done."""
    buf = bytearray(data)
    done = []
    for _ in range(rng.choice((1, 1, 1, 2, 2, 3))):
        r = rng.random()
        if r < 0.08:
            done.append(truncate(rng, buf))
        elif r < 0.16:
            done.append(splice(rng, buf, rng.choice(others)))
        elif kind == "object" and r < 0.75:
            done.append(mutate_elf(rng, buf))
        elif kind == "archive" and r < 0.75:
            done.append(mutate_archive(rng, buf))
        elif kind == "mpy" and r < 0.6:
            done.append(mutate_mpy(rng, buf))
        elif r < 0.9:
            done.append(mutate_bytes(rng, buf))
        else:
            done.append(edit_bytes(rng, buf))
    return bytes(buf), done


# --------------------------------------------------------------------------------------
# cases


@dataclass
class Case:
    """One damaged input and where it goes: reproducible from (seed, number, target)."""

    number: int
    kind: str  # object, archive or mpy
    label: str  # the vector input it was made from
    mutations: list[str]
    data: bytes
    link_seed: LinkSeed | None = None  # object and archive cases
    index: int = 0  # which object or library of the link seed was damaged
    helper: tuple[str, bytes] = ("", b"")  # mpy cases: the bytecode file merged with it
    march_flags: int | None = None  # mpy cases: -march-flags of the second merge

    @property
    def what(self) -> str:
        """The case as a finding names it: kind, input and mutations."""
        return f"{self.kind} {self.label}: {'; '.join(self.mutations)}"

    @property
    def file_name(self) -> str:
        """The name the damaged input is given, which an error should mention."""
        if self.kind == "mpy":
            return MPY_LABEL
        return os.path.basename(self.label)


def make_case(corpus: Corpus, seed: int, number: int, target: str = "all") -> Case:
    """Build case `number` of campaign `seed` (same seed and number: same bytes)."""
    if target not in TARGETS:
        raise ValueError(f"unknown fuzz target {target!r}: use one of {', '.join(TARGETS)}")
    rng = random.Random(seed * 1_000_003 + number)
    pick = rng.random()
    if target == "mpy" or (target == "all" and pick < 0.22):
        label, data = rng.choice(corpus.mpys)
        mutated, done = mutate(rng, data, "mpy", [d for _, d in corpus.mpys])
        helper = rng.choice(corpus.bytecode_mpys)
        flags = 1 if rng.random() < 0.2 else None
        return Case(number, "mpy", label, done, mutated, helper=helper, march_flags=flags)
    if target == "link":
        pick = 0.22 + pick * 0.78  # the link share of the `all` draw, so libs are picked as often
    link_seed = rng.choice(corpus.links)
    kind = "archive" if link_seed.libs and pick < 0.4 else "object"
    pool = link_seed.libs if kind == "archive" else link_seed.objects
    index = rng.randrange(len(pool))
    name, data = pool[index]
    others = [d for s in corpus.links for _, d in (s.libs if kind == "archive" else s.objects)] or [data]
    mutated, done = mutate(rng, data, kind, others)
    return Case(number, kind, f"{link_seed.name}/{name}", done, mutated, link_seed=link_seed, index=index)


def link_inputs(case: Case, folder: str) -> tuple[list[tuple[str, bytes]], list[str]]:
    """The objects (name, bytes) and library paths of a link case; libraries are written to `folder`."""
    seed = case.link_seed
    assert seed is not None
    objects = list(seed.objects)
    if case.kind == "object":
        objects[case.index] = (objects[case.index][0], case.data)
    libs = []
    for i, (name, lib) in enumerate(seed.libs):
        path = os.path.join(folder, f"{i}-{os.path.basename(name)}")
        with open(path, "wb") as handle:
            handle.write(case.data if case.kind == "archive" and i == case.index else lib)
        libs.append(path)
    return objects, libs


def steps(case: Case, folder: str) -> Iterator[tuple[str, Callable[[], object]]]:
    """The code paths a case runs, as (name, action) pairs; each is judged on its own."""
    if case.kind == "mpy":
        from natmod_tool.commands.inspect import describe, to_json
        from natmod_tool.mpy.merge import merge
        from natmod_tool.mpy.reader import read_mpy, validate

        def inspect() -> None:
            mpy = read_mpy(case.data, MPY_LABEL)
            validate(mpy)
            describe(mpy, show_code=True)
            json.dumps(to_json(mpy, []))

        yield "read", inspect
        yield "merge first", lambda: merge([(MPY_LABEL, case.data), case.helper])
        yield "merge second", lambda: merge([case.helper, (MPY_LABEL, case.data)], case.march_flags)
        return
    from natmod_tool.linker.archive import clear_cache
    from natmod_tool.linker.driver import link

    seed = case.link_seed
    assert seed is not None

    def run_link() -> None:
        objects, libs = link_inputs(case, folder)
        clear_cache()
        link(
            objects,
            seed.arch,
            qstr_names=seed.qstr_names,
            libs=libs,
            externs=seed.externs,
            arch_flags=seed.arch_flags,
            source_name="fuzz.mpy",
        )

    yield "link", run_link


@dataclass
class Finding:
    """A case that broke a rule: what it was, what escaped and where."""

    case: int
    what: str
    error: str
    seconds: float
    where: str = ""
    trace: str = ""  # the full traceback, shown by `tools/fuzz.py --case N`

    def __str__(self) -> str:
        return f"case {self.case} ({self.what}, {self.seconds:.2f} s): {self.error}{self.where}"


@dataclass
class Outcome:
    """What one case did: accepted by every step, or rejected by one (with the error), or a finding."""

    kind: str
    rejected: bool = False
    error_class: str = ""  # the NatmodError subclass of the first rejection
    names_file: bool = False  # the first rejection's message mentions the damaged file
    message: str = ""  # the first rejection's message
    seconds: float = 0.0
    finding: Finding | None = None


def judge(case: Case, name: str, action: Callable[[], object], outcome: Outcome) -> Finding | None:
    """Run one step: None when it succeeds or fails by the rules, else the finding.

    The rules: only a `NatmodError` may escape, its message is one non-empty line, and
    the `.mpy` reader names the file it was given (the loader on a board gives no
    detail, so the build machine's message is all a user has).
    """
    try:
        action()
    except NatmodError as exc:
        message = str(exc)
        if "\n" in message or not message.strip():
            return Finding(case.number, case.what, f"{name}: NatmodError message is not one line: {message!r}", 0.0)
        if name == "read" and isinstance(exc, MpyError) and not message.startswith(MPY_LABEL):
            return Finding(case.number, case.what, f"{name}: MpyError does not name {MPY_LABEL}: {message!r}", 0.0)
        if not outcome.rejected:
            outcome.rejected = True
            outcome.error_class = type(exc).__name__
            outcome.names_file = case.file_name in message
            outcome.message = message
    except _Timeout:
        raise
    except BaseException as exc:  # noqa: B036 - everything else is a finding
        if isinstance(exc, KeyboardInterrupt):
            raise
        frames = traceback.extract_tb(exc.__traceback__)
        ours = [f for f in frames if "natmod_tool" in f.filename]
        where = f" at {Path(ours[-1].filename).name}:{ours[-1].lineno}" if ours else ""
        message = f"{name}: {type(exc).__name__}: {str(exc)[:200]}"
        return Finding(case.number, case.what, message, 0.0, where, traceback.format_exc())
    return None


class _Timeout(BaseException):
    pass


def _on_alarm(signum: int, frame: object) -> None:  # pragma: no cover - only on a hang
    raise _Timeout()


_CORPUS: Corpus | None = None
_TMP: str | None = None


def worker_init(limit_memory: bool = True) -> Corpus:
    """Per-process setup: the corpus, a scratch folder, the alarm and the memory limit."""
    global _CORPUS, _TMP
    if _CORPUS is None:
        _CORPUS = load_corpus()
    if _TMP is None:
        _TMP = tempfile.mkdtemp(prefix="natmod-fuzz-")
    import natmod_tool.commands.inspect  # noqa: F401 - import before the memory limit
    import natmod_tool.linker.driver  # noqa: F401
    import natmod_tool.mpy.merge  # noqa: F401

    if hasattr(signal, "SIGALRM"):
        signal.signal(signal.SIGALRM, _on_alarm)
    if limit_memory:
        try:
            with open("/proc/self/statm") as handle:
                current = int(handle.read().split()[0]) * resource.getpagesize()
            soft, hard = resource.getrlimit(resource.RLIMIT_AS)
            wanted = current + MEMORY_HEADROOM
            if hard == resource.RLIM_INFINITY or wanted < hard:
                resource.setrlimit(resource.RLIMIT_AS, (wanted, hard))
        except (OSError, ValueError):
            pass
    return _CORPUS


def run_case(seed: int, number: int, target: str = "all") -> Outcome:
    """Build case `number` of campaign `seed`, run every step, and say what happened."""
    corpus = worker_init(limit_memory=False) if _CORPUS is None else _CORPUS
    assert _TMP is not None
    case = make_case(corpus, seed, number, target)
    outcome = Outcome(case.kind)
    start = time.perf_counter()
    if hasattr(signal, "SIGALRM"):
        signal.alarm(HARD_TIMEOUT_SECONDS)
    try:
        for name, action in steps(case, _TMP):
            finding = judge(case, name, action, outcome)
            if finding is not None:
                finding.seconds = time.perf_counter() - start
                outcome.finding = finding
                break
    except _Timeout:
        outcome.finding = Finding(
            number, case.what, f"still running after {HARD_TIMEOUT_SECONDS} s", HARD_TIMEOUT_SECONDS
        )
    finally:
        if hasattr(signal, "SIGALRM"):
            signal.alarm(0)
    outcome.seconds = time.perf_counter() - start
    if outcome.finding is None and outcome.seconds > SLOW_CASE_SECONDS:
        outcome.finding = Finding(number, case.what, f"slow: {outcome.seconds:.2f} s", outcome.seconds)
    return outcome


# --------------------------------------------------------------------------------------
# campaigns


@dataclass
class Campaign:
    """The figures of a run: cases per kind, accepted/rejected, error classes, findings."""

    cases: int = 0
    seed: int = 0
    target: str = "all"
    seconds: float = 0.0
    by_kind: Counter[str] = field(default_factory=Counter)
    rejected: Counter[str] = field(default_factory=Counter)  # per kind
    names_file: Counter[str] = field(default_factory=Counter)  # per kind: rejections mentioning the file
    error_classes: Counter[str] = field(default_factory=Counter)
    slowest: float = 0.0
    findings: list[Finding] = field(default_factory=list)
    #: per kind, the first few rejection messages that do not name the damaged file (to read, not to count)
    unnamed: dict[str, list[str]] = field(default_factory=dict)

    def add(self, outcome: Outcome) -> None:
        """Count one case."""
        self.cases += 1
        self.by_kind[outcome.kind] += 1
        if outcome.rejected:
            self.rejected[outcome.kind] += 1
            self.error_classes[outcome.error_class] += 1
            self.names_file[outcome.kind] += int(outcome.names_file)
            if not outcome.names_file:
                self._note_unnamed(outcome.kind, [outcome.message])
        self.slowest = max(self.slowest, outcome.seconds)
        if outcome.finding is not None:
            self.findings.append(outcome.finding)

    def merge(self, other: Campaign) -> None:
        """Add the counts of a chunk run elsewhere (a worker process)."""
        self.cases += other.cases
        self.by_kind.update(other.by_kind)
        self.rejected.update(other.rejected)
        self.names_file.update(other.names_file)
        self.error_classes.update(other.error_classes)
        self.slowest = max(self.slowest, other.slowest)
        self.findings.extend(other.findings)
        for kind, messages in other.unnamed.items():
            self._note_unnamed(kind, messages)

    def _note_unnamed(self, kind: str, messages: list[str]) -> None:
        kept = self.unnamed.setdefault(kind, [])
        kept.extend(m for m in messages if m not in kept)
        del kept[UNNAMED_SAMPLES:]

    def report(self) -> list[str]:
        """The figures as lines of text."""
        rate = self.cases / self.seconds if self.seconds else 0.0
        lines = [
            f"{self.cases} cases, seed {self.seed}, target {self.target}: {self.seconds:.1f} s "
            f"({rate:.0f} cases/s), slowest case {self.slowest * 1000:.0f} ms, {len(self.findings)} finding(s)"
        ]
        for kind in sorted(self.by_kind):
            n, bad = self.by_kind[kind], self.rejected[kind]
            named = self.names_file[kind]
            lines.append(
                f"  {kind:8} {n:7} cases: {n - bad:7} accepted, {bad:7} rejected "
                f"({named / bad if bad else 0:.0%} of the messages name the damaged file)"
            )
        classes = ", ".join(f"{name} {count}" for name, count in self.error_classes.most_common())
        lines.append(f"  errors: {classes or 'none'}")
        for kind in sorted(self.unnamed):
            for message in self.unnamed[kind]:
                lines.append(f"  {kind} rejection not naming the file: {message[:160]}")
        return lines


def _run_chunk(args: tuple[int, int, int, str]) -> Campaign:
    seed, first, count, target = args
    part = Campaign()
    for number in range(first, first + count):
        part.add(run_case(seed, number, target))
    return part


def run_campaign(
    cases: int, seed: int = 0, jobs: int | None = None, target: str = "all", progress: bool = False
) -> Campaign:
    """Run `cases` cases on `jobs` processes (in this process when jobs is 1)."""
    if target not in TARGETS:
        raise ValueError(f"unknown fuzz target {target!r}: use one of {', '.join(TARGETS)}")
    jobs = jobs or min(2, os.cpu_count() or 1)
    chunk = 200
    work = [(seed, first, min(chunk, cases - first), target) for first in range(0, cases, chunk)]
    total = Campaign(seed=seed, target=target)
    start = time.time()
    if jobs <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        worker_init(limit_memory=False)
        results: Iterator[Campaign] = map(_run_chunk, work)
        pool = None
    else:
        pool = multiprocessing.get_context("fork").Pool(jobs, initializer=worker_init, maxtasksperchild=50)
        results = pool.imap_unordered(_run_chunk, work)
    try:
        for part in results:
            total.merge(part)
            if progress and (total.cases % 5000 < chunk or total.cases == cases):
                rate = total.cases / max(time.time() - start, 1e-9)
                print(f"{total.cases}/{cases} cases, {len(total.findings)} findings, {rate:.0f} cases/s", flush=True)
    finally:
        if pool is not None:
            pool.close()
            pool.join()
    total.seconds = time.time() - start
    total.findings.sort(key=lambda f: f.case)
    return total


# --------------------------------------------------------------------------------------
# the command line


def cli_commands(case: Case, folder: str) -> list[list[str]]:
    """`natmod-tool` argument lists that feed the case's damaged input to the CLI.

    The library rules above say what escapes the functions; these check what a user
    sees: the CLI turns every error into one line and an exit status.
    """
    os.makedirs(folder, exist_ok=True)
    if case.kind == "mpy":
        path = os.path.join(folder, MPY_LABEL)
        helper = os.path.join(folder, "helper.mpy")
        Path(path).write_bytes(case.data)
        Path(helper).write_bytes(case.helper[1])
        out = os.path.join(folder, "merged.mpy")
        return [["inspect", "--bytecode", path], ["merge", "-o", out, path, helper]]
    seed = case.link_seed
    assert seed is not None
    objects, libs = link_inputs(case, folder)
    paths = []
    for i, (name, data) in enumerate(objects):
        path = os.path.join(folder, f"{i}-{os.path.basename(name)}")
        Path(path).write_bytes(data)
        paths.append(path)
    argv = ["link", "--arch", seed.arch, "-o", os.path.join(folder, "out.mpy")]
    if seed.arch_flags:
        argv += ["--arch-flags", seed.arch_flags]
    if seed.qstrs:
        argv += ["--qstrs", seed.qstrs]
    if seed.externs:
        argv += ["--externs", seed.externs]
    for lib in libs:
        argv += ["-l", lib]
    return [argv + paths]
