"""`env.NativeMpy(name, sources, **overrides)`: one native module for the env's arch.

Steps, each its own SCons node so only what changed is redone:
qstr config header from all sources -> compile each `.c`/`.cpp`/`.S` -> `mpy-cross` each
`.py` -> link the objects (C and C++ objects in source order, then asm objects, as the
reference does for C) -> merge with the bytecode into `<name>.mpy` (no merge step when there is no
Python: the link writes `<name>.mpy` directly, which is what the merge would copy).

Module overrides: `CFLAGS`, `CFLAGS_EXTRA` (C only), `CXXFLAGS`, `CXXFLAGS_EXTRA` (C++
only), `CPPPATH`, `CPPDEFINES` (added to the arch's, in any SCons form), `LINK_RUNTIME` (1, 0 or
"libgcc"), `LIBS` (static archives or GNU ld scripts),
`EXTERNS` (fixed-address symbol file), `TOOLCHAIN` (gcc, clang or clang-N for this module),
`ARCH_FLAGS` (a string applies to the arches
that take flags, i.e. rv32imc; a dict maps arch -> value), `MPY_CROSS_FLAGS` (a dict:
per file), `VARIANT` (a folder for this call's objects), `VERSION` (written into the
module's mip package.json), `ARCHES` / `SKIP_ARCHES` (the arches to build it for / not
to; one "skipped" line says which were left out), `TESTS` (test scripts for `scons test`,
default `test_*.py` beside the SConscript); any other keyword is a plain
construction-variable override (one close to a known name is warned about, see
checks.py).
"""

from __future__ import annotations

import os
from typing import Any

import SCons.Util

from natmod_tool.arch import get_arch, parse_arch_flags
from natmod_tool.errors import NatmodError

from . import arches, builders, checks, probes, testing
from .clang import parse_toolchain
from .defines import define_entries
from .output import fail
from .pyflags import is_per_file, per_file_flags, split_source_name
from .variables import runtime_choice
from .variant import claim, in_variant, variant_folder

C_SUFFIXES = (".c",)
CXX_SUFFIXES = (".cpp", ".cc", ".cxx")
ASM_SUFFIXES = (".S", ".s", ".sx")
PY_SUFFIXES = (".py",)
#: overrides added to the arch environment's list instead of replacing it
APPENDED = ("CFLAGS", "CFLAGS_EXTRA", "CXXFLAGS", "CXXFLAGS_EXTRA", "CPPPATH", "CPPDEFINES", "MPY_CROSS_FLAGS")
#: overrides consumed here (not passed to the environment as they are)
HANDLED = (
    "LINK_RUNTIME",
    "LIBS",
    "EXTERNS",
    "ARCH_FLAGS",
    "VERSION",
    "VARIANT",
    "ARCHES",
    "SKIP_ARCHES",
    "TESTS",
    "TOOLCHAIN",
)


def _listify(value: Any) -> list:
    """A scalar or a sequence as a flat list (flags, sources, libraries; not CPPDEFINES)."""
    if value is None:
        return []
    if SCons.Util.is_List(value) or isinstance(value, tuple):
        return list(SCons.Util.flatten(value))
    return [value]


def _link_runtime(env: Any, name: str, overrides: dict[str, Any]) -> str:
    """The module's LINK_RUNTIME (else the project's) as "none", "all" or "libgcc"."""
    try:
        return runtime_choice(overrides.get("LINK_RUNTIME", env.get("NATMOD_LINK_RUNTIME", False)))
    except ValueError as exc:
        fail(f"NativeMpy({name!r}): {exc}")


def _arch_flags(arch: str, value: Any) -> int:
    """The module's arch flags for this arch, validated by natmod_tool (0 when none)."""
    if isinstance(value, dict):
        value = value.get(arch)
    elif value not in (None, "", 0) and not get_arch(arch).supports_arch_flags:
        return 0  # one SConscript serves every arch; a string only means something on rv32imc
    if value in (None, ""):
        return 0
    return parse_arch_flags(get_arch(arch), value)


def _source_nodes(env: Any, sources: Any) -> list:
    """File nodes of `sources`; a path leaving the module folder names the real file.

    A name inside the module folder becomes its variant-folder node, as SCons gives it;
    `../lib/x.c`, `#lib/x.c` or an absolute path is looked up from the module's *source*
    folder (from the variant folder, `..` would lead into the build tree).
    """
    module_src = env.Dir(".").srcnode()
    nodes = []
    for item in _listify(sources):
        if isinstance(item, str):
            real = module_src.File(item)
            nodes.append(env.File(item) if real.is_under(module_src) else real)
        else:
            nodes.extend(env.arg2nodes(item, env.fs.File))
    return nodes


def _toolchain_env(env: Any, name: str, overrides: dict[str, Any]) -> Any:
    """`env`, or an override of it compiling with the module's own `TOOLCHAIN=` compiler."""
    if "TOOLCHAIN" not in overrides:
        return env
    try:
        choice = parse_toolchain(overrides["TOOLCHAIN"])
    except ValueError as exc:
        fail(f"NativeMpy({name!r}): {exc}")
    if choice.name == env["NATMOD_TOOLCHAIN"].compiler:
        return env
    found = arches.find_toolchain(env["NATMOD_TOOLCHAIN"].info, probes.shared(), choice)
    if isinstance(found, arches.Missing):
        fail(f"NativeMpy({name!r}): TOOLCHAIN={choice.name}: {found.message}")
    # a program the project chose itself (Environment(CC=...), env.Replace) stays
    current = arches.compiler_settings(env, env["NATMOD_TOOLCHAIN"])
    kept = {key for key in arches.USER_SETTABLE if key in current and env.get(key) != current[key]}
    values = {k: v for k, v in arches.compiler_settings(env, found).items() if k not in kept}
    return env.Override(values)


def _split_sources(env: Any, name: str, sources: Any) -> tuple[list, list, list]:
    """File nodes of the sources, grouped: C and C++, asm, Python (each in the given order)."""
    nodes = _source_nodes(env, sources)
    c_files, asm_files, py_files = [], [], []
    for node in nodes:
        suffix = os.path.splitext(node.name)[1]
        if suffix in CXX_SUFFIXES:
            toolchain = env["NATMOD_TOOLCHAIN"]
            if toolchain.is_clang:
                fail(
                    f"NativeMpy({name!r}): {node.srcnode()}: C++ needs g++ with TOOLCHAIN={toolchain.compiler}: "
                    "py/dynruntime.h converts void * implicitly, which only g++ -fpermissive accepts; "
                    f"give this module TOOLCHAIN='gcc'"
                )
            if toolchain.cxx is None:
                fail(f"NativeMpy({name!r}): {node.srcnode()}: {toolchain.cxx_missing}")
            c_files.append(node)
        elif suffix in C_SUFFIXES:
            c_files.append(node)
        elif suffix in ASM_SUFFIXES:
            asm_files.append(node)
        elif suffix in PY_SUFFIXES:
            py_files.append(node)
        else:
            fail(f"NativeMpy({name!r}): {node.srcnode()} is not a .c, .cpp, .cc, .S or .py file")
    if not c_files and not asm_files:
        fail(f"NativeMpy({name!r}): needs at least one .c, .cpp or .S source (mpy_init lives in native code)")
    return c_files, asm_files, py_files


def _module_env(env: Any, name: str, config_h: Any, overrides: dict[str, Any]) -> Any:
    """An override environment for this module: its config header, flags and link options."""
    arch = env["NATMOD_ARCH"]
    values: dict[str, Any] = {}
    for key in APPENDED:
        if key in overrides and key != "CPPDEFINES" and not is_per_file(overrides[key]):
            values[key] = [*_listify(env.get(key, [])), *_listify(overrides[key])]
    try:  # SCons' forms keep their meaning: ("W", "16") is -DW=16, not -DW -D16
        defines = [*define_entries(env.get("CPPDEFINES")), *define_entries(overrides.get("CPPDEFINES"))]
    except ValueError as exc:
        fail(f"NativeMpy({name!r}): {exc}")
    # format.md 1: MP_CONFIGFILE comes right after the standard defines; quoted for the shell
    standard = len([d for d in defines if d in ("NDEBUG", "NO_QSTR", "MICROPY_ENABLE_DYNRUNTIME")])
    defines = [*defines[:standard], ("MP_CONFIGFILE", f'"<{config_h.name}>"'), *defines[standard:]]
    values["CPPDEFINES"] = defines
    for key, value in overrides.items():
        if key not in APPENDED and key not in HANDLED:
            values[key] = value

    link_runtime = _link_runtime(env, name, overrides)
    libs: list[str] = []
    if link_runtime != "none":
        toolchain = env["NATMOD_TOOLCHAIN"]
        runtime = toolchain.runtime_libs(link_runtime)
        if not runtime:
            wanted = "libgcc" if link_runtime == "libgcc" else "libgcc/libm"
            fail(
                f"NativeMpy({name!r}): LINK_RUNTIME={link_runtime} but {toolchain.cc[0]} reports no {wanted} for {arch}"
            )
        libs += toolchain.support_libs()
        if link_runtime == "all":
            values["NATMOD_MATH_LIBS"] = toolchain.math_libs()  # searched for <math.h> names only
    for lib in _listify(overrides.get("LIBS")):
        node = env.File(lib) if isinstance(lib, str) else lib
        # a library this build makes lives in the variant folder; a prebuilt one in the sources
        libs.append(node.abspath if node.has_builder() else node.srcnode().abspath)
    values["NATMOD_LINK_LIBS"] = libs
    values["NATMOD_LINK_RUNTIME"] = link_runtime  # the link error's advice depends on it

    externs = overrides.get("EXTERNS")
    values["NATMOD_EXTERNS"] = os.path.realpath(env.File(externs).srcnode().abspath) if externs else ""
    try:
        values["NATMOD_ARCH_FLAGS"] = _arch_flags(arch, overrides.get("ARCH_FLAGS"))
    except NatmodError as exc:
        fail(f"NativeMpy({name!r}) [{arch}]: {exc}")
    values["NATMOD_CONFIG_H"] = config_h
    values["NATMOD_SOURCE_NAME"] = f"{name}.mpy"
    return env.Override(values)


#: sub-folders of a module's variant folder for the objects of sources outside the module:
#: below the project top (`_top/lib/x.o`) and elsewhere (`_abs/usr/src/lib/x.o`)
OUTSIDE_TOP, OUTSIDE_ABS = "_top", "_abs"


def _readable(node: Any) -> Any:
    """Where a source is read: a file another builder makes (`env.Command`, `Textfile`)
    in the variant folder, where that builder writes it; a plain source in the source folder."""
    return node if node.has_builder() else node.srcnode()


def _object_path(env: Any, src: Any) -> Any:
    """Where a source's object goes: always below the module's variant folder.

    `x.c` -> `x.o` next to the source's place in the variant folder; a source outside the
    module folder gets a stable, readable sub-path (OUTSIDE_TOP/OUTSIDE_ABS), so no object
    is ever written into a source tree and two arches never share one.
    """
    obj_name = os.path.splitext(src.name)[0] + env.subst("$OBJSUFFIX")
    variant = env.Dir(".")
    source = src.srcnode()
    if src.is_under(variant) or source.is_under(variant.srcnode()):
        return env.File(obj_name, src.dir)
    top = env.Dir("#")
    if source.is_under(top):
        rel = os.path.relpath(source.dir.abspath, top.abspath)
        folder = variant.Dir(OUTSIDE_TOP).Dir(rel)
    else:
        folder = variant.Dir(OUTSIDE_ABS).Dir(source.dir.abspath.lstrip(os.sep).replace(":", ""))
    return folder.File(obj_name)


def _signatures(env: Any, menv: Any) -> None:
    """The qstr, link and merge signatures (builders.py) as plain strings, made once here.

    Paths are in their signature form (below the top folder: relative to it).  Left to
    SCons, every no-op build would run a subst function per path setting and substitute
    each of the link's eight variables for every module.
    """
    convert = env["_natmod_top_relative"]
    for key in ("NATMOD_LINK_LIBS", "NATMOD_MATH_LIBS", "NATMOD_EXTERNS", "NATMOD_ROM_EXTERNS"):
        menv[f"{key}_SIG"] = convert(menv.get(key))
    for variable, names in (
        ("NATMOD_LINK_SIG", builders.LINK_SIGNATURE),
        ("NATMOD_MERGE_SIG", builders.MERGE_SIGNATURE),
        ("NATMOD_QSTR_SIG", builders.QSTR_SIGNATURE),
    ):
        menv[variable] = builders.signature_text([menv.get(name, "") for name in names])


def native_mpy(env: Any, name: str, sources: Any, **overrides: Any) -> Any:
    """Declare module `name` from `sources`; returns the `<name>.mpy` node."""
    if "NATMOD_ARCH" not in env:
        fail(
            "NativeMpy needs a per-arch environment: call it on the 'env' that "
            "NativeMpyProject/NatmodArchEnvs exports to SConscripts"
        )
    where = checks.admit(env, name, overrides)  # name, keywords, ARCHES=; None: not for this arch
    if where is None:
        return []
    env = _toolchain_env(env, name, overrides)
    c_files, asm_files, py_files = _split_sources(env, name, sources)
    if py_files:
        checks.check_mpy_cross(env, name, py_files[0].srcnode(), where)
    config_h = env.File(f"{name}.config.h")
    menv = _module_env(env, name, config_h, overrides)

    menv.NatmodQstrHeader(config_h, [_readable(src) for src in (*c_files, *asm_files, *py_files)])
    menv.Precious(config_h)  # SCons must not delete it before the action compares its text
    mpy_dir = env["NATMOD_MPY_DIR"]
    menv.Depends(config_h, env.File(os.path.join(mpy_dir, "py", "makeqstrdata.py")))

    # Sources are given as their real (source-folder) nodes, targets in the variant
    # folder: SCons then records the same dependency names it later compares, and
    # `--debug=explain` names the edited file instead of "no longer a dependency".
    # Generated sources stay variant nodes, so the compile waits for their builder.
    variant = variant_folder(name, overrides.get("VARIANT"))
    objects = [
        menv.Object(claim(env, name, in_variant(env, _object_path(env, src), variant)), _readable(src))[0]
        for src in c_files + asm_files
    ]
    if _link_runtime(env, name, overrides) == "all":
        # C library bits libm expects (errno): the arch's one support archive, searched first
        support = env["NATMOD_RUNTIME_SUPPORT"].archive()
        menv["NATMOD_LINK_LIBS"] = [support.abspath, *menv["NATMOD_LINK_LIBS"]]
    toolchain = env["NATMOD_TOOLCHAIN"]
    if toolchain.is_clang and toolchain.facts.clang_aeabi_helpers:
        # clang's __aeabi_memcpy/__aeabi_memclr4 calls (support.py), searched before the others
        aeabi = env["NATMOD_AEABI_SUPPORT"].archive()
        menv["NATMOD_LINK_LIBS"] = [aeabi.abspath, *menv["NATMOD_LINK_LIBS"]]
    _signatures(env, menv)
    extra_deps = [env.File(lib) for lib in [*menv["NATMOD_LINK_LIBS"], *menv["NATMOD_MATH_LIBS"]]]
    if menv["NATMOD_EXTERNS"]:
        extra_deps.append(env.File(menv["NATMOD_EXTERNS"]))

    module_dir = env.Dir(".").srcnode().abspath
    bytecode = []
    per_file = per_file_flags(env, name, overrides.get("MPY_CROSS_FLAGS"), py_files)
    for src in py_files:
        place = (src.abspath, env.Dir(".").abspath) if src.has_builder() else (src.srcnode().abspath, module_dir)
        rel = os.path.relpath(*place).replace(os.sep, "/")
        target = in_variant(env, env.File(os.path.splitext(src.name)[0] + ".py.mpy", src.dir), variant)
        options: dict[str, Any] = {}
        if src in per_file:  # this file's own mpy-cross options, after the module's
            flags, stored_name = split_source_name(name, src.name, per_file[src])
            options["MPY_CROSS_FLAGS"] = [*_listify(menv.get("MPY_CROSS_FLAGS")), *flags]
            rel = stored_name or rel
        bytecode += menv.NatmodMpyCross(target, _readable(src), NATMOD_PY_NAME=rel, **options)

    final = env.File(f"{name}.mpy")
    # [.mpy, .size.json]: the emitter adds the link's figures, for `scons sizes`
    native = menv.NatmodLink(env.File(f"{name}.native.mpy") if bytecode else final, objects)
    sizes = native[1]
    if bytecode:
        menv.NatmodMerge(final, [native[0], *bytecode])
    menv.Depends(native, [config_h, *extra_deps])

    registry = env.get("NATMOD_REGISTRY")
    if registry is not None:
        version = str(overrides.get("VERSION") or env.get("MIP_VERSION") or "0.1.0")
        tests = testing.declared_tests(env, name, overrides.get("TESTS"))
        registry.add(name, env["NATMOD_ARCH"], final, sizes=sizes, config_h=config_h, version=version, tests=tests)
    return final
