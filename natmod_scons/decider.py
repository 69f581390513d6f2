"""The tool's decider: content-timestamp for sources, content for generated files.

Why not plain `Decider('content-timestamp')`: SCons stores timestamps in whole
seconds and, when a dependency's timestamp matches the stored one, trusts it and even
copies the old content signature onto it.  A generated file (qstr header, object,
native `.mpy`) rebuilt within the same second as its previous build therefore looks
unchanged to its dependents, which are silently left stale; scripted builds (tests,
benchmarks, editor-on-save) hit this often.  Generated files are few and small, so
hashing them costs little.  Sources, the bulk of the dependencies (every MicroPython
header), keep the fast check: unchanged timestamp *and* size means unchanged (the
size catches most edits made within the same second), anything else compares content,
so `touch` alone rebuilds nothing.
"""

from __future__ import annotations

from typing import Any


def decide(dependency: Any, target: Any, prev_ni: Any, repo_node: Any = None) -> bool:
    """True when `dependency` changed since `target` was last built (SCons decider protocol).

    SCons also calls this right after building a target, to record its dependencies'
    signatures; computing the content signature whenever the answer is not "same
    timestamp and size" is what records them.
    """
    previous_csig = getattr(prev_ni, "csig", None)
    if prev_ni is not None and not dependency.has_builder():
        same_time = dependency.get_timestamp() == getattr(prev_ni, "timestamp", None)
        if same_time and dependency.get_size() == getattr(prev_ni, "size", None):
            if previous_csig is not None:
                dependency.get_ninfo().csig = previous_csig  # keep it recorded, as SCons does
            return False
    current = dependency.get_csig()
    return previous_csig is None or current != previous_csig
