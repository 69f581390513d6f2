"""An exclusive lock on a folder, for read-merge-write updates of files several builds share.

Why: with ARCH_JOBS (fanout.py) several SCons processes of one checkout finish at about
the same time and each updates the same top-level files (the common signature file, the
no-op record).  Each writes through a temporary file and a rename, so a reader never sees
half a file; the lock makes "read what is there, merge, write" one step, so no process
drops what another one wrote a moment before.

The lock is `flock` on the folder itself (no lock file is left behind).  Where there is no
`fcntl` (Windows), or the folder cannot be opened, the update runs unlocked: the rename
still keeps every file whole, and a lost update only costs re-hashing a file next time.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]


@contextlib.contextmanager
def folder_locked(folder: str) -> Iterator[None]:
    """Hold an exclusive `flock` on `folder` for the `with` block (best effort, see above)."""
    fd = -1
    if fcntl is not None:
        try:
            fd = os.open(folder or ".", os.O_RDONLY)
            fcntl.flock(fd, fcntl.LOCK_EX)
        except OSError:
            if fd >= 0:
                os.close(fd)
            fd = -1
    try:
        yield
    finally:
        if fd >= 0:
            os.close(fd)  # closing the descriptor releases the lock
