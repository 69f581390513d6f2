"""The `natmod` SCons tool, loadable with `toolpath=[natmod_scons.TOOLPATH]`.

The code lives in the importable package `natmod_scons`; this file only forwards to it.
"""

from natmod_scons import exists, generate, options  # noqa: F401
