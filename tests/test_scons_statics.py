"""Module state in static variables and initialised globals, built by the SCons tool.

The tool links with writable data enabled: static BSS and static initialised data go to
the text image, initialised globals to the rodata image (docs/linker.md#writable-data).
"""

from __future__ import annotations

from pathlib import Path

from scons_support import SCONSTRUCT, make_repo, run_scons

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
