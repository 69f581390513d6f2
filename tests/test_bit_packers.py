"""Every bit packer of the family modules against encodings an assembler produced.

The expected bytes in `ASSEMBLED` were not derived from our code: they are what
LLVM's assembler (`llvm-mc`, installed with clang) emits for the snippet next to
them, cut out with `llvm-objcopy -O binary --only-section=.text` at the given offset.
`test_table_is_what_the_assembler_emits` re-assembles every snippet when `llvm-mc`
is there, so the table cannot drift from the assembler.  (GNU cross binutils for
ARM/RISC-V/Xtensa are not on every machine; this LLVM has no Xtensa target, so the
Xtensa encodings are checked against the instruction formulas of the Xtensa ISA
reference -- L32R's address and J's target -- decoded independently of the encoder.)
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import skip_or_fail

from natmod_tool.arch import get_arch
from natmod_tool.arch.arm import (
    R_ARM_THM_CALL,
    R_ARM_THM_JUMP24,
    THUMB1,
    THUMB2,
    branch_offset,
    patch_branch,
)
from natmod_tool.arch.fields import FieldRange, check_range, sign_extend
from natmod_tool.arch.riscv import (
    R_RISCV_BRANCH,
    R_RISCV_CALL,
    R_RISCV_JAL,
    R_RISCV_RVC_BRANCH,
    R_RISCV_RVC_JUMP,
    b_scatter,
    cb_scatter,
    cj_scatter,
    i_lo,
    j_scatter,
    s_lo,
    split,
    u_hi,
)
from natmod_tool.arch.x86 import jump
from natmod_tool.arch.xtensa import FAMILY as XTENSA
from natmod_tool.arch.xtensa import j_insn, l32r_patch

pytestmark = pytest.mark.fast

RV = ".option norelax\n.option norvc\n"
RVC = ".option norelax\n.option rvc\n"
THUMB = ".syntax unified\n.thumb\n"

#: name -> (llvm-mc triple, -mattr, source, offset, expected .text bytes at offset)
ASSEMBLED: dict[str, tuple[str, str, str, int, str]] = {
    # Thumb bl / b.w: (hi, lo) halfword pairs; offsets are from P + 4
    "bl+0x1000": ("thumbv7m-none-eabi", "", THUMB + "bl 1f\n.space 0xffc\n1: nop\n", 0, "00f0feff"),
    "bl-0x1000": ("thumbv7m-none-eabi", "", THUMB + "1: nop\n.space 0xffe\nbl 1b\n", 0x1000, "fef7feff"),
    "bl-0x200000": ("thumbv7m-none-eabi", "", THUMB + "1: nop\n.space 0x1ffffe\nbl 1b\n", 0x200000, "fff5feff"),
    "bl+0x400002": ("thumbv7m-none-eabi", "", THUMB + "bl 1f\n.space 0x3ffffe\n1: nop\n", 0, "fff3ffff"),
    "b.w+0x2000": ("thumbv7m-none-eabi", "", THUMB + "b.w 1f\n.space 0x1ffc\n1: nop\n", 0, "01f0febf"),
    "bl/b.w+0": ("thumbv7m-none-eabi", "", THUMB + "1: bl 1b+4\nb.w 1b+8\n", 0, "00f000f800f000b8"),
    # Thumb trampolines at offset 0
    "b to 0x10": ("thumbv7m-none-eabi", "", THUMB + "b 1f\n.space 0xe\n1: nop\n", 0, "06e0"),
    "b to 0x800": ("thumbv7m-none-eabi", "", THUMB + "b 1f\n.space 0x7fe\n1: nop\n", 0, "fee3"),
    "b.w to 0x1000": ("thumbv7m-none-eabi", "", THUMB + "b.w 1f\n.space 0xffc\n1: nop\n", 0, "00f0febf"),
    "b.w to 0x123456": ("thumbv7m-none-eabi", "", THUMB + "b.w 1f\n.space 0x123452\n1: nop\n", 0, "23f129ba"),
    "thumb1 to 0x1000": (
        "thumbv6m-none-eabi",
        "",
        THUMB + "push {r0, lr}\nbl 1f\npop {r0, pc}\n.space 0x1000-8\n1: nop\n",
        0,
        "01b500f0fdff01bd",
    ),
    "thumb1 to 0x20000": (
        "thumbv6m-none-eabi",
        "",
        THUMB + "push {r0, lr}\nbl 1f\npop {r0, pc}\n.space 0x20000-8\n1: nop\n",
        0,
        "01b51ff0fdff01bd",
    ),
    # x86 trampolines
    "jmp to 0x40": ("x86_64", "", "jmp 1f\n.space 0x3e\n1: nop\n", 0, "eb3e"),
    "jmp to 0x81": ("x86_64", "", "jmp 1f\n.space 0x7f\n1: nop\n", 0, "eb7f"),
    "jmp to 0x82": ("x86_64", "", "{disp32} jmp 1f\n.space 0x7d\n1: nop\n", 0, "e97d000000"),
    "jmp to 0x1000": ("x86_64", "", "jmp 1f\n.space 0xffb\n1: nop\n", 0, "e9fb0f0000"),
    # mem* stubs
    "x86 stub": ("i386", "", "nop\nnop\nnop\nmovl $0, %eax\njmp *%eax\n", 0, "909090b800000000ffe0"),
    "x64 stub": (
        "x86_64",
        "",
        "nop\nnop\nnop\nnop\nnop\nnop\nmovabsq $0, %rax\njmp *%rax\n",
        0,
        "90909090909048b80000000000000000ffe0",
    ),
    "arm stub": (
        "thumbv6m-none-eabi",
        "",
        THUMB + "ldr r3, 1f\nbx r3\n.p2align 2\n1: .word 0\n",
        0,
        "004b184700000000",
    ),
    "rv32 stub": ("riscv32", "+c", ".option norelax\nauipc a3, 0\nc.lw a3, 8(a3)\nc.jr a3\n", 0, "9706000094468286"),
    "rv64 stub": ("riscv64", "+c", ".option norelax\nauipc a3, 0\nc.ld a3, 8(a3)\nc.jr a3\n", 0, "9706000094668286"),
    # RISC-V: %hi/%lo of constants (lui a0 / addi a0, a0)
    **{
        f"hi/lo {v}": ("riscv32", "", RV + f"lui a0, %hi({v})\naddi a0, a0, %lo({v})\n", 0, hexa)
        for v, hexa in (
            ("0", "3705000013050500"),
            ("0x12345678", "3755341213058567"),
            ("0x12345fff", "376534121305f5ff"),
            ("0x800", "3715000013050580"),
            ("0x7ff", "370500001305f57f"),
            ("-1", "370500001305f5ff"),
            ("-2048", "3705000013050580"),
            ("-2049", "37f5ffff1305f57f"),
            ("0x7ffff800", "3705008013050580"),
            ("-0x80000000", "3705008013050500"),
        )
    },
    # RISC-V: S-type and I-type immediates (sw a1, imm(a0); lw a2, imm(s1); sd a3, imm(sp))
    **{
        f"sw/lw/sd {imm}": ("riscv64", "", RV + f"sw a1, {imm}(a0)\nlw a2, {imm}(s1)\nsd a3, {imm}(sp)\n", 0, hexa)
        for imm, hexa in (
            ("0", "2320b50003a604002330d100"),
            ("-2048", "2320b58003a604802330d180"),
            ("2047", "a32fb57e03a6f47fa33fd17e"),
            ("-1", "a32fb5fe03a6f4ffa33fd1fe"),
            ("0x5a5", "a322b55a03a6545aa332d15a"),
        )
    },
    # RISC-V branches and jumps: offset 0 (the base instruction) and real offsets
    "beq 0": ("riscv32", "", RV + "beq a0, a1, .\n", 0, "6300b500"),
    "beq+0x800": ("riscv32", "", RV + "beq a0, a1, 1f\n.space 0x7fc\n1: nop\n", 0, "e300b500"),
    "beq-0x1000": ("riscv32", "", RV + "1: nop\n.space 0xffc\nbeq a0, a1, 1b\n", 0x1000, "6300b580"),
    "bne 0": ("riscv32", "", RV + "bne a2, a3, .\n", 0, "6310d600"),
    "bne+0xffc": ("riscv32", "", RV + "bne a2, a3, 1f\n.space 0xff8\n1: nop\n", 0, "e31ed67e"),
    "blt 0": ("riscv32", "", RV + "blt a0, a1, .\n", 0, "6340b500"),
    "blt-0x2a": ("riscv32", "", RV + "1: nop\n.space 0x26\nblt a0, a1, 1b\n", 0x2A, "e34bb5fc"),
    "jal ra 0": ("riscv32", "", RV + "jal ra, .\n", 0, "ef000000"),
    "jal+0x12344": ("riscv32", "", RV + "jal ra, 1f\n.space 0x12340\n1: nop\n", 0, "ef204134"),
    "jal-0x100000": ("riscv32", "", RV + "1: nop\n.space 0xffffc\njal ra, 1b\n", 0x100000, "ef000080"),
    "jal zero 0": ("riscv32", "", RV + "jal zero, .\n", 0, "6f000000"),
    "jal+0xffffe": ("riscv32", "", RV + "jal zero, 1f\n.space 0xffffa\n1: nop\n", 0, "6ff0ff7f"),
    "c.beqz a0 0": ("riscv32", "+c", RVC + "c.beqz a0, .\n", 0, "01c1"),
    "c.beqz+0xfe": ("riscv32", "+c", RVC + "c.beqz a0, 1f\n.space 0xfc\n1: c.nop\n", 0, "7dcd"),
    "c.bnez a5 0": ("riscv32", "+c", RVC + "c.bnez a5, .\n", 0, "81e3"),
    "c.bnez-0x100": ("riscv32", "+c", RVC + "1: c.nop\n.space 0xfe\nc.bnez a5, 1b\n", 0x100, "81f3"),
    "c.beqz s0 0": ("riscv32", "+c", RVC + "c.beqz s0, .\n", 0, "01c0"),
    "c.beqz+0x56": ("riscv32", "+c", RVC + "c.beqz s0, 1f\n.space 0x54\n1: c.nop\n", 0, "39c8"),
    "c.j 0": ("riscv32", "+c", RVC + "c.j .\n", 0, "01a0"),
    "c.j+0x7fe": ("riscv32", "+c", RVC + "c.j 1f\n.space 0x7fc\n1: c.nop\n", 0, "fdaf"),
    "c.j-0x800": ("riscv32", "+c", RVC + "1: c.nop\n.space 0x7fe\nc.j 1b\n", 0x800, "01b0"),
    "c.j+0x2aa": ("riscv32", "+c", RVC + "c.j 1f\n.space 0x2a8\n1: c.nop\n", 0, "6da4"),
    "c.j+0x12": ("riscv32", "+c", RVC + "c.j 1f\n.space 0x10\n1: c.nop\n", 0, "09a8"),
    "c.jal 0": ("riscv32", "+c", RVC + "c.jal .\n", 0, "0120"),
    "c.jal+0x554": ("riscv32", "+c", RVC + "c.jal 1f\n.space 0x552\n1: c.nop\n", 0, "912b"),
    # RISC-V long trampoline / call pair: auipc t6 + jalr zero, lo(t6)
    "auipc/jalr 0": ("riscv32", "", RV + "auipc t6, 0\njalr zero, 0(t6)\n", 0, "970f000067800f00"),
    "auipc/jalr to 0x800": (
        "riscv32",
        "",
        RV + "1: auipc t6, %pcrel_hi(2f)\njalr zero, %pcrel_lo(1b)(t6)\n.space 0x7f8\n2: nop\n",
        0,
        "971f000067800f80",
    ),
    "auipc/jalr to 0x12345ffc": (
        "riscv32",
        "",
        RV + "1: auipc t6, %pcrel_hi(2f)\njalr zero, %pcrel_lo(1b)(t6)\n.space 0x12345ff4\n2: nop\n",
        0,
        "976f34126780cfff",
    ),
}


def asm(name: str) -> bytes:
    return bytes.fromhex(ASSEMBLED[name][4])


def le(data: bytes) -> int:
    return int.from_bytes(data, "little")


@pytest.mark.cross
@pytest.mark.parametrize("name", sorted(ASSEMBLED))
def test_table_is_what_the_assembler_emits(name: str, tmp_path: Path) -> None:
    if not (shutil.which("llvm-mc") and shutil.which("llvm-objcopy")):
        skip_or_fail("llvm-mc/llvm-objcopy not installed (they come with clang: run tools/bootstrap.sh)")
    triple, mattr, source, offset, expected = ASSEMBLED[name]
    src, obj, out = tmp_path / "s.s", tmp_path / "s.o", tmp_path / "s.bin"
    src.write_text(source)
    argv = ["llvm-mc", f"-triple={triple}", "-filetype=obj", "-o", str(obj), str(src)]
    subprocess.run([*argv, f"-mattr={mattr}"] if mattr else argv, check=True, capture_output=True)
    subprocess.run(["llvm-objcopy", "-O", "binary", "--only-section=.text", str(obj), str(out)], check=True)
    data = out.read_bytes()
    assert data[offset : offset + len(expected) // 2].hex() == expected


# -- the shared range check -----------------------------------------------------------


def test_check_range_edges() -> None:
    assert check_range(-128, 8, "x") == 0x80 and check_range(127, 8, "x") == 0x7F
    assert check_range(255, 8, "x", signed=False) == 0xFF
    assert check_range(-(1 << 31), 32, "x", wrap=True) == 0x80000000
    assert check_range((1 << 32) - 1, 32, "x", wrap=True) == 0xFFFFFFFF
    for value, kw in (
        (128, {}),
        (-129, {}),
        (256, {"signed": False}),
        (-1, {"signed": False}),
        (1 << 32, {"wrap": True}),
    ):
        with pytest.raises(FieldRange) as info:
            check_range(value, 8 if not kw.get("wrap") else 32, "a field", **kw)
        assert info.value.value == value and "a field" in str(info.value)


def test_sign_extend() -> None:
    assert sign_extend(0xFFF, 12) == -1 and sign_extend(0x7FF, 12) == 2047 and sign_extend(0x1800, 12) == -2048


# -- Thumb ------------------------------------------------------------------------------

BRANCHES = {"bl+0x1000": 0xFFC, "bl-0x1000": -0x1004, "bl-0x200000": -0x200004, "bl+0x400002": 0x3FFFFE}


@pytest.mark.parametrize("name", sorted(BRANCHES))
def test_thumb_branch_decode_and_patch(name: str) -> None:
    code = asm(name)
    hi, lo = le(code[:2]), le(code[2:4])
    assert branch_offset(hi, lo) == BRANCHES[name]
    base = asm("bl/b.w+0")
    assert patch_branch(le(base[0:2]), le(base[2:4]), BRANCHES[name]) == (hi, lo)


def test_thumb_b_w_patch_keeps_the_opcode() -> None:
    base, code = asm("bl/b.w+0"), asm("b.w+0x2000")
    assert patch_branch(le(base[4:6]), le(base[6:8]), 0x2000 - 4) == (le(code[:2]), le(code[2:4]))


def test_thumb_branch_range_is_checked_not_truncated() -> None:
    with pytest.raises(FieldRange):
        patch_branch(0xF000, 0xF800, 0x400000)
    with pytest.raises(FieldRange):
        patch_branch(0xF000, 0xF800, -0x400002)
    patch_branch(0xF000, 0xF800, -0x400000)  # the lowest reachable offset


def test_thumb_write_through_the_family() -> None:
    """`write` puts S + A - P (A already taken from the field) into bl and b.w."""
    for rtype, base, name, value in (
        (R_ARM_THM_CALL, asm("bl/b.w+0")[:4], "bl+0x1000", 0xFFC),
        (R_ARM_THM_JUMP24, asm("bl/b.w+0")[4:], "b.w+0x2000", 0x1FFC),
    ):
        buf = bytearray(base)
        THUMB2.write(buf, 0, rtype, value)
        assert bytes(buf) == asm(name)
        assert THUMB2.implicit_addend(bytearray(asm(name)), 0, rtype) == value


@pytest.mark.parametrize(
    ("family", "target", "name"),
    [
        (THUMB2, 0x10, "b to 0x10"),
        (THUMB2, 0x800, "b to 0x800"),
        (THUMB1, 0x800, "b to 0x800"),
        (THUMB2, 0x1000, "b.w to 0x1000"),
        (THUMB2, 0x123456, "b.w to 0x123456"),
        (THUMB1, 0x1000, "thumb1 to 0x1000"),
        (THUMB1, 0x20000, "thumb1 to 0x20000"),
    ],
)
def test_thumb_trampoline(family: object, target: int, name: str) -> None:
    assert family.trampoline(target) == asm(name)  # type: ignore[attr-defined]


# -- x86 --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "name"), [(0x40, "jmp to 0x40"), (0x81, "jmp to 0x81"), (0x82, "jmp to 0x82"), (0x1000, "jmp to 0x1000")]
)
def test_x86_trampoline(target: int, name: str) -> None:
    assert jump(target) == asm(name)
    assert get_arch("x86").family.trampoline(target) == get_arch("x64").family.trampoline(target) == asm(name)


@pytest.mark.parametrize(
    ("arch", "name"),
    [
        ("x86", "x86 stub"),
        ("x64", "x64 stub"),
        ("armv6m", "arm stub"),
        ("rv32imc", "rv32 stub"),
        ("rv64imc", "rv64 stub"),
    ],
)
def test_mem_stub_code(arch: str, name: str) -> None:
    stub = get_arch(arch).family.stub
    assert stub is not None
    code, pointer = stub
    expected = asm(name)
    assert code[: len(expected)] == expected
    word = get_arch(arch).word_size
    assert code[pointer : pointer + word] == bytes(word)  # the placeholder the loader fills


def test_x86_words_add_to_the_stored_addend() -> None:
    family = get_arch("x86").family
    buf = bytearray((-4 & 0xFFFFFFFF).to_bytes(4, "little"))
    assert family.implicit_addend(buf, 0, 2) == -4
    family.write(buf, 0, 2, -0x10)
    assert bytes(buf) == (-0x10 & 0xFFFFFFFF).to_bytes(4, "little")
    with pytest.raises(FieldRange):
        family.write(buf, 0, 2, 1 << 32)


# -- RISC-V -----------------------------------------------------------------------------

HI_LO = ["0", "0x12345678", "0x12345fff", "0x800", "0x7ff", "-1", "-2048", "-2049", "0x7ffff800", "-0x80000000"]


@pytest.mark.parametrize("value", HI_LO)
def test_riscv_split_matches_hi_lo(value: str) -> None:
    hi, lo = split(int(value, 0))
    base = asm("hi/lo 0")
    code = asm(f"hi/lo {value}")
    assert u_hi(le(base[:4]), hi) == le(code[:4])
    assert i_lo(le(base[4:]), lo) == le(code[4:])
    assert (hi + sign_extend(lo, 12) - int(value, 0)) % (1 << 32) == 0


@pytest.mark.parametrize("imm", ["-2048", "2047", "-1", "0x5a5"])
def test_riscv_s_and_i_immediates(imm: str) -> None:
    lo = int(imm, 0) & 0xFFF
    base, code = asm("sw/lw/sd 0"), asm(f"sw/lw/sd {imm}")
    assert s_lo(le(base[0:4]), lo) == le(code[0:4])  # sw
    assert i_lo(le(base[4:8]), lo) == le(code[4:8])  # lw
    assert s_lo(le(base[8:12]), lo) == le(code[8:12])  # sd


@pytest.mark.parametrize(
    ("scatter", "rtype", "base", "name", "offset"),
    [
        (b_scatter, R_RISCV_BRANCH, "beq 0", "beq+0x800", 0x800),
        (b_scatter, R_RISCV_BRANCH, "beq 0", "beq-0x1000", -0x1000),
        (b_scatter, R_RISCV_BRANCH, "bne 0", "bne+0xffc", 0xFFC),
        (b_scatter, R_RISCV_BRANCH, "blt 0", "blt-0x2a", -0x2A),
        (j_scatter, R_RISCV_JAL, "jal ra 0", "jal+0x12344", 0x12344),
        (j_scatter, R_RISCV_JAL, "jal ra 0", "jal-0x100000", -0x100000),
        (j_scatter, R_RISCV_JAL, "jal zero 0", "jal+0xffffe", 0xFFFFE),
        (cb_scatter, R_RISCV_RVC_BRANCH, "c.beqz a0 0", "c.beqz+0xfe", 0xFE),
        (cb_scatter, R_RISCV_RVC_BRANCH, "c.bnez a5 0", "c.bnez-0x100", -0x100),
        (cb_scatter, R_RISCV_RVC_BRANCH, "c.beqz s0 0", "c.beqz+0x56", 0x56),
        (cj_scatter, R_RISCV_RVC_JUMP, "c.j 0", "c.j+0x7fe", 0x7FE),
        (cj_scatter, R_RISCV_RVC_JUMP, "c.j 0", "c.j-0x800", -0x800),
        (cj_scatter, R_RISCV_RVC_JUMP, "c.j 0", "c.j+0x2aa", 0x2AA),
        (cj_scatter, R_RISCV_RVC_JUMP, "c.jal 0", "c.jal+0x554", 0x554),
    ],
)
def test_riscv_branch_and_jump_scatter(
    scatter: Callable[[int], int], rtype: int, base: str, name: str, offset: int
) -> None:
    """B, J, CB and CJ offsets: the scatter alone, then the family's write, against the assembler."""
    assert le(asm(base)) | scatter(offset) == le(asm(name))
    buf = bytearray(asm(base))
    get_arch("rv32imc").family.write(buf, 0, rtype, offset)
    assert bytes(buf) == asm(name)


def test_riscv_call_pair() -> None:
    buf = bytearray(asm("auipc/jalr 0"))
    get_arch("rv64imc").family.write(buf, 0, R_RISCV_CALL, 0x12345FFC)
    assert bytes(buf) == asm("auipc/jalr to 0x12345ffc")


@pytest.mark.parametrize(
    ("rtype", "limit", "size"),
    [
        (R_RISCV_BRANCH, 0xFFE, 4),
        (R_RISCV_JAL, 0xFFFFE, 4),
        (R_RISCV_RVC_BRANCH, 0xFE, 2),
        (R_RISCV_RVC_JUMP, 0x7FE, 2),
    ],
)
def test_riscv_ranges_are_checked(rtype: int, limit: int, size: int) -> None:
    family = get_arch("rv32imc").family
    family.write(bytearray(size), 0, rtype, limit)
    family.write(bytearray(size), 0, rtype, -limit - 2)
    for value in (limit + 2, -limit - 4):
        with pytest.raises(FieldRange):
            family.write(bytearray(size), 0, rtype, value)


@pytest.mark.parametrize(
    ("target", "name"),
    [
        (0x12, "c.j+0x12"),
        (0x7FE, "c.j+0x7fe"),
        (0x800, "auipc/jalr to 0x800"),
        (0x12345FFC, "auipc/jalr to 0x12345ffc"),
    ],
)
def test_riscv_trampoline(target: int, name: str) -> None:
    assert get_arch("rv32imc").family.trampoline(target) == asm(name)


# -- Xtensa (formulas of the ISA reference, decoded independently) ---------------------


def _l32r_address(insn: int, p: int) -> int:
    """L32R (RI16: imm16 in bits 23..8, t in 7..4, op0 = 0001): loads from
    ((P + 3) & ~3) + (imm16 extended with *ones* (always backwards) << 2)."""
    assert insn & 0xF == 0x1
    return ((p + 3) & ~3) + ((((insn >> 8) & 0xFFFF) - 0x10000) << 2)


def _j_target(insn: int, p: int) -> int:
    """J (CALL format: offset in bits 23..6, n = 00, op0 = 0110): PC + 4 + sign-extended offset."""
    assert insn & 0x3F == 0x06
    return p + 4 + sign_extend(insn >> 6, 18)


L32R_CASES = [
    (p, distance)
    for p in (4, 5, 6, 7, 8, 0x103, 0x3FFF4, 0x40000)
    for distance in (4, 8, 0x100, 0x3FFF0, 0x40000)
    if distance <= ((p + 3) & ~3)
]


@pytest.mark.parametrize(("p", "distance"), L32R_CASES)
def test_xtensa_l32r_reaches_its_literal(p: int, distance: int) -> None:
    """`l32r a2, .` as the assembler leaves it (imm16 relative to P: 0), re-pointed backwards."""
    target = ((p + 3) & ~3) - distance
    insn = l32r_patch(0x000021, p, target)
    assert insn & 0xFF == 0x21  # register t = a2 and the opcode are kept
    assert _l32r_address(insn, p) == target


def test_xtensa_l32r_range() -> None:
    assert _l32r_address(l32r_patch(0x21, 0x40000, 0), 0x40000) == 0  # exactly 256 KiB back reaches
    with pytest.raises(FieldRange):
        l32r_patch(0x21, 0x40004, 0)  # one word further does not
    with pytest.raises(FieldRange):
        l32r_patch(0x21, 0, 8)  # forwards: L32R only reaches backwards
    with pytest.raises(FieldRange):
        l32r_patch(0x21, 8, 8)  # nor its own word


@pytest.mark.parametrize("target", [4, 0x10, 0x1000, 0x20003, -0x1FFFC])
def test_xtensa_j_and_trampoline(target: int) -> None:
    insn = j_insn(target - 4)
    assert _j_target(insn, 0) == target
    assert XTENSA.trampoline(target) == insn.to_bytes(3, "little")


def test_xtensa_j_range() -> None:
    j_insn((1 << 17) - 1)
    with pytest.raises(FieldRange):
        j_insn(1 << 17)
    with pytest.raises(FieldRange, match="128 KiB"):
        XTENSA.trampoline((1 << 17) + 4)


def test_long_trampolines_are_refused() -> None:
    with pytest.raises(FieldRange, match="2 GiB"):
        jump(1 << 31 | 8)
    with pytest.raises(FieldRange, match="2 GiB"):
        get_arch("rv32imc").family.trampoline((1 << 31) + 8)


def test_thumb_trampoline_range() -> None:
    for family in (THUMB1, THUMB2):
        with pytest.raises(FieldRange, match=r"4 MiB"):
            family.trampoline(0x400006)
    THUMB1.trampoline(0x400004)  # bl at offset 2 reaches +0x3ffffe from 6
