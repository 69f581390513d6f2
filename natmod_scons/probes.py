"""Ask a compiler, once, the few things SConscript reading needs, and remember the answers.

Why: RISC-V compile flags depend on where `picolibc.specs` lives, `LINK_RUNTIME=1` needs
the toolchain's libgcc and libm (or picolibc's libc), and `gcc -m32` is only usable when
the 32-bit multilib is installed.  Spawning compilers for that on every `scons` run
would make a no-op rebuild slow, so answers are stored in a per-user JSON cache keyed
by the compiler's identity (resolved path, size, mtime) and its arch flags: an upgraded
compiler is asked again, nothing else is.  An answer is also asked again when the package
database changed since (picolibc's specs file and newlib's libm come in packages of their
own, installed after the compiler or removed without touching it) or when a file it names
is gone, so a probe taken before `apt-get install picolibc-...` is never kept.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
from dataclasses import asdict, dataclass
from pathlib import Path

from natmod_tool.fileio import write_atomic

#: bump when the probe's questions change, so stale entries are ignored
CACHE_FORMAT = 5

#: Debian's package database: it changes whenever a package is installed or removed
PACKAGE_DB = "/var/lib/dpkg/status"


@dataclass(frozen=True)
class Probe:
    """What one compiler (with one arch's flags) said about itself."""

    version: str  # first line of `--version`, tracked so a new compiler rebuilds
    specs: str | None  # picolibc specs file to pass as -specs=, if any
    libgcc: str | None  # resolved libgcc.a, None if the compiler has none
    libm: str | None  # resolved libm.a (libc.a with picolibc), None if not found


def cache_file() -> Path:
    """`$NATMOD_CACHE_DIR` or `${XDG_CACHE_HOME:-~/.cache}/natmod-tool`, file toolchains.json."""
    explicit = os.environ.get("NATMOD_CACHE_DIR")
    if explicit:
        return Path(explicit) / "toolchains.json"
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    base = Path(xdg) if os.path.isabs(xdg) else Path.home() / ".cache"
    return base / "natmod-tool" / "toolchains.json"


def _ask(argv: list[str]) -> str:
    """Output of one compiler query; empty when the compiler cannot answer."""
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def _existing(path: str) -> str | None:
    """`path` resolved, if the compiler printed a real file (it echoes the bare name otherwise)."""
    if path and os.path.isabs(path) and os.path.isfile(path):
        return os.path.realpath(path)
    return None


def run_probe(cc: list[str], flags: list[str], picolibc: tuple[str, str] | None) -> Probe:
    """Query `cc` (argv prefix) with the arch `flags`.

    `picolibc` is (target triple, multilib subdir such as `rv32imac/ilp32`) for arches
    whose reference build uses picolibc's specs file (format.md 1, 2), else None.
    """
    version = _ask([*cc, "--version"]).splitlines()
    specs = None
    if picolibc is not None:
        triple, _subdir = picolibc
        found = _existing(_ask([*cc, "-print-file-name=picolibc.specs"]))
        if found and triple in Path(found).read_text(errors="replace"):
            specs = found
    spec_flags = [f"-specs={specs}"] if specs else []
    libgcc = _existing(_ask([*cc, *flags, *spec_flags, "-print-libgcc-file-name"]))
    lib_name = "libc.a" if specs else "libm.a"
    libm = _existing(_ask([*cc, *flags, *spec_flags, f"-print-file-name={lib_name}"]))
    if picolibc is not None:
        # picolibc's specs do not select the multilib folder for -print-file-name, so
        # rv32imc got the 64-bit libc.a: the arch's own folder wins when it exists
        triple, subdir = picolibc
        libm = _existing(f"/usr/lib/picolibc/{triple}/lib/{subdir}/libc.a") or libm
    return Probe(version=version[0] if version else "", specs=specs, libgcc=libgcc, libm=libm)


def system_stamp() -> str:
    """When the installed packages last changed ("" where there is no dpkg database)."""
    try:
        return str(os.stat(PACKAGE_DB).st_mtime_ns)
    except OSError:
        return ""


def _still_valid(entry: dict, stamp: str) -> bool:
    """Whether a cached answer can stand: same package set, and every file it names exists."""
    if entry.get("stamp") != stamp:
        return False
    return all(entry.get(name) is None or os.path.isfile(entry[name]) for name in ("specs", "libgcc", "libm"))


class ProbeCache:
    """The per-user cache; one instance per SCons process (see `shared()`)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._entries: dict[str, dict] | None = None
        self._lock = threading.Lock()

    def _load(self) -> dict[str, dict]:
        if self._entries is None:
            try:
                data = json.loads(self.path.read_text())
                ok = isinstance(data, dict) and data.get("format") == CACHE_FORMAT
                self._entries = dict(data.get("entries", {})) if ok else {}
            except (OSError, ValueError):
                self._entries = {}
        return self._entries

    @staticmethod
    def key(binary: str, cc: list[str], flags: list[str]) -> str:
        """Identity of a compiler binary plus the way it is called."""
        real = os.path.realpath(binary)
        st = os.stat(real)
        return "\x1f".join([real, str(st.st_size), str(st.st_mtime_ns), *cc, "|", *flags])

    def get(self, binary: str, cc: list[str], flags: list[str], picolibc: tuple[str, str] | None) -> Probe:
        """The cached answer for this compiler, probing (and saving) on a miss."""
        with self._lock:
            entries = self._load()
            key = self.key(binary, cc, flags)
            hit = entries.get(key)
            stamp = system_stamp()
            if hit is not None and _still_valid(hit, stamp):
                try:
                    return Probe(**{k: v for k, v in hit.items() if k != "stamp"})
                except TypeError:
                    pass
            probe = run_probe(cc, flags, picolibc)
            entries[key] = {**asdict(probe), "stamp": stamp}
            self._save(entries)
            return probe

    def _save(self, entries: dict[str, dict]) -> None:
        """Best effort: a read-only home only costs a probe on the next run."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            text = json.dumps({"format": CACHE_FORMAT, "entries": entries}, indent=1, sort_keys=True)
            write_atomic(self.path, text.encode())
        except OSError:
            pass


_SHARED: ProbeCache | None = None


def shared() -> ProbeCache:
    """The process-wide cache (SCons reads all SConscripts in one process)."""
    global _SHARED
    if _SHARED is None or _SHARED.path != cache_file():
        _SHARED = ProbeCache(cache_file())
    return _SHARED
