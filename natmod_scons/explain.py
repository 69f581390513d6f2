"""Make `--debug=explain` truthful with the content-timestamp decider.

Why: SCons' explain code calls the decider without the node whose stored build info
holds the previous signatures, so with `content-timestamp` every dependency of a
rebuilt target is reported as "changed" (the normal up-to-date check passes that node
and is right).  We pass the target in that one case, which is what the regular
check does; nothing changes for builds without `--debug=explain`.
"""

from __future__ import annotations

from typing import Any, Callable

_PATCHED = False


def _with_target(decider: Callable[..., bool]) -> Callable[..., bool]:
    def decide(node: Any, target: Any, prev_ni: Any, repo_node: Any = None) -> bool:
        return decider(node, target, prev_ni, target if repo_node is None else repo_node)

    decide.__doc__ = decider.__doc__
    return decide


def install_if_requested() -> None:
    """Patch SCons' decider table once, only when the user asked for `--debug=explain`."""
    global _PATCHED
    from SCons.Script import GetOption

    if _PATCHED or "explain" not in (GetOption("debug") or []):
        return
    import SCons.Node

    table = SCons.Node._decider_map
    for key in (4, 5):  # decide_source / decide_target: what env.Decider() installs
        if table.get(key) in (SCons.Node.decide_source, SCons.Node.decide_target):
            table[key] = _with_target(table[key])
    _PATCHED = True
