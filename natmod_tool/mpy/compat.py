"""Which MicroPython firmware can import a `.mpy`: the loader's checks, applied on the build machine.

Why: a board says only "incompatible .mpy file" or "incompatible .mpy arch".  The loader
(py/persistentcode.c, `mp_raw_code_load`) decides from the 4 header bytes and the arch
flags alone, so the same rules here tell, in one command, which releases and which
firmware arches take a file:

* byte 1, the .mpy version, must equal the firmware's (6 since MicroPython 1.19);
* for a file with native code (arch != 0) the sub-version (feature bits 0-1) must equal
  the firmware's too; bytecode-only files ignore it.  Releases per version.sub-version:
  MicroPython's docs/reference/mpyfiles.rst table (VERSIONS below);
* byte 3, small-int bits, must be at most the firmware's MP_SMALL_INT_BITS;
* the arch (feature bits 2-7) must be the firmware's, except that a Thumb firmware takes
  every ARM-M arch from armv6m up to its own (MPY_FEATURE_ARCH_TEST);
* arch flags (feature bit 0x40) are only accepted by an RV32 firmware whose emitter
  allows every flagged extension (`asm_rv32_allowed_extensions`).

The relocations add what the module needs from the firmware at load time: the
`mp_fun_table` slots it points words at (memset/memmove stubs), and how much RAM its
text, rodata and BSS take.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .format import (
    ARCH_FLAG_MASK,
    ARCH_NAMES,
    ARM_M_NUMBERS,
    DEST_SLOT0,
    LOADER_ONLY_ARCHES,
    MPY_MAGIC,
    MPY_VERSION,
    arch_flag_names,
    feature_arch,
    feature_has_arch_flags,
    feature_sub_version,
    mpy_arch,
)
from .names import FUN_TABLE_SLOTS

#: (version, sub-version) -> MicroPython releases writing and reading it (mpyfiles.rst)
VERSIONS: dict[tuple[int, int], str] = {
    (6, 3): "1.23.0 and newer",
    (6, 2): "1.22.x",
    (6, 1): "1.20 to 1.21.0",
    (6, 0): "1.19.x",
}
#: where a native file of each 6.x sub-version gets "incompatible .mpy file" (version mismatch)
OTHER_RELEASES = {
    3: "MicroPython 1.22 or older",
    2: "any MicroPython but 1.22.x",
    1: "any MicroPython but 1.20 to 1.21.0",
    0: "any MicroPython but 1.19.x",
}
#: older versions (no sub-version in use); their files cannot carry this tool's natmods
OLD_VERSIONS = {5: "1.12 to 1.18", 4: "1.11", 3: "1.9.3 to 1.10", 2: "1.9 to 1.9.2", 0: "1.5.1 to 1.8.7"}
#: first release whose loader knows an arch number (arches older than the 6.x format are not listed)
ARCH_SINCE = {
    "rv32imc": ("1.24.0", "RV32 natmods came with micropython PR 15603"),
    "rv64imc": ("1.28.0", "RV64 natmods came with micropython PR 18428; not checked against 1.27"),
}
#: the build option that makes a firmware load native code of each arch family
EMIT_OPTION = {
    "x86": "MICROPY_EMIT_X86",
    "x64": "MICROPY_EMIT_X64",
    "xtensa": "MICROPY_EMIT_XTENSA",
    "xtensawin": "MICROPY_EMIT_XTENSAWIN",
    "rv32imc": "MICROPY_EMIT_RV32",
    "rv64imc": "the natmod loader for RV64",
}
#: first release reading the arch-flags word (rv32imc Zba support, micropython PR 17635)
ARCH_FLAGS_SINCE = "1.26"
#: ARM-M arch numbers in MPY_FEATURE_ARCH_TEST order (6 = armv7em, no FPU, has no --arch here)
ARM_ORDER = ARM_M_NUMBERS
ARM_NAMES = {n: LOADER_ONLY_ARCHES.get(n) or ARCH_NAMES[n] for n in ARM_ORDER}
#: what runs each arch's firmware (examples, to recognise one's board)
BOARDS = {
    "x86": "unix/windows port, 32-bit x86 build",
    "x64": "unix/windows port on x86-64",
    "armv6m": "Cortex-M0/M0+ (rp2 RP2040, samd21, nrf51)",
    "armv7m": "Cortex-M3 (stm32f1/f2/l1)",
    "armv7em": "Cortex-M4/M7 without FPU",
    "armv7emsp": "Cortex-M4F/M33 (stm32f4/l4/wb, nrf52, samd51, rp2 RP2350 ARM)",
    "armv7emdp": "Cortex-M7 with double FPU (stm32f7/h7, mimxrt)",
    "xtensa": "esp8266",
    "xtensawin": "esp32, esp32s2, esp32s3",
    "rv32imc": "esp32c3/c6, rp2 RP2350 RISC-V",
    "rv64imc": "qemu riscv64",
}


@dataclass
class Compat:
    """The verdict for one file."""

    version: int
    sub_version: int
    arch_number: int
    arch: str | None
    small_int_bits: int
    arch_flags: int
    releases: str  # which MicroPython releases can load it
    firmware_arches: list[str] = field(default_factory=list)  # [] = any (bytecode only)
    needs: list[str] = field(default_factory=list)  # further conditions, one phrase each
    slots: list[str] = field(default_factory=list)  # mp_fun_table slots the relocations use
    sizes: dict[str, int] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)  # loader message -> when a board prints it

    def as_dict(self) -> dict[str, Any]:
        """The verdict as plain JSON-ready data."""
        return dict(self.__dict__)


def firmware_arches(number: int) -> list[str]:
    """Firmware arches whose loader accepts a module of arch `number`."""
    if number in ARM_ORDER:
        return [ARM_NAMES[n] for n in ARM_ORDER if n >= number]
    info = mpy_arch(number)
    return [info.name] if info else []


def _flag_names(flags: int) -> str:
    names = arch_flag_names(flags)
    rest = flags & ~ARCH_FLAG_MASK
    return ", ".join([*names, *([f"0x{rest:x}"] if rest else [])])


def check(data: bytes, mpy: Any = None) -> Compat:
    """The verdict for the bytes of a `.mpy` (`mpy`: its parsed form, for the relocations).

    Raises ValueError (one line) when the bytes are not an .mpy file at all.
    """
    if len(data) < 4 or data[0] != MPY_MAGIC:
        raise ValueError("not a .mpy file (it must start with 'M' and a 3-byte header)")
    version, feature, bits = data[1], data[2], data[3]
    sub, number, has_flags = feature_sub_version(feature), feature_arch(feature), feature_has_arch_flags(feature)
    if version != MPY_VERSION:  # older formats lay the feature byte out differently: only the version decides
        sub, number, has_flags = 0, 0, False
    info = mpy_arch(number)
    arch = info.name if info else (ARM_NAMES.get(number) if number else None)
    flags = mpy.arch_flags if mpy is not None else 0
    if version != MPY_VERSION:
        releases = f"MicroPython {OLD_VERSIONS.get(version, 'none known')} (.mpy version {version})"
    elif number:
        releases = f"MicroPython {VERSIONS[(6, sub)]} (.mpy {version}.{sub}: native code needs this exact sub-version)"
        if arch in ARCH_SINCE and sub == 3:
            since, why = ARCH_SINCE[arch]
            releases = f"MicroPython {since} and newer (.mpy 6.3, exact sub-version for native code; {why})"
    else:
        releases = "MicroPython 1.19 and newer (.mpy 6, bytecode only: the sub-version is ignored)"
    verdict = Compat(version, sub, number, arch, bits, flags, releases, firmware_arches(number) if number else [])
    if number and not verdict.firmware_arches:
        verdict.needs.append(f"arch number {number} is unknown: no firmware loads it")
    verdict.needs.append(f"a firmware whose small ints have at least {bits} bits (MP_SMALL_INT_BITS)")
    if has_flags:
        verdict.needs.append(
            f"arch flags {_flag_names(flags) or '0'}: an rv32imc firmware (MicroPython {ARCH_FLAGS_SINCE}+) "
            "built with these RISC-V extensions enabled; any other firmware refuses the file"
        )
    if number:
        option = EMIT_OPTION.get(arch or "", "MICROPY_EMIT_THUMB")
        verdict.needs.append(f"a firmware that loads native code ({option} enabled; most ports' defaults)")
    if mpy is not None:
        _from_raw_codes(verdict, mpy)
    if number and version == MPY_VERSION:
        other = OTHER_RELEASES[sub]
    else:
        other = "a MicroPython with another .mpy version"
    verdict.errors = {
        "incompatible .mpy file": f"{other}, fewer small-int bits, or arch flags the firmware lacks",
        "incompatible .mpy arch": f"a firmware of another arch than {', '.join(verdict.firmware_arches)}"
        if number
        else "never (no native code)",
        "native code in .mpy unsupported": "a firmware built without native code support" if number else "never",
    }
    return verdict


def _from_raw_codes(verdict: Compat, mpy: Any) -> None:
    """Slots the relocations use and the RAM the native code needs."""
    slots: set[int] = set()
    text = rodata = bss = 0
    stack = list(mpy.raw_codes()) if hasattr(mpy, "raw_codes") else []
    for rc in stack:
        for entry in getattr(rc, "relocs", ()) or ():
            if entry.dest >= DEST_SLOT0:
                slots.add(entry.dest - DEST_SLOT0)
        if rc.kind_name in ("viper", "native", "asm"):
            text += len(rc.code)
            rodata += len(getattr(rc, "rodata", b"") or b"")
            bss += getattr(rc, "bss_size", 0) or 0
    verdict.slots = [f"{n} ({FUN_TABLE_SLOTS[n]})" if n < len(FUN_TABLE_SLOTS) else str(n) for n in sorted(slots)]
    if verdict.arch_number:
        verdict.sizes = {"text": text, "rodata": rodata, "bss": bss}


def describe(name: str, verdict: Compat) -> str:
    """The verdict as text, one fact per line."""
    lines = [f"{name}:"]
    arch = verdict.arch or "none (bytecode only)"
    flags = f", arch flags {_flag_names(verdict.arch_flags)}" if verdict.arch_flags else ""
    if verdict.version != MPY_VERSION:
        lines.append(f"  header: .mpy version {verdict.version} (its feature byte is not decoded: this tool reads 6.x)")
    else:
        lines.append(f"  header: .mpy {verdict.version}.{verdict.sub_version}, arch {arch}{flags}")
    lines.append(f"  MicroPython: {verdict.releases}")
    if verdict.firmware_arches:
        boards = "; ".join(f"{a}: {BOARDS.get(a, '?')}" for a in verdict.firmware_arches)
        lines.append(f"  firmware arch: {', '.join(verdict.firmware_arches)} ({boards})")
    elif verdict.version == MPY_VERSION:
        lines.append("  firmware arch: any (no native code)")
    for need in verdict.needs:
        lines.append(f"  needs: {need}")
    if verdict.slots:
        lines.append(f"  firmware functions linked by relocation: {', '.join(verdict.slots)}")
    if verdict.sizes:
        sizes = ", ".join(f"{key} {value}" for key, value in verdict.sizes.items())
        lines.append(f"  RAM at import: {sizes} bytes")
    for message, when in verdict.errors.items():
        lines.append(f'  "{message}" on: {when}')
    return "\n".join(lines)
