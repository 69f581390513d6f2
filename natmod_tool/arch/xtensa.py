"""TODO essay."""

from __future__ import annotations

from .base import ArchInfo, Family


class XtensaFamily(Family):
    """Handlers for this ELF machine."""


FAMILY = XtensaFamily()

ARCHES = (
    ArchInfo(
        name="xtensa",
        number=9,
        word_size=4,
        elf_machine="EM_XTENSA",
        elf_class=32,
        text_alignments=(4,),
        cross_prefix="xtensa-lx106-elf-",
        cflags=("-mforce-l32",),
        float_impl="NONE",
        got_first=True,
        debian_packages=("gcc-xtensa-lx106", "picolibc-xtensa-lx106-elf"),
        family=FAMILY,
    ),
    ArchInfo(
        name="xtensawin",
        number=10,
        word_size=4,
        elf_machine="EM_XTENSA",
        elf_class=32,
        text_alignments=(4,),
        cross_prefix="xtensa-esp32-elf-",
        cflags=(),
        float_impl="FLOAT",
        got_first=True,
        rodata_in_text=False,
        debian_packages=(),
        family=FAMILY,
    ),
)
