"""TOOLCHAIN=clang: clang as the compiler, the GNU cross toolchain as headers, binutils and libraries.

Why clang needs more than a name: clang is one binary for every target, so what gcc learns
from its name (`arm-none-eabi-gcc`) clang needs as flags: the `--target` triple, the float
ABI where the triple's default differs from the GNU toolchain's multilib (Cortex-M0/M3 have
no FPU: soft), and where the C library headers live (clang's bare-metal drivers know no
Debian paths); those flags are the `clang_flags` of natmod_tool.toolchains.  Everything else
stays the GNU toolchain's: `ar`/`ranlib`, libgcc and newlib/picolibc/libm for
LINK_RUNTIME=1 (asked of the arch's gcc, see arches.py), so a clang module links the same
runtime as a gcc one.  Xtensa has no clang backend in Debian.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from natmod_tool.toolchains import TOOLCHAINS

#: TOOLCHAIN values: gcc (default), clang (Debian's default clang) or clang-N (that version)
_CLANG = re.compile(r"clang(?:-(\d+))?")
#: the clang versions bootstrap installs and the tests build with
SUPPORTED_VERSIONS = ("14", "15", "16")

#: arch -> flags put in front of the arch's own (natmod_tool.toolchains cflags) when clang compiles
CLANG_FLAGS: dict[str, tuple[str, ...]] = {
    name: facts.clang_flags for name, facts in TOOLCHAINS.items() if facts.clang_flags is not None
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
