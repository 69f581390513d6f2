"""The four natmod-specific build steps as SCons builders.

* `NatmodQstrHeader`: sources -> `<name>.config.h` (Python action, rewritten only when
  its text changes, so unchanged qstrs recompile nothing);
* `NatmodMpyCross`: `x.py` -> `x.py.mpy` with `mpy-cross -march=ARCH` (a command);
* `NatmodLink`: objects -> native `.mpy` through `natmod_tool.link` in-process; its
  emitter adds the side output `<name>.size.json` (the link's figures, `scons sizes`),
  so SCons knows, cleans and caches it like the `.mpy`;
* `NatmodMerge`: native `.mpy` + bytecode `.mpy` files -> `<name>.mpy`.

Why Python actions for link and merge: no Python start-up per module, and their
`varlist` puts the link options (arch, libs, externs, arch flags, source name, tool
version) into the build signature, so changing one relinks exactly what it affects.
Every output is written atomically: a failed step never leaves a partial `.mpy`.
"""

from __future__ import annotations

import functools
import os
import sys
import time
from pathlib import Path
from typing import Any

import SCons.Action
import SCons.Builder
import SCons.Scanner
import SCons.Tool

from natmod_tool.errors import LinkError, NatmodError
from natmod_tool.fileio import write_atomic

from .compilesig import CompileAction
from .output import fail
from .variables import as_bool

#: what must re-run the link besides its files (the linker's whole input besides files)
#: (libraries and the externs file by their path below the top folder: the files are
#: dependencies by content, and clones at different paths must share CACHE_DIR entries)
LINK_SIGNATURE = (
    "NATMOD_ARCH",
    "NATMOD_LINK_LIBS_SIG",
    "NATMOD_MATH_LIBS_SIG",
    "NATMOD_EXTERNS_SIG",
    "NATMOD_ROM_EXTERNS_SIG",
    "NATMOD_ARCH_FLAGS",
    "NATMOD_SOURCE_NAME",
    "NATMOD_TOOL_VERSION",
    "NATMOD_MPY_TREE_ID",  # the tree's sub-version goes into the header
)
MERGE_SIGNATURE = ("NATMOD_ARCH_FLAGS", "NATMOD_TOOL_VERSION", "NATMOD_MPY_TREE_ID")
QSTR_SIGNATURE = ("NATMOD_MPY_TREE_ID", "NATMOD_TOOL_VERSION")
#: each step's signature is one variable holding those values: NativeMpy sets it to a plain
#: string (signature_text), so a no-op build substitutes one value per step instead of eight;
#: the defaults below expand the same variables for other callers of the builders
LINK_VARLIST = ["NATMOD_LINK_SIG"]
MERGE_VARLIST = ["NATMOD_MERGE_SIG"]
QSTR_VARLIST = ["NATMOD_QSTR_SIG"]


def signature_text(values: list[Any]) -> str:
    """The values of one step's signature variables as the text SCons hashes."""
    return "|".join(str(value) for value in values)


#: compiles depend on the MicroPython tree by content: include paths are not in SCons'
#: command signatures (`$( $)`), and the implicit cache keeps the old tree's header list,
#: so without this a switched MPY_DIR recompiled nothing
COMPILE_VARLIST = ["NATMOD_MPY_TREE_ID"]
#: (suffixes, command variable) of the compiles that read the tree's headers
COMPILE_ACTIONS = (
    ((".c",), "CCCOM"),
    ((".cpp", ".cc", ".cxx"), "CXXCOM"),
    ((".S", ".sx"), "ASPPCOM"),
)

#: `mpy-cross` for one Python source; `-s` stores the name relative to the module folder,
#: as the reference gets by running mpy-cross from that folder
#: (the binary's path is machine-specific: its version is in the signature instead)
MPYCROSSCOM = "$( $MPY_CROSS $) -march=$NATMOD_ARCH $MPY_CROSS_FLAGS -s $NATMOD_PY_NAME -o $TARGET $SOURCE"


def _error(target: Any, env: Any, step: str, exc: Exception) -> int:
    """Fail the target with one line: SCons prints `scons: *** [target] <Kind>: <message>`."""
    import SCons.Errors

    if isinstance(exc, LinkError):
        kind = "LinkError"  # its subclasses too: one name for every link failure
    elif isinstance(exc, NatmodError):
        kind = type(exc).__name__
    else:
        kind = f"{step} failed"
    detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
    where = f" {exc.filename}:" if isinstance(exc, OSError) and exc.filename else ""
    raise SCons.Errors.BuildError(
        node=target[0], errstr=f"{kind} [{env.get('NATMOD_ARCH', '?')}]:{where} {detail}", status=1, exitstatus=1
    )


def _timed(step: str, action: Any) -> Any:
    """Wrap a Python action so that, when `$NATMOD_TIMING_LOG` names a file, its wall-clock
    interval is appended there (benchmarks/build_bench.py measures link/merge time with it).
    """

    @functools.wraps(action)
    def run(target: list, source: list, env: Any) -> int:
        log = os.environ.get("NATMOD_TIMING_LOG")
        if not log:
            return action(target, source, env)
        start = time.time()
        try:
            return action(target, source, env)
        finally:
            with open(log, "a") as handle:
                handle.write(f"{step}\t{target[0]}\t{start:.6f}\t{time.time():.6f}\n")

    return run


@functools.lru_cache(maxsize=8)
def _static_qstrs(mpy_dir: str) -> Any:
    """Static qstrs of a tree, read once per SCons run (every module needs them)."""
    from natmod_tool.qstr import load_static_qstrs

    return load_static_qstrs(mpy_dir)


def qstr_header_action(target: list, source: list, env: Any) -> int:
    """Write the config header from every module source (C, asm and Python, format.md 7.1)."""
    from natmod_tool.qstr import make_config_header, write_if_changed

    try:
        static = _static_qstrs(env["NATMOD_MPY_DIR"])
        paths = [str((node if node.has_builder() else node.srcnode()).abspath) for node in source]
        write_if_changed(target[0].abspath, make_config_header(paths, static))
    except (NatmodError, OSError) as exc:
        return _error(target, env, "QSTR", exc)
    return 0


#: what the link of a module writes besides it, named after the module
SIZE_SUFFIX = ".size.json"
#: the link's own target names: `<name>.native.mpy` (merged later) or `<name>.mpy`
_LINK_SUFFIXES = (".native.mpy", ".mpy")


def module_stem(filename: str) -> str:
    """`calc` for `calc.native.mpy` or `calc.mpy` (a link target), else the name itself."""
    for suffix in _LINK_SUFFIXES:
        if filename.endswith(suffix) and len(filename) > len(suffix):
            return filename[: -len(suffix)]
    return filename


def link_emitter(target: list, source: list, env: Any) -> tuple[list, list]:
    """Declare the link's side output `<name>.size.json` beside its `.mpy`; check its inputs.

    A target list that names the sizes file already is left as it is.  The variables the
    link cannot do without are checked here, while SConscripts are read, so a missing
    one is one line naming the target instead of a KeyError in the middle of the build.
    """
    where = f"NatmodLink({target[0]})"
    if not env.get("NATMOD_ARCH"):
        fail(f"{where}: no NATMOD_ARCH: call it on a per-arch environment (NativeMpyProject/NatmodArchEnvs)")
    if not env.get("NATMOD_CONFIG_H"):
        fail(
            f"{where}: no NATMOD_CONFIG_H: pass the module's qstr config header (the NatmodQstrHeader "
            "target), e.g. env.NatmodLink(target, objects, NATMOD_CONFIG_H=header), or use env.NativeMpy"
        )
    if len(target) == 1:
        target = [*target, target[0].dir.File(module_stem(target[0].name) + SIZE_SUFFIX)]
    return target, source


def _source_name(target: list, env: Any) -> str:
    """The name stored in the module (qstr 0): NATMOD_SOURCE_NAME, else `<name>.mpy`."""
    return env.get("NATMOD_SOURCE_NAME") or module_stem(target[0].name) + ".mpy"


def _config_path(env: Any) -> str:
    """NATMOD_CONFIG_H as a path: a node (NativeMpy's) or a file name from the top folder."""
    config_h = env["NATMOD_CONFIG_H"]
    if hasattr(config_h, "abspath"):
        return config_h.abspath
    path = str(config_h)
    return env.File(path if os.path.isabs(path) or path.startswith("#") else "#" + path).abspath


def link_action(target: list, source: list, env: Any) -> int:
    """Link the objects (sources, in order) into a native `.mpy` with natmod_tool.link."""
    import natmod_tool
    from natmod_tool.linker.undefined import UndefinedSymbolError

    externs = [path for path in (env.get("NATMOD_ROM_EXTERNS"), env.get("NATMOD_EXTERNS")) if path]
    try:
        result = natmod_tool.link(
            # labelled by their path from the top folder, as every other step line names files
            [(node.path, Path(node.abspath).read_bytes()) for node in source],
            env["NATMOD_ARCH"],
            qstrs=_config_path(env),
            libs=list(env.get("NATMOD_LINK_LIBS", [])),
            math_libs=list(env.get("NATMOD_MATH_LIBS", [])),
            externs=externs or None,
            arch_flags=env.get("NATMOD_ARCH_FLAGS") or None,
            source_name=_source_name(target, env),
            writable_data=True,  # static variables and initialised globals just work (docs/linker.md)
            mpy_sub_version=env.get("NATMOD_MPY_SUB_VERSION"),
        )
        for warning in getattr(result, "warnings", ()) or ():
            sys.stderr.write(f"natmod: warning: {target[0].name} [{env['NATMOD_ARCH']}]: {warning}\n")
        write_atomic(target[0].abspath, result.mpy)
        if len(target) > 1:  # the figures `scons sizes` reads back (link_emitter declares it)
            write_atomic(target[1].abspath, size_record(result, env, _source_name(target, env)).encode())
        if as_bool(env.get("SIZE", False)):
            module = _source_name(target, env)
            sys.stdout.write(f"SIZE {module} [{env['NATMOD_ARCH']}]: {result.summary()}\n")
            sys.stdout.flush()
    except UndefinedSymbolError as exc:
        return _error(target, env, "LINK", LinkError(exc.message(scons_fixes(env))))
    except (NatmodError, OSError) as exc:
        return _error(target, env, "LINK", exc)
    return 0


def scons_fixes(env: Any) -> Any:
    """How an undefined symbol is fixed in a SConscript: LIBS=, EXTERNS=, LINK_RUNTIME=1."""
    from natmod_tool.linker.undefined import Fixes

    choice = str(env.get("NATMOD_LINK_RUNTIME", "none"))
    if choice == "all":
        runtime = "LINK_RUNTIME=1 is set, but this compiler's libgcc lacks it; define it in the module"
        if env.get("NATMOD_MATH_LIBS"):
            maths = "LINK_RUNTIME=1 is set, but this toolchain's maths library lacks it; define it in the module"
        else:
            maths = "LINK_RUNTIME=1 is set, but the compiler reports no maths library (libm.a) for this arch"
    elif choice == "libgcc":
        runtime = "LINK_RUNTIME=libgcc is set, but this compiler's libgcc lacks it; define it in the module"
        maths = "a maths function: set LINK_RUNTIME=1 (LINK_RUNTIME=libgcc links no maths library)"
    else:
        runtime = maths = "set LINK_RUNTIME=1"
    return Fixes(
        generic="define them, add the library that has them to LIBS=, or list them in EXTERNS=",
        runtime=runtime,
        maths=maths,
        rom="the ESP8266 ROM has it: list {rom} in EXTERNS=",
    )


#: the LinkResult figures kept in `<name>.size.json`, in table order
SIZE_FIELDS = (
    ("text", "text_size"),
    ("rodata", "rodata_size"),
    ("bss", "bss_size"),
    ("got", "got_entries"),
    ("relocs", "reloc_count"),
    ("qstrs", "qstr_count"),
)


def size_record(result: Any, env: Any, source_name: str) -> str:
    """The link's figures as JSON text (module, arch, then SIZE_FIELDS)."""
    import json

    record = {"module": source_name.removesuffix(".mpy"), "arch": env["NATMOD_ARCH"]}
    record.update({key: int(getattr(result, attr)) for key, attr in SIZE_FIELDS})
    return json.dumps(record, indent=1) + "\n"


def merge_action(target: list, source: list, env: Any) -> int:
    """Join the native `.mpy` and the bytecode `.mpy` files into the module (format.md 13)."""
    from natmod_tool.mpy.merge import merge

    try:
        inputs = [(node.name, Path(node.abspath).read_bytes()) for node in source]
        data = merge(inputs, march_flags=env.get("NATMOD_ARCH_FLAGS") or None, **_sub_version(env))
        write_atomic(target[0].abspath, data)
    except (NatmodError, OSError) as exc:
        return _error(target, env, "MERGE", exc)
    return 0


def _sub_version(env: Any) -> dict[str, int]:
    """The tree's MPY_SUB_VERSION for merge (none outside a tree's environment: merge's default)."""
    value = env.get("NATMOD_MPY_SUB_VERSION")
    return {} if value is None else {"sub_version": int(value)}


def _no_scan(node: Any, env: Any, path: tuple = ()) -> list:
    """The qstr header reads only the listed sources, never their includes (format.md 7.1)."""
    return []


def _tree_aware_compiles(env: Any) -> None:
    """Give this environment's Object builder compile actions with COMPILE_VARLIST.

    The builder belongs to the environment the tool sets up (and its clones); other
    environments of the project keep SCons' own actions.
    """
    static_obj, _shared_obj = SCons.Tool.createObjBuilders(env)
    for suffixes, command in COMPILE_ACTIONS:
        # SCons' `Action("$CCCOM", ...)`, with its signature substituted once per module (compilesig.py)
        action = CompileAction(command, {"cmdstr": f"${command}STR", "varlist": COMPILE_VARLIST})
        for suffix in suffixes:
            static_obj.add_action(suffix, action)


#: the folder holding the natmod_tool and natmod_scons packages (files they ship, e.g. the
#: ESP8266 ROM externs, are named from it in signatures: their content is in the tool version)
_PACKAGE_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _top_relative(top: str) -> Any:
    """A subst function: paths below `top` relative to it, files of our packages as
    `pkg:<path>`, others as they are (the signature form of a list of paths)."""
    prefixes = ((top.rstrip(os.sep) + os.sep, ""), (_PACKAGE_ROOT + os.sep, "pkg:"))

    def one(path: str) -> str:
        for prefix, label in prefixes:
            if path.startswith(prefix):
                return label + path[len(prefix) :]
        return path

    def convert(paths: Any) -> str:
        items = [paths] if isinstance(paths, str) else list(paths or ())
        return " ".join(one(str(p)) for p in items if p)

    return convert


def add_builders(env: Any) -> None:
    """Register the builders on `env` (called once, on the environment the tool sets up)."""
    _tree_aware_compiles(env)
    env["_natmod_top_relative"] = _top_relative(env.Dir("#").abspath)
    no_scan = SCons.Scanner.ScannerBase(_no_scan, name="NatmodNoScan")
    env.SetDefault(
        NATMOD_MPY_TREE_ID="",
        NATMOD_LINK_LIBS_SIG="${_natmod_top_relative(NATMOD_LINK_LIBS)}",
        NATMOD_EXTERNS_SIG="${_natmod_top_relative(NATMOD_EXTERNS)}",
        NATMOD_MATH_LIBS_SIG="${_natmod_top_relative(NATMOD_MATH_LIBS)}",
        NATMOD_ROM_EXTERNS_SIG="${_natmod_top_relative(NATMOD_ROM_EXTERNS)}",
        NATMOD_LINK_SIG=signature_text([f"${{{name}}}" for name in LINK_SIGNATURE]),
        NATMOD_MERGE_SIG=signature_text([f"${{{name}}}" for name in MERGE_SIGNATURE]),
        NATMOD_QSTR_SIG=signature_text([f"${{{name}}}" for name in QSTR_SIGNATURE]),
        NATMOD_MPYCROSSCOM=MPYCROSSCOM,
        MPY_CROSS_FLAGS=[],
        NATMOD_LINK_LIBS=[],
        NATMOD_MATH_LIBS=[],
        NATMOD_EXTERNS="",
        NATMOD_ROM_EXTERNS="",
        NATMOD_ARCH_FLAGS=0,
    )
    env["BUILDERS"]["NatmodQstrHeader"] = SCons.Builder.Builder(
        action=SCons.Action.Action(_timed("QSTR", qstr_header_action), "$NATMOD_QSTRCOMSTR", varlist=QSTR_VARLIST),
        source_scanner=no_scan,
    )
    env["BUILDERS"]["NatmodMpyCross"] = SCons.Builder.Builder(
        action=SCons.Action.Action(
            "$NATMOD_MPYCROSSCOM", "$NATMOD_MPYCROSSCOMSTR", varlist=["NATMOD_MPYCROSS_VERSION"]
        ),
        suffix=".py.mpy",
        src_suffix=".py",
        source_scanner=no_scan,
    )
    env["BUILDERS"]["NatmodLink"] = SCons.Builder.Builder(
        action=SCons.Action.Action(_timed("LINK", link_action), "$NATMOD_LINKCOMSTR", varlist=LINK_VARLIST),
        emitter=link_emitter,
        source_scanner=no_scan,
    )
    env["BUILDERS"]["NatmodMerge"] = SCons.Builder.Builder(
        action=SCons.Action.Action(_timed("MERGE", merge_action), "$NATMOD_MERGECOMSTR", varlist=MERGE_VARLIST),
        source_scanner=no_scan,
    )
