"""SCons command-line conventions of a NativeMpyProject: `-j`, arch targets, quiet aliases.

Why here: these follow what a user types, not what a SConscript declares.

* `-j` defaults to the CPUs this process may use (a `-j` on the command line or in
  SCONSFLAGS wins: SCons ignores `SetOption` for options given there).
* A command-line target that names an arch (`scons armv7m`, `scons factorial-armv7m`,
  `scons build/armv7m/...`) adds that arch to ARCH, so it builds without `ARCH=armv7m`.
* Under `-Q` our aliases (and the default) print nothing when up to date: SCons says
  "`x' is up to date." for every up-to-date top-level target that has a builder unless
  it runs; a silent action on an always-run alias runs and prints nothing.  Without
  `-Q` (and with `-q`, whose exit status must say "up to date") SCons' usual aliases.
"""

from __future__ import annotations

import os
from typing import Any

from natmod_tool.arch import ARCHES

from . import noop


def cpu_count() -> int:
    """CPUs this process may run on (the affinity mask, else all of them)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def default_jobs() -> None:
    """`-j N` with N = the CPUs, when the user gave no `-j`."""
    from SCons.Script import GetOption, SetOption

    if GetOption("num_jobs") == 1:
        SetOption("num_jobs", cpu_count())  # ignored by SCons when -j was given


def target_arches(build_dir: str) -> list[str]:
    """Arches the command-line targets name: `armv7m`, `<module>-armv7m`, `BUILD_DIR/armv7m/...`.

    `build_dir` is absolute; relative targets are from the top folder, where SCons reads
    the SConstruct.
    """
    from SCons.Script import COMMAND_LINE_TARGETS

    found: list[str] = []
    for target in map(str, COMMAND_LINE_TARGETS):
        names = [target, target.rsplit("-", 1)[-1]]
        inside = os.path.relpath(os.path.abspath(target), build_dir)
        if not inside.startswith(os.pardir):
            names.append(inside.split(os.sep, 1)[0])
        for name in names:
            if name in ARCHES and name not in found:
                found.append(name)
    return found


def _silent(target: list, source: list, env: Any) -> int:
    """The always-run action of a quiet alias: nothing to do, nothing to print."""
    return 0


#: the one action every quiet alias shares: making a Python action digests the function's
#: code, which took longer than the alias itself (two aliases per module)
_SILENT_ACTION: list[Any] = []


def alias(env: Any, name: str, nodes: list, quiet: bool | None = None) -> list:
    """`env.Alias(name, nodes)`, silent when up to date under `-Q` (or when `quiet`: the
    empty `natmods` of a build whose modules child processes built, fanout.py)."""
    from SCons.Action import Action
    from SCons.Script import GetOption

    if quiet is None:
        quiet = bool(GetOption("no_progress")) and not GetOption("question")
    if not quiet:
        return env.Alias(name, nodes)
    if not _SILENT_ACTION:
        silent = Action(_silent, None)
        setattr(silent, noop.HARMLESS, True)  # it prints nothing and writes nothing
        _SILENT_ACTION.append(silent)
    made = env.Alias(name, nodes, _SILENT_ACTION[0])
    env.AlwaysBuild(made)
    return made


def module_aliases(env: Any, modules: list[tuple[str, str, Any]], reserved: set[str]) -> list[str]:
    """`scons NAME` (every requested arch) and `scons NAME-ARCH`; returns the module names.

    A module named like one of our own aliases (`dist`, an arch) gets only NAME-ARCH.
    """
    names: dict[str, list] = {}
    for name, arch, node in modules:
        names.setdefault(name, []).append(node)
        alias(env, f"{name}-{arch}", [node])
    for name, nodes in names.items():
        if name not in reserved and name not in ARCHES:
            alias(env, name, nodes)
    return list(names)
