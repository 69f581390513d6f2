"""Per-arch toolchain facts: compilers, flags, Debian packages, maths libraries, emulators.

One table, read by tools/bootstrap.sh (which packages to install), the SCons tool (which
compiler to look for and how to call it), the CLI's hints, the test runtime and the tests,
so none of them keeps its own copy.  It says nothing about the `.mpy` format or linking:
that is `natmod_tool.arch`.  Plain data and no imports beyond the standard library:
bootstrap reads it with a bare `python3`, before the venv (and SCons) exist.
"""

from __future__ import annotations

from dataclasses import dataclass

_ARM_PACKAGES = ("gcc-arm-none-eabi", "libnewlib-arm-none-eabi")
#: arm-none-eabi-g++ has no C++ headers without it, not even <climits>
_ARM_CXX = ("libstdc++-arm-none-eabi-newlib",)
_RISCV_PACKAGES = ("gcc-riscv64-unknown-elf", "picolibc-riscv64-unknown-elf")

#: clang's target flags: newlib's <string.h>, <math.h>, libstdc++'s <climits> (ARM), picolibc's headers (RISC-V)
_ARM_NEWLIB = "--sysroot=/usr/lib/arm-none-eabi"
_PICOLIBC = ("-isystem", "/usr/lib/picolibc/riscv64-unknown-elf/include")


@dataclass(frozen=True)
class ArchToolchain:
    """How one arch's objects are compiled, and which Debian packages provide the tools."""

    arch: str
    cross_prefix: str  # the GNU cross toolchain's prefix: `<prefix>gcc`, `<prefix>ar`, ...
    cflags: tuple[str, ...]  # per-arch compiler flags after -fpic -fno-common -U_FORTIFY_SOURCE
    float_impl: str  # MICROPY_FLOAT_IMPL the arch's firmware uses: NONE, FLOAT or DOUBLE
    packages: tuple[str, ...] = ()  # the cross gcc and its C library; () when Debian has none
    #: the C++ compiler and headers, where not in `packages` (None: `packages` has them)
    cxx_packages: tuple[str, ...] | None = None
    emulator_packages: tuple[str, ...] = ()  # what runs the arch's test runtime (`natmod test`)
    #: (libc.a, Debian package) LINK_RUNTIME=1 links instead of the compiler's libm: glibc's
    #: cannot be linked into a natmod (IFUNC, thread-local errno); musl's static libc is plain PIC
    math_library: tuple[str, str] | None = None
    #: on an x86 host, the host compiler that also builds this arch (after `<prefix>gcc`)
    host_compiler: tuple[str, ...] | None = None
    #: the reference build looks for picolibc's specs file (RISC-V)
    picolibc_specs: bool = False
    #: clang's flags for the arch, in front of `cflags` (None: clang has no backend for it)
    clang_flags: tuple[str, ...] | None = None
    #: clang calls the ARM EABI memory helpers (`__aeabi_memcpy`, ...), which natmods must bring
    clang_aeabi_helpers: bool = False

    @property
    def gcc(self) -> str:
        """The arch's own GNU C compiler program."""
        return f"{self.cross_prefix}gcc"

    @property
    def bootstrap_packages(self) -> tuple[str, ...]:
        """Every Debian package tools/bootstrap.sh installs for this arch, in order."""
        maths = (self.math_library[1],) if self.math_library else ()
        return (*self.packages, *(self.cxx_packages or ()), *self.emulator_packages, *maths)


def _arm(arch: str, cflags: tuple[str, ...], float_impl: str, clang: tuple[str, ...] = ()) -> ArchToolchain:
    return ArchToolchain(
        arch=arch,
        cross_prefix="arm-none-eabi-",
        cflags=("-mthumb", *cflags),
        float_impl=float_impl,
        packages=_ARM_PACKAGES,
        cxx_packages=_ARM_CXX,
        emulator_packages=("qemu-system-arm",),
        clang_flags=("--target=arm-none-eabi", _ARM_NEWLIB, *clang),
        clang_aeabi_helpers=True,
    )


def _riscv(arch: str, xlen: int, march: str, mabi: str) -> ArchToolchain:
    return ArchToolchain(
        arch=arch,
        cross_prefix="riscv64-unknown-elf-",
        cflags=(f"-march={march}", f"-mabi={mabi}", "-mno-relax"),
        float_impl="NONE",
        packages=_RISCV_PACKAGES,
        emulator_packages=("qemu-system-misc",),
        picolibc_specs=True,
        clang_flags=(f"--target=riscv{xlen}-unknown-elf", *_PICOLIBC),
    )


#: in the order of natmod_tool.arch.ARCHES (bootstrap lists packages in this order)
TOOLCHAINS: dict[str, ArchToolchain] = {
    t.arch: t
    for t in (
        ArchToolchain(
            arch="x86",
            cross_prefix="i686-linux-gnu-",
            cflags=("-fno-stack-protector",),
            float_impl="DOUBLE",
            packages=("gcc-multilib",),
            # g++-multilib: the 32-bit libstdc++ headers that `g++ -m32` needs for <climits>
            cxx_packages=("g++", "g++-multilib"),
            host_compiler=("gcc", "-m32"),
            clang_flags=("--target=i686-linux-gnu",),
        ),
        ArchToolchain(
            arch="x64",
            cross_prefix="x86_64-linux-gnu-",
            cflags=("-fno-stack-protector",),
            float_impl="DOUBLE",
            packages=("gcc",),
            cxx_packages=("g++",),
            math_library=("/usr/lib/x86_64-linux-musl/libc.a", "musl-dev"),
            host_compiler=("gcc",),
            clang_flags=("--target=x86_64-linux-gnu",),
        ),
        _arm("armv6m", ("-mcpu=cortex-m0",), "FLOAT", ("-mfloat-abi=soft",)),
        _arm("armv7m", ("-mcpu=cortex-m3",), "FLOAT", ("-mfloat-abi=soft",)),
        _arm("armv7emsp", ("-mcpu=cortex-m4", "-mfpu=fpv4-sp-d16", "-mfloat-abi=hard"), "FLOAT"),
        _arm("armv7emdp", ("-mcpu=cortex-m7", "-mfpu=fpv5-d16", "-mfloat-abi=hard"), "DOUBLE"),
        ArchToolchain(
            arch="xtensa",
            cross_prefix="xtensa-lx106-elf-",
            cflags=("-mforce-l32",),
            float_impl="NONE",
            packages=("gcc-xtensa-lx106", "picolibc-xtensa-lx106-elf"),
            emulator_packages=("qemu-system-misc",),
        ),
        # no Debian package: Espressif's ESP-IDF toolchain, put on PATH by hand
        ArchToolchain(arch="xtensawin", cross_prefix="xtensa-esp32-elf-", cflags=(), float_impl="FLOAT"),
        _riscv("rv32imc", 32, "rv32imac", "ilp32"),
        _riscv("rv64imc", 64, "rv64imac", "lp64"),
    )
}


def toolchain(arch: str) -> ArchToolchain:
    """The facts of `arch` (a name natmod_tool.arch knows; KeyError otherwise)."""
    return TOOLCHAINS[arch]


def bootstrap_packages() -> list[str]:
    """Every arch's Debian packages, each once, in table order (tools/bootstrap.sh)."""
    seen: list[str] = []
    for item in TOOLCHAINS.values():
        seen.extend(pkg for pkg in item.bootstrap_packages if pkg not in seen)
    return seen
