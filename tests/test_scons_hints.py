"""Link errors under SCons speak SCons: LINK_RUNTIME=1, LIBS=, EXTERNS= (never -l or --externs).

Also the promises behind that advice: LINK_RUNTIME=1 means compiler support and
maths on every arch (a libc call is the same error everywhere), and xtensa's
division helpers come from the ESP8266 ROM without any setting.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import skip_or_fail
from scons_support import SCONSTRUCT, make_repo, run_scons

from natmod_tool.mpy.reader import read_mpy, validate

CALC_C = """
#include "py/dynruntime.h"
int printf(const char *format, ...);
extern int nowhere(int);

static mp_obj_t modit(mp_obj_t a, mp_obj_t b) {
    unsigned int x = mp_obj_get_int(a), y = mp_obj_get_int(b);
    return mp_obj_new_int(x % y);
}
static MP_DEFINE_CONST_FUN_OBJ_2(modit_obj, modit);

#ifdef WITH_PRINTF
static mp_obj_t hello(void) { printf("hi %d\\n", 3); return mp_const_none; }
#else
static mp_obj_t hello(void) { return mp_obj_new_int(0); }
#endif
static MP_DEFINE_CONST_FUN_OBJ_0(hello_obj, hello);

#ifdef WITH_NOWHERE
static mp_obj_t where(void) { return mp_obj_new_int(nowhere(2)); }
static MP_DEFINE_CONST_FUN_OBJ_0(where_obj, where);
#endif

mp_obj_t mpy_init(mp_obj_fun_bc_t *self, size_t n_args, size_t n_kw, mp_obj_t *args) {
    MP_DYNRUNTIME_INIT_ENTRY
    mp_store_global(MP_QSTR_modit, MP_OBJ_FROM_PTR(&modit_obj));
    mp_store_global(MP_QSTR_hello, MP_OBJ_FROM_PTR(&hello_obj));
#ifdef WITH_NOWHERE
    mp_store_global(MP_QSTR_where, MP_OBJ_FROM_PTR(&where_obj));
#endif
    MP_DYNRUNTIME_INIT_EXIT
}
"""


def repo(root: Path, *defines: str, link_runtime: bool = False) -> Path:
    extra = ", LINK_RUNTIME=1" if link_runtime else ""
    sconscript = f'Import("env")\nenv.NativeMpy("calc", ["calc.c"], CPPDEFINES={list(defines)!r}{extra})\n'
    return make_repo(root, {"SConstruct": SCONSTRUCT, "mods/calc/SConscript": sconscript, "mods/calc/calc.c": CALC_C})


def link_error(result) -> str:
    lines = [line for line in result.stderr.splitlines() if line.startswith("scons: ***")]
    assert result.returncode != 0 and len(lines) == 1, result
    assert "Traceback" not in result.stderr
    return lines[0]


def need(arch: str, installed_arches) -> None:
    if arch not in installed_arches:
        skip_or_fail(f"no {arch} toolchain: run tools/bootstrap.sh")


def test_division_helper_says_link_runtime(tmp_path, mpy_dir, installed_arches):
    need("armv6m", installed_arches)
    result = run_scons(repo(tmp_path), "ARCH=armv6m")
    line = link_error(result)
    assert line.endswith(
        "LinkError [armv6m]: build/armv6m/mods/calc/calc.o: undefined symbol: __aeabi_uidivmod "
        "(used in modit): compiler support routine: set LINK_RUNTIME=1"
    ), line
    assert run_scons(tmp_path, "ARCH=armv6m", "LINK_RUNTIME=1").returncode == 0  # the advice works


def test_unknown_symbol_speaks_of_libs_and_externs(tmp_path, mpy_dir):
    line = link_error(run_scons(repo(tmp_path, "WITH_NOWHERE")))
    assert line.endswith(
        "build/x64/mods/calc/calc.o: undefined symbol: nowhere (used in where) "
        "(define them, add the library that has them to LIBS=, or list them in EXTERNS=)"
    ), line
    assert "-l" not in line.split("LinkError")[1] and "--externs" not in line


@pytest.mark.parametrize("arch", ["x64", "armv7m", "rv32imc"])
def test_link_runtime_never_lends_printf(arch, tmp_path, mpy_dir, installed_arches):
    """LINK_RUNTIME=1 is compiler support + maths everywhere: printf is the same error on every arch."""
    need(arch, installed_arches)
    line = link_error(run_scons(repo(tmp_path, "WITH_PRINTF", link_runtime=True), f"ARCH={arch}"))
    assert line.endswith(
        f"LinkError [{arch}]: build/{arch}/mods/calc/calc.o: undefined symbol: printf (used in hello): "
        "natmods have no C library: use mp_printf(&mp_plat_print, ...)"
    ), line


def test_xtensa_division_comes_from_the_rom(tmp_path, mpy_dir, installed_arches):
    """32-bit `%` on the ESP8266 links without any setting: __umodsi3 is the ROM's."""
    need("xtensa", installed_arches)
    result = run_scons(repo(tmp_path), "ARCH=xtensa")
    assert result.returncode == 0, result
    data = (tmp_path / "build/xtensa/mods/calc/calc.mpy").read_bytes()
    assert validate(read_mpy(data, "calc.mpy")) == []
    assert (0x4000E268).to_bytes(4, "little") in data
