"""Module state in static variables and initialised globals, built by the SCons tool.

The tool links with writable data enabled: static BSS and static initialised data go to
the text image, initialised globals to the rodata image (docs/linker.md#writable-data).
"""

from __future__ import annotations

from pathlib import Path

from scons_support import SCONSTRUCT, make_repo, run_scons

from natmod_tool.mpy.reader import read_mpy, validate

STATICS_C = (Path(__file__).parent / "e2e_src" / "statics.c").read_text()
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
    script = tmp_path / "check.py"
    script.write_text(
        "import statics as s\nprint(s.bump(), s.bump(), s.table(2), s.poke(2, 7), s.table(2), s.name(), s.fill(3))\n"
    )
    proc = run_micropython(script, [root / "build" / "x64" / "mods" / "statics"])
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["1", "2", "30", "None", "7", "static", "aaa"]
