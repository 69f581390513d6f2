"""The walk through the tree's headers is shared between modules only where it means the same.

natmod_scons/scanner.py walks `py/*.h` once and reuses the walk for other modules; a module
whose own folder holds a file one of those headers includes (here `assert.h`, which
`py/obj.h` includes with `<...>` and `-I.` finds in the module folder) must get its own
walk, so that editing that file recompiles the module, and only that module.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from scons_support import GREET_C, SCONSTRUCT, make_repo, run_scons, write

pytestmark = pytest.mark.scons

#: the module's own assert.h, found before the system's: it only passes on to the real one
OWN_ASSERT_H = "/* found through -I. before the C library's */\n#include_next <assert.h>\n"


def _repo(root: Path) -> Path:
    files = {"SConstruct": SCONSTRUCT}
    for name in ("a", "b", "c"):  # read in this order: b comes after a walk was made for a
        files[f"mods/{name}/SConscript"] = f'Import("env")\nenv.NativeMpy("{name}", ["{name}.c"])\n'
        files[f"mods/{name}/{name}.c"] = GREET_C
    files["mods/b/assert.h"] = OWN_ASSERT_H
    return make_repo(root, files)


def test_module_shadowing_a_tree_include_depends_on_its_own_file(
    tmp_path: Path, mpy_dir: Path, scons_command: list[str]
) -> None:
    root = _repo(tmp_path)
    first = run_scons(root, "-j2")
    assert first.returncode == 0, first
    assert first.names("CC") == ["mods/a/a.c", "mods/b/b.c", "mods/c/c.c"], first
    write(root, "mods/b/assert.h", OWN_ASSERT_H + "/* edited */\n")
    again = run_scons(root, "-j2")
    assert again.returncode == 0, again
    assert again.names("CC") == ["mods/b/b.c"], again
    assert run_scons(root, "-j2").names("CC") == []
