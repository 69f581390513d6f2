"""The numbers of the `.mpy` format, in one place (format.md sections 2, 4 and 5).

Why a module of its own: the reader, the writer, merge, `inspect`/`compat` and the
linker all speak the same header and relocation-stream numbers.  When each kept its
own copy, importing the reader pulled in the linker and every arch family just to
name an arch number, and a change to one copy (a new arch, a new RV32 extension bit)
could silently miss another.  This module imports nothing from the rest of the
project, so `natmod_tool.mpy` stays a self-contained `.mpy` library; the arch
package (`natmod_tool.arch`) takes its header numbers and flag bits from here.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import MpyError

__all__ = [
    "MPY_MAGIC",
    "MPY_VERSION",
    "MPY_SUB_VERSION",
    "MAX_SUB_VERSION",
    "FEATURE_ARCH_FLAGS",
    "FEATURE_RESERVED",
    "MAX_HEADER_ARCH",
    "KIND_BYTECODE",
    "KIND_NATIVE",
    "KIND_VIPER",
    "KIND_ASM",
    "KIND_NAMES",
    "SCOPE_GENERATOR",
    "SCOPE_VIPERRELOC",
    "SCOPE_VIPERRODATA",
    "SCOPE_VIPERBSS",
    "SCOPE_VIPER_FLAGS",
    "SCOPE_FLAG_NAMES",
    "DEST_TEXT",
    "DEST_RODATA",
    "DEST_BSS",
    "DEST_QSTR_TABLE",
    "DEST_OBJ_TABLE",
    "DEST_FUN_TABLE",
    "DEST_SLOT0",
    "DEST_MAX",
    "DEST_RUN_MAX",
    "DEST_NAMES",
    "RELOC_END",
    "MpyArch",
    "MPY_ARCHES",
    "ARCH_NUMBERS",
    "ARCH_NAMES",
    "ARM_M_NUMBERS",
    "LOADER_ONLY_ARCHES",
    "ARCH_FLAG_BITS",
    "ARCH_FLAG_MASK",
    "ARCH_FLAGS_ARCHES",
    "dest_encodable",
    "feature_byte",
    "feature_arch",
    "feature_sub_version",
    "feature_has_arch_flags",
    "mpy_arch",
    "arch_flag_names",
]

# --- header (format.md 4) ------------------------------------------------------------------

#: header byte 0, ASCII 'M'
MPY_MAGIC = 0x4D
#: header byte 1: the .mpy version every loader since MicroPython 1.19 reads
MPY_VERSION = 6
#: low two bits of the feature byte; a loader rejects native code of any other value
MPY_SUB_VERSION = 3
#: the sub-version takes the two low bits of the feature byte
MAX_SUB_VERSION = 3
#: feature-byte bit announcing an arch-flags varuint after the 4-byte header
FEATURE_ARCH_FLAGS = 0x40
#: feature-byte bit no loader defines (a set bit 7 decodes as an arch >= 32)
FEATURE_RESERVED = 0x80
#: the largest arch number the writer puts in the feature byte: a larger one would reach
#: the arch-flags bit (0x10 << 2 == 0x40)
MAX_HEADER_ARCH = 0x0F


def feature_byte(arch_number: int, arch_flags: int, sub_version: int = MPY_SUB_VERSION) -> int:
    """Header byte 2 of a native file: arch number, the sub-version (the tree's; 3 by
    default), and 0x40 when arch flags follow."""
    if not 0 <= sub_version <= MAX_SUB_VERSION:
        raise MpyError(f".mpy sub-version {sub_version} does not fit the header (0..{MAX_SUB_VERSION})")
    return (FEATURE_ARCH_FLAGS if arch_flags else 0) | (arch_number << 2) | sub_version


def feature_arch(byte: int) -> int:
    """The arch number as loaders decode it: `(byte >> 2) & 0x2F`.

    0x2F, not 0x3F: bit 4 of the arch field is feature bit 0x40, the arch-flags bit.
    """
    return (byte >> 2) & 0x2F


def feature_sub_version(byte: int) -> int:
    """The sub-version: the low two bits of the feature byte."""
    return byte & 3


def feature_has_arch_flags(byte: int) -> bool:
    """Whether an arch-flags varuint follows the header."""
    return bool(byte & FEATURE_ARCH_FLAGS)


# --- raw codes (format.md 4, 13.1) ---------------------------------------------------------

KIND_BYTECODE = 0
KIND_NATIVE = 1
KIND_VIPER = 2
KIND_ASM = 3
KIND_NAMES = {KIND_BYTECODE: "bytecode", KIND_NATIVE: "native", KIND_VIPER: "viper", KIND_ASM: "asm"}

SCOPE_GENERATOR = 0x01
#: a relocation stream follows the code
SCOPE_VIPERRELOC = 0x10
#: a rodata size and image follow
SCOPE_VIPERRODATA = 0x20
#: a bss size follows
SCOPE_VIPERBSS = 0x40
#: the only scope flags a native module's viper raw code carries
SCOPE_VIPER_FLAGS = SCOPE_VIPERRELOC | SCOPE_VIPERRODATA | SCOPE_VIPERBSS
SCOPE_FLAG_NAMES = {
    SCOPE_GENERATOR: "generator",
    SCOPE_VIPERRELOC: "reloc",
    SCOPE_VIPERRODATA: "rodata",
    SCOPE_VIPERBSS: "bss",
}

# --- relocation stream (format.md 5) -------------------------------------------------------

DEST_TEXT, DEST_RODATA, DEST_BSS = 0, 1, 2
DEST_QSTR_TABLE, DEST_OBJ_TABLE, DEST_FUN_TABLE = 6, 7, 8
#: `mp_fun_table` slot N is destination DEST_SLOT0 + N
DEST_SLOT0 = 9
#: the largest destination code the op byte can carry
DEST_MAX = 127
#: destinations 0..DEST_RUN_MAX are encoded with an optional run count
DEST_RUN_MAX = DEST_BSS
DEST_NAMES = {
    DEST_TEXT: "text",
    DEST_RODATA: "rodata",
    DEST_BSS: "bss",
    DEST_QSTR_TABLE: "qstr table",
    DEST_OBJ_TABLE: "object table",
    DEST_FUN_TABLE: "mp_fun_table",
}
#: the op byte that ends a relocation stream
RELOC_END = 0xFF


def dest_encodable(dest: int) -> bool:
    """Whether `dest` is a destination code the stream can carry (3, 4 and 5 are op-byte run forms)."""
    return 0 <= dest <= DEST_MAX and not DEST_RUN_MAX < dest < DEST_QSTR_TABLE


# --- arch numbers (format.md 2, 4) ---------------------------------------------------------


@dataclass(frozen=True)
class MpyArch:
    """What the `.mpy` format itself knows of an arch: its header number and word size.

    The word size is a format fact (relocation words are W bytes), so the reader can
    check a relocation stream without the linker's arch descriptions.
    """

    name: str  # the `--arch` name
    number: int  # the feature byte's arch field
    word_size: int  # W


#: the arches this tool links for, in header-number order (MPY_FEATURE_ARCH_* of py/persistentcode.h)
MPY_ARCHES: tuple[MpyArch, ...] = (
    MpyArch("x86", 1, 4),
    MpyArch("x64", 2, 8),
    MpyArch("armv6m", 4, 4),
    MpyArch("armv7m", 5, 4),
    MpyArch("armv7emsp", 7, 4),
    MpyArch("armv7emdp", 8, 4),
    MpyArch("xtensa", 9, 4),
    MpyArch("xtensawin", 10, 4),
    MpyArch("rv32imc", 11, 4),
    MpyArch("rv64imc", 12, 8),
)
#: arch name -> header number
ARCH_NUMBERS: dict[str, int] = {a.name: a.number for a in MPY_ARCHES}
#: header number -> arch name
ARCH_NAMES: dict[int, str] = {a.number: a.name for a in MPY_ARCHES}
_BY_NUMBER: dict[int, MpyArch] = {a.number: a for a in MPY_ARCHES}
#: numbers a firmware can have that no `--arch` writes (ARMv7E-M without an FPU)
LOADER_ONLY_ARCHES: dict[int, str] = {6: "armv7em"}
#: the ARM-M numbers in MPY_FEATURE_ARCH_TEST order: a Thumb firmware loads every one up to its own
ARM_M_NUMBERS: tuple[int, ...] = (4, 5, 6, 7, 8)


def mpy_arch(number: int) -> MpyArch | None:
    """The arch of header number `number`, or None (0 = no native code, or unknown)."""
    return _BY_NUMBER.get(number)


# --- arch flags (format.md 4, 9) -----------------------------------------------------------

#: the RV32 extension bits of the arch-flags varuint (`asm_rv32_allowed_extensions`)
ARCH_FLAG_BITS: dict[str, int] = {"zba": 1, "zcmp": 2}
#: every bit a firmware knows
ARCH_FLAG_MASK = sum(ARCH_FLAG_BITS.values())
#: the arches whose loaders read arch flags
ARCH_FLAGS_ARCHES = frozenset({"rv32imc"})


def arch_flag_names(flags: int) -> list[str]:
    """Names of the known bits set in `flags`, in bit order."""
    return [name for name, bit in ARCH_FLAG_BITS.items() if flags & bit]
