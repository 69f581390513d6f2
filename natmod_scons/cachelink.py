"""CACHE_LINK=1: outputs retrieved from CACHE_DIR as hard links to the entries, not copies.

Why: a clone filled from a warm cache spends much of its time creating files: SCons
copies every object, header and module out of the cache, and on a slow file system
(ext4 on a busy VM, NFS) each new file costs about as much as SCons' own work on the
node.  A hard link makes no new data, only a name.

Why it is safe enough to offer, and why it is not the default: the output and the
cache entry are then one file, so whatever rewrites an output *in place* rewrites the
entry too, for every clone that shares it.  SCons deletes a target before rebuilding
it (unless it is `Precious`), this tool writes its own outputs through a temporary
file and a rename, and SCons fills the cache the same way, so none of the build's own
steps does.  An editor or script that edits a built file in place would.  Retrieval
here also never writes into an existing file: the link is made under a temporary name
and renamed over the target, so a `Precious` target that was linked before is
replaced, not overwritten.  Where a link cannot be made (the cache on another file
system, a file the user may not link), the entry is copied, the same way.
"""

from __future__ import annotations

import itertools
import os
import threading
from typing import Any

import SCons.CacheDir

#: distinct temporary names for retrievals running in parallel (`-j`) threads
_SERIAL = itertools.count()


def _temporary_beside(dst: str) -> str:
    """A name in `dst`'s folder that no other retrieval of this process uses."""
    folder, name = os.path.split(dst)
    unique = f"{os.getpid()}.{threading.get_ident()}.{next(_SERIAL)}"
    return os.path.join(folder, f".{name}.{unique}.natmod-cache")


class LinkingCacheDir(SCons.CacheDir.CacheDir):
    """SCons' CacheDir, retrieving entries as hard links (the documented `custom_class` hook)."""

    @classmethod
    def copy_from_cache(cls, env: Any, src: str, dst: str) -> str:
        """Put the entry `src` at `dst` as a hard link, or a copy where no link can be made."""
        temporary = _temporary_beside(dst)
        try:
            try:
                os.link(src, temporary)
            except OSError:  # another file system, no permission, too many links: copy
                super().copy_from_cache(env, src, temporary)
            os.replace(temporary, dst)
        except BaseException:
            try:
                os.unlink(temporary)
            except OSError:
                pass
            raise
        return dst


def cache_class(link: bool) -> Any:
    """The CacheDir class for `env.CacheDir(path, custom_class)`: None is SCons' own (copies)."""
    return LinkingCacheDir if link else None
