"""Remove runtime builds nobody has used for a while.

Why: every change to the port, the tree, the target table or the compiler gives an arch
a new cache folder (`<arch>-<key>`, 30-60 MB each), and the old ones were never removed,
so a developer's cache grew by about half a gigabyte per week of upgrades.  Folders are
shared by every project and checkout of the user, which may need different keys at the
same time, so only folders unused for `MAX_AGE_DAYS` go (use = a build or a cached hit,
which touches the stamp), and never one whose lock another process holds.
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import time
from pathlib import Path
from typing import BinaryIO

#: a runtime folder of an arch that no run has used for this long is removed
MAX_AGE_DAYS = 14
#: `build.build_key` is 20 hex digits
_KEY = "[0-9a-f]{20}"


def mark_used(stamp: Path) -> None:
    """Record a use of a runtime folder (its stamp's mtime); best effort."""
    try:
        os.utime(stamp)
    except OSError:
        pass


def _last_use(folder: Path, stamp_name: str) -> float:
    try:
        return (folder / stamp_name).stat().st_mtime
    except OSError:  # never finished: its own age
        return folder.stat().st_mtime


def _try_lock(lock: Path) -> BinaryIO | None:
    """An open, exclusively locked handle on `lock`, or None when another process holds it."""
    try:
        handle = open(lock, "a+b")
    except OSError:
        return None
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        return None
    return handle


def prune_unused(cache: Path, arch: str, keep: Path, stamp_name: str, now: float | None = None) -> list[Path]:
    """Remove `arch`'s runtime folders in `cache` unused for MAX_AGE_DAYS, except `keep`."""
    now = time.time() if now is None else now
    pattern = re.compile(rf"{re.escape(arch)}-{_KEY}")
    removed = []
    for folder in sorted(cache.glob(f"{arch}-*")):
        if folder == keep or not folder.is_dir() or not pattern.fullmatch(folder.name):
            continue
        if now - _last_use(folder, stamp_name) < MAX_AGE_DAYS * 86400:
            continue
        lock = cache / f"{folder.name}.lock"
        handle = _try_lock(lock)
        if handle is None:
            continue
        try:
            shutil.rmtree(folder, ignore_errors=True)
            lock.unlink(missing_ok=True)
        finally:
            handle.close()
        if not folder.exists():
            removed.append(folder)
    return removed
