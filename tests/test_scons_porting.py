"""What real projects ported from natmod Makefiles to `NativeMpy` need (issue 17, issue 11).

Each test builds a small repository with real SCons and the installed compilers, the
way the ported projects do: a module that defines `__errno` itself, flags copied from a
Makefile, generated sources, one source folder built in two configurations, per-file
`mpy-cross` options and the runtime-library choice.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import skip_or_fail
from scons_support import SCONSTRUCT, make_repo, run_scons, write

from natmod_tool.mpy.reader import read_mpy, validate

# ---------------------------------------------------------------------------------------
# A (issue 11): a module with its own __errno, linked with LINK_RUNTIME=1

#: maps errno onto one module-wide word, as modules that turn errno into OSError do
ERRNO_MAP_C = """\
static int module_errno;

int *__errno(void) {
    return &module_errno;
}
"""

#: calls libm (whose sqrt reports EDOM through __errno on newlib) and reads the word back
ERRNO_USER_C = """\
#include "py/dynruntime.h"
#include <math.h>

int *__errno(void);

static mp_obj_t root(mp_obj_t x_in) {
    *__errno() = 0;
    double r = sqrt((double)(mp_int_t)mp_obj_get_int(x_in));  // the dynruntime call returns mp_uint_t
    mp_obj_t items[2] = {mp_obj_new_int(r == r ? (mp_int_t)(r * 1000.0) : -1), mp_obj_new_int(*__errno())};
    return mp_obj_new_tuple(2, items);
}
static MP_DEFINE_CONST_FUN_OBJ_1(root_obj, root);

static mp_obj_t set_errno(mp_obj_t x_in) {
    *__errno() = mp_obj_get_int(x_in);
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_1(set_errno_obj, set_errno);

mp_obj_t mpy_init(mp_obj_fun_bc_t *self, size_t n_args, size_t n_kw, mp_obj_t *args) {
    MP_DYNRUNTIME_INIT_ENTRY
    mp_store_global(MP_QSTR_root, MP_OBJ_FROM_PTR(&root_obj));
    mp_store_global(MP_QSTR_set_errno, MP_OBJ_FROM_PTR(&set_errno_obj));
    MP_DYNRUNTIME_INIT_EXIT
}
"""

ERRNO_FILES = {
    "SConstruct": SCONSTRUCT,
    "mods/errmod/SConscript": ('Import("env")\nenv.NativeMpy("errmod", ["errmod.c", "errno_map.c"], LINK_RUNTIME=1)\n'),
    "mods/errmod/errmod.c": ERRNO_USER_C,
    "mods/errmod/errno_map.c": ERRNO_MAP_C,
}


@pytest.mark.parametrize("arch", ["armv6m", "armv7m", "rv32imc"])
def test_module_defining_errno_links_with_link_runtime(arch, tmp_path, installed_arches):
    if arch not in installed_arches:
        skip_or_fail(f"no {arch} compiler (tools/bootstrap.sh installs it)")
    root = make_repo(tmp_path, ERRNO_FILES)
    result = run_scons(root, f"ARCH={arch}")
    assert result.returncode == 0, result
    data = (root / "build" / arch / "mods" / "errmod" / "errmod.mpy").read_bytes()
    mpy = read_mpy(data, "errmod.mpy")
    assert mpy.arch_name == arch and validate(mpy) == []


def test_module_defining_errno_runs_on_x64(tmp_path, run_micropython):
    root = make_repo(tmp_path, ERRNO_FILES)
    result = run_scons(root, "ARCH=x64")
    assert result.returncode == 0, result
    script = tmp_path / "check.py"
    script.write_text("import errmod\nerrmod.set_errno(42)\nprint(errmod.root(16), errmod.root(-4)[0])\n")
    proc = run_micropython(script, [root / "build" / "x64" / "mods" / "errmod"])
    assert proc.returncode == 0, proc.stderr
    # root() clears the module's own errno word first; musl's sqrt never sets errno
    assert proc.stdout.strip() == "(4000, 0) -1"


# ---------------------------------------------------------------------------------------
# B (17.8, issue 12): the errno support archive is compiled once per arch


def _runtime_compiles(result) -> list[str]:
    """Compiles of the tool's C-library support sources (natmod_scons/runtime/)."""
    return [name for name in result.names("CC") if "natmod_scons/runtime/" in name]


def test_runtime_support_is_compiled_once_per_arch(tmp_path):
    files = {
        "SConstruct": SCONSTRUCT,
        "mods/one/SConscript": 'Import("env")\nenv.NativeMpy("one", ["one.c"], LINK_RUNTIME=1)\n',
        "mods/one/one.c": ERRNO_USER_C.replace("int *__errno(void);", ERRNO_MAP_C),
        "mods/two/SConscript": (
            'Import("env")\nenv.NativeMpy("two", ["two.c"], LINK_RUNTIME=1, CPPDEFINES=["TWO"], CFLAGS=["-O2"])\n'
        ),
        "mods/two/two.c": ERRNO_USER_C.replace("int *__errno(void);", ERRNO_MAP_C),
    }
    root = make_repo(tmp_path, files)
    result = run_scons(root, "-j2")
    assert result.returncode == 0, result
    first = _runtime_compiles(result)
    assert first and len(first) == len(set(first)), result  # each support source once, for both modules
    assert len(result.names("AR")) == 1, result
    write(
        root,
        "mods/two/SConscript",
        'Import("env")\nenv.NativeMpy("two", ["two.c"], LINK_RUNTIME=1, CPPDEFINES=["TWO", "AGAIN"])\n',
    )
    result = run_scons(root, "-j2")
    assert result.returncode == 0, result
    assert result.names("CC") == ["mods/two/two.c"], result  # the module's defines only reach its own code
    assert result.names("AR") == [], result


# ---------------------------------------------------------------------------------------
# 1: CPPDEFINES in every SCons form keeps its meaning

DEFINES_C = """\
#include "py/dynruntime.h"

#if !defined(PLAIN) || !defined(BARE) || !defined(ONE) || defined(SPLIT_A)
#error "a define without a value is missing"
#endif

static mp_obj_t values(void) {
    mp_obj_t items[7] = {
        mp_obj_new_int(W), mp_obj_new_int(H), mp_obj_new_int(EQ), mp_obj_new_int(D),
        mp_obj_new_int(PROJ), mp_obj_new_int(APP), mp_obj_new_int(PAIR),
    };
    return mp_obj_new_tuple(7, items);
}
static MP_DEFINE_CONST_FUN_OBJ_0(values_obj, values);

mp_obj_t mpy_init(mp_obj_fun_bc_t *self, size_t n_args, size_t n_kw, mp_obj_t *args) {
    MP_DYNRUNTIME_INIT_ENTRY
    mp_store_global(MP_QSTR_values, MP_OBJ_FROM_PTR(&values_obj));
    MP_DYNRUNTIME_INIT_EXIT
}
"""

DEFINES_SCONSCRIPT = """\
Import("env")
env = env.Clone()
env.Append(CPPDEFINES={"APP": 6})  # the arch env's CPPDEFINES becomes SCons' deque
env.Append(CPPDEFINES=("PAIR", 7))
env.NativeMpy(
    "defs",
    ["defs.c"],
    CPPDEFINES=[("W", "16"), ["H", 2], "PLAIN", "EQ=5", {"D": 4, "BARE": None}, ("ONE",)],
)
env.NativeMpy("split", ["split.c"], CPPDEFINES="SPLIT_A SPLIT_B")
env.NativeMpy("pair", ["pair.c"], CPPDEFINES=("W", 3))
"""

SPLIT_C = """\
#include "py/dynruntime.h"
#if !defined(SPLIT_A) || !defined(SPLIT_B) || defined(W)
#error "a CPPDEFINES string is split on whitespace"
#endif
mp_obj_t mpy_init(mp_obj_fun_bc_t *self, size_t n_args, size_t n_kw, mp_obj_t *args) {
    MP_DYNRUNTIME_INIT_ENTRY
    mp_store_global(MP_QSTR_proj, mp_obj_new_int(PROJ));
    MP_DYNRUNTIME_INIT_EXIT
}
"""

PAIR_C = """\
#include "py/dynruntime.h"
mp_obj_t mpy_init(mp_obj_fun_bc_t *self, size_t n_args, size_t n_kw, mp_obj_t *args) {
    MP_DYNRUNTIME_INIT_ENTRY
    mp_store_global(MP_QSTR_w, mp_obj_new_int(W));
    MP_DYNRUNTIME_INIT_EXIT
}
"""


def test_cppdefines_forms_keep_their_meaning(tmp_path, run_micropython):
    sconstruct = SCONSTRUCT.replace(
        "toolpath=[natmod_scons.TOOLPATH]", 'toolpath=[natmod_scons.TOOLPATH], CPPDEFINES=[("PROJ", 8)]'
    )
    files = {
        "SConstruct": sconstruct,
        "mods/defs/SConscript": DEFINES_SCONSCRIPT,
        "mods/defs/defs.c": DEFINES_C,
        "mods/defs/split.c": SPLIT_C,
        "mods/defs/pair.c": PAIR_C,
    }
    root = make_repo(tmp_path, files)
    result = run_scons(root, "-j2")
    assert result.returncode == 0, result
    script = tmp_path / "check.py"
    script.write_text("import defs, split, pair\nprint(defs.values(), split.proj, pair.w)\n")
    proc = run_micropython(script, [root / "build" / "x64" / "mods" / "defs"])
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "(16, 2, 5, 4, 8, 6, 7) 8 3"


def test_bad_cppdefines_entry_is_one_line(tmp_path):
    files = {
        "SConstruct": SCONSTRUCT,
        "mods/defs/SConscript": 'Import("env")\nenv.NativeMpy("defs", ["defs.c"], CPPDEFINES=[("A", "1", "2")])\n',
        "mods/defs/defs.c": PAIR_C,
    }
    root = make_repo(tmp_path, files)
    result = run_scons(root)
    assert result.returncode != 0
    errors = [line for line in result.stderr.splitlines() if line.strip()]
    assert errors == [
        "scons: *** natmod: NativeMpy('defs'): CPPDEFINES entry ('A', '1', '2') must be (name, value) "
        "with a string name and a scalar value"
    ], result


# ---------------------------------------------------------------------------------------
# 2: sources made by other builders of the same build (env.Command, Textfile)

MAKE_TABLE_PY = """\
import sys

squares = [i * i for i in range(1, {n} + 1)]
with open(sys.argv[1], "w") as out:
    out.write('#include "py/dynruntime.h"\\n')
    out.write("static const int table[] = {{%s}};\\n" % ", ".join(map(str, squares)))
    out.write("void table_register(void) {{\\n")
    out.write("    int total = 0;\\n")
    out.write("    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) total += table[i];\\n")
    out.write("    mp_store_global(MP_QSTR_TABLE_SUM, mp_obj_new_int(total));\\n")
    out.write("}}\\n")
"""

GEN_MAIN_C = """\
#include "py/dynruntime.h"

void table_register(void);
int version(void);

mp_obj_t mpy_init(mp_obj_fun_bc_t *self, size_t n_args, size_t n_kw, mp_obj_t *args) {
    MP_DYNRUNTIME_INIT_ENTRY
    table_register();
    mp_store_global(MP_QSTR_VERSION, mp_obj_new_int(version()));
    MP_DYNRUNTIME_INIT_EXIT
}
"""

GEN_SCONSCRIPT = """\
import sys
Import("env")
env = env.Clone(tools=["textfile"])
table = env.Command("table.c", "make_table.py", '"%s" $SOURCE $TARGET' % sys.executable)
env.Textfile("version.c", ["int version(void) { return 3; }"])
env.Textfile("extra.py", ["def extra():", "    return TABLE_SUM + 1"])
env.NativeMpy("gen", ["main.c", table, "version.c", "extra.py"])
"""


def test_generated_sources_are_compiled_and_scanned(tmp_path, run_micropython):
    files = {
        "SConstruct": SCONSTRUCT,
        "mods/gen/SConscript": GEN_SCONSCRIPT,
        "mods/gen/main.c": GEN_MAIN_C,
        "mods/gen/make_table.py": MAKE_TABLE_PY.format(n=4),
    }
    root = make_repo(tmp_path, files)
    result = run_scons(root, "-j2")
    assert result.returncode == 0, result
    script = tmp_path / "check.py"
    script.write_text("import gen\nprint(gen.TABLE_SUM, gen.VERSION, gen.extra())\n")
    module_dir = root / "build" / "x64" / "mods" / "gen"
    proc = run_micropython(script, [module_dir])
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "30 3 31"
    assert not (root / "mods" / "gen" / "table.c").exists()  # generated in the build folder only

    write(root, "mods/gen/make_table.py", MAKE_TABLE_PY.format(n=5))
    result = run_scons(root, "-j2")
    assert result.returncode == 0, result
    assert result.names("CC") == ["mods/gen/table.c"], result  # the same qstrs: main.c stays
    assert result.names("LINK") == ["gen.native.mpy"] and result.names("MERGE") == ["gen.mpy"], result
    proc = run_micropython(script, [module_dir])
    assert proc.stdout.strip() == "55 3 56", proc.stderr


# ---------------------------------------------------------------------------------------
# 3: one source folder, two configurations (VARIANT=)

KIND_C = """\
#include "py/dynruntime.h"

int kind_size(void);

mp_obj_t mpy_init(mp_obj_fun_bc_t *self, size_t n_args, size_t n_kw, mp_obj_t *args) {
    MP_DYNRUNTIME_INIT_ENTRY
    mp_store_global(MP_QSTR_SIZE, mp_obj_new_int(kind_size()));
    MP_DYNRUNTIME_INIT_EXIT
}
"""

KIND_OPS_C = """\
#ifdef KIND_INT8
typedef signed char item_t;
#else
typedef float item_t;
#endif
int kind_size(void) {
    return (int)sizeof(item_t);
}
"""

VARIANT_SCONSCRIPT = """\
Import("env")
for kind, define in (("int8", "KIND_INT8"), ("float32", "KIND_FLOAT32")):
    env.NativeMpy("kind_" + kind, ["kind.c", "ops/ops.c", "names.py"], CPPDEFINES=[define], VARIANT=kind)
"""


def _variant_files(sconscript: str) -> dict[str, str]:
    return {
        "SConstruct": SCONSTRUCT,
        "mods/kind/SConscript": sconscript,
        "mods/kind/kind.c": KIND_C,
        "mods/kind/ops/ops.c": KIND_OPS_C,
        "mods/kind/names.py": "def name():\n    return __name__\n",
    }


def test_one_folder_builds_two_variants(tmp_path, run_micropython):
    root = make_repo(tmp_path, _variant_files(VARIANT_SCONSCRIPT))
    result = run_scons(root, "-j2")
    assert result.returncode == 0, result
    build = root / "build" / "x64" / "mods" / "kind"
    for kind in ("int8", "float32"):
        assert (build / kind / "ops" / "ops.o").is_file() and (build / kind / "names.py.mpy").is_file()
    script = tmp_path / "check.py"
    script.write_text("import kind_int8, kind_float32\nprint(kind_int8.SIZE, kind_float32.SIZE)\n")
    proc = run_micropython(script, [build])
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "1 4"

    write(root, "mods/kind/ops/ops.c", KIND_OPS_C + "int kind_unused(void) { return 0; }\n")
    result = run_scons(root, "-j2")
    assert result.returncode == 0, result
    assert result.names("CC") == ["mods/kind/ops/ops.c", "mods/kind/ops/ops.c"], result
    assert result.names("LINK") == ["kind_float32.native.mpy", "kind_int8.native.mpy"], result


def test_two_configurations_without_variant_name_the_keyword(tmp_path):
    sconscript = VARIANT_SCONSCRIPT.replace(", VARIANT=kind", "")
    root = make_repo(tmp_path, _variant_files(sconscript))
    result = run_scons(root)
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        "scons: *** natmod: NativeMpy('kind_float32') [x64]: kind.o is also built by module 'kind_int8' in "
        "build/x64/mods/kind: give one of them VARIANT='...' (its objects then go to a folder of that name)"
    ], result


def test_bad_variant_is_one_line(tmp_path):
    root = make_repo(tmp_path, _variant_files(VARIANT_SCONSCRIPT.replace("VARIANT=kind", "VARIANT='../x'")))
    result = run_scons(root)
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        "scons: *** natmod: NativeMpy('kind_int8'): VARIANT='../x' must be a plain folder name "
        "(letters, digits, _ . + -), e.g. VARIANT='int8'"
    ], result


# ---------------------------------------------------------------------------------------
# 4: per-file mpy-cross options (MPY_CROSS_FLAGS as a dict by file)

PYMOD_C = """\
#include "py/dynruntime.h"
mp_obj_t mpy_init(mp_obj_fun_bc_t *self, size_t n_args, size_t n_kw, mp_obj_t *args) {
    MP_DYNRUNTIME_INIT_ENTRY
    MP_DYNRUNTIME_INIT_EXIT
}
"""

PYMOD_SCONSCRIPT = """\
Import("env")
env.NativeMpy("pymod", ["pymod.c", "util.py", "other.py"], MPY_CROSS_FLAGS={flags})
"""

PYMOD_CHECK = """\
import pymod
try:
    pymod.boom()
except ValueError as exc:
    print(exc)
print(pymod.debug(), pymod.where())
"""


def _stored_names(path: Path) -> set[str]:
    """The qstrs of a merged module (each bytecode file's source name is one of them)."""
    return {q.data.decode() for q in read_mpy(path.read_bytes(), path.name).qstrs if not q.is_static}


def test_mpy_cross_flags_per_file(tmp_path, run_micropython):
    files = {
        "SConstruct": SCONSTRUCT,
        "mods/pymod/SConscript": PYMOD_SCONSCRIPT.format(flags='{"util.py": ["-s", "lib/util.py"], "other.py": "-O1"}'),
        "mods/pymod/pymod.c": PYMOD_C,
        "mods/pymod/util.py": 'def boom():\n    raise ValueError("boom")\n',
        "mods/pymod/other.py": "def debug():\n    return __debug__\n\ndef where():\n    return 1\n",
    }
    root = make_repo(tmp_path, files)
    result = run_scons(root, "-j2")
    assert result.returncode == 0, result
    script = tmp_path / "check.py"
    script.write_text(PYMOD_CHECK)
    module_dir = root / "build" / "x64" / "mods" / "pymod"
    proc = run_micropython(script, [module_dir])
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == "False 1", proc.stdout  # other.py's own -O1
    assert _stored_names(module_dir / "pymod.mpy") & {"lib/util.py", "util.py", "other.py"} == {
        "lib/util.py",  # util.py's own -s
        "other.py",  # the tool's default: the path in the module folder
    }

    write(root, "mods/pymod/SConscript", PYMOD_SCONSCRIPT.format(flags='{"util.py": ["-s", "src/util.py"]}'))
    result = run_scons(root, "-j2")
    assert result.returncode == 0, result
    assert result.names("MPY") == ["mods/pymod/other.py", "mods/pymod/util.py"], result
    assert result.names("CC") == [], result
    proc = run_micropython(script, [module_dir])
    assert proc.stdout.strip().splitlines()[-1] == "True 1", proc.stdout
    assert "src/util.py" in _stored_names(module_dir / "pymod.mpy")


def test_mpy_cross_flags_for_an_unknown_file_is_one_line(tmp_path):
    files = {
        "SConstruct": SCONSTRUCT,
        "mods/pymod/SConscript": PYMOD_SCONSCRIPT.format(flags='{"utils.py": "-O1"}'),
        "mods/pymod/pymod.c": PYMOD_C,
        "mods/pymod/util.py": "X = 1\n",
        "mods/pymod/other.py": "Y = 2\n",
    }
    root = make_repo(tmp_path, files)
    result = run_scons(root)
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        "scons: *** natmod: NativeMpy('pymod'): MPY_CROSS_FLAGS names utils.py, which is not a .py source of "
        "the module (its .py sources: mods/pymod/util.py, mods/pymod/other.py)"
    ], result


# ---------------------------------------------------------------------------------------
# 5: -I / -isystem / -include written in CFLAGS are dependencies too

FLAGI_C = """\
#include "py/dynruntime.h"
#include "value.h"
#include <sysval.h>

int plain_value(void);

mp_obj_t mpy_init(mp_obj_fun_bc_t *self, size_t n_args, size_t n_kw, mp_obj_t *args) {
    MP_DYNRUNTIME_INIT_ENTRY
    mp_store_global(MP_QSTR_VALUE, mp_obj_new_int(VALUE * 100 + SYSVAL * 10 + plain_value()));
    MP_DYNRUNTIME_INIT_EXIT
}
"""

FLAGI_SCONSCRIPT = """\
Import("env")
inc = Dir("inc").srcnode().abspath  # absolute, as `-I$(abspath inc)` in a Makefile
cflags = ["-I" + inc, "-isystem", "mods/flagi/sys", "-include", "mods/flagi/forced.h"]  # relative: to the top
env.NativeMpy("flagi", ["flagi.c", "plain.c"], CFLAGS=cflags)
"""


def test_include_options_in_cflags_are_tracked(tmp_path, run_micropython):
    files = {
        "SConstruct": SCONSTRUCT,
        "mods/flagi/SConscript": FLAGI_SCONSCRIPT,
        "mods/flagi/flagi.c": FLAGI_C,
        "mods/flagi/plain.c": "int plain_value(void) {\n    return FORCED;\n}\n",
        "mods/flagi/inc/value.h": "#define VALUE 1\n",
        "mods/flagi/sys/sysval.h": "#define SYSVAL 2\n",
        "mods/flagi/forced.h": "#define FORCED 3\n",
    }
    root = make_repo(tmp_path, files)
    script = tmp_path / "check.py"
    script.write_text("import flagi\nprint(flagi.VALUE)\n")
    module_dir = root / "build" / "x64" / "mods" / "flagi"
    result = run_scons(root, "-j2")
    assert result.returncode == 0, result
    assert run_micropython(script, [module_dir]).stdout.strip() == "123"

    for header, text, compiled, value in (
        ("inc/value.h", "#define VALUE 4\n", ["mods/flagi/flagi.c"], "423"),
        ("sys/sysval.h", "#define SYSVAL 5\n", ["mods/flagi/flagi.c"], "453"),
        ("forced.h", "#define FORCED 6\n", ["mods/flagi/flagi.c", "mods/flagi/plain.c"], "456"),
    ):
        write(root, f"mods/flagi/{header}", text)
        result = run_scons(root, "-j2")
        assert result.returncode == 0, result
        assert result.names("CC") == compiled, (header, result)
        assert run_micropython(script, [module_dir]).stdout.strip() == value, header
    assert run_scons(root, "-j2").names("CC") == []


# ---------------------------------------------------------------------------------------
# 6: LINK_RUNTIME="libgcc": the compiler's helpers without libm/libc pieces

DIV64_C = """\
#include "py/dynruntime.h"

static mp_obj_t div64(mp_obj_t a_in, mp_obj_t b_in) {
    long long a = (long long)(mp_int_t)mp_obj_get_int(a_in) * 1000000007LL;  // 64-bit: libgcc on 32-bit arches
    long long b = (mp_int_t)mp_obj_get_int(b_in);
    return mp_obj_new_int((mp_int_t)(a / b % 1000));
}
static MP_DEFINE_CONST_FUN_OBJ_2(div64_obj, div64);

mp_obj_t mpy_init(mp_obj_fun_bc_t *self, size_t n_args, size_t n_kw, mp_obj_t *args) {
    MP_DYNRUNTIME_INIT_ENTRY
    mp_store_global(MP_QSTR_div64, MP_OBJ_FROM_PTR(&div64_obj));
    MP_DYNRUNTIME_INIT_EXIT
}
"""

LIBGCC_FILES = {
    "SConstruct": SCONSTRUCT,
    "mods/div/SConscript": 'Import("env")\nenv.NativeMpy("div", ["div.c"], LINK_RUNTIME="libgcc")\n',
    "mods/div/div.c": DIV64_C,
    "mods/maths/SConscript": 'Import("env")\nenv.NativeMpy("maths", ["maths.c"], LINK_RUNTIME="libgcc")\n',
    "mods/maths/maths.c": ERRNO_USER_C.replace("int *__errno(void);", ERRNO_MAP_C),
}


@pytest.mark.parametrize("arch", ["armv6m", "rv32imc"])
def test_link_runtime_libgcc_links_libgcc_only(arch, tmp_path, installed_arches):
    if arch not in installed_arches:
        skip_or_fail(f"no {arch} compiler (tools/bootstrap.sh installs it)")
    files = dict(LIBGCC_FILES)
    root = make_repo(tmp_path, files)
    result = run_scons(root, f"ARCH={arch}", "build/" + arch + "/mods/div")
    assert result.returncode == 0, result
    assert result.names("CC") == ["mods/div/div.c"], result  # no errno support archive
    data = (root / "build" / arch / "mods" / "div" / "div.mpy").read_bytes()
    assert validate(read_mpy(data, "div.mpy")) == []
    # sqrt is in libm, which "libgcc" leaves out: the link names it
    result = run_scons(root, f"ARCH={arch}", "build/" + arch + "/mods/maths")
    assert result.returncode != 0
    errors = [line for line in result.stderr.splitlines() if "LinkError" in line]
    assert len(errors) == 1 and "sqrt" in errors[0] and "Traceback" not in result.stderr, result


def test_link_runtime_libgcc_on_the_command_line_runs_on_x64(tmp_path, run_micropython):
    files = dict(LIBGCC_FILES)
    files["mods/div/SConscript"] = 'Import("env")\nenv.NativeMpy("div", ["div.c"])\n'
    del files["mods/maths/SConscript"]
    root = make_repo(tmp_path, files)
    result = run_scons(root, "LINK_RUNTIME=libgcc", "--debug=explain")
    assert result.returncode == 0, result
    assert result.names("CC") == ["mods/div/div.c"], result
    script = tmp_path / "check.py"
    script.write_text("import div\nprint(div.div64(123456, 7))\n")
    proc = run_micropython(script, [root / "build" / "x64" / "mods" / "div"])
    assert proc.stdout.strip() == str(123456 * 1000000007 // 7 % 1000), proc.stderr
    result = run_scons(root, "LINK_RUNTIME=libgcc")
    assert result.names("LINK") == [], result
    result = run_scons(root, "LINK_RUNTIME=0")  # the libraries are part of the link's signature
    assert result.names("LINK") == ["div.mpy"] and result.names("CC") == [], result


@pytest.mark.parametrize(
    "where, wanted",
    [
        ("keyword", "scons: *** natmod: NativeMpy('div'): LINK_RUNTIME='libm': use 1 (libgcc, libm and errno "
         "support), libgcc (libgcc only) or 0 (nothing)"),
        ("command line", "scons: *** natmod: LINK_RUNTIME='libm': use 1 (libgcc, libm and errno support), "
         "libgcc (libgcc only) or 0 (nothing)"),
    ],
)  # fmt: skip
def test_bad_link_runtime_is_one_line(where, wanted, tmp_path):
    files = {"SConstruct": SCONSTRUCT, "mods/div/div.c": DIV64_C}
    keyword = ', LINK_RUNTIME="libm"' if where == "keyword" else ""
    files["mods/div/SConscript"] = f'Import("env")\nenv.NativeMpy("div", ["div.c"]{keyword})\n'
    root = make_repo(tmp_path, files)
    result = run_scons(root, *(["LINK_RUNTIME=libm"] if where == "command line" else []))
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [wanted], result
