"""Registry of the `--arch` names.

Each family module (x86, arm, xtensa, riscv) exports `ARCHES`, a tuple of `ArchInfo`;
adding an architecture is one such module and one entry in `_FAMILY_MODULES` (or a
`register()` call, which is how tests add a made-up machine).  Everything else the
linker needs to know about a machine, its ELF machine number included, comes from the
`ArchInfo` and its `Family`.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..errors import NatmodError, did_you_mean
from ..mpy.format import ARCH_FLAG_BITS, mpy_arch
from . import arm, riscv, x86, xtensa
from .base import ArchInfo, Family

__all__ = [
    "ArchInfo",
    "Family",
    "ARCHES",
    "get_arch",
    "arch_by_number",
    "parse_arch_flags",
    "register",
    "unregister",
    "elf_machines",
]

_FAMILY_MODULES = (x86, arm, xtensa, riscv)

ARCHES: dict[str, ArchInfo] = {a.name: a for mod in _FAMILY_MODULES for a in mod.ARCHES}


def register(infos: Iterable[ArchInfo]) -> None:
    """Add arches at run time (a family module's `ARCHES`); a name may be registered once."""
    infos = list(infos)
    for info in infos:
        if info.name in ARCHES:
            raise NatmodError(f"arch {info.name!r} is already registered")
    for info in infos:
        ARCHES[info.name] = info


def unregister(names: Iterable[str]) -> None:
    """Remove arches added by `register()` (tests clean up after themselves)."""
    for name in names:
        ARCHES.pop(name, None)


def elf_machines() -> dict[int, str]:
    """`e_machine` number -> name of every registered family: the machines the fast ELF reader reads."""
    return {a.family.elf_machine_number: a.family.elf_machine_name for a in ARCHES.values()}


#: what people call an arch, for "did you mean" (never accepted as a name: one spelling per arch)
ALIASES = {
    "esp8266": "xtensa",
    "lx106": "xtensa",
    "esp32": "xtensawin",
    "cortex-m0": "armv6m",
    "rp2040": "armv6m",
    "cortex-m3": "armv7m",
    "cortex-m4": "armv7emsp",
    "cortex-m7": "armv7emdp",
    "x86_64": "x64",
    "amd64": "x64",
    "i386": "x86",
    "i686": "x86",
    "riscv32": "rv32imc",
    "riscv64": "rv64imc",
}


def get_arch(name: str) -> ArchInfo:
    """Look up an arch by its `--arch` name, with an error that lists the valid names."""
    try:
        return ARCHES[name]
    except KeyError:
        hint = did_you_mean(str(name), ARCHES, ALIASES)
        raise NatmodError(f"unknown arch {name!r}:{hint} use one of {', '.join(ARCHES)}") from None


def arch_by_number(number: int) -> ArchInfo | None:
    """The arch whose .mpy header number is `number`, or None (the table is `mpy.format.MPY_ARCHES`)."""
    known = mpy_arch(number)
    return ARCHES.get(known.name) if known is not None else None


def parse_arch_flags(arch: ArchInfo, value: str | int | None) -> int:
    """Turn an `--arch-flags` value into the header flags integer (format.md 9).

    Accepts what the reference accepts (`zba`, `zba,zcmp` in any case, `0x3`, `0b01`,
    decimal digits), and rejects cleanly what made it crash: a single digit is read as
    a decimal number here, an unknown or empty extension name is an error.
    """
    if value is None:
        return 0
    if not arch.supports_arch_flags:
        raise NatmodError(f'--arch-flags: architecture "{arch.name}" does not support extra flags')
    if isinstance(value, int):
        flags = value
    else:
        text = value.strip()
        if text and (text.isdigit() or (text.startswith("0") and len(text) > 2)):
            base = 10
            if len(text) > 1 and text[1] in "bB":
                base = 2
            elif len(text) > 1 and text[1] in "xX":
                base = 16
            try:
                flags = int(text, base)
            except ValueError:
                raise NatmodError(f'--arch-flags: invalid number "{value}"') from None
        else:
            flags = 0
            for part in text.split(","):
                name = part.strip().lower()
                if name not in ARCH_FLAG_BITS:
                    known = ", ".join(ARCH_FLAG_BITS)
                    raise NatmodError(f'--arch-flags: invalid architecture flags value "{name}" (known: {known})')
                flags |= ARCH_FLAG_BITS[name]
    if flags < 0:
        raise NatmodError(f"--arch-flags: negative value {flags}")
    return flags
