"""The tool's decider: content-timestamp, made safe for files rebuilt within one second.

Why not plain `Decider('content-timestamp')`: SCons stores timestamps in whole
seconds and, when a dependency's timestamp matches the stored one, trusts it and even
copies the old content signature onto it.  A generated file (qstr header, object,
native `.mpy`) rebuilt within the same second as its previous build therefore looks
unchanged to its dependents, which are silently left stale; scripted builds (tests,
benchmarks, editor-on-save) hit this often.

The rule here: unchanged timestamp *and* size means unchanged (the size catches most
edits made within the same second), anything else compares content, so `touch` alone
rebuilds nothing.  For a generated dependency the timestamp is trusted only when it
cannot hide a second write: the target recorded it at or after its own file's time, so
when that is a later second than the dependency's recorded one, any rewrite of the
dependency since came later still and shows as a new timestamp.  Otherwise (both in the
same second) its content is hashed.  A no-op build therefore hashes nothing that was
built more than a second before its dependents, which is what keeps it at SCons' own
speed; it used to hash every generated dependency younger than SCons' `max_drift` (two
days).
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
    if prev_ni is not None:
        recorded = getattr(prev_ni, "timestamp", None)
        if dependency.get_timestamp() == recorded and dependency.get_size() == getattr(prev_ni, "size", None):
            if not dependency.has_builder() or _recorded_later(target, recorded):
                if previous_csig is not None:
                    dependency.get_ninfo().csig = previous_csig  # keep it recorded, as SCons does
                return False
    current = dependency.get_csig()
    return previous_csig is None or current != previous_csig


def _recorded_later(target: Any, recorded: Any) -> bool:
    """True when `target`'s file is from a later second than the dependency's recorded time."""
    if recorded is None or target is None or not target.exists():
        return False
    return target.get_timestamp() > recorded
