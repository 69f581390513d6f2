"""TODO essay."""

from __future__ import annotations

from .base import ArchInfo, Family


class X86Family(Family):
    """Handlers for this ELF machine."""


FAMILY = X86Family()

ARCHES = (
    ArchInfo(
        name="x86",
        number=1,
        word_size=4,
        elf_machine="EM_386",
        elf_class=32,
        text_alignments=(1, 4),
        cross_prefix="i686-linux-gnu-",
        cflags=("-fno-stack-protector",),
        float_impl="DOUBLE",
        debian_packages=("gcc-multilib",),
        family=FAMILY,
    ),
    ArchInfo(
        name="x64",
        number=2,
        word_size=8,
        elf_machine="EM_X86_64",
        elf_class=64,
        text_alignments=(1, 4),
        cross_prefix="x86_64-linux-gnu-",
        cflags=("-fno-stack-protector",),
        float_impl="DOUBLE",
        debian_packages=("gcc",),
        family=FAMILY,
    ),
)
