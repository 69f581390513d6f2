"""Per-ARCH environments and the project loop: every module SConscript once per arch.

Why a method instead of code in each SConstruct: picking arches (`ARCH=all` skips
missing toolchains, once, with the package to install), the variant directory layout
`BUILD_DIR/<arch>/<folder>/`, the `dist` alias and what `scons -c` removes are the
same for every repository that builds natmods, including repositories that only
`pip install` this tool.
"""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass, field
from typing import Any

from natmod_tool.arch import ARCHES

from . import (
    arches,
    checks,
    cli,
    distlog,
    fanout,
    helptext,
    noop,
    output,
    probes,
    publish,
    replay,
    signdb,
    speed,
    testing,
    trees,
)
from .clang import parse_toolchain
from .support import AEABI_SOURCES, RuntimeSupport
from .variables import Settings, env_settings, top_path


@dataclass
class Registry:
    """The modules declared for each arch, shared by reference across env clones.

    Kept on the environments (not in a module global) so two projects, or two
    Environments in one SConstruct, never mix their module lists.
    """

    modules: list[tuple[str, str, Any]] = field(default_factory=list)
    #: per (name, arch): the `<name>.mpy` node (the first one declared)
    nodes: dict[tuple[str, str], Any] = field(default_factory=dict)
    #: per (name, arch): the `<name>.size.json` node, the config header, the mip version
    extras: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    #: per (name, arch): the SConscript line that declared it
    claims: dict[tuple[str, str], str] = field(default_factory=dict)
    #: per (name, reason, SConscript line): the arches ARCHES=/SKIP_ARCHES= left out
    skipped: dict[tuple[str, str, str], list[str]] = field(default_factory=dict)
    #: inside NativeMpyProject, skipped modules are reported once at the end
    collecting: bool = False

    def claim(self, name: str, arch: str, where: str) -> None:
        """Reserve module `name` for `arch`, before any of its targets exist.

        Checked first because a second declaration with other sources would make SCons
        stop with "Multiple ways to build the same target", pointing into this package.
        The same line twice (a SConscript read again) is not a conflict.
        """
        first = self.claims.setdefault((name, arch), where)
        if first != where:
            output.fail(
                f"two modules named {name!r} for {arch}: declared at {first} and at {where}; "
                "rename one (the .mpy, its import and dist files are named after the module)"
            )

    def skip(self, name: str, arch: str, reason: str, where: str) -> None:
        """Record that `name` is not built for `arch`; reported in one line."""
        arches = self.skipped.setdefault((name, reason, where), [])
        if arch not in arches:
            arches.append(arch)
        if not self.collecting:
            self.report_skipped()

    def report_skipped(self) -> None:
        """One "skipped" line per module (and reason), then forget them."""
        for (name, reason, where), names in self.skipped.items():
            output.note(f"{name} skipped for {', '.join(names)} ({reason} at {where})")
        self.skipped.clear()

    def add(self, name: str, arch: str, node: Any, **extras: Any) -> None:
        """Record one `<name>.mpy` node; a second module of the same name and arch is an error."""
        other = self.nodes.setdefault((name, arch), node)  # a dict: a list scan made this quadratic
        if other is not node:
            output.fail(
                f"two modules named {name!r} for {arch}: {other} and {node}; "
                "rename one (dist files are named after the module)"
            )
        self.modules.append((name, arch, node))
        self.extras[(name, arch)] = extras

    def __semi_deepcopy__(self) -> Registry:
        """Clones share the registry: a module declared in any clone is still listed."""
        return self


def _settings(env: Any) -> Settings:
    try:
        return env_settings(env)
    except ValueError as exc:
        output.fail(str(exc))


def _mpy_dirs(settings: Settings) -> list[trees.Tree]:
    """The MicroPython trees (MPY_DIR's comma list, else $MPY_DIR, else the cached sdist)."""
    from SCons.Script import GetOption

    return trees.resolve(settings.mpy_dir, for_help=bool(GetOption("help")))


def arch_envs(env: Any) -> list[Any]:
    """One configured clone of `env` per requested arch (computed once, then reused).

    An explicitly requested arch without a toolchain stops the build with what to
    install; with ARCH=all the missing ones are listed once and skipped.
    """
    cached = env.get("NATMOD_ARCH_ENVS")
    if cached is not None:
        return cached
    settings = _settings(env)
    top = env.Dir("#").abspath
    for setting, value in (("BUILD_DIR", settings.build_dir), ("DIST_DIR", settings.dist_dir)):
        checks.check_folder_setting(setting, value, top)
    cache = probes.shared()
    named = cli.target_arches(env.Dir(top_path(settings.build_dir)).abspath)  # `scons armv7m`
    names = list(ARCHES) if settings.want_all else list(settings.arches)
    names += [name for name in named if name not in names]
    found, missing = [], []
    choice = parse_toolchain(settings.toolchain)
    for name in names:
        result = arches.find_toolchain(ARCHES[name], cache, choice)
        if isinstance(result, arches.Missing):
            if not settings.want_all or name in named:
                output.fail(result.message)
            missing.append(result)
        else:
            found.append(result)
    if missing and fanout.share() is None:  # a fanned-out child: its parent said it
        listed = "; ".join(f"{m.info.name} (no {m.compiler}: {m.hint})" for m in missing)
        output.note(f"ARCH=all skips {listed}")
    if not found:
        output.fail("ARCH=all found no installed toolchain: install gcc (x64) or a cross compiler")

    mpy_dirs = _mpy_dirs(settings)
    several = len(mpy_dirs) > 1
    registry = env.get("NATMOD_REGISTRY") or Registry()
    env["NATMOD_REGISTRY"] = registry
    # one registry per tree: a module is declared once per arch *and* tree
    registries = env.get("NATMOD_TREE_REGISTRIES") or [registry, *(Registry() for _tree in mpy_dirs[1:])]
    env["NATMOD_TREE_REGISTRIES"] = registries
    result_envs = []
    for tree, tree_registry in zip(mpy_dirs, registries):
        for toolchain in found:
            aenv = env.Clone()
            arches.configure(aenv, toolchain, tree.path)
            trees.configure(aenv, tree, match_mpy_cross=several or not settings.mpy_cross, several=several)
            aenv["NATMOD_LINK_RUNTIME"] = settings.link_runtime
            aenv["NATMOD_BUILD_DIR"] = trees.build_dir(settings.build_dir, tree, toolchain.info.name, several)
            aenv["NATMOD_RUNTIME_SUPPORT"] = RuntimeSupport(aenv)  # before any SConscript can change aenv
            aenv["NATMOD_AEABI_SUPPORT"] = RuntimeSupport(aenv, AEABI_SOURCES, "natmod_aeabi")  # clang on ARM
            aenv["NATMOD_REGISTRY"] = tree_registry
            result_envs.append(aenv)
    result_envs = fanout.keep_share(result_envs)  # ARCH_JOBS: a child builds its share only
    env["NATMOD_ARCH_ENVS"] = result_envs
    return result_envs


def _sconscript_paths(env: Any, patterns: list[str]) -> list[str]:
    """SConscript files (relative to the top directory) matched by `patterns`, sorted.

    A folder stands for its `SConscript` file.  A pattern that matches nothing is fine
    (an optional examples folder), but a literal path that does not exist is an error.
    """
    top = env.Dir("#").abspath
    paths: list[str] = []
    for pattern in patterns:
        pattern = str(pattern)
        matches = sorted(glob.glob(os.path.join(top, pattern)))
        if not matches and not glob.has_magic(pattern):
            output.fail(f"no SConscript at {pattern}")
        for match in matches:
            if os.path.isdir(match):
                match = os.path.join(match, "SConscript")
                if not os.path.isfile(match):
                    continue
            rel = os.path.relpath(match, top)
            if rel not in paths:
                paths.append(rel)
    return paths


#: the aliases `scons -h` lists besides the arches and modules
_ALIASES = {
    "natmods": "every module for the requested arches (what a plain `scons` builds)",
    "dist": "copy the modules to DIST_DIR (DIST_PATTERN) with mip package files; removes stale ones",
    "sizes": "a table of every module's sizes",
    "compiledb": "compile_commands.json (top level for COMPILEDB_ARCH, one per arch in BUILD_DIR/<arch>/)",
    "test": "run every module's test scripts on each arch's test runtime (TEST_TIMEOUT)",
}


def _remove_empty_tree_folders(env: Any, envs: list[Any]) -> None:
    """After `scons -c` with several trees, `BUILD_DIR/<mpy version>/` folders left empty go too.

    Not a Clean target: cleaning one arch must not remove the tree folder that still holds
    the other arches, and SCons has no "if empty" clean, so this runs when SCons exits.
    """
    import atexit

    folders = {os.path.dirname(env.Dir(top_path(aenv["NATMOD_BUILD_DIR"])).abspath) for aenv in envs}

    def remove() -> None:
        for folder in sorted(folders):
            try:
                os.rmdir(folder)  # only an empty folder
            except OSError:
                pass

    atexit.register(remove)


def _fan_out(env: Any, settings: Settings, envs: list[Any]) -> bool:
    """ARCH_JOBS: build the arches in child processes (fanout.py); True when they did.

    A failed child stops this build with its exit status, as a failed step would."""
    from SCons.Script import Exit

    folders = [aenv["NATMOD_BUILD_DIR"] for aenv in envs]
    if not fanout.wanted(settings.arch_jobs, folders, settings.compiledb):
        return False
    status = fanout.run(folders, settings.arch_jobs)
    if status:
        Exit(status)
    return True


def native_mpy_project(env: Any, sconscripts: Any = "*/SConscript", exports: Any = None) -> list[Any]:
    """Read each module SConscript once per arch in `BUILD_DIR/<arch>/<its folder>/`.

    Each SConscript gets `env` (the arch's environment) through `Import('env')`, plus
    any `exports`.  Sets the default targets to every module, adds the `dist` alias
    (`DIST_DIR/DIST_PATTERN` copies and mip package files), `sizes`, `compiledb`, `test`,
    `natmods`, per-arch, per-module and per-module-and-arch aliases, makes `scons -c` remove
    the arch build folders, our compile_commands.json and dist files, defaults `-j` to the
    CPUs, turns the speed-ups on unless `NATMOD_SPEEDUPS=False` (speed.py) and lists the
    targets in `scons -h` (cli.py, distlog.py, helptext.py).  Returns the `<name>.mpy` nodes.
    """
    import SCons.Util
    from SCons.Script import GetOption

    patterns = [str(p) for p in SCons.Util.flatten([sconscripts])]
    paths = _sconscript_paths(env, patterns)
    settings = _settings(env)
    fast = speed.wanted_by_project(env)
    if fast:  # before the arch clones are made: they inherit the decider
        speed.speedups(env)
    top = env.Dir("#").abspath
    envs = arch_envs(env)  # (checks BUILD_DIR first)
    # before SCons reads any signature: one database file per arch folder (signdb.py)
    signdb.install(os.path.normpath(os.path.join(top, settings.build_dir)), top)
    if _fan_out(env, settings, envs):  # the children declared and built every module
        env["NATMOD_ARCH_ENVS"] = []
        env.Default(cli.alias(env, "natmods", [], quiet=True))  # never SCons' "every target below ."
        return []
    for aenv in envs if fast else ():  # clones made earlier (NatmodArchEnvs) too
        speed.speedups(aenv)
    registries: list[Registry] = env["NATMOD_TREE_REGISTRIES"]
    starts = [len(registry.modules) for registry in registries]
    for registry in registries:
        registry.collecting = True
    plain = {path: replay.plain_calls(os.path.join(top, path)) for path in paths}  # read once, not per arch
    for aenv in envs:
        for path in paths:
            folder = os.path.dirname(path)
            variant = os.path.join(aenv["NATMOD_BUILD_DIR"], folder) if folder else aenv["NATMOD_BUILD_DIR"]
            if plain[path] is not None:
                replay.declare(env, aenv, path, variant, plain[path])
                continue
            extra = dict(exports or {}) if isinstance(exports, dict) else {}
            env.SConscript(  # the env method: the global one would build a DefaultEnvironment
                path,
                variant_dir=variant,
                duplicate=False,
                exports={"env": aenv, **extra},
            )
    for registry in registries:
        registry.collecting = False
        registry.report_skipped()

    per_tree = [registry.modules[start:] for registry, start in zip(registries, starts)]
    modules = [module for tree_modules in per_tree for module in tree_modules]
    extras = [
        registry.extras.get((name, arch), {})
        for registry, tree_modules in zip(registries, per_tree)
        for name, arch, _node in tree_modules
    ]
    tree_label = {id(aenv["NATMOD_REGISTRY"]): aenv["NATMOD_MPY_VERSION"] for aenv in envs}
    labels = [
        tree_label.get(id(registry), "") for registry, tree_modules in zip(registries, per_tree) for _m in tree_modules
    ]
    nodes = [node for _name, _arch, node in modules]
    published = [
        publish.Published(name, arch, label, node, extra.get("version", "0.1.0"))
        for (name, arch, node), label, extra in zip(modules, labels, extras)
    ]
    dist = publish.declare_dist(env, settings, published, several=len(registries) > 1)
    dist += distlog.declare(env, settings, dist, nodes)  # stale dist files go on the next dist / -c
    cli.alias(env, "dist", dist)
    shown = [
        (name, f"{arch}_{label}" if len(registries) > 1 else arch, node)
        for (name, arch, node), label in zip(modules, labels)
    ]
    publish.sizes_alias(env, [(*module, extra) for module, extra in zip(shown, extras)])
    groups = [
        ([aenv for aenv in envs if aenv["NATMOD_REGISTRY"] is registry], tree_modules, registry.extras)
        for registry, tree_modules in zip(registries, per_tree)
    ]
    testing.declare(env, settings, groups)  # `scons test`: every tree's modules on a runtime of that tree
    compiledb = publish.compiledb(env, settings, envs, [x["config_h"] for x in extras if "config_h" in x])
    if settings.compiledb:
        env.Default(compiledb)
    env.Clean(nodes, publish.written_by_scons(compiledb))  # never a compile_commands.json of the user's
    env.Clean(nodes, env.File("#" + noop.MANIFEST))  # the no-op shortcut's record (noop.py)
    for aenv in envs:
        arch = aenv["NATMOD_ARCH"]
        tree = aenv["NATMOD_MPY_VERSION"]
        arch_nodes = [node for (_n, a, node), label in zip(modules, labels) if a == arch and label == tree]
        cli.alias(env, arch, arch_nodes)
        # `scons -c` also removes the arch's folder (library objects, empty folders)
        env.Clean(arch_nodes, env.Dir(top_path(aenv["NATMOD_BUILD_DIR"])))
    if len(registries) > 1 and GetOption("clean"):
        _remove_empty_tree_folders(env, envs)
    names = cli.module_aliases(env, modules, set(_ALIASES))
    everything = cli.alias(env, "natmods", nodes)
    # under -Q one silent alias (no "is up to date" line per module), SCons' usual default otherwise
    env.Default(everything if GetOption("no_progress") else nodes)
    cli.default_jobs()
    env.Help(helptext.escape(helptext.targets_help([e["NATMOD_ARCH"] for e in envs], names, _ALIASES)))
    return nodes
