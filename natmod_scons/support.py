"""The C-library support archive that `LINK_RUNTIME=1` links in: one per arch, not per module.

Why one per arch: the sources (runtime/*.c: the errno word, `__errno`, `__errno_location`)
include nothing and depend on no module setting, so a project with 30 modules must not
compile them 30 times per arch, nor again when one module's CPPDEFINES change.  The
archive is declared on first use from a snapshot of the arch environment taken before
any SConscript runs, with the arch's compiler and the tool's standard flags only (no
project or module CFLAGS, CPPPATH or CPPDEFINES), in `BUILD_DIR/<arch>/_natmod_runtime/`.
Each source is its own member, so the linker takes only the symbols a module lacks.
"""

from __future__ import annotations

import os
from typing import Any

from .arches import STD_CPPDEFINES
from .variables import top_path

RUNTIME_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "runtime")
#: the members, one global symbol each
SOURCES = ("errno_word.c", "errno.c", "errno_location.c")
#: the folder under BUILD_DIR/<arch>/ (a leading underscore: no module folder is named so)
FOLDER = "_natmod_runtime"


class RuntimeSupport:
    """The arch's support archive node, declared once; shared (not copied) by env clones."""

    def __init__(self, env: Any) -> None:
        self._env = env.Clone(CFLAGS=[], CFLAGS_EXTRA=[], CPPPATH=[], CPPDEFINES=list(STD_CPPDEFINES))
        self._archive: Any = None

    def __semi_deepcopy__(self) -> RuntimeSupport:
        """`env.Clone()` keeps this object: every module of the arch shares one archive."""
        return self

    def archive(self) -> Any:
        """The `libnatmod_runtime.a` node (declared on the first call)."""
        if self._archive is None:
            env = self._env
            folder = os.path.join(top_path(env["NATMOD_BUILD_DIR"]), FOLDER)
            objects = [
                env.Object(
                    env.File(os.path.join(folder, os.path.splitext(name)[0] + "$OBJSUFFIX")),
                    env.File(os.path.join(RUNTIME_DIR, name)),
                )[0]
                for name in SOURCES
            ]
            self._archive = env.StaticLibrary(env.File(os.path.join(folder, "libnatmod_runtime$LIBSUFFIX")), objects)[0]
        return self._archive
