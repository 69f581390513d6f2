"""TOOLCHAIN=clang: clang as the compiler, the GNU cross toolchain as headers, binutils and libraries.

Why a separate table: clang is one binary for every target, so what gcc learns from its
name (`arm-none-eabi-gcc`) clang needs as flags: the `--target` triple, the float ABI
where the triple's default differs from the GNU toolchain's multilib (Cortex-M0/M3 have
no FPU: soft), and where the C library headers live (clang's bare-metal drivers know no
Debian paths).  Everything else stays the GNU toolchain's: `ar`/`ranlib`, libgcc and
newlib/picolibc/libm for LINK_RUNTIME=1 (asked of the arch's gcc, see arches.py), so a
clang module links the same runtime as a gcc one.  Xtensa has no clang backend in Debian.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: TOOLCHAIN values: gcc (default), clang (Debian's default clang) or clang-N (that version)
_CLANG = re.compile(r"clang(?:-(\d+))?")
#: the clang versions bootstrap installs and the tests build with
SUPPORTED_VERSIONS = ("14", "15", "16")

_ARM_NEWLIB = "--sysroot=/usr/lib/arm-none-eabi"  # newlib's <string.h>, <math.h>, libstdc++'s <climits>
_PICOLIBC = ("-isystem", "/usr/lib/picolibc/riscv64-unknown-elf/include")

#: arch -> flags put in front of the arch's own (natmod_tool.arch cflags) when clang compiles
CLANG_FLAGS: dict[str, tuple[str, ...]] = {
    "x86": ("--target=i686-linux-gnu",),
    "x64": ("--target=x86_64-linux-gnu",),
    "armv6m": ("--target=arm-none-eabi", _ARM_NEWLIB, "-mfloat-abi=soft"),
    "armv7m": ("--target=arm-none-eabi", _ARM_NEWLIB, "-mfloat-abi=soft"),
    "armv7emsp": ("--target=arm-none-eabi", _ARM_NEWLIB),
    "armv7emdp": ("--target=arm-none-eabi", _ARM_NEWLIB),
    "rv32imc": ("--target=riscv32-unknown-elf", *_PICOLIBC),
    "rv64imc": ("--target=riscv64-unknown-elf", *_PICOLIBC),
}


@dataclass(frozen=True)
class Choice:
    """A validated TOOLCHAIN value."""

    name: str  # "gcc", "clang" or "clang-16"
    version: str = ""  # "16" for clang-16, "" for the default clang

    @property
    def is_clang(self) -> bool:
        """Whether clang compiles (every other part of the toolchain stays GNU)."""
        return self.name != "gcc"

    @property
    def cc(self) -> str:
        """The C compiler program: `clang` or `clang-16`."""
        return self.name

    @property
    def cxx(self) -> str:
        """The C++ compiler program: `clang++` or `clang++-16`."""
        return f"clang++-{self.version}" if self.version else "clang++"

    @property
    def package(self) -> str:
        """The Debian package that installs `cc`."""
        return self.name


def parse_toolchain(value: object) -> Choice:
    """TOOLCHAIN=gcc|clang|clang-N as a Choice; ValueError (one line) otherwise."""
    text = str(value if value is not None else "").strip().lower() or "gcc"
    if text == "gcc":
        return Choice("gcc")
    match = _CLANG.fullmatch(text)
    if match is None:
        raise ValueError(
            f"TOOLCHAIN={value!r}: use gcc, clang or clang-N (e.g. clang-16; tested: "
            f"{', '.join('clang-' + v for v in SUPPORTED_VERSIONS)})"
        )
    return Choice(text, match.group(1) or "")


def clang_flags(arch: str) -> tuple[str, ...] | None:
    """The target flags for `arch`, None when clang cannot build it (xtensa, xtensawin)."""
    return CLANG_FLAGS.get(arch)
