"""Module state in static variables and initialised globals, built by the SCons tool.

The tool links with writable data enabled: static BSS and static initialised data go to
the text image, initialised globals to the rodata image (docs/linker.md#writable-data).
"""

from __future__ import annotations

from pathlib import Path

from conftest import skip_or_fail
from scons_support import FILES as SAMPLE_FILES
from scons_support import GREET_C, SCONSTRUCT, make_repo, run_scons

from natmod_tool.mpy.reader import read_mpy, validate

E2E = Path(__file__).parent / "e2e_src"
STATICS_C = (E2E / "statics.c").read_text()
FILES = {
    "SConstruct": SCONSTRUCT,
    "mods/statics/SConscript": 'Import("env")\nenv.NativeMpy("statics", ["statics.c"])\n',
    "mods/statics/statics.c": STATICS_C,
}


def test_static_state_on_every_installed_arch(tmp_path, installed_arches, run_micropython):
    root = make_repo(tmp_path, FILES)
    result = run_scons(root, "-j2", f"ARCH={','.join(installed_arches)}")
    assert result.returncode == 0, result
    for arch in installed_arches:
        mpy = read_mpy((root / "build" / arch / "mods" / "statics" / "statics.mpy").read_bytes(), arch)
        assert mpy.arch_name == arch and validate(mpy) == [], arch
    proc = run_micropython(E2E / "check_statics.py", [root / "build" / "x64" / "mods" / "statics"])
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == (E2E / "check_statics.exp").read_text()


GREET_SCONSCRIPT = SAMPLE_FILES["mods/greet/SConscript"]
SECOND_C = """\
static int hits;  // a second object with its own static state
int second_hit(void) { return ++hits; }
"""


def test_rv32imc_static_data_warns_once_per_module(tmp_path, installed_arches):
    """ESP32-C3/C6 cannot write their code memory: one line per module that puts data there."""
    if "rv32imc" not in installed_arches:
        skip_or_fail("no rv32imc compiler (gcc-riscv64-unknown-elf) installed")
    files = {
        **FILES,
        "mods/statics/SConscript": 'Import("env")\nenv.NativeMpy("statics", ["statics.c", "second.c"])\n',
        "mods/statics/second.c": SECOND_C,
        "mods/greet/SConscript": GREET_SCONSCRIPT,
        "mods/greet/greet.c": GREET_C,
    }
    root = make_repo(tmp_path, files)
    result = run_scons(root, "-j2", "ARCH=x64,rv32imc")
    assert result.returncode == 0, result
    warned = [line for line in result.stderr.splitlines() if "ESP32-C3/C6" in line]
    assert len(warned) == 1, result
    assert warned[0].startswith("natmod: warning: statics.mpy [rv32imc]: static data ("), warned
    assert "counter" in warned[0] and "non-static" in warned[0], warned
    again = run_scons(root, "-j2", "ARCH=x64,rv32imc")
    assert again.returncode == 0 and "ESP32" not in again.stderr, again
