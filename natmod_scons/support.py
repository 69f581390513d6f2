"""The C-library support archive that `LINK_RUNTIME=1` links in: one per arch, not per module.

Why one per arch: the sources (runtime/*.c: the errno word, `__errno`, `__errno_location`)
include nothing and depend on no module setting, so a project with 30 modules must not
compile them 30 times per arch, nor again when one module's CPPDEFINES change.  The
archive is declared on first use from a snapshot of the arch environment taken before
any SConscript runs, with the arch's compiler and the tool's standard flags only (no
project or module CFLAGS, CPPPATH or CPPDEFINES), in `BUILD_DIR/<arch>/_natmod_runtime/`.
Each source is its own member, so the linker takes only the symbols a module lacks.

The same holds for the ARM EABI memory helpers (`__aeabi_memcpy`, `__aeabi_memclr4`, ...)
that clang calls for struct copies and zeroing where gcc calls memcpy/memset: libgcc does
not have them (newlib's libc does, but a natmod cannot link libc), so TOOLCHAIN=clang ARM
modules link `libnatmod_aeabi.a`, built from runtime/aeabi_*.c on top of the memset and
memmove every natmod gets from the firmware (the linker's mp_fun_table stubs).
"""

from __future__ import annotations

import os
from typing import Any

from .arches import STD_CPPDEFINES
from .variables import top_path

RUNTIME_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "runtime")
#: the members, one global symbol each
SOURCES = ("errno_word.c", "errno.c", "errno_location.c")
#: the AEABI memory helpers, one member per family (memcpy*, memmove*, memset*, memclr*)
AEABI_SOURCES = ("aeabi_memcpy.c", "aeabi_memmove.c", "aeabi_memset.c", "aeabi_memclr.c")
#: compiled so that the compiler cannot turn the helpers' memset/memmove calls back into
#: calls of the helpers themselves (clang lowers memset(p, 0, n) to __aeabi_memclr)
FREESTANDING = ["-ffreestanding", "-fno-builtin"]
#: the folder under BUILD_DIR/<arch>/ (a leading underscore: no module folder is named so)
FOLDER = "_natmod_runtime"


class RuntimeSupport:
    """The arch's support archive node, declared once; shared (not copied) by env clones."""

    def __init__(self, env: Any, sources: tuple[str, ...] = SOURCES, library: str = "natmod_runtime") -> None:
        self._env = env.Clone(CFLAGS=list(FREESTANDING), CFLAGS_EXTRA=[], CPPPATH=[], CPPDEFINES=list(STD_CPPDEFINES))
        self._sources = sources
        self._library = library
        self._archive: Any = None

    def __semi_deepcopy__(self) -> RuntimeSupport:
        """`env.Clone()` keeps this object: every module of the arch shares one archive."""
        return self

    def archive(self) -> Any:
        """The `lib<library>.a` node (declared on the first call)."""
        if self._archive is None:
            env = self._env
            folder = os.path.join(top_path(env["NATMOD_BUILD_DIR"]), FOLDER)
            objects = [
                env.Object(
                    env.File(os.path.join(folder, os.path.splitext(name)[0] + "$OBJSUFFIX")),
                    env.File(os.path.join(RUNTIME_DIR, name)),
                )[0]
                for name in self._sources
            ]
            library = env.File(os.path.join(folder, f"lib{self._library}$LIBSUFFIX"))
            self._archive = env.StaticLibrary(library, objects)[0]
        return self._archive
