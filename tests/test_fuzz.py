"""Bounded, seeded fuzzing of the linker, the archive reader, the .mpy reader and merge.

Every case takes one conformance-vector input (an object, an archive or a `.mpy`),
damages it with a seeded mutator (bit flips, interesting values, truncation, splicing,
and ELF/`ar`-aware corruption of e_shoff, e_shnum, sh_offset, sh_size, sh_link,
sh_info, r_info, st_shndx, member sizes and names) and runs it through the public code
paths.  A case passes when the code either succeeds or raises a `NatmodError`
subclass, within a time bound and without a large allocation (workers run with an
address-space limit, so an allocation sized from an untrusted header is a
`MemoryError`, which is a finding).

The default run is a few thousand cases on both cores (well under a minute);
`NATMOD_FUZZ_CASES=100000` (and optionally `NATMOD_FUZZ_SEED`, `NATMOD_FUZZ_JOBS`)
runs a longer campaign.  The same campaign runs without pytest:

    python tests/test_fuzz.py --cases 100000 --jobs 2 [--seed N]

Findings are reported as `case <n> (<kind> <file>, <mutations>): <exception>`; a
case is reproducible from the seed and its number alone.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import resource
import signal
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # for `python tests/test_fuzz.py`
    sys.path.insert(0, str(ROOT))

from natmod_tool.errors import NatmodError  # noqa: E402

VECTORS = ROOT / "tests" / "vectors"
DEFAULT_CASES = 5000
SLOW_CASE_SECONDS = 2.0  # a case slower than this is a finding
HARD_TIMEOUT_SECONDS = 20  # a case still running after this is stopped (and is a finding)
MEMORY_HEADROOM = 768 << 20  # address space a worker may add to what it had at start


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
    qstr_names: list[str]


@dataclass
class Corpus:
    links: list[LinkSeed] = field(default_factory=list)
    mpys: list[tuple[str, bytes]] = field(default_factory=list)
    bytecode_mpys: list[tuple[str, bytes]] = field(default_factory=list)


def _option(options: list[str], *names: str) -> list[str]:
    return [options[i + 1] for i, o in enumerate(options) if o in names and i + 1 < len(options)]


def load_corpus() -> Corpus:
    """Every `ok` link vector and every `.mpy` of the conformance suite."""
    from natmod_tool.qstr import read_native_qstrs

    manifest = json.loads((VECTORS / "manifest.json").read_text())
    corpus = Corpus()
    seen: set[tuple[str, str, tuple[str, ...]]] = set()
    for v in manifest["vectors"]:
        if v["kind"] != "link" or v["expect"] not in ("ok", "reference-broken"):
            continue
        folder = VECTORS / v["case"] / v["arch"]
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
                qstr_names=read_native_qstrs(folder / qstrs[0]) if qstrs else [],
            )
        )
    for path in sorted(VECTORS.glob("*/*/*.mpy")):
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
    choice = rng.random()
    if choice < 0.15:
        value = file_len + rng.randint(-64, 64)
    elif choice < 0.3:
        value = rng.randrange(1 << min(8 * width, 16))
    else:
        value = rng.choice(INTERESTING)
    return value & ((1 << (8 * width)) - 1)


def _put(buf: bytearray, offset: int, width: int, value: int, little: bool) -> None:
    if 0 <= offset and offset + width <= len(buf):
        buf[offset : offset + width] = value.to_bytes(width, "little" if little else "big")


def _get(buf: bytes, offset: int, width: int, little: bool) -> int:
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


def truncate(rng: random.Random, buf: bytearray) -> str:
    keep = rng.randrange(len(buf)) if buf else 0
    if rng.random() < 0.3:
        keep = rng.choice((0, 1, 4, 8, 16, 52, 63, 64, 68)) if keep > 68 else keep
    del buf[keep:]
    return f"truncate to {keep}"


def splice(rng: random.Random, buf: bytearray, other: bytes) -> str:
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
    return mutate_bytes(rng, buf)


# --------------------------------------------------------------------------------------
# cases


@dataclass
class Finding:
    case: int
    what: str
    error: str
    seconds: float
    where: str = ""
    trace: str = ""  # the full traceback, shown by `--case N`

    def __str__(self) -> str:
        return f"case {self.case} ({self.what}, {self.seconds:.2f} s): {self.error}{self.where}"


class _Timeout(BaseException):
    pass


def _on_alarm(signum, frame):  # pragma: no cover - only on a hang
    raise _Timeout()


_CORPUS: Corpus | None = None
_TMP: str | None = None


def _worker_init(limit_memory: bool = True) -> None:
    """Per-process setup: the corpus, a scratch folder, the alarm and the memory limit."""
    global _CORPUS, _TMP
    _CORPUS = load_corpus()
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


def _mutations(rng: random.Random, data: bytes, kind: str, others: list[bytes]) -> tuple[bytes, list[str]]:
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
        else:
            done.append(mutate_bytes(rng, buf))
    return bytes(buf), done


def run_case(seed: int, case: int) -> Finding | None:
    """Build case `case` of campaign `seed`, run it, and return a finding or None."""
    from natmod_tool.commands.inspect import describe, to_json
    from natmod_tool.linker.archive import clear_cache
    from natmod_tool.linker.driver import link
    from natmod_tool.mpy.merge import merge
    from natmod_tool.mpy.reader import read_mpy, validate

    assert _CORPUS is not None and _TMP is not None
    corpus = _CORPUS
    rng = random.Random(seed * 1_000_003 + case)
    pick = rng.random()
    if pick < 0.22:
        kind = "mpy"
        label, data = rng.choice(corpus.mpys)
        others = [d for _, d in corpus.mpys]
    else:
        link_seed = rng.choice(corpus.links)
        kind = "archive" if link_seed.libs and pick < 0.4 else "object"
        pool = link_seed.libs if kind == "archive" else link_seed.objects
        index = rng.randrange(len(pool))
        label, data = pool[index]
        label = f"{link_seed.name}/{label}"
        others = [d for s in corpus.links for _, d in (s.libs if kind == "archive" else s.objects)] or [data]
    mutated, done = _mutations(rng, data, kind, others)
    what = f"{kind} {label}: {'; '.join(done)}"
    start = time.perf_counter()
    if hasattr(signal, "SIGALRM"):
        signal.alarm(HARD_TIMEOUT_SECONDS)
    try:
        if kind == "mpy":
            mpy = read_mpy(mutated, "fuzz.mpy")
            validate(mpy)
            describe(mpy, show_code=True)
            to_json(mpy, [])
            helper = rng.choice(corpus.bytecode_mpys)
            merge([("fuzz.mpy", mutated), helper])
            merge([helper, ("fuzz.mpy", mutated)], 1 if rng.random() < 0.2 else None)
        else:
            objects = list(link_seed.objects)
            libs = []
            if kind == "object":
                objects[index] = (objects[index][0], mutated)
            for i, (name, lib) in enumerate(link_seed.libs):
                path = os.path.join(_TMP, f"{i}-{os.path.basename(name)}")
                with open(path, "wb") as handle:
                    handle.write(mutated if kind == "archive" and i == index else lib)
                libs.append(path)
            clear_cache()
            link(
                objects,
                link_seed.arch,
                qstr_names=link_seed.qstr_names,
                libs=libs,
                externs=link_seed.externs,
                arch_flags=link_seed.arch_flags,
                source_name="fuzz.mpy",
            )
    except NatmodError as exc:
        message = str(exc)
        if "\n" in message or not message:
            return Finding(case, what, f"NatmodError message is not one line: {message!r}", 0.0)
    except _Timeout:
        return Finding(case, what, f"still running after {HARD_TIMEOUT_SECONDS} s", HARD_TIMEOUT_SECONDS)
    except BaseException as exc:  # noqa: B036 - everything else is a finding
        if isinstance(exc, KeyboardInterrupt):
            raise
        frames = traceback.extract_tb(exc.__traceback__)
        ours = [f for f in frames if "natmod_tool" in f.filename]
        where = f" at {Path(ours[-1].filename).name}:{ours[-1].lineno}" if ours else ""
        message = f"{type(exc).__name__}: {str(exc)[:200]}"
        return Finding(case, what, message, time.perf_counter() - start, where, traceback.format_exc())
    finally:
        if hasattr(signal, "SIGALRM"):
            signal.alarm(0)
    elapsed = time.perf_counter() - start
    if elapsed > SLOW_CASE_SECONDS:
        return Finding(case, what, f"slow: {elapsed:.2f} s", elapsed)
    return None


def _run_chunk(args: tuple[int, int, int]) -> tuple[int, list[Finding]]:
    seed, first, count = args
    findings = []
    for case in range(first, first + count):
        finding = run_case(seed, case)
        if finding is not None:
            findings.append(finding)
    return count, findings


def run_campaign(cases: int, seed: int = 0, jobs: int | None = None, progress: bool = False) -> list[Finding]:
    """Run `cases` cases on `jobs` processes (in this process when jobs is 1)."""
    jobs = jobs or min(2, os.cpu_count() or 1)
    chunk = 200
    work = [(seed, first, min(chunk, cases - first)) for first in range(0, cases, chunk)]
    findings: list[Finding] = []
    done = 0
    start = time.time()
    if jobs <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        _worker_init(limit_memory=False)
        results = map(_run_chunk, work)
        pool = None
    else:
        pool = multiprocessing.get_context("fork").Pool(jobs, initializer=_worker_init, maxtasksperchild=50)
        results = pool.imap_unordered(_run_chunk, work)
    try:
        for count, found in results:
            done += count
            findings.extend(found)
            if progress and (done % 5000 < chunk or done == cases):
                rate = done / max(time.time() - start, 1e-9)
                print(f"{done}/{cases} cases, {len(findings)} findings, {rate:.0f} cases/s", flush=True)
    finally:
        if pool is not None:
            pool.close()
            pool.join()
    return sorted(findings, key=lambda f: f.case)


def test_fuzz_raises_only_natmod_errors():
    cases = int(os.environ.get("NATMOD_FUZZ_CASES", DEFAULT_CASES))
    seed = int(os.environ.get("NATMOD_FUZZ_SEED", "0"))
    jobs = int(os.environ.get("NATMOD_FUZZ_JOBS", "0")) or None
    findings = run_campaign(cases, seed, jobs)
    assert not findings, f"{len(findings)} finding(s):\n" + "\n".join(str(f) for f in findings[:30])


def test_mutator_is_deterministic():
    _worker_init(limit_memory=False)
    assert _CORPUS is not None
    data = _CORPUS.links[0].objects[0][1]
    a = _mutations(random.Random(7), data, "object", [data])
    b = _mutations(random.Random(7), data, "object", [data])
    assert a == b


def _main(argv: list[str]) -> int:
    import argparse

    parser = argparse.ArgumentParser(description="Run a natmod-tool fuzz campaign.")
    parser.add_argument("--cases", type=int, default=DEFAULT_CASES)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=0)
    parser.add_argument("--case", type=int, default=None, help="run one case and show its traceback")
    args = parser.parse_args(argv)
    if args.case is not None:
        _worker_init(limit_memory=False)
        finding = run_case(args.seed, args.case)
        print(finding.trace if finding and finding.trace else "", finding or "no finding", sep="")
        return 0
    start = time.time()
    findings = run_campaign(args.cases, args.seed, args.jobs or None, progress=True)
    seconds = time.time() - start
    for finding in findings:
        print(finding)
    print(f"{args.cases} cases, seed {args.seed}, {seconds:.0f} s, {len(findings)} finding(s)")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
