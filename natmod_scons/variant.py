"""`NativeMpy(..., VARIANT="int8")`: one source folder built in several configurations.

Why: a library's int8 and float32 builds (or a debug and a release module) compile the
same sources with different flags from one SConscript.  Each `NativeMpy` call's objects
would land on the same `x.o`, and SCons stops with "Two environments with different
actions".  With `VARIANT`, a call's intermediate files (objects, bytecode) go to
`<VARIANT>/` inside the module's build folder; its outputs (`<name>.mpy`, the config
header) are named after the module and need no folder.  Without it, a second module
compiling a file another module of the folder compiles gets one line naming both and
the keyword.
"""

from __future__ import annotations

import os
import re
from typing import Any

from .output import fail

_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.+-]*")


def variant_folder(module: str, value: Any) -> str:
    """The VARIANT keyword as a folder name ("" when not given); bad values stop the build."""
    if value in (None, ""):
        return ""
    text = str(value)
    if not _NAME.fullmatch(text) or text in (".", ".."):
        fail(
            f"NativeMpy({module!r}): VARIANT={value!r} must be a plain folder name "
            "(letters, digits, _ . + -), e.g. VARIANT='int8'"
        )
    return text


def in_variant(env: Any, node: Any, variant: str) -> Any:
    """`node` (a file in the module's build folder) moved below `<variant>/`."""
    if not variant:
        return node
    base = env.Dir(".")
    rel = os.path.relpath(node.abspath, base.abspath)
    parts = ["_up" if part == os.pardir else part for part in rel.split(os.sep)]  # outside the folder
    return base.Dir(variant).File(os.path.join(*parts))


def claim(env: Any, module: str, node: Any) -> Any:
    """Mark `node` as built by `module`; a second module building it stops with the fix."""
    owner = getattr(node.attributes, "natmod_module", None)
    if owner is not None and owner != module:
        fail(
            f"NativeMpy({module!r}) [{env['NATMOD_ARCH']}]: {node.name} is also built by module {owner!r} "
            f"in {node.dir.path}: give one of them VARIANT='...' (its objects then go to a folder of that name)"
        )
    node.attributes.natmod_module = module
    return node
