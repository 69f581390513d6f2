"""Find each arch's cross compiler and make its construction environment.

Why here and not in natmod_tool.toolchains: that table holds the facts (prefix, flags, float
implementation, Debian packages, maths library); this module only turns them into a SCons
environment and decides which compiler binary serves an arch on this machine.  Finding compilers
uses PATH lookups only; the one compiler query per toolchain goes through the cached
probe (probes.py), so reading SConscripts spawns nothing on a warm cache.
"""

from __future__ import annotations

import functools
import os
import platform
import shutil
from dataclasses import dataclass, replace
from typing import Any

from natmod_tool.arch import ArchInfo
from natmod_tool.linker.undefined import rom_externs_file
from natmod_tool.mpydir import natmod_digest
from natmod_tool.toolchains import ArchToolchain
from natmod_tool.toolchains import toolchain as facts_of

from . import output
from .clang import Choice, clang_flags
from .defines import define_entries
from .probes import Probe, ProbeCache

#: format.md 1: flags before the per-arch ones, the same for every arch
COMMON_ARCH_CFLAGS = ("-fpic", "-fno-common", "-U_FORTIFY_SOURCE")
#: format.md 1: language and warning flags between the include paths and the defines
STD_CFLAGS = ("-std=c99", "-Os", "-Wall", "-Werror")
#: format.md 1: defines every natmod object is compiled with (MP_CONFIGFILE is per module)
STD_CPPDEFINES = ("NDEBUG", "NO_QSTR", "MICROPY_ENABLE_DYNRUNTIME")

#: the compile command, in the reference's flag order (format.md 1): module CFLAGS, -I,
#: -std/-O/-W, -D, -fpic/arch flags, float implementation, CFLAGS_EXTRA
NATMOD_CCCOM = (
    "$NATMOD_CC_WRAPPER $CC $CFLAGS $_CPPINCFLAGS $NATMOD_STD_CFLAGS $_CPPDEFFLAGS $NATMOD_ARCH_CFLAGS "
    "$NATMOD_FLOAT_CFLAGS $CFLAGS_EXTRA -o $TARGET -c $SOURCES"
)

#: C++ in place of `-std=c99`: no exceptions, RTTI, thread-safe statics or
#: `__cxa_atexit`, so the objects reference no C++ runtime a natmod does not have
STD_CXXFLAGS = (
    "-std=c++17",
    "-Os",
    "-Wall",
    "-Werror",
    "-fno-exceptions",
    "-fno-rtti",
    "-fno-threadsafe-statics",
    "-fno-use-cxa-atexit",
)
#: the same order as NATMOD_CCCOM.  `py/dynruntime.h` is C: a few of its inline
#: functions and macros convert `void *` implicitly, which C++ rejects.  `-fpermissive`
#: turns exactly those into warnings and `-isystem $NATMOD_MPY_DIR` silences warnings
#: from MicroPython's headers (macro expansions included); the module's own code keeps
#: `-Wall -Werror`, so the same mistake in it is still an error.  Those two folders are
#: machine-specific paths, kept out of the signature like SCons' own include paths (`$( $)`;
#: the tree's headers are in it by content, NATMOD_MPY_TREE_ID).  $NATMOD_CC_WRAPPER is
#: ccache/distcc (CCACHE=1, CC_WRAPPER=), also outside the signature.
NATMOD_CXXCOM = (
    "$NATMOD_CC_WRAPPER $CXX $CXXFLAGS $_CPPINCFLAGS $NATMOD_STD_CXXFLAGS $_CPPDEFFLAGS $NATMOD_ARCH_CFLAGS "
    "$NATMOD_FLOAT_CFLAGS -fpermissive $( -isystem $NATMOD_MPY_DIR -idirafter $NATMOD_CXX_FALLBACK_DIR $) "
    "$CXXFLAGS_EXTRA -o $TARGET -c $SOURCES"
)
#: the header C++ modules include instead of `py/dynruntime.h` (see include/natmod_cpp.h)
INCLUDE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "include")
#: searched last (-idirafter): `<climits>` for g++ without libstdc++ headers (RISC-V, lx106)
CXX_FALLBACK_DIR = os.path.join(INCLUDE_DIR, "fallback")


@dataclass(frozen=True)
class Toolchain:
    """A usable compiler for one arch on this machine."""

    info: ArchInfo
    cc: tuple[str, ...]  # argv prefix: ("arm-none-eabi-gcc",) or ("gcc", "-m32")
    binutils_prefix: str  # for ar/ranlib; "" means the host's
    probe: Probe
    cxx: tuple[str, ...] | None = None  # the matching g++, None when not installed
    compiler: str = "gcc"  # the TOOLCHAIN value: gcc, clang or clang-N

    @property
    def facts(self) -> ArchToolchain:
        """The arch's row of natmod_tool.toolchains."""
        return facts_of(self.info.name)

    @property
    def is_clang(self) -> bool:
        """clang compiles; headers, binutils and libraries are the GNU toolchain's."""
        return self.compiler != "gcc"

    @property
    def cxx_missing(self) -> str:
        """Why C++ sources cannot be compiled for this arch, with what to install."""
        wanted = " ".join(_cxx_argv(self.cc))
        facts = self.facts
        packages = facts.packages if facts.cxx_packages is None else facts.cxx_packages
        if self.is_clang:
            wanted, packages = f"{self.compiler.replace('clang', 'clang++')}", (self.compiler,)
        hint = f"install the Debian package {' '.join(packages)}" if packages else f"put {wanted} on PATH"
        return f"C++ sources need {wanted} for {self.info.name}, which is not on PATH: {hint}"

    @property
    def specs_flags(self) -> list[str]:
        """`-specs=<picolibc.specs>` when the reference would add it (RISC-V, format.md 2)."""
        return [f"-specs={self.probe.specs}"] if self.probe.specs else []

    def support_libs(self) -> list[str]:
        """libgcc: every compiler support routine LINK_RUNTIME=1 may pull."""
        return [self.probe.libgcc] if self.probe.libgcc else []

    def math_libs(self) -> list[str]:
        """The maths library LINK_RUNTIME=1 searches for <math.h> functions only.

        Only maths: picolibc's and musl's libm live in their libc.a, and linking
        their `printf` would make LINK_RUNTIME mean something else on every arch.
        """
        return [lib for lib in self.runtime_libs() if lib not in self.support_libs()]

    def runtime_libs(self, choice: str = "all") -> list[str]:
        """libgcc and libm/libc for LINK_RUNTIME=1, in the reference's order (format.md 1);
        libgcc alone for LINK_RUNTIME=libgcc."""
        if choice == "libgcc":
            return self.support_libs()
        libm = self.probe.libm
        override = self.facts.math_library
        if override is not None and os.path.exists(override[0]):
            libm = override[0]
        return [lib for lib in (self.probe.libgcc, libm) if lib]


@dataclass(frozen=True)
class Missing:
    """Why an arch cannot be built here, and what to install."""

    info: ArchInfo
    compiler: str
    packages: tuple[str, ...] | None = None  # None: the arch's own (its cross gcc)
    why: str = ""  # set when no package helps (clang has no Xtensa backend)

    @property
    def hint(self) -> str:
        """One phrase naming the Debian package(s) to install, or that there is none."""
        if self.why:
            return self.why
        packages = facts_of(self.info.name).packages if self.packages is None else self.packages
        if packages:
            return f"install the Debian package {' '.join(packages)} (apt-get install {' '.join(packages)})"
        return f"no Debian package provides it: put {self.compiler} on PATH"

    @property
    def message(self) -> str:
        """The one-line error for an explicitly requested arch."""
        if self.why:
            return f"ARCH={self.info.name} with TOOLCHAIN={self.compiler}: {self.why}"
        return f"ARCH={self.info.name} needs {self.compiler}, which is not on PATH: {self.hint}"


def _uses_picolibc_specs(facts: ArchToolchain) -> tuple[str, str] | None:
    """(triple, multilib dir) for arches whose reference build looks for picolibc.specs.

    format.md 2 says this for rv32imc/rv64imc only (`picolibc_specs` in the table); the multilib
    dir comes from the arch's own `-march=`/`-mabi=` flags, the triple from its cross prefix.
    """
    if not facts.picolibc_specs:
        return None
    opts = dict(flag[1:].split("=", 1) for flag in facts.cflags if flag.startswith("-m") and "=" in flag)
    return facts.cross_prefix.rstrip("-"), f"{opts.get('march', '')}/{opts.get('mabi', '')}"


def _candidates(facts: ArchToolchain) -> list[tuple[str, ...]]:
    """Compiler argv prefixes to try, best first (on an x86 host, x86/x64 fall back to the host gcc)."""
    host_x86 = platform.machine().lower() in ("x86_64", "amd64", "i386", "i686")
    if facts.host_compiler is not None and host_x86:
        return [(facts.gcc,), facts.host_compiler]
    return [(facts.gcc,)]


def _cxx_argv(cc: tuple[str, ...]) -> tuple[str, ...]:
    """The C++ driver matching a C compiler argv: `arm-none-eabi-gcc` -> `arm-none-eabi-g++`."""
    head = cc[0]
    if head.endswith("gcc"):
        head = head[: -len("gcc")] + "g++"
    return (head, *cc[1:])


def find_toolchain(info: ArchInfo, cache: ProbeCache, choice: Choice | None = None) -> Toolchain | Missing:
    """The compiler `choice` (TOOLCHAIN, default gcc) for `info`, or a `Missing` saying what to install.

    clang needs the arch's GNU toolchain too: its headers, binutils and libraries.
    """
    gnu = _find_gnu(info, cache)
    if choice is None or not choice.is_clang or isinstance(gnu, Missing):
        return gnu
    return _with_clang(gnu, choice, cache)


def _with_clang(gnu: Toolchain, choice: Choice, cache: ProbeCache) -> Toolchain | Missing:
    """`gnu` with clang as the compiler: target flags in front, the GNU probe's libraries."""
    info = gnu.info
    flags = clang_flags(info.name)
    if flags is None:
        return Missing(info, choice.cc, why=f"clang has no {info.name} backend: build {info.name} with TOOLCHAIN=gcc")
    binary = shutil.which(choice.cc)
    if binary is None:
        return Missing(info, choice.cc, packages=(choice.package,))
    argv = (choice.cc, *flags)
    own = cache.get(binary, list(argv), list(facts_of(info.name).cflags), None)  # its version; libraries stay GNU's
    probe = replace(gnu.probe, version=own.version, specs=None)
    cxx = (choice.cxx, *flags) if shutil.which(choice.cxx) else None
    return replace(gnu, cc=argv, probe=probe, cxx=cxx, compiler=choice.name)


def _find_gnu(info: ArchInfo, cache: ProbeCache) -> Toolchain | Missing:
    """The first working GNU compiler for `info`, or a `Missing` saying what to install."""
    facts = facts_of(info.name)
    flags = list(facts.cflags)
    for argv in _candidates(facts):
        binary = shutil.which(argv[0])
        if binary is None:
            continue
        probe = cache.get(binary, list(argv), flags, _uses_picolibc_specs(facts))
        if len(argv) > 1 and probe.libgcc is None:
            continue  # `gcc -m32` without the 32-bit multilib cannot build anything
        prefix = facts.cross_prefix if argv[0].startswith(facts.cross_prefix) else ""
        cxx = _cxx_argv(argv)
        found_cxx = cxx if shutil.which(cxx[0]) else None
        return Toolchain(info=info, cc=argv, binutils_prefix=prefix, probe=probe, cxx=found_cxx)
    return Missing(info=info, compiler=facts.gcc)


def _command(env: Any, name: str) -> str:
    """`name` as SCons must spell it: bare when SCons' own PATH finds the same program,
    else its absolute path (a toolchain installed outside /usr/bin, e.g. ESP-IDF's, is
    on the user's PATH but not on the minimal PATH SCons gives commands).
    """
    found = shutil.which(name)
    scons_path = env.get("ENV", {}).get("PATH")
    seen_by_scons = shutil.which(name, path=scons_path) if scons_path else None
    if found and (seen_by_scons is None or os.path.realpath(seen_by_scons) != os.path.realpath(found)):
        return found
    return name


def _binutil(env: Any, prefix: str, name: str) -> str:
    """`<prefix>ar` when installed, else the host tool (archives are arch-neutral enough)."""
    if prefix and shutil.which(prefix + name):
        return _command(env, prefix + name)
    return name


#: compiler settings a project may choose itself (as with SCons' own cc/gcc tools): the
#: per-arch set-up keeps a value given to `Environment(...)` or set with `env.Replace` later
USER_SETTABLE = ("CC", "CXX", "AR", "RANLIB", "CCCOM", "CXXCOM", "ASPPCOM")


def user_settings(env: Any) -> set[str]:
    """The USER_SETTABLE names whose value the project chose rather than the tool."""
    chosen = set(env.get("NATMOD_USER_SET", ()))
    tool_set = env.get("NATMOD_TOOL_SET") or {}
    chosen.update(key for key in USER_SETTABLE if key in tool_set and env.get(key) != tool_set[key])
    return chosen


def configure(env: Any, toolchain: Toolchain, mpy_dir: str) -> None:
    """Make `env` (a fresh Clone) compile and link for `toolchain`'s arch.

    Values a project put into its Environment are kept: CFLAGS stay first on the
    command line (like a module Makefile's CFLAGS), CPPPATH/CPPDEFINES come after ours.
    """
    info = toolchain.info
    env["NATMOD_ARCH"] = info.name
    env["NATMOD_MPY_DIR"] = mpy_dir
    env["NATMOD_MPY_TREE_ID"] = tree_id(mpy_dir)
    ours = {
        **compiler_settings(env, toolchain),
        "CCCOM": NATMOD_CCCOM,
        "CXXCOM": NATMOD_CXXCOM,
        "ASPPCOM": NATMOD_CCCOM,
    }
    kept = user_settings(env)
    for key, value in ours.items():
        if key not in kept:
            env[key] = value
    env["NATMOD_STD_CFLAGS"] = list(STD_CFLAGS)
    env["NATMOD_FLOAT_CFLAGS"] = [f"-DMICROPY_FLOAT_IMPL=MICROPY_FLOAT_IMPL_{toolchain.facts.float_impl.upper()}"]
    env["NATMOD_STD_CXXFLAGS"] = list(STD_CXXFLAGS)
    env["NATMOD_CXX_FALLBACK_DIR"] = CXX_FALLBACK_DIR
    env["CPPPATH"] = [".", mpy_dir, *env.get("CPPPATH", []), INCLUDE_DIR]
    try:
        env["CPPDEFINES"] = [*STD_CPPDEFINES, *define_entries(env.get("CPPDEFINES"))]
    except ValueError as exc:
        output.fail(f"the Environment's {exc}")
    env.SetDefault(CFLAGS_EXTRA=[], CXXFLAGS_EXTRA=[])
    env["OBJSUFFIX"] = ".o"
    env["LIBPREFIX"] = "lib"
    env["LIBSUFFIX"] = ".a"
    # fixed addresses of the firmware ROM's compiler support routines (ESP8266), linked by default
    env["NATMOD_ROM_EXTERNS"] = rom_externs_file(info) or ""


def compiler_settings(env: Any, toolchain: Toolchain) -> dict[str, Any]:
    """The construction variables that pick `toolchain`'s compiler (the arch env's, or one
    module's `TOOLCHAIN=`): programs, arch flags and the toolchain object itself."""
    cxx = toolchain.cxx or _cxx_argv(toolchain.cc)  # a missing one fails when a module has C++
    return {
        "CC": " ".join([_command(env, toolchain.cc[0]), *toolchain.cc[1:]]),
        "CXX": " ".join([_command(env, cxx[0]), *cxx[1:]]),
        "AR": _binutil(env, toolchain.binutils_prefix, "ar"),
        "RANLIB": _binutil(env, toolchain.binutils_prefix, "ranlib"),
        "NATMOD_TOOLCHAIN": toolchain,
        "NATMOD_CC_VERSION": toolchain.probe.version,
        "NATMOD_ARCH_CFLAGS": [*COMMON_ARCH_CFLAGS, *toolchain.facts.cflags, *toolchain.specs_flags],
    }


@functools.lru_cache(maxsize=8)
def tree_id(mpy_dir: str) -> str:
    """The tree's natmod digest, computed once per SCons run (see mpydir.natmod_digest).

    Empty for a tree that is not there: only `scons -h` gets that far without one.
    """
    return natmod_digest(mpy_dir) if os.path.isdir(os.path.join(mpy_dir, "py")) else ""
