"""TODO essay."""

from __future__ import annotations

from .base import ArchInfo, Family


class ArmFamily(Family):
    """Handlers for this ELF machine."""


FAMILY = ArmFamily()

ARCHES = (
    ArchInfo(
        name="armv6m",
        number=4,
        word_size=4,
        elf_machine="EM_ARM",
        elf_class=32,
        text_alignments=(4,),
        cross_prefix="arm-none-eabi-",
        cflags=("-mthumb", "-mcpu=cortex-m0"),
        float_impl="FLOAT",
        debian_packages=("gcc-arm-none-eabi", "libnewlib-arm-none-eabi"),
        family=FAMILY,
    ),
    ArchInfo(
        name="armv7m",
        number=5,
        word_size=4,
        elf_machine="EM_ARM",
        elf_class=32,
        text_alignments=(4,),
        cross_prefix="arm-none-eabi-",
        cflags=("-mthumb", "-mcpu=cortex-m3"),
        float_impl="FLOAT",
        debian_packages=("gcc-arm-none-eabi", "libnewlib-arm-none-eabi"),
        family=FAMILY,
    ),
    ArchInfo(
        name="armv7emsp",
        number=7,
        word_size=4,
        elf_machine="EM_ARM",
        elf_class=32,
        text_alignments=(4,),
        cross_prefix="arm-none-eabi-",
        cflags=("-mthumb", "-mcpu=cortex-m4", "-mfpu=fpv4-sp-d16", "-mfloat-abi=hard"),
        float_impl="FLOAT",
        debian_packages=("gcc-arm-none-eabi", "libnewlib-arm-none-eabi"),
        family=FAMILY,
    ),
    ArchInfo(
        name="armv7emdp",
        number=8,
        word_size=4,
        elf_machine="EM_ARM",
        elf_class=32,
        text_alignments=(4,),
        cross_prefix="arm-none-eabi-",
        cflags=("-mthumb", "-mcpu=cortex-m7", "-mfpu=fpv5-d16", "-mfloat-abi=hard"),
        float_impl="DOUBLE",
        debian_packages=("gcc-arm-none-eabi", "libnewlib-arm-none-eabi"),
        family=FAMILY,
    ),
)
