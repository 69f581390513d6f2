"""The dist record: which files `dist` wrote, so stale ones can go without touching the user's.

Why a record: SCons only knows the dist files of the modules declared in this run, so the
copies of a module that was renamed or deleted (or written under an older DIST_PATTERN)
would stay in DIST_DIR forever, and DIST_DIR may also hold files the user put there.
`dist` keeps `BUILD_DIR/natmod-dist.json`: each file it published, with its SHA-256.
The next `dist` removes the recorded files it no longer publishes, and `scons -c` every
recorded file; a file is removed only while it still has the recorded content (a file
the user replaced or edited is theirs).  The record lives in BUILD_DIR, not in DIST_DIR,
so the published folder holds nothing but the modules and their package files.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from typing import Any

from .variables import Settings, top_path

RECORD_NAME = "natmod-dist.json"


def _digest(path: str) -> str | None:
    try:
        with open(path, "rb") as handle:
            return hashlib.sha256(handle.read()).hexdigest()
    except OSError:
        return None


def _read(record: str) -> dict[str, Any]:
    """The previous record ({} when there is none or it is not ours)."""
    try:
        with open(record, encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) and isinstance(data.get("files"), dict) else {}


def ours(top: str, record: str) -> list[str]:
    """Absolute paths of recorded files that still hold what `dist` wrote."""
    data = _read(record)
    found = []
    for rel, digest in data.get("files", {}).items():
        path = os.path.normpath(os.path.join(top, rel))
        if _digest(path) == digest:
            found.append(path)
    return found


def _remove_stale(top: str, old: dict[str, Any], new: dict[str, str]) -> None:
    """Remove recorded files no longer published, then their emptied folders inside DIST_DIR."""
    root = os.path.normpath(os.path.join(top, str(old.get("dist_dir", ""))))
    for rel, digest in old.get("files", {}).items():
        path = os.path.normpath(os.path.join(top, rel))
        if rel in new or _digest(path) != digest:
            continue
        os.remove(path)
        sys.stdout.write(f"natmod: removed stale {os.path.relpath(path, top)}\n")
        folder = os.path.dirname(path)
        while folder != root and folder.startswith(root + os.sep) and not os.listdir(folder):
            os.rmdir(folder)
            folder = os.path.dirname(folder)


def _write_record(target: list, source: list, env: Any) -> int:
    """The record's action: drop what the last `dist` published and this one does not."""
    from natmod_tool.fileio import write_atomic

    top = env.Dir("#").abspath
    files = {os.path.relpath(node.abspath, top): _digest(node.abspath) or "" for node in source}
    _remove_stale(top, _read(target[0].abspath), files)
    text = json.dumps({"dist_dir": env["NATMOD_DIST_DIR_REL"], "files": files}, indent=1, sort_keys=True)
    write_atomic(target[0].abspath, (text + "\n").encode())
    return 0


def declare(env: Any, settings: Settings, published: list, modules: list) -> list:
    """The record node (a `dist` target), and what `scons -c` removes besides the modules."""
    import SCons.Action
    from SCons.Script import GetOption

    top = env.Dir("#").abspath
    record = env.File(os.path.join(top_path(settings.build_dir), RECORD_NAME))
    dist_rel = os.path.relpath(env.Dir(top_path(settings.dist_dir)).abspath, top)
    made = env.Command(record, published, SCons.Action.Action(_write_record, None), NATMOD_DIST_DIR_REL=dist_rel)
    env.Precious(made)  # SCons would delete the old record before the action reads it
    env.NoCache(made)  # a CACHE_DIR copy would skip the action, and with it the removals
    if GetOption("clean"):  # only then is the old record read (and hashed)
        env.Clean([*modules, *made], [env.File(path) for path in ours(top, record.abspath)])
        env.Clean(modules, made)
    return made
