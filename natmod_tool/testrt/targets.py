"""The test runtime's per-arch facts: compiler, CPU flags, board, memory, emulator.

One table, read by the build script (`port/SConstruct`) and by the runner, so the
firmware a test runs on and the command that starts it cannot disagree.  The CPU
flags for natmods' arches come from `natmod_tool.toolchains` (the same `-mcpu`/`-march`
the natmods are compiled with), and so do the float type (a natmod passes `mp_float_t`
values to the firmware, both sides must agree on its width), the compilers and the
Debian packages.
"""

from __future__ import annotations

import platform
from dataclasses import dataclass, field

from ..toolchains import toolchain

#: `float_impl` of natmod_tool.toolchains -> NATMOD_RT_FLOAT of port/mpconfigport.h
FLOAT_LEVEL = {"NONE": 0, "FLOAT": 1, "DOUBLE": 2}


@dataclass(frozen=True)
class Target:
    """How to build and start the runtime for one `--arch`."""

    arch: str
    family: str  # "hosted" (Linux process), "cortexm", "riscv" or "xtensa" (qemu board)
    compiler: tuple[str, ...]  # C compiler argv prefix (also assembles and links)
    cpu_flags: tuple[str, ...]
    platform: str  # sys.platform inside the runtime
    board: str  # for messages and the README
    qemu: str = ""  # emulator program; "" for hosted
    qemu_args: tuple[str, ...] = ()
    #: linker script substitutions (@NAME@ in port/ld/*.ld.in)
    memory: tuple[tuple[str, str], ...] = ()
    small: bool = False  # the 16 KiB RAM board: smaller buffers
    link_flags: tuple[str, ...] = ()
    libs: tuple[str, ...] = ()
    packages: tuple[str, ...] = field(default=())  # Debian packages that provide the tools

    @property
    def float_level(self) -> int:
        return FLOAT_LEVEL[toolchain(self.arch).float_impl]

    @property
    def hosted(self) -> bool:
        return self.family == "hosted"


def _arch_flags(arch: str) -> tuple[str, ...]:
    """The natmod compile flags of `arch` that select the CPU (not -fpic & co)."""
    return tuple(f for f in toolchain(arch).cflags if f.startswith(("-m",)))


_QEMU_COMMON = ("-display", "none", "-monitor", "none", "-serial", "none", "-parallel", "none")
_MPS2_MEMORY = (
    ("FLASH_ORIGIN", "0x00000000"),
    ("FLASH_LENGTH", "4M"),
    ("RAM_ORIGIN", "0x20000000"),
    ("RAM_LENGTH", "4M"),
    ("STACK_SIZE", "256K"),
)
_VIRT_RAM = "64M"
_VIRT_MEMORY = (("RAM_ORIGIN", "0x80000000"), ("RAM_LENGTH", _VIRT_RAM), ("STACK_SIZE", "1M"))


def _tools(arch: str) -> tuple[str, ...]:
    """The Debian packages of the arch's compiler, C library and emulator."""
    facts = toolchain(arch)
    return (*facts.packages, *facts.emulator_packages)


def _cortexm(arch: str, machine: str, board: str, memory=_MPS2_MEMORY, small: bool = False) -> Target:
    return Target(
        arch=arch,
        family="cortexm",
        compiler=(toolchain(arch).gcc,),
        cpu_flags=_arch_flags(arch),
        platform=f"natmod-{arch}",
        board=board,
        qemu="qemu-system-arm",
        qemu_args=("-M", machine, *_QEMU_COMMON),
        memory=memory,
        small=small,
        link_flags=("--specs=nano.specs",),
        libs=("m", "c", "gcc"),
        packages=_tools(arch),
    )


def _riscv(arch: str, qemu: str, extra: tuple[str, ...]) -> Target:
    return Target(
        arch=arch,
        family="riscv",
        compiler=(toolchain(arch).gcc,),
        cpu_flags=(*_arch_flags(arch), *extra),
        platform=f"natmod-{arch}",
        board=f"qemu {qemu.split('-')[-1]} virt",
        qemu=qemu,
        qemu_args=("-M", "virt", "-bios", "none", "-m", _VIRT_RAM, *_QEMU_COMMON),
        memory=_VIRT_MEMORY,
        link_flags=("--specs=picolibc.specs",),
        libs=("c", "gcc"),
        packages=_tools(arch),
    )


def _xtensa() -> Target:
    """The ESP8266's lx106 core on qemu's sim machine, with simulator calls (`simcall`).

    Not the natmods' -mforce-l32 (which only matters for reading IRAM, and the runtime
    keeps its data in sysram0); literals next to the code and long calls, because the
    firmware's code is larger than an L32R or CALL0 reaches.
    """
    return Target(
        arch="xtensa",
        family="xtensa",
        compiler=("xtensa-lx106-elf-gcc",),
        cpu_flags=("-mtext-section-literals", "-mlongcalls"),
        platform="natmod-xtensa",
        board="qemu xtensa sim (lx106, ESP8266 core)",
        qemu="qemu-system-xtensa",
        qemu_args=("-M", "sim", "-cpu", "lx106", *_QEMU_COMMON),
        memory=(("RAM_ORIGIN", "0x60000000"), ("RAM_LENGTH", "16M"), ("STACK_SIZE", "256K")),
        libs=("c", "gcc"),
        packages=_tools("xtensa"),
    )


def _hosted(arch: str) -> Target:
    facts = toolchain(arch)
    assert facts.host_compiler is not None  # the hosted arches: x86, x64
    return Target(
        arch=arch,
        family="hosted",
        compiler=facts.host_compiler,
        cpu_flags=(),
        platform=f"natmod-{arch}",
        board=f"Linux process ({'32' if '-m32' in facts.host_compiler else '64'}-bit)",
        libs=("m",),
        packages=facts.packages,
    )


TARGETS: dict[str, Target] = {
    t.arch: t
    for t in (
        _cortexm(
            "armv6m",
            "microbit",
            "qemu microbit (nRF51, Cortex-M0)",
            memory=(
                ("FLASH_ORIGIN", "0x00000000"),
                ("FLASH_LENGTH", "256K"),
                ("RAM_ORIGIN", "0x20000000"),
                ("RAM_LENGTH", "16K"),
                ("STACK_SIZE", "2560"),
            ),
            small=True,
        ),
        _cortexm("armv7m", "mps2-an385", "qemu mps2-an385 (Cortex-M3)"),
        _cortexm("armv7emsp", "mps2-an386", "qemu mps2-an386 (Cortex-M4F)"),
        _cortexm("armv7emdp", "mps2-an500", "qemu mps2-an500 (Cortex-M7, double FPU)"),
        _riscv("rv32imc", "qemu-system-riscv32", ()),
        _riscv("rv64imc", "qemu-system-riscv64", ("-mcmodel=medany",)),
        _xtensa(),
        _hosted("x86"),
        _hosted("x64"),
    )
}


def host_is_x86() -> bool:
    """Hosted runtimes run natively: only on an x86-64 (or i386) Linux machine."""
    return platform.system() == "Linux" and platform.machine().lower() in ("x86_64", "amd64", "i386", "i686")
