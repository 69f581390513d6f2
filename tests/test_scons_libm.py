"""LINK_RUNTIME=1 with the C maths library: sqrtf, sinf and pow in a module.

newlib's libm (ARM) and musl's (x64) need only `__errno`/`__errno_location`, which the
tool's support archive provides; picolibc's (RISC-V) is non-PIC code that the linker
makes PC-relative; glibc's (x86) needs the dynamic loader and a thread-local errno:
that fails with one line that says so.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import skip_or_fail
from scons_support import SCONSTRUCT, make_repo, run_scons

from natmod_tool.mpy.reader import read_mpy, validate
from natmod_tool.toolchains import toolchain

E2E = Path(__file__).parent / "e2e_src"
MATHY_C = (E2E / "mathy.c").read_text()
FILES = {
    "SConstruct": SCONSTRUCT,
    "mods/mathy/SConscript": 'Import("env")\nenv.NativeMpy("mathy", ["mathy.c"], LINK_RUNTIME=1)\n',
    "mods/mathy/mathy.c": MATHY_C,
}
#: newlib's libm (ARM) and picolibc's (RISC-V: non-PIC code, made PC-relative by the linker)
LIBM_ARCHES = ("armv6m", "armv7m", "armv7emsp", "armv7emdp", "rv32imc", "rv64imc")


@pytest.mark.parametrize("arch", LIBM_ARCHES)
def test_libm_links_and_validates(arch, tmp_path, installed_arches):
    if arch not in installed_arches:
        skip_or_fail(f"no {arch} toolchain")
    root = make_repo(tmp_path, FILES)
    result = run_scons(root, f"ARCH={arch}")
    assert result.returncode == 0, result
    data = (root / "build" / arch / "mods" / "mathy" / "mathy.mpy").read_bytes()
    mpy = read_mpy(data, "mathy.mpy")
    assert mpy.arch_name == arch and validate(mpy) == []
    assert b"calc" in [q.data for q in mpy.qstrs]


def test_musl_libm_runs_on_x64(tmp_path, run_micropython):
    maths = toolchain("x64").math_library
    if maths is None or not Path(maths[0]).exists():
        skip_or_fail("musl-dev is not installed")
    root = make_repo(tmp_path, FILES)
    result = run_scons(root, "ARCH=x64")
    assert result.returncode == 0, result
    proc = run_micropython(E2E / "check_mathy.py", [root / "build" / "x64" / "mods" / "mathy"])
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == (E2E / "check_mathy.exp").read_text()


@pytest.mark.parametrize(
    "arch, wanted",
    [
        ("x86", ("glibc",)),  # IFUNC and a thread-local errno
    ],
)
def test_unlinkable_libm_is_refused_in_one_line(arch, wanted, tmp_path, installed_arches):
    if arch not in installed_arches:
        skip_or_fail(f"no {arch} toolchain")
    root = make_repo(tmp_path, FILES)
    result = run_scons(root, f"ARCH={arch}")
    assert result.returncode != 0
    errors = [line for line in result.stderr.splitlines() if "LinkError" in line]
    assert len(errors) == 1, result
    assert all(w in errors[0] for w in wanted) and "Traceback" not in result.stderr, errors[0]
    assert not (root / "build" / arch / "mods" / "mathy" / "mathy.mpy").exists()
