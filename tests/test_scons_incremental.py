"""Incremental rebuilds of the SCons tool: exactly what an edit affects is redone.

Each test builds the sample repository (tests/scons_support.py) for x64, edits one
thing, rebuilds with `-j2`, and checks the quiet step lines: which objects were
compiled, which modules relinked.  The x64 results also run in MicroPython, so a
rebuild that skipped a needed step would show up as a wrong answer.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import skip_or_fail
from scons_support import (
    CALC_C,
    CHECK_PY,
    COMMON_H,
    HELPER_C,
    SCONSTRUCT,
    UTIL_PY,
    files_under,
    make_repo,
    run_scons,
    write,
)


@pytest.fixture
def repo(tmp_path: Path, mpy_dir: Path, scons_command: list[str]) -> Path:
    """The sample repository, already built once for x64."""
    make_repo(tmp_path)
    first = run_scons(tmp_path, "-j2")
    assert first.returncode == 0, first
    assert first.names("CC") == [
        "mods/calc/calc.c",
        "mods/calc/helper.c",
        "mods/calc/ops/ops.c",
        "mods/greet/greet.c",
    ], first
    return tmp_path


def run_check(run_micropython, repo: Path, arch: str = "x64") -> str:
    """Output of CHECK_PY with the built calc and greet modules importable."""
    script = repo / "check.py"
    script.write_text(CHECK_PY)
    mods = repo / "build" / arch / "mods"
    done = run_micropython(script, [mods / "calc", mods / "greet"], cwd=repo)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_second_build_does_nothing(repo: Path) -> None:
    again = run_scons(repo, "-j2")
    assert again.returncode == 0, again
    assert again.steps == [], again
    question = run_scons(repo, "-q")
    assert question.returncode == 0, question


def test_edit_c_without_new_qstrs_recompiles_that_object_only(repo: Path, run_micropython) -> None:
    assert run_check(run_micropython, repo) == "25 8 3 calc:9 7"
    write(repo, "mods/calc/helper.c", HELPER_C.replace("2 * x", "3 * x"))
    result = run_scons(repo, "-j2")
    assert result.returncode == 0, result
    assert result.names("CC") == ["mods/calc/helper.c"], result
    assert result.names("LINK") == ["calc.native.mpy"], result
    assert result.names("MERGE") == ["calc.mpy"], result
    assert result.names("MPY") == [], result
    assert run_check(run_micropython, repo) == "25 12 3 calc:9 7"


def test_new_qstr_recompiles_what_includes_the_header(repo: Path, run_micropython) -> None:
    # helper.c includes no MicroPython header: a new qstr must not recompile it
    write(repo, "mods/calc/calc.c", CALC_C + "// also MP_QSTR_brand_new_name\n")
    result = run_scons(repo, "-j2", "--debug=explain")
    assert result.returncode == 0, result
    assert result.names("QSTR") == ["calc.config.h"], result
    assert result.names("CC") == ["mods/calc/calc.c", "mods/calc/ops/ops.c"], result
    assert result.names("LINK") == ["calc.native.mpy"], result
    assert "because `build/x64/mods/calc/calc.config.h' changed" in result.stdout, result
    assert run_check(run_micropython, repo) == "25 8 3 calc:9 7"


def test_shared_header_edit_recompiles_its_includers(repo: Path, run_micropython) -> None:
    write(repo, "mods/calc/common.h", COMMON_H.replace("COMMON_OFFSET 3", "COMMON_OFFSET 4"))
    result = run_scons(repo, "-j2", "--debug=explain")
    assert result.returncode == 0, result
    assert result.names("CC") == ["mods/calc/calc.c", "mods/calc/ops/ops.c"], result
    assert result.names("LINK") == ["calc.native.mpy"], result
    assert "because `mods/calc/common.h' changed" in result.stdout, result
    assert run_check(run_micropython, repo) == "25 8 4 calc:9 7"


def test_python_edit_reruns_mpy_cross_and_merge_only(repo: Path, run_micropython) -> None:
    write(repo, "mods/calc/util.py", UTIL_PY.replace("calc:", "calc="))
    result = run_scons(repo, "-j2")
    assert result.returncode == 0, result
    assert result.names("CC") == [] and result.names("LINK") == [], result
    assert result.names("MPY") == ["mods/calc/util.py"], result
    assert result.names("MERGE") == ["calc.mpy"], result
    assert run_check(run_micropython, repo) == "25 8 3 calc=9 7"


def test_module_cflags_change_rebuilds_that_module_only(repo: Path, run_micropython) -> None:
    write(
        repo,
        "mods/greet/SConscript",
        'Import("env")\nenv.NativeMpy("greet", ["greet.c"], CFLAGS=["-DGREETING=9"])\n',
    )
    result = run_scons(repo, "-j2", "--debug=explain")
    assert result.returncode == 0, result
    assert result.names("CC") == ["mods/greet/greet.c"], result
    assert result.names("LINK") == ["greet.mpy"], result
    assert "action changed" in result.stdout, result
    assert run_check(run_micropython, repo) == "25 8 3 calc:9 9"


def test_link_option_change_relinks_without_compiling(repo: Path) -> None:
    write(
        repo,
        "mods/greet/SConscript",
        'Import("env")\nenv.NativeMpy("greet", ["greet.c"], CFLAGS=["-DGREETING=7"], LINK_RUNTIME=1)\n',
    )
    result = run_scons(repo, "-j2")
    assert result.returncode == 0, result
    # only the C-library support archive that LINK_RUNTIME adds is compiled
    assert [n for n in result.names("CC") if "natmod_scons/runtime/" not in n] == [], result
    assert result.names("LINK") == ["greet.mpy"], result


def test_other_arch_leaves_first_outputs_untouched(repo: Path, installed_arches: tuple[str, ...]) -> None:
    others = [a for a in installed_arches if a != "x64"]
    if not others:
        skip_or_fail("no cross toolchain installed")
    before = files_under(repo / "build" / "x64")
    result = run_scons(repo, "-j2", f"ARCH={others[0]}")
    assert result.returncode == 0, result
    assert {arch for _kind, _name, arch in result.steps} == {others[0]}, result
    assert files_under(repo / "build" / "x64") == before
    assert run_scons(repo, "-q").returncode == 0


def test_touch_without_change_rebuilds_nothing(repo: Path) -> None:
    path = repo / "mods" / "calc" / "calc.c"
    os.utime(path, None)
    result = run_scons(repo, "-j2")
    assert result.returncode == 0, result
    assert result.names("CC") == [] and result.names("LINK") == [], result


MARK_SCONSCRIPT = 'Import("env")\nenv.NativeMpy("mark", ["mark.c"])\n'
MARK_C = """\
#include "py/dynruntime.h"

static mp_obj_t mark(void) {
    return mp_obj_new_int(NATMOD_TREE_MARK);
}
static MP_DEFINE_CONST_FUN_OBJ_0(mark_obj, mark);

mp_obj_t mpy_init(mp_obj_fun_bc_t *self, size_t n_args, size_t n_kw, mp_obj_t *args) {
    MP_DYNRUNTIME_INIT_ENTRY
    mp_store_global(MP_QSTR_mark, MP_OBJ_FROM_PTR(&mark_obj));
    MP_DYNRUNTIME_INIT_EXIT
}
"""


def _tree_copy(mpy_dir: Path, dest: Path, mark: int) -> Path:
    """The natmod part of the tree (py/*.h, the qstr list) with NATMOD_TREE_MARK in dynruntime.h."""
    (dest / "py").mkdir(parents=True)
    for src in (mpy_dir / "py").iterdir():
        if src.name.endswith(".h") or src.name == "makeqstrdata.py":
            (dest / "py" / src.name).write_bytes(src.read_bytes())
    header = dest / "py" / "dynruntime.h"
    header.write_text(header.read_text() + f"\n#define NATMOD_TREE_MARK {mark}\n")
    return dest


def test_mpy_dir_switch_recompiles_against_the_new_tree(tmp_path: Path, mpy_dir: Path, run_micropython) -> None:
    """A changed MPY_DIR recompiles and relinks; an identical tree elsewhere rebuilds nothing."""
    tree_a = _tree_copy(mpy_dir, tmp_path / "tree-a", 1)
    tree_b = _tree_copy(mpy_dir, tmp_path / "tree-b", 2)
    tree_a2 = _tree_copy(mpy_dir, tmp_path / "elsewhere" / "tree-a", 1)
    root = tmp_path / "repo"
    make_repo(root, {"SConstruct": SCONSTRUCT, "mods/mark/SConscript": MARK_SCONSCRIPT, "mods/mark/mark.c": MARK_C})
    script = tmp_path / "check.py"
    script.write_text("import mark\nprint(mark.mark())\n")

    def build(tree: Path) -> tuple[list[str], str]:
        result = run_scons(root, f"MPY_DIR={tree}")
        assert result.returncode == 0, result
        done = run_micropython(script, [root / "build" / "x64" / "mods" / "mark"])
        assert done.returncode == 0, done.stderr
        return result.names("CC") + result.names("LINK"), done.stdout.strip()

    assert build(tree_a) == (["mods/mark/mark.c", "mark.mpy"], "1")
    assert build(tree_b) == (["mods/mark/mark.c", "mark.mpy"], "2")
    assert build(tree_a) == (["mods/mark/mark.c", "mark.mpy"], "1")
    assert build(tree_a) == ([], "1")
    assert build(tree_a2) == ([], "1")  # same headers at another path: nothing to redo


def test_tree_header_edited_in_place_recompiles(tmp_path: Path, mpy_dir: Path, run_micropython) -> None:
    """An edit to a `py/*.h` of the tree in use recompiles the module against it.

    The scanner does not list the tree's own headers as dependencies: their content is in
    every compile's signature by digest (as for a switched MPY_DIR), so this is the
    digest's job, and every compile of the arch is redone, as it already was.
    """
    tree = _tree_copy(mpy_dir, tmp_path / "tree", 1)
    root = tmp_path / "repo"
    files = {
        "SConstruct": SCONSTRUCT,
        "mods/mark/SConscript": 'Import("env")\nenv.NativeMpy("mark", ["mark.c", "plain.c"])\n',
        "mods/mark/mark.c": MARK_C,
        "mods/mark/plain.c": "int plain_helper(int x) { return x + 1; }\n",
    }
    make_repo(root, files)
    script = tmp_path / "check.py"
    script.write_text("import mark\nprint(mark.mark())\n")
    first = run_scons(root, f"MPY_DIR={tree}")
    assert first.returncode == 0 and first.names("CC") == ["mods/mark/mark.c", "mods/mark/plain.c"], first
    header = tree / "py" / "dynruntime.h"
    header.write_text(header.read_text().replace("NATMOD_TREE_MARK 1", "NATMOD_TREE_MARK 3"))
    again = run_scons(root, f"MPY_DIR={tree}")
    assert again.returncode == 0 and again.names("CC") == ["mods/mark/mark.c", "mods/mark/plain.c"], again
    done = run_micropython(script, [root / "build" / "x64" / "mods" / "mark"])
    assert done.returncode == 0 and done.stdout.strip() == "3", done
    assert run_scons(root, f"MPY_DIR={tree}").names("CC") == []
