"""Build the test runtime for one arch with SCons, cached per user, shared by projects.

The cache folder is `cache_root()/runtime/<arch>-<key>/`, where the key digests every
input of the build: the MicroPython tree's py/ and shared/ files, our port sources,
the target's settings (targets.py) and the compiler's identity.  A folder whose key
matches is up to date by construction, so a cached call costs one digest and no
SCons run; inside a folder SCons' own signatures resume an interrupted build.

The toolchain's libraries are checked too (size and mtime recorded in the stamp), a
changed C library or libgcc relinks.

Two processes building the same key take turns on a lock file; the second one finds
the first one's finished build; a new build removes the arch's folders nobody used for two
weeks (prune.py).  The `done` stamp is written (atomically) only after
a successful build, so a crashed build is never mistaken for a finished one.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path

from ..errors import NatmodError
from ..mpydir import cache_root, validate_tree
from .prune import mark_used, prune_unused
from .romtable import ROM_LD
from .targets import TARGETS, Target

PORT_DIR = Path(__file__).resolve().parent / "port"
#: bump when the build's layout or the stamp format changes
BUILD_FORMAT = 1
STAMP = "done.json"
#: the link map the build script writes (see linked_libraries)
MAP_FILE = "natmod-testrt.map"
#: a cold build compiles ~90 files; two cores shared with others
BUILD_TIMEOUT = 20 * 60


class RuntimeBuildError(NatmodError):
    """The test runtime could not be built."""


def runtime_cache_dir() -> Path:
    """Where all runtime builds live (one subfolder per arch and input key)."""
    return cache_root() / "runtime"


def program_name(target: Target) -> str:
    return "natmod-testrt" if target.hosted else "natmod-testrt.elf"


def _digest_files(digest: hashlib._Hash, root: Path, folders: tuple[str, ...]) -> None:
    for folder in folders:
        base = root / folder
        for path in sorted(p for p in base.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
            digest.update(str(path.relative_to(root)).encode() + b"\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest())


def tree_digest(mpy_dir: Path) -> str:
    """Digest of the tree's py/ and shared/ (every file the build may read)."""
    digest = hashlib.sha256()
    _digest_files(digest, mpy_dir, ("py", "shared"))
    return digest.hexdigest()


def port_digest() -> str:
    """Digest of our port sources, the build script, the target table and the xtensa ROM table."""
    digest = hashlib.sha256()
    _digest_files(digest, PORT_DIR, (".",))
    digest.update((Path(__file__).parent / "targets.py").read_bytes())
    digest.update((Path(__file__).parent / "romtable.py").read_bytes())
    digest.update(ROM_LD.read_bytes())
    digest.update(f"format {BUILD_FORMAT}".encode())
    return digest.hexdigest()


def compiler_identity(target: Target) -> str:
    """The compiler's resolved path and `--version` line: a new compiler is a new build."""
    exe = shutil.which(target.compiler[0])
    if exe is None:
        raise RuntimeBuildError(f"{target.compiler[0]} is not installed: apt-get install {' '.join(target.packages)}")
    try:
        done = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.SubprocessError) as exc:
        raise RuntimeBuildError(f"{exe} --version failed ({exc})") from None
    first = (done.stdout.splitlines() or [""])[0]
    return f"{os.path.realpath(exe)}\n{first}"


def build_key(target: Target, mpy_dir: Path) -> str:
    digest = hashlib.sha256()
    for part in (
        target.arch,
        tree_digest(mpy_dir),
        port_digest(),
        json.dumps(asdict(target), sort_keys=True),
        compiler_identity(target),
        sys.version.split()[0],
    ):
        digest.update(part.encode() + b"\n")
    return digest.hexdigest()[:20]


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on `path` (POSIX flock; released if the process dies)."""
    import fcntl

    with open(path, "a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _file_state(path: str) -> list[int] | None:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return [info.st_size, info.st_mtime_ns]


def linked_libraries(folder: Path) -> dict[str, list[int] | None]:
    """The toolchain files the link read (`LOAD` lines of the link map), with size and mtime.

    The C library, libgcc and start files are inputs of the program, but not of the
    cache key (asking the compiler for each would cost a process per call); the
    stamp records them and a changed one relinks.
    """
    try:
        lines = (folder / MAP_FILE).read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return {}
    loaded = [ln.split(None, 1)[1].strip() for ln in lines if ln.startswith("LOAD ")]
    return {p: _file_state(p) for p in loaded if os.path.isabs(p) and not p.startswith(str(folder))}


def _stamp_ok(folder: Path, key: str, program: Path) -> bool:
    try:
        stamp = json.loads((folder / STAMP).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if stamp.get("key") != key or not program.is_file():
        return False
    libraries = stamp.get("libraries", {})
    if any(_file_state(path) != state for path, state in libraries.items()):
        program.unlink()  # SCons does not know these files: make it link again
        return False
    return True


def _progress(line: str, quiet: bool) -> None:
    if not quiet:
        sys.stderr.write(f"natmod: {line}\n")
        sys.stderr.flush()


def scons_command(target: Target, mpy_dir: Path, jobs: int = 2) -> list[str]:
    """argv of the SCons run that builds `target` in the current folder."""
    return [
        sys.executable,
        "-m",
        "SCons",
        "-Q",
        f"-j{jobs}",
        "-f",
        str(PORT_DIR / "SConstruct"),
        f"ARCH={target.arch}",
        f"MPY_DIR={mpy_dir}",
        f"PORT_DIR={PORT_DIR}",
    ]


def _scons_env() -> dict[str, str]:
    """SCons must import this natmod_tool (the build script reads targets.py)."""
    env = dict(os.environ)
    package_parent = str(Path(__file__).resolve().parent.parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_parent, env.get("PYTHONPATH", "")) if p)
    return env


def build_runtime(arch: str, mpy_dir: str | os.PathLike[str], *, quiet: bool = False) -> Path:
    """Build (or find cached) the runtime for `arch` from the tree `mpy_dir`; return the program."""
    target = TARGETS[arch]
    tree = validate_tree(mpy_dir, "the test runtime's MicroPython tree")
    for needed in ("py/runtime.c", "py/makeqstrdefs.py", "shared/runtime/gchelper_native.c"):
        if not (tree / needed).is_file():
            raise RuntimeBuildError(
                f"MicroPython tree {tree} has no {needed}: the test runtime compiles the interpreter, "
                "it needs a full py/ and shared/ (the default tree has them)"
            )
    key = build_key(target, tree)
    folder = runtime_cache_dir() / f"{arch}-{key}"
    program = folder / program_name(target)
    if _stamp_ok(folder, key, program):
        mark_used(folder / STAMP)
        return program
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RuntimeBuildError(f"cannot create the runtime cache folder {folder} ({exc.strerror or exc})") from None
    with _locked(folder.parent / f"{arch}-{key}.lock"):
        if _stamp_ok(folder, key, program):
            return program
        _progress(f"building the {arch} test runtime ({target.board}) in {folder} ...", quiet)
        started = time.monotonic()
        try:
            done = subprocess.run(
                scons_command(target, tree),
                cwd=folder,
                env=_scons_env(),
                capture_output=True,
                text=True,
                errors="replace",
                timeout=BUILD_TIMEOUT,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise RuntimeBuildError(f"building the {arch} test runtime took over {BUILD_TIMEOUT} s") from None
        (folder / "build.log").write_text(done.stdout + done.stderr, encoding="utf-8")
        if done.returncode != 0 or not program.is_file():
            lines = [ln for ln in (done.stderr + done.stdout).splitlines() if ln.strip()]
            errors = [ln for ln in lines if "error" in ln.lower()]
            reason = (errors or lines or [f"exit status {done.returncode}"])[0].strip()
            raise RuntimeBuildError(
                f"building the {arch} test runtime failed: {reason} (full log: {folder / 'build.log'})"
            )
        tmp = folder / f".{STAMP}.tmp"
        stamp = {"key": key, "arch": arch, "tree": str(tree), "libraries": linked_libraries(folder)}
        tmp.write_text(json.dumps(stamp, indent=1), encoding="utf-8")
        os.replace(tmp, folder / STAMP)
        _progress(f"built the {arch} test runtime in {time.monotonic() - started:.1f} s", quiet)
    prune_unused(folder.parent, arch, folder, STAMP)
    return program
