"""SCons' signature database in one file per arch build folder, plus one for the rest.

Why: ARCH_JOBS (fanout.py) builds the arches in several SCons processes of one checkout.
SCons keeps every signature in one `.sconsign.dblite` that each process reads at its start
and rewrites whole at its end, so parallel processes would overwrite each other's
records (and race on its fixed temporary name).  Split by the folder a record belongs to,
each arch's records (`BUILD_DIR/<arch>/.sconsign.dblite`) are written by the one process
that builds that arch; only the top file keeps records several processes share (sources,
headers, libraries: the file status that saves re-hashing them), and it is updated under
a lock, entry by entry (a process writes back only the entries it changed).

The split is the same with or without ARCH_JOBS, so a plain `scons` and a fanned-out one
read each other's records; removing an arch folder also drops that arch's records.  Each file
has SCons' dblite format (`sconsign build/<arch>/.sconsign.dblite` shows it).  Records of an
arch folder that has no file yet are read from the top file, where SCons kept them before.

Installed by NativeMpyProject (it owns the build) unless the SConstruct chose its own
`SConsignFile(...)`.
"""

from __future__ import annotations

import os
import pickle

from natmod_tool.arch import ARCHES
from natmod_tool.fileio import write_atomic

from .filelock import folder_locked

#: each file's name, as SCons' default (`<name>.dblite`)
SUFFIX = ".dblite"


def _stamp(path: str) -> tuple[int, int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_ino, st.st_mtime_ns, st.st_size)


def _read(path: str) -> dict[str, bytes]:
    """A dblite file's records ({} when missing, empty or unreadable: SCons rebuilds what it lacks)."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
        data = pickle.loads(raw) if raw else {}
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, IndexError):
        return {}
    return data if isinstance(data, dict) else {}


def _write(path: str, data: dict[str, bytes]) -> None:
    """Replace `path` in one rename (a temporary name of this process's own, natmod_tool.fileio)."""
    from SCons.compat import PICKLE_PROTOCOL

    write_atomic(path, pickle.dumps(data, PICKLE_PROTOCOL))


def _entries(raw: bytes | None) -> dict[str, bytes]:
    """One folder's record as {file name: that entry pickled alone}, to tell changed entries."""
    if not raw:
        return {}
    try:
        entries = pickle.loads(raw)
    except Exception:  # a corrupt record: SCons warns about it itself
        return {}
    return {name: pickle.dumps(entry) for name, entry in entries.items()} if isinstance(entries, dict) else {}


class _SignatureFile:
    """One dblite file: its records as loaded, what this process changed, and its state then."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.stamp = _stamp(path)
        self.data = _read(path) if self.stamp is not None else {}
        self.dirty: set[str] = set()
        #: per folder key read: its entries as they were, each pickled alone (top file only)
        self.baseline: dict[str, dict[str, bytes]] = {}


class Partitions:
    """Which file a folder's record goes to: an arch build folder's own, else the top one."""

    def __init__(self, build_dir: str) -> None:
        #: BUILD_DIR as SCons names folders in the database: below the top folder relative
        self.prefix = os.path.normcase(build_dir).rstrip("/\\")

    def folder_of(self, key: str) -> str | None:
        """`BUILD_DIR/<arch>` or `BUILD_DIR/<mpy version>/<arch>` holding `key`, else None."""
        prefix = self.prefix
        if not key.startswith(prefix) or key[len(prefix) : len(prefix) + 1] not in ("/", os.sep):
            return None
        parts = key[len(prefix) + 1 :].replace(os.sep, "/").split("/")
        for depth in (1, 2):
            if len(parts) >= depth and parts[depth - 1] in ARCHES:
                return os.path.join(prefix, *parts[:depth])
        return None


class SignatureFiles:
    """The dbm-style object SCons' `SConsign` module reads and writes (`db[folder]`, `sync`)."""

    def __init__(self, name: str, partitions: Partitions) -> None:
        self.partitions = partitions
        self.top = _SignatureFile(name + SUFFIX)
        self.files: dict[str, _SignatureFile] = {}

    def _file(self, key: str) -> _SignatureFile:
        folder = self.partitions.folder_of(key)
        if folder is None:
            return self.top
        found = self.files.get(folder)
        if found is None:
            found = self.files[folder] = _SignatureFile(os.path.join(folder, os.path.basename(self.top.path)))
        return found

    def __getitem__(self, key: str) -> bytes:
        sigfile = self._file(key)
        if key in sigfile.data:
            value = sigfile.data[key]
        elif sigfile is not self.top and sigfile.stamp is None and key in self.top.data:
            value = self.top.data[key]  # written before the split: read once, then kept in the arch's file
        else:
            raise KeyError(key)
        if sigfile is self.top and key not in sigfile.baseline:
            sigfile.baseline[key] = _entries(value)
        return value

    def __setitem__(self, key: str, value: bytes) -> None:
        if not isinstance(key, str) or not isinstance(value, bytes):
            raise TypeError(f"signature record {key!r}: a str key and bytes value are expected")
        sigfile = self._file(key)
        if sigfile is self.top and key not in sigfile.baseline:
            sigfile.baseline[key] = _entries(sigfile.data.get(key))
        sigfile.data[key] = value
        sigfile.dirty.add(key)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key in self._file(key).data

    def keys(self) -> list[str]:
        return [key for sigfile in (self.top, *self.files.values()) for key in sigfile.data]

    def sync(self) -> None:
        """Write each changed file: an arch folder's as it is, the top one merged under a lock."""
        for sigfile in self.files.values():
            if sigfile.dirty and os.path.isdir(os.path.dirname(sigfile.path) or "."):
                _write(sigfile.path, sigfile.data)  # a folder `scons -c` removed gets no file
                sigfile.dirty.clear()
        if self.top.dirty:
            self._sync_top()

    def _sync_top(self) -> None:
        top = self.top
        with folder_locked(os.path.dirname(os.path.abspath(top.path))):
            data = top.data
            if _stamp(top.path) != top.stamp:  # another process wrote it since we read it
                data = _read(top.path)
                for key in top.dirty:
                    data[key] = self._merged(key, data.get(key))
            data = {key: value for key, value in data.items() if self.partitions.folder_of(key) is None}
            _write(top.path, data)
            top.data, top.stamp = data, _stamp(top.path)
        top.dirty.clear()
        top.baseline = {key: _entries(data.get(key)) for key in top.baseline}

    def _merged(self, key: str, theirs: bytes | None) -> bytes:
        """Their record of one folder with the entries this process changed put in."""
        from SCons.compat import PICKLE_PROTOCOL

        ours = pickle.loads(self.top.data[key])
        before = self.top.baseline.get(key, {})
        merged = pickle.loads(theirs) if theirs else {}
        if not isinstance(merged, dict):
            merged = {}
        for name, entry in ours.items():
            if pickle.dumps(entry) != before.get(name):
                merged[name] = entry
        return pickle.dumps(merged, PICKLE_PROTOCOL)

    def close(self) -> None:
        self.sync()


class _Module:
    """What `SConsignFile(name, dbm_module)` expects: an `open(name, mode)`."""

    def __init__(self, partitions: Partitions) -> None:
        self.partitions = partitions

    def open(self, name: str, mode: str = "c") -> SignatureFiles:
        return SignatureFiles(name, self.partitions)


def uses_defaults() -> bool:
    """Whether SCons would still use its own single file (no `SConsignFile` call, nothing read yet)."""
    import SCons.dblite
    import SCons.SConsign

    return (
        SCons.SConsign.DB_Module is SCons.dblite
        and SCons.SConsign.ForDirectory is SCons.SConsign.DB
        and not SCons.SConsign.DataBase
    )


def installed() -> bool:
    """Whether SCons uses the split database (install() ran and nothing replaced it since)."""
    import SCons.SConsign

    return isinstance(SCons.SConsign.DB_Module, _Module) and SCons.SConsign.ForDirectory is SCons.SConsign.DB


def install(build_dir: str, top: str) -> bool:
    """Split the database by arch folder below `build_dir` (absolute); False when the
    SConstruct chose its own database, which is then kept."""
    import SCons.SConsign

    if installed():
        return True
    if not uses_defaults():
        return False
    rel = os.path.relpath(build_dir, top)
    key = build_dir if rel == os.pardir or rel.startswith(os.pardir + os.sep) else rel
    name = SCons.SConsign.DB_Name or SCons.SConsign.current_sconsign_filename()
    SCons.SConsign.File(name, _Module(Partitions(key)))
    return True
