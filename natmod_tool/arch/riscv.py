"""TODO essay."""

from __future__ import annotations

from .base import ArchInfo, Family


class RiscvFamily(Family):
    """Handlers for this ELF machine."""


FAMILY = RiscvFamily()

ARCHES = (
    ArchInfo(
        name="rv32imc",
        number=11,
        word_size=4,
        elf_machine="EM_RISCV",
        elf_class=32,
        text_alignments=(2,),
        cross_prefix="riscv64-unknown-elf-",
        cflags=("-march=rv32imac", "-mabi=ilp32", "-mno-relax"),
        float_impl="NONE",
        supports_arch_flags=True,
        debian_packages=("gcc-riscv64-unknown-elf", "picolibc-riscv64-unknown-elf"),
        family=FAMILY,
    ),
    ArchInfo(
        name="rv64imc",
        number=12,
        word_size=8,
        elf_machine="EM_RISCV",
        elf_class=64,
        text_alignments=(2,),
        cross_prefix="riscv64-unknown-elf-",
        cflags=("-march=rv64imac", "-mabi=lp64", "-mno-relax"),
        float_impl="NONE",
        debian_packages=("gcc-riscv64-unknown-elf", "picolibc-riscv64-unknown-elf"),
        family=FAMILY,
    ),
)
