"""A C include scanner that also sees the module's qstr config header.

Why: natmod objects reach the generated `<module>.config.h` through
`#include MP_CONFIGFILE` inside MicroPython's `py/mpconfig.h`, a macro include that
SCons' classic scanner cannot follow.  Rather than make every object depend on the
header (which would recompile plain C helpers that never include MicroPython headers),
this scanner adds the header exactly where `py/mpconfig.h` is included, so a changed
qstr set recompiles only what includes it, and `--debug=explain` names the header.

With the speed-ups on (speed.py) it lists none of the tree's own `py/*.h` headers in
natmod arch environments: they are walked through (so the config header edge is still
found) and their content is in every compile's signature by digest (NATMOD_MPY_TREE_ID),
so checking ~60 of them per object on every build would only repeat it.

It also searches the `-I`-style directories and `-include` files written in CFLAGS
(flagpaths.py), which SCons' scanner ignores.

It is the source scanner of the object builders of the environment the tool sets up (and
its clones), for the C/asm/header suffixes; SCons' process-wide `SourceFileScanner` and
other environments keep SCons' own C scanner.  Where there is no module config header
(no `NATMOD_CONFIG_H`) it finds what the default finds.
"""

from __future__ import annotations

import os
from typing import Any

import SCons.Scanner
import SCons.Scanner.C
import SCons.Tool

from .flagpaths import flag_include_dirs, forced_includes
from .speed import enabled as speedups_enabled

#: files compiled (not included): a CFLAGS `-include` is a dependency of each
SOURCE_SUFFIXES = (".c", ".cpp", ".cc", ".cxx", ".S", ".sx")
#: the same include pattern as SCons' own CScanner
_INCLUDE_RE = r'^[ \t]*#[ \t]*(?:include|import)[ \t]*(<|")([^>"]+)(>|")'


class ConfigHeaderScanner(SCons.Scanner.ClassicCPP):
    """ClassicCPP plus one edge: `<MPY_DIR>/py/mpconfig.h` -> the module's config header.

    With the speed-ups on, in a natmod arch environment (one with NATMOD_MPY_TREE_ID,
    which every compile there has in its signature), the tree's `py/*.h` headers are walked through but not listed:
    their content is that digest already, and dropping the ~60 of them from every object's
    dependency list is most of what a no-op build no longer checks.  What they lead to
    outside `py/` (the config header, an `extmod/` header, a module's own file) is listed.
    """

    def __init__(self) -> None:
        super().__init__("NatmodCScanner", "$CPPSUFFIXES", "CPPPATH", _INCLUDE_RE)
        #: (tree header, search path, py folder) -> (what it reaches outside py/, reaches mpconfig.h)
        self._through: dict[tuple[Any, tuple, str], tuple[tuple[Any, ...], bool]] = {}
        #: (tree header, py folder) -> walks done for other search paths, reusable when the
        #: folders that can shadow the walk's include names are the same (see _walk_tree)
        self._shared: dict[tuple[Any, str], list[tuple[frozenset[str], tuple, tuple[tuple[Any, ...], bool]]]] = {}

    def path(self, env: Any, dir: Any = None, target: Any = None, source: Any = None) -> tuple:
        """CPPPATH, after the `-I`/`-isystem` directories given in CFLAGS (flagpaths.py)."""
        return (*flag_include_dirs(env), *super().path(env, dir, target, source))

    def __call__(self, node: Any, env: Any, path: tuple = ()) -> list:
        found = super().__call__(node, env, path)
        if env is not None and os.path.splitext(node.name)[1] in SOURCE_SUFFIXES:
            found = [*forced_includes(env, path), *found]  # `-include x.h` in CFLAGS
        if env is None:
            return found
        config_h = env.get("NATMOD_CONFIG_H")
        mpy_dir = env.get("NATMOD_MPY_DIR")
        if not mpy_dir:
            return found
        py_dir = os.path.normcase(os.path.join(mpy_dir, "py"))
        if not env.get("NATMOD_MPY_TREE_ID") or not speedups_enabled(env):  # list every header
            if config_h is not None and node.name == "mpconfig.h" and _in_folder(node, py_dir):
                return [*found, config_h]
            return found
        result: list[Any] = []
        reaches_config = False
        for dep in found:
            if _in_folder(dep, py_dir) and dep.name.endswith(".h"):
                leaves, config = self._walk_tree(dep, env, path, py_dir)
                result.extend(leaves)
                reaches_config = reaches_config or config
            else:
                result.append(dep)
        if reaches_config and config_h is not None:
            result.append(config_h)
        return list(dict.fromkeys(result))

    def _walk_tree(self, start: Any, env: Any, path: tuple, py_dir: str) -> tuple[tuple[Any, ...], bool]:
        """What `start` (a `py/*.h`) includes, through other `py/*.h`, outside `py/` (memoized).

        Every module has its own search path (its folder comes first), yet the walk through
        the tree almost never depends on it: an include is found in the first folder of the
        path that has it, so folders holding none of the names the walk looked up (by their
        first component: `py` of `py/obj.h`) cannot change any answer.  A walk is therefore
        reused for another path whose folders that do hold such a name are the same, in the
        same order; a module with its own `py/` or `assert.h` gets its own walk.
        """
        key = (start, path, py_dir)
        cached = self._through.get(key)
        if cached is not None:
            return cached
        earlier = self._shared.setdefault((start, py_dir), [])
        for firsts, relevant, walked in earlier:
            if _shadowing(path, firsts) == relevant:
                self._through[key] = walked
                return walked
        seen, todo, leaves, config, names = {start}, [start], [], False, set()
        while todo:
            header = todo.pop()
            config = config or header.name == "mpconfig.h"
            for dep in super().__call__(header, env, path):
                if _in_folder(dep, py_dir) and dep.name.endswith(".h"):
                    if dep not in seen:
                        seen.add(dep)
                        todo.append(dep)
                elif dep not in leaves:
                    leaves.append(dep)
            names.update(include[1] for include in header.rfile().includes or ())
        walked = (tuple(leaves), config)
        firsts = frozenset(_first_component(name) for name in names if not os.path.isabs(name))
        earlier.append((firsts, _shadowing(path, firsts), walked))
        self._through[key] = walked
        return walked


def _first_component(name: str) -> str:
    """`py` of `py/obj.h`, `assert.h` of `assert.h` (what a search folder must hold first)."""
    return name.replace("\\", "/").split("/", 1)[0]


def _shadowing(path: tuple, firsts: frozenset[str]) -> tuple:
    """The folders of `path` (in order) where an include starting with one of `firsts` could be
    found: they, their source folders (variant dirs) or repositories hold such an entry,
    on disk or as a node of the build (a generated header)."""
    found = []
    for folder in path:
        places = [folder, *folder.srcdir_list()]
        places += [rdir for place in list(places) for rdir in place.get_all_rdirs() if rdir is not place]
        if any(_holds(place, name) for place in places for name in firsts):
            found.append(folder)
    return tuple(found)


def _holds(folder: Any, name: str) -> bool:
    """True when `folder` has an entry `name`, as a node or on disk."""
    return os.path.normcase(name) in folder.entries or bool(folder.entry_exists_on_disk(name))


def _in_folder(node: Any, folder: str) -> bool:
    """True when `node` is a file directly in `folder` (normcased)."""
    return os.path.normcase(os.path.dirname(node.abspath)) == folder


def attach(env: Any) -> ConfigHeaderScanner:
    """Make a ConfigHeaderScanner the C-suffix source scanner of `env`'s object builders.

    The builders are the ones the `cc` tool made for this environment (clones share them),
    so the scanner is never put into SCons' process-wide `SourceFileScanner`: other
    environments of the project scan with SCons' own scanner.  Other suffixes keep the
    scanners SourceFileScanner has for them.
    """
    scanner = ConfigHeaderScanner()
    mapping = dict(SCons.Tool.SourceFileScanner.function)  # suffix -> scanner (a dict-function scanner)
    for suffix in SCons.Tool.CSuffixes:
        mapping[suffix] = scanner
    selector = SCons.Scanner.ScannerBase(mapping, name="NatmodSourceFileScanner")
    for builder in SCons.Tool.createObjBuilders(env):
        # a CompositeBuilder (a proxy): the builder it wraps is what the nodes' scans read
        getattr(builder, "builder", builder).source_scanner = selector
    return scanner
