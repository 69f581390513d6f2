"""Absolute BUILD_DIR and DIST_DIR are used as given, not below the project folder."""

from __future__ import annotations

from conftest import skip_or_fail
from scons_support import SCONSTRUCT, files_under, make_repo, run_scons, write


def test_absolute_build_and_dist_dirs(tmp_path):
    root = make_repo(tmp_path / "repo")
    build, dist = tmp_path / "out" / "build", tmp_path / "out" / "dist"
    result = run_scons(root, "ARCH=x64", f"BUILD_DIR={build}", f"DIST_DIR={dist}", "dist")
    assert result.returncode == 0, result
    assert (build / "x64" / "mods" / "greet" / "greet.mpy").exists()
    assert (dist / "greet-x64.mpy").exists()
    assert not (root / "build").exists() and not (root / str(dist).lstrip("/")).exists()
    clean = run_scons(root, "ARCH=x64", f"BUILD_DIR={build}", f"DIST_DIR={dist}", "-c", "dist")
    assert clean.returncode == 0, clean
    assert not (dist / "greet-x64.mpy").exists()
    assert not list(build.rglob("*.mpy"))


OUTSIDE_C = """\
#include "py/dynruntime.h"
int lib_inc(int x);
int tree_twice(int x);

static mp_obj_t f(mp_obj_t a) {
    return mp_obj_new_int(lib_inc(tree_twice(mp_obj_get_int(a))));
}
static MP_DEFINE_CONST_FUN_OBJ_1(f_obj, f);

mp_obj_t mpy_init(mp_obj_fun_bc_t *self, size_t n_args, size_t n_kw, mp_obj_t *args) {
    MP_DYNRUNTIME_INIT_ENTRY
    mp_store_global(MP_QSTR_f, MP_OBJ_FROM_PTR(&f_obj));
    MP_DYNRUNTIME_INIT_EXIT
}
"""


def test_sources_outside_the_module_folder(tmp_path, installed_arches, run_micropython):
    """`../lib/x.c` and an absolute path into another tree: objects stay in BUILD_DIR, per arch."""
    others = [a for a in ("armv7m", "rv32imc", "armv6m", "x86") if a in installed_arches]
    if len(others) < 2:
        skip_or_fail("needs two cross toolchains besides x64 (tools/bootstrap.sh installs them)")
    arches = ["x64", *others[:2]]
    tree = tmp_path / "other-tree"
    write(tree, "lib/twice.c", "int tree_twice(int x) { return 2 * x; }\n")
    root = make_repo(
        tmp_path / "repo",
        {
            "SConstruct": SCONSTRUCT,
            "mods/outside/SConscript": (
                'Import("env")\n'
                f'env.NativeMpy("outside", ["outside.c", "../../lib/inc.c", "{tree / "lib" / "twice.c"}"])\n'
            ),
            "mods/outside/outside.c": OUTSIDE_C,
            "lib/inc.c": "int lib_inc(int x) { return x + 1; }\n",
        },
    )
    before_tree, before_lib = files_under(tree), files_under(root / "lib")
    result = run_scons(root, f"ARCH={','.join(arches)}")
    assert result.returncode == 0, result
    for arch in arches:
        assert result.names("CC", arch) == sorted(["mods/outside/outside.c", "lib/inc.c", str(tree / "lib/twice.c")])
        module = root / "build" / arch / "mods" / "outside"
        assert (module / "_top" / "lib" / "inc.o").is_file()
        assert (module / "_abs" / str(tree / "lib").lstrip("/") / "twice.o").is_file()
    assert files_under(tree) == before_tree and files_under(root / "lib") == before_lib
    outside = {p for p in files_under(root) if not p.startswith("build/")}
    assert all(not p.endswith((".o", ".mpy", ".h")) or p.startswith("mods/outside/") for p in outside), outside

    script = tmp_path / "check.py"
    script.write_text("import outside\nprint(outside.f(5))\n")
    done = run_micropython(script, [root / "build" / "x64" / "mods" / "outside"])
    assert done.stdout.strip() == "11", done

    clean = run_scons(root, f"ARCH={','.join(arches)}", "-c")
    assert clean.returncode == 0, clean
    assert not [p for p in files_under(root) if p.endswith((".o", ".mpy"))]
    assert files_under(tree) == before_tree
