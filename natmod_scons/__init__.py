"""SCons support for natmod-tool: the `natmod` tool and its `NativeMpy` builder.

Why a normal package: SCons loads tools from a `toolpath` as loose modules, which breaks
relative imports and cannot be installed by pip.  Keeping the code here makes it
importable after `pip install natmod-tool`, and two one-line shims make it loadable the
SCons way: `natmod_scons/site_tools/natmod.py` (for `toolpath=[natmod_scons.TOOLPATH]`)
and this repository's own `site_scons/site_tools/natmod.py`.

Use from another repository (no files to copy)::

    import natmod_scons
    env = Environment(tools=["natmod"], toolpath=[natmod_scons.TOOLPATH])
    env.NativeMpyProject(["modules/*/SConscript"])

or, equivalently, `Environment(tools=[natmod_scons.generate])`.

The tool changes nothing outside the environment it sets up.  `NativeMpyProject` turns on
the speed-ups that do (decider, implicit cache, `--debug=explain` fix, scanner shortcut;
see speed.py) unless `NATMOD_SPEEDUPS=False`; elsewhere `natmod_scons.speedups(env)` or
`Environment(tools=["natmod"], NATMOD_SPEEDUPS=True)` turns them on.
"""

from __future__ import annotations

import os

#: folder holding the `natmod` tool module, for SCons' `toolpath=`
TOOLPATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "site_tools")

__all__ = ["TOOLPATH", "exists", "generate", "options", "speedups"]

# imported from site_init.py or as the SConstruct's first statement: trace this build (or
# stop here when the last no-op's facts all hold); anywhere else it does nothing (noop.py)
from . import noop as _noop  # noqa: E402

_noop.start()


def generate(env: object) -> None:
    """SCons tool entry point; imports SCons-dependent code only when SCons calls it."""
    from .tool import generate as _generate

    _generate(env)


def exists(env: object) -> bool:
    """SCons tool entry point: the tool works wherever SCons and natmod_tool import."""
    from .tool import exists as _exists

    return _exists(env)


def options(opts: object) -> None:
    """Add the tool's command-line variables (ARCH, MPY_DIR, ...) to a `Variables` object."""
    from .variables import options as _options

    _options(opts)


def speedups(env: object) -> None:
    """Turn on the no-op build speed-ups for `env` (process-wide parts included; speed.py)."""
    from .speed import speedups as _speedups

    _speedups(env)
