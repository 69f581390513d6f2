"""The opt-in speed-ups: `natmod_scons.speedups(env)`, or `NATMOD_SPEEDUPS=True`.

Why opt-in: a SCons tool is expected to set construction variables and builders on the
environment it is given and nothing else, so that loading it into a project that owns
its build (its own decider, no implicit cache, other C scanners) changes nothing there.
Most of our speed-ups cannot be limited to one environment, or trade SCons' safest
defaults for speed, so a plain `Environment(tools=["natmod"])` gets none of them:

* the decider (decider.py): content-timestamp, refined for files rebuilt within one
  second; set on `env` (and the clones made after), instead of SCons' MD5 default;
* the implicit cache (`SetOption("implicit_cache", 1)`): process-wide, an SCons option;
* the `--debug=explain` fix (explain.py): patches SCons' process-wide decider table,
  only when `--debug=explain` is given;
* the no-op shortcut (noop.py): a build recorded as a no-op, repeated with every input
  unchanged, stops before reading the SConscripts.  The trace starts at an early
  `import natmod_scons` and only watches (what is opened, checked, listed, read); it is
  turning the speed-ups on that lets a build be recorded, and so the shortcut be taken;
* fewer full garbage collections (`gc.set_threshold`): process-wide; a build holds a few
  hundred thousand long-lived SCons objects (nodes, their signatures), which CPython's
  default walks in a full collection after every 10 middle-generation ones once that heap
  grew by a quarter: 2.6-2.8 s, 11 % of a 200-module x 8-arch clone filled from CACHE_DIR, for
  cycles SCons rarely makes.  Full passes come 10 times less often (one in that build);
  the young generations, which collect short-lived cycles, are left as they are;
* the scanner shortcut (scanner.py): in natmod arch environments, the MicroPython
  tree's own `py/*.h` headers are walked through but not listed as dependencies (their
  content is in every compile's signature already, NATMOD_MPY_TREE_ID).

`NativeMpyProject` turns them on unless the environment says `NATMOD_SPEEDUPS=False`:
there the tool owns the whole build.  Correctness never depends on them; the config
header edge of the scanner is always on (per environment, on the tool's own object
builders).
"""

from __future__ import annotations

import gc
from typing import Any

from . import decider, explain, noop

#: middle-generation collections between two full ones (CPython's default is 10); a
#: larger value set by the user's own code stays
FULL_COLLECTION_INTERVAL = 100

#: the construction variable: True turns the speed-ups on in `generate`, False keeps
#: NativeMpyProject from turning them on, unset leaves the choice to NativeMpyProject
VARIABLE = "NATMOD_SPEEDUPS"


def speedups(env: Any) -> None:
    """Turn the speed-ups on for `env` (and the clones made from it afterwards); idempotent.

    The implicit cache is a process-wide SCons option and stays as it is when the command
    line already set it; the explain fix is installed only under `--debug=explain`.
    """
    from SCons.Script import GetOption, SetOption

    env[VARIABLE] = True
    env.Decider(decider.decide)
    noop.allow()
    explain.install_if_requested()
    if not GetOption("implicit_cache"):
        SetOption("implicit_cache", 1)
    young, middle, full = gc.get_threshold()
    if young and full < FULL_COLLECTION_INTERVAL:  # threshold 0: the collector is off, leave it
        gc.set_threshold(young, middle, FULL_COLLECTION_INTERVAL)


def from_environment(env: Any) -> None:
    """`generate`'s part: `Environment(..., NATMOD_SPEEDUPS=True)` turns them on, a false
    value is stored as False (so NativeMpyProject leaves them off), unset stays unset."""
    from .variables import as_bool

    if VARIABLE in env:
        if as_bool(env[VARIABLE]):
            speedups(env)
        else:
            env[VARIABLE] = False


def wanted_by_project(env: Any) -> bool:
    """Whether NativeMpyProject turns the speed-ups on: unless `NATMOD_SPEEDUPS` is false."""
    from .variables import as_bool

    value = env.get(VARIABLE)
    return value is None or as_bool(value)


def enabled(env: Any) -> bool:
    """Whether `env` has the speed-ups on (the scanner asks this for every file it scans)."""
    return env.get(VARIABLE) is True
