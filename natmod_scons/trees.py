"""`MPY_DIR=tree1,tree2`: one build for several MicroPython versions (native ABIs).

A module published for boards in the field needs one `.mpy` per arch and per `.mpy`
version (`6.3`: version and native sub-version), since a firmware imports only the
sub-version it was built with.  Each tree gets its own arch environments, build folder
`BUILD_DIR/<mpy version>/<arch>/` (one tree keeps `BUILD_DIR/<arch>/`, so existing builds
and their paths stay as they were) and an `mpy-cross` emitting its version (natmod_tool.mpycross),
found only when a module of the tree has `.py` files.  Two trees with the same `.mpy`
version would produce files no loader can tell apart, so that is refused.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from typing import Any

from natmod_tool.errors import NatmodError

from . import output


@dataclass(frozen=True)
class Tree:
    """One resolved MicroPython tree of MPY_DIR."""

    path: str
    mpy_label: str  # "6.3"
    sub_version: int
    release: str  # "1.28.0", "1.29.0-preview"


def split_list(value: str) -> list[str]:
    """MPY_DIR's entries: comma separated, blanks dropped; [""] (the default tree) when empty."""
    parts = [part.strip() for part in str(value or "").split(",")]
    parts = [part for part in parts if part]
    return parts or [""]


def resolve(value: str, *, for_help: bool = False) -> list[Tree]:
    """Resolve and read every tree of MPY_DIR; stops the build with one line on a bad one."""
    from natmod_tool.mpydir import resolve_mpy_dir
    from natmod_tool.mpyversion import read_tree_version

    trees: list[Tree] = []
    if not str(value or "").strip() and "," in os.environ.get("MPY_DIR", ""):
        value = os.environ["MPY_DIR"]  # the environment variable may list several trees too
    for entry in split_list(value):
        try:
            path = str(resolve_mpy_dir(entry or None, fetch=not for_help))
            version = read_tree_version(path)
        except NatmodError as exc:
            if for_help:  # `scons -h` must work before the tree is fetched
                return [Tree(entry, "", 3, "")]
            output.fail(str(exc))
        if version.mpy_version != 6:
            output.fail(
                f"MPY_DIR tree {path} writes .mpy v{version.mpy_label}: natmod-tool links .mpy version 6 "
                "(MicroPython 1.22 and newer) only; drop it from MPY_DIR"
            )
        tree = Tree(path, version.mpy_label, version.mpy_sub_version, version.release_text)
        for other in trees:
            if other.mpy_label == tree.mpy_label:
                output.fail(
                    f"MPY_DIR lists {other.path} (MicroPython {other.release}) and {path} "
                    f"(MicroPython {tree.release}), "
                    f"both .mpy v{tree.mpy_label}: a firmware cannot tell their modules apart, keep one of them"
                )
        trees.append(tree)
    return trees


def build_dir(build_root: str, tree: Tree, arch: str, several: bool) -> str:
    """`BUILD_DIR/<arch>` for one tree, `BUILD_DIR/<mpy version>/<arch>` for several."""
    return os.path.join(build_root, tree.mpy_label, arch) if several else os.path.join(build_root, arch)


@functools.cache
def _matching(path: str, at_hand: str) -> str:
    from natmod_tool.mpycross import matching_mpy_cross
    from natmod_tool.mpyversion import read_tree_version

    try:
        return matching_mpy_cross(read_tree_version(path), path, at_hand)
    except NatmodError as exc:
        output.fail(str(exc))


def _mpy_cross_for(env: Any) -> str:
    """`$MPY_CROSS` of a tree's environment: resolved on first use (only modules with `.py` files)."""
    return _matching(env["NATMOD_MPY_DIR"], env["NATMOD_MPY_CROSS_AT_HAND"])


def _mpy_cross_label(env: Any) -> str:
    """What the bytecode depends on: the compiler at hand's label, or the cached release's path."""
    program = _mpy_cross_for(env)
    if program == env["NATMOD_MPY_CROSS_AT_HAND"]:
        return env["NATMOD_MPYCROSS_AT_HAND_VERSION"]
    return f"mpy-cross for {env['NATMOD_MPY_VERSION']} at {program}"


#: the step lines' arch label, and what it becomes with several trees (`LINK m.mpy [x64 v6.2]`)
_ARCH_LABEL = "[$NATMOD_ARCH]"
_TREE_LABEL = "[$NATMOD_ARCH v$NATMOD_MPY_VERSION]"


def configure(aenv: Any, tree: Tree, match_mpy_cross: bool, several: bool = False) -> None:
    """Tree settings of one arch environment (after arches.configure).

    With `match_mpy_cross`, `$MPY_CROSS` becomes the compiler emitting the tree's version
    (the one found before when it does), looked up when a bytecode step first needs it.
    With `several` trees, the quiet step lines name the tree's `.mpy` version after the arch.
    """
    aenv["NATMOD_MPY_VERSION"] = tree.mpy_label
    aenv["NATMOD_MPY_SUB_VERSION"] = tree.sub_version
    if several:
        for key, value in list(aenv.Dictionary().items()):
            if key.endswith("COMSTR") and isinstance(value, str) and value.endswith(_ARCH_LABEL):
                aenv[key] = value[: -len(_ARCH_LABEL)] + _TREE_LABEL
    if match_mpy_cross:
        aenv["NATMOD_MPY_CROSS_AT_HAND"] = str(aenv.get("MPY_CROSS") or "")
        aenv["NATMOD_MPYCROSS_AT_HAND_VERSION"] = str(aenv.get("NATMOD_MPYCROSS_VERSION") or "")
        aenv["NATMOD_MPY_CROSS_FOR"] = _mpy_cross_for
        aenv["NATMOD_MPY_CROSS_LABEL"] = _mpy_cross_label
        aenv["MPY_CROSS"] = "${NATMOD_MPY_CROSS_FOR(__env__)}"
        aenv["NATMOD_MPYCROSS_VERSION"] = "${NATMOD_MPY_CROSS_LABEL(__env__)}"
