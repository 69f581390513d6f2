"""Non-PIC RISC-V code (picolibc's maths library is built that way): `lui`/`%lo` pairs
are rewritten into PC-relative `auipc` pairs.

An independent check: GNU objdump disassembles our text image and computes the address
each converted pair reaches; they must be the data the C code names.
"""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from conftest import skip_or_fail

from natmod_tool import LinkError, link
from natmod_tool.mpy.reader import read_mpy, validate

SOURCE = """
static const int table[8] = {11, 22, 33, 44, 55, 66, 77, 88};
static int counter;
int values[4];
int get(int i) {
    counter += 1;
    values[i & 3] = table[i & 7];
    return table[(i + 3) & 7] + counter + values[(i + 1) & 3];
}
int mpy_init(void) { return get(1); }
"""
GCC = "riscv64-unknown-elf-gcc"


@pytest.fixture
def needs_riscv() -> None:
    """The RISC-V cross compiler builds these objects (skip, or fail under CI, without it)."""
    if shutil.which(GCC) is None:
        skip_or_fail(f"no RISC-V toolchain ({GCC})")


@pytest.mark.usefixtures("needs_riscv")
@pytest.mark.parametrize("arch, march, mabi", [("rv32imc", "rv32imac", "ilp32"), ("rv64imc", "rv64imac", "lp64")])
def test_lui_pairs_become_pc_relative(arch, march, mabi, tmp_path):
    src = tmp_path / "np.c"
    src.write_text(SOURCE)
    obj = tmp_path / "np.o"
    subprocess.run([GCC, f"-march={march}", f"-mabi={mabi}", "-Os", "-c", "-o", str(obj), str(src)], check=True)
    lines: list[str] = []
    result = link([obj], arch, source_name="np.mpy", writable_data=True, log=lambda level, line: lines.append(line))
    mpy = read_mpy(result.mpy, "np.mpy")
    assert validate(mpy) == []
    # the data sections, all in the text image because code reaches them PC-relatively
    placed = {m[2]: int(m[1], 16) for m in (re.match(r"\s+([0-9a-f]{8}) (\S+) size=", x) for x in lines) if m}
    wanted = {placed[".bss"], placed[".rodata"], placed[".bss.sbss"]}
    text = tmp_path / "text.bin"
    text.write_bytes(mpy.raw_codes()[0].code)
    bits = "riscv:rv32" if arch == "rv32imc" else "riscv:rv64"
    dump = subprocess.run(
        ["riscv64-unknown-elf-objdump", "-D", "-M", "no-aliases", "-b", "binary", "-m", bits, str(text)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    code_end = placed[".text"] + int(re.search(r" \.text size=(\d+)", "\n".join(lines))[1])
    code = [x for x in dump.splitlines() if re.match(r"\s+[0-9a-f]+:", x) and int(x.split(":")[0], 16) < code_end]
    reached = {int(m, 16) for m in re.findall(r"(?:lw|sw|ld|sd|addi)\s+\S+ # 0x([0-9a-f]+)", "\n".join(code))}
    assert wanted <= reached, (placed, reached)
    assert not any(re.search(r"\slui\s", x) for x in code)


@pytest.mark.usefixtures("needs_riscv")
def test_lui_without_the_option_is_refused_for_writable_targets(tmp_path):
    src = tmp_path / "np.c"
    src.write_text(SOURCE)
    obj = tmp_path / "np.o"
    subprocess.run([GCC, "-march=rv32imac", "-mabi=ilp32", "-Os", "-c", "-o", str(obj), str(src)], check=True)
    with pytest.raises(LinkError):
        link([obj], "rv32imc", source_name="np.mpy")
