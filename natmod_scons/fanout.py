"""ARCH_JOBS=N: the arches of one build in N SCons processes side by side.

Why: SCons decides, scans, signs and records every node in one Python thread; `-j` runs
the steps in parallel but not that work.  A clone filled from a shared CACHE_DIR runs no
compiler at all, so it is nothing but that work, on one core: 200 modules x 8 arches
took 25 s on two cores where two processes with four arches each take about half.

How: NativeMpyProject, once it knows the arch folders, starts N child processes of the
same command line, each told its share of the arch folders (the NATMOD_ARCH_SHARE
environment variable) and given the `natmods` target; a child declares only its share's
modules.  Their output is passed on line by line (without SCons'
"Reading/Building" banners, which the parent prints once).  The parent declares no
module itself; it reads the rest of the SConstruct and builds what else it asks for.
The signature database is split by arch folder (signdb.py), so the processes never write
one another's records, and the no-op record is keyed by the share (noop.py): a
repeated no-op is a no-op in each child.

When: only where the result is the same as one process's: a plain `scons` or
`scons natmods` (also with -j, -k, -Q, -s, -f and the --cache-* options; NAME=value
settings), several arch folders, the split database in use, no COMPILEDB.  Anything else
(`dist`, `test`, a module or arch target, -c, -n, -h, --tree, --debug...) is one process,
as without ARCH_JOBS.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from typing import Any

#: the environment variable that tells a child its arch folders (os.pathsep-separated)
SHARE = "NATMOD_ARCH_SHARE"
#: command-line targets a fanned-out build can stand for
_TARGETS = {"natmods"}
#: options that keep one build's meaning when it is split (besides -j N, -f FILE, NAME=value)
_OPTIONS = {
    "-Q",
    "-s",
    "--silent",
    "--quiet",
    "-k",
    "--keep-going",
    "--no-progress",
    "--cache-disable",
    "--no-cache",
    "--cache-readonly",
    "--cache-show",
    "--cache-force",
    "--cache-populate",
}
#: SCons' progress banners: the parent prints its own once
_BANNERS = {
    "scons: Reading SConscript files ...",
    "scons: done reading SConscript files.",
    "scons: Building targets ...",
    "scons: done building targets.",
}


def share() -> set[str] | None:
    """In a child: the arch folders it builds; None in a build of its own."""
    value = os.environ.get(SHARE)
    return None if value is None else {part for part in value.split(os.pathsep) if part}


def keep_share(envs: list[Any]) -> list[Any]:
    """A child's arch environments: those whose folder is in its share (all otherwise)."""
    folders = share()
    return envs if folders is None else [aenv for aenv in envs if aenv["NATMOD_BUILD_DIR"] in folders]


def _options_allow(words: list[str]) -> bool:
    """Whether every option on the command line keeps its meaning in a split build."""
    expect = False
    for word in words:
        if expect:
            expect = False
        elif word in ("-j", "--jobs", "-f", "--file", "--sconstruct", "--makefile"):
            expect = True
        elif word.startswith("-"):
            value_option = word.startswith(("--jobs=", "--file=", "--sconstruct=", "--makefile="))
            glued = word[:2] in ("-j", "-f") and len(word) > 2
            if word not in _OPTIONS and not value_option and not glued:
                return False
    return not expect


def _arguments() -> list[str]:
    """The command line without its targets: options and NAME=value settings."""
    from SCons.Script import COMMAND_LINE_TARGETS

    targets = list(map(str, COMMAND_LINE_TARGETS))
    words = sys.argv[1:]
    kept: list[str] = []
    for word in words:
        if word in targets and not word.startswith("-") and "=" not in word:
            targets.remove(word)
            continue
        kept.append(word)
    return kept


def wanted(jobs: int, folders: list[str], compiledb: bool) -> bool:
    """Whether this build is split into `jobs` processes (see the module docstring)."""
    from SCons.Script import COMMAND_LINE_TARGETS

    from . import signdb

    if jobs < 2 or len(folders) < 2 or share() is not None or compiledb or not signdb.installed():
        return False
    if not set(map(str, COMMAND_LINE_TARGETS)) <= _TARGETS:
        return False
    return _options_allow(os.environ.get("SCONSFLAGS", "").split() + sys.argv[1:])


def shares(folders: list[str], jobs: int) -> list[list[str]]:
    """`folders` dealt round-robin into at most `jobs` non-empty shares (arch order kept)."""
    count = min(jobs, len(folders))
    return [folders[i::count] for i in range(count)]


def _forward(stream: Any, out: Any) -> None:
    """Pass a child's lines on whole, without SCons' banners."""
    for line in iter(stream.readline, ""):
        if line.rstrip("\n") not in _BANNERS:
            out.write(line)
            out.flush()
    stream.close()


def _scons_home() -> str | None:
    """The folder holding the running SCons package when `python -m SCons` would not find it
    (a `scons` script that puts its own folder on sys.path); None when it is installed."""
    import site

    import SCons

    home = os.path.dirname(os.path.dirname(os.path.abspath(SCons.__file__)))
    installed = {os.path.abspath(p) for p in (*site.getsitepackages(), site.getusersitepackages())}
    return None if home in installed else home


def run(folders: list[str], jobs: int) -> int:
    """Build `folders` in child processes; the first non-zero exit status, else 0."""
    command = [sys.executable, "-m", "SCons", *_arguments(), "natmods"]
    home = _scons_home()
    children = []
    for part in shares(folders, jobs):
        env = dict(os.environ)
        env[SHARE] = os.pathsep.join(part)
        if home is not None:
            env["PYTHONPATH"] = os.pathsep.join(p for p in (home, env.get("PYTHONPATH", "")) if p)
        child = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1)
        threads = [
            threading.Thread(target=_forward, args=(child.stdout, sys.stdout), daemon=True),
            threading.Thread(target=_forward, args=(child.stderr, sys.stderr), daemon=True),
        ]
        for thread in threads:
            thread.start()
        children.append((child, threads))
    status = 0
    for child, threads in children:
        code = child.wait()
        for thread in threads:
            thread.join()
        if code and not status:
            status = code
    return status
