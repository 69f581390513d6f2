"""The test runtimes (natmod_tool.testrt): real natmods run on every arch's own CPU.

One SCons run (session fixture) builds, with the project's SCons tool, a few examples,
a deliberately broken module (`faulty`) and one of integer helper calls (`intops`) for
every runtime arch in a scratch folder.  Each arch's runtime is built (or found in the per-user cache) once.  Then
scripts run on them: hosted for x86/x64, under qemu for the ARM and RISC-V boards and
the xtensa sim machine.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import REPO_ROOT, show, skip_or_fail

from natmod_tool.errors import NatmodError
from natmod_tool.testrt import TARGETS, ensure_runtime, runtime_problem
from natmod_tool.toolchains import toolchain

pytestmark = pytest.mark.runtime

RUNTIME_ARCHES = list(TARGETS)
EXAMPLES = ("factorial", "exceptions", "heap", "floats")
#: a cold build of all runtimes takes minutes on two shared cores
BUILD_TIMEOUT = 30 * 60
#: a run is allowed this long; a fault must end the run well before it
RUN_TIMEOUT = 60.0

FAULTY_C = r"""
// Deliberately broken natmod: a Thumb-2 instruction in an armv6m module, a wild jump.
#include "py/dynruntime.h"

// mov.w r0, #7 is a 32-bit Thumb-2 encoding: ARMv6-M (Cortex-M0) does not have it, so
// on the M0 board it must fault; on the other arches it is a plain `return 7`.
static mp_obj_t thumb2(void) {
    mp_int_t value;
#if defined(__thumb__) && !defined(__thumb2__)
    __asm__ volatile (".inst.w 0xf04f0007\n mov %0, r0" : "=r" (value) : : "r0");
#else
    value = 7;
#endif
    return mp_obj_new_int(value);
}
static MP_DEFINE_CONST_FUN_OBJ_0(thumb2_obj, thumb2);

// Call code where there is none: a user process' null page on x86/x64, the unmapped
// top of the address space on RISC-V; on ARM an address without the Thumb bit (an
// ARM-state branch, which every Cortex-M faults on: the microbit's qemu model, with
// no MPU, would otherwise fetch zeros there and run on).
#if defined(__x86_64__) || defined(__i386__)
#define NOWHERE 0x10u
#else
#define NOWHERE 0xf0000000u
#endif
static mp_obj_t jump(void) {
    void (*volatile target)(void) = (void (*)(void))(uintptr_t)NOWHERE;
    target();
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_0(jump_obj, jump);

// A float add: on xtensa a call to the ESP8266 ROM's __addsf3, which qemu's sim machine
// has no ROM for: the runtime's ROM table must name it and end the run.  Elsewhere a
// plain number (soft-float helpers would need LINK_RUNTIME=1 on some arches).
static mp_obj_t romfloat(void) {
#if defined(__xtensa__)
    union { uint32_t bits; float value; } one = {0x3f800000u}, sum;
    volatile float x = one.value;
    sum.value = x + x;
    return mp_obj_new_int_from_uint(sum.bits);
#else
    return mp_obj_new_int(0);
#endif
}
static MP_DEFINE_CONST_FUN_OBJ_0(romfloat_obj, romfloat);

mp_obj_t mpy_init(mp_obj_fun_bc_t *self, size_t n_args, size_t n_kw, mp_obj_t *args) {
    MP_DYNRUNTIME_INIT_ENTRY
    mp_store_global(MP_QSTR_thumb2, MP_OBJ_FROM_PTR(&thumb2_obj));
    mp_store_global(MP_QSTR_jump, MP_OBJ_FROM_PTR(&jump_obj));
    mp_store_global(MP_QSTR_romfloat, MP_OBJ_FROM_PTR(&romfloat_obj));
    MP_DYNRUNTIME_INIT_EXIT
}
"""

INTOPS_C = r"""
// Integer division, remainder and multiplication at 32 and 64 bits: on 32-bit cores
// compiler helpers (libgcc, LINK_RUNTIME=1), on xtensa also the ESP8266 ROM's, which
// the xtensa runtime provides at the ROM's addresses.  ops(a, b): a and b as 8 bytes,
// little-endian; the results as 8 bytes each, in the order of `results` below.
#include "py/dynruntime.h"

static uint64_t get8(mp_obj_t obj) {
    mp_buffer_info_t buf;
    mp_get_buffer_raise(obj, &buf, MP_BUFFER_READ);
    const uint8_t *p = buf.buf;
    uint64_t value = 0;
    for (int i = 7; i >= 0; i--) {
        value = (value << 8) | p[i];
    }
    return value;
}

static mp_obj_t ops(mp_obj_t a_in, mp_obj_t b_in) {
    volatile uint64_t ua = get8(a_in), ub = get8(b_in);
    volatile int64_t sa = (int64_t)ua, sb = (int64_t)ub;
    volatile uint32_t ua32 = (uint32_t)ua, ub32 = (uint32_t)ub;
    volatile int32_t sa32 = (int32_t)ua32, sb32 = (int32_t)ub32;
    uint64_t results[10] = {
        (uint64_t)(sa / sb), (uint64_t)(sa % sb), ua / ub, ua % ub, ua * ub,
        (uint64_t)(int64_t)(sa32 / sb32), (uint64_t)(int64_t)(sa32 % sb32), ua32 / ub32, ua32 % ub32,
        (uint64_t)ua32 * ub32,
    };
    uint8_t out[80];
    for (int i = 0; i < 80; i++) {
        out[i] = (uint8_t)(results[i / 8] >> (8 * (i % 8)));
    }
    return mp_obj_new_bytes(out, sizeof(out));
}
static MP_DEFINE_CONST_FUN_OBJ_2(ops_obj, ops);

mp_obj_t mpy_init(mp_obj_fun_bc_t *self, size_t n_args, size_t n_kw, mp_obj_t *args) {
    MP_DYNRUNTIME_INIT_ENTRY
    mp_store_global(MP_QSTR_ops, MP_OBJ_FROM_PTR(&ops_obj));
    MP_DYNRUNTIME_INIT_EXIT
}
"""

#: operand pairs for intops: signs, word edges, values past 32 bits, remainders of all signs;
#: never a zero divisor nor INT_MIN / -1 in either width (undefined in C, a trap on x86)
INTOPS_PAIRS = [
    (7, 2),
    (-7, 2),
    (7, -2),
    (-7, -2),
    (0, 5),
    (1, 1),
    (0x7FFFFFFF, 3),
    (-0x80000000, 7),
    (0xFFFFFFFF, 0x10000),
    (0x80000000, 0xFFFFFFFE),
    (123456789, 1000),
    (-1, 0xFFFFFFFF),
    (0x123456789ABCDEF, 0x1000003),
    (-0x123456789ABCDEF, 97),
    (2**63 - 1, -3),
    (-(2**63), 5),
    (0xFFFFFFFFFFFFFFFF, 0xFFFFFFFF),
    (0x8000000000000001, 0x8000000000000003),
    (10**18, 10**9 + 7),
]


def _c_div(a: int, b: int) -> tuple[int, int]:
    """C's truncating division and its remainder."""
    q = abs(a) // abs(b) * (1 if (a < 0) == (b < 0) else -1)
    return q, a - q * b


def expected_intops(a: int, b: int) -> list[int]:
    """What INTOPS_C's ops returns for a and b (two's complement, 64 and 32 bits)."""
    mask64, mask32 = 2**64 - 1, 2**32 - 1

    def signed(value: int, bits: int) -> int:
        value &= (1 << bits) - 1
        return value - (1 << bits) if value >> (bits - 1) else value

    ua, ub = a & mask64, b & mask64
    sa, sb = signed(a, 64), signed(b, 64)
    ua32, ub32 = a & mask32, b & mask32
    sa32, sb32 = signed(a, 32), signed(b, 32)
    assert sb and sb32 and (sa, sb) != (-(2**63), -1) and (sa32, sb32) != (-(2**31), -1), (a, b)
    values = [*_c_div(sa, sb), ua // ub, ua % ub, ua * ub, *_c_div(sa32, sb32), ua32 // ub32, ua32 % ub32, ua32 * ub32]
    return list(b"".join((v & mask64).to_bytes(8, "little") for v in values))


def intops_script() -> str:
    lines = ["import intops", "def le(v):", "    return bytes((v >> (8 * i)) & 255 for i in range(8))"]
    lines += [f"print(list(intops.ops(le({a & (2**64 - 1)}), le({b & (2**64 - 1)}))))" for a, b in INTOPS_PAIRS]
    return "\n".join(lines) + "\n"


#: floats without float literals in the script (rv32imc/rv64imc runtimes have no floats)
FLOATS_PY = """\
import floats
print("has float:", floats.HAS_FLOAT)
if floats.HAS_FLOAT:
    print("bits:", floats.FLOAT_BITS)
    print("mean:", floats.mean([1, 2, 3, 4]), floats.poly(2, [1, 0, 3]), floats.to_fixed(3, 4))
    try:
        floats.mean([])
    except ValueError as e:
        print("ValueError:", e)
"""


def expected_floats(arch: str) -> str:
    impl = toolchain(arch).float_impl
    if impl == "NONE":
        return "has float: False\n"
    bits = 64 if impl == "DOUBLE" else 32
    return f"has float: True\nbits: {bits}\nmean: 2.5 13.0 48\nValueError: mean() of an empty sequence\n"


def scons_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH", "")) if p)
    return env


@pytest.fixture(scope="session")
def natmods(tmp_path_factory, scons_command, installed_arches, mpy_dir) -> Path:
    """build/<arch>/mods/<name>/<name>.mpy for the examples above and `faulty`, every runtime arch."""
    arches = [a for a in RUNTIME_ARCHES if a in installed_arches]
    if not arches:
        skip_or_fail("no compiler for any runtime arch is installed")
    top = tmp_path_factory.mktemp("testrt-natmods")
    (top / "SConstruct").write_text(
        "DefaultEnvironment(tools=[])\n"
        'env = Environment(tools=["natmod"])\n'
        'env.NativeMpyProject(["mods/*/SConscript"])\n'
    )
    shutil.copytree(REPO_ROOT / "site_scons", top / "site_scons", ignore=shutil.ignore_patterns("__pycache__"))
    for name in EXAMPLES:
        shutil.copytree(REPO_ROOT / "examples" / name, top / "mods" / name)
    (top / "mods" / "faulty").mkdir()
    (top / "mods" / "faulty" / "faulty.c").write_text(FAULTY_C)
    (top / "mods" / "faulty" / "SConscript").write_text('Import("env")\nenv.NativeMpy("faulty", ["faulty.c"])\n')
    (top / "mods" / "intops").mkdir()
    (top / "mods" / "intops" / "intops.c").write_text(INTOPS_C)
    (top / "mods" / "intops" / "SConscript").write_text(
        'Import("env")\nenv.NativeMpy("intops", ["intops.c"], LINK_RUNTIME=1)\n'
    )
    done = subprocess.run(
        [*scons_command, "-C", str(top), "-j2", f"ARCH={','.join(arches)}", f"MPY_DIR={mpy_dir}"],
        env=scons_env(),
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT,
        check=False,
    )
    assert done.returncode == 0, f"building the natmods failed:\n{done.stdout[-3000:]}{done.stderr[-3000:]}"
    return top / "build"


def mod_dir(natmods: Path, arch: str, name: str) -> Path:
    folder = natmods / arch / "mods" / name
    assert (folder / f"{name}.mpy").is_file(), f"{name}.mpy was not built for {arch}"
    return folder


def write_script(tmp_path: Path, text: str, name: str = "check.py") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


# ---------------------------------------------------------------------------------------
# the examples on every arch


@pytest.mark.parametrize("arch", RUNTIME_ARCHES)
@pytest.mark.parametrize("name", ["factorial", "exceptions", "heap"])
def test_example_runs(arch, name, natmods, runtime):
    """Examples whose output is the same on every CPU: exactly their .exp."""
    rt = runtime(arch)
    script = REPO_ROOT / "examples" / name / f"test_{name}.py"
    result = rt.run(script, [mod_dir(natmods, arch, name)], timeout=RUN_TIMEOUT)
    assert result.returncode == 0, show(result)
    assert result.output == (REPO_ROOT / "examples" / name / f"test_{name}.exp").read_text()


@pytest.mark.parametrize("arch", RUNTIME_ARCHES)
def test_floats_match_the_arch_float_type(arch, natmods, runtime, tmp_path):
    """The firmware's float type is the natmods' one: single on most ARM, double on M7/x86/x64, none on RISC-V."""
    rt = runtime(arch)
    result = rt.run(write_script(tmp_path, FLOATS_PY), [mod_dir(natmods, arch, "floats")], timeout=RUN_TIMEOUT)
    assert result.returncode == 0, show(result)
    assert result.output == expected_floats(arch)


@pytest.mark.parametrize("arch", RUNTIME_ARCHES)
def test_integer_helpers_follow_c(arch, natmods, runtime, tmp_path):
    """32/64-bit division, remainder and multiply in a natmod equal C's results: libgcc's
    helpers everywhere, and on xtensa the ESP8266 ROM routines the runtime provides."""
    rt = runtime(arch)
    result = rt.run(write_script(tmp_path, intops_script()), [mod_dir(natmods, arch, "intops")], timeout=RUN_TIMEOUT)
    assert result.returncode == 0, show(result)
    expected = [str(expected_intops(a, b)) for a, b in INTOPS_PAIRS]
    assert result.output.splitlines() == expected, show(result)


# ---------------------------------------------------------------------------------------
# failures are reported, promptly


def test_thumb2_instruction_faults_on_the_cortex_m0(natmods, runtime, tmp_path):
    """The armv6m board is a real M0: a Thumb-2 instruction in a module is a HardFault, reported."""
    rt = runtime("armv6m")
    script = write_script(tmp_path, "import faulty\nprint('loaded')\nprint(faulty.thumb2())\nprint('not reached')\n")
    started = time.monotonic()
    result = rt.run(script, [mod_dir(natmods, "armv6m", "faulty")], timeout=RUN_TIMEOUT)
    elapsed = time.monotonic() - started
    assert result.returncode == 1, show(result)
    assert not result.timed_out
    assert result.output.startswith("loaded\n"), show(result)
    assert "natmod-testrt: FATAL: HardFault" in result.output, show(result)
    assert "not reached" not in result.output
    assert elapsed < RUN_TIMEOUT / 4, f"the fault took {elapsed:.1f} s to end the run"


def test_thumb2_instruction_runs_on_the_cortex_m3(natmods, runtime, tmp_path):
    """The same source built for armv7m (Thumb-2 allowed) runs: the fault above is the M0's."""
    rt = runtime("armv7m")
    script = write_script(tmp_path, "import faulty\nprint(faulty.thumb2())\n")
    result = rt.run(script, [mod_dir(natmods, "armv7m", "faulty")], timeout=RUN_TIMEOUT)
    assert (result.returncode, result.output) == (0, "7\n"), show(result)


@pytest.mark.parametrize("arch", RUNTIME_ARCHES)
def test_wild_jump_ends_the_run_with_a_message(arch, natmods, runtime, tmp_path):
    rt = runtime(arch)
    script = write_script(tmp_path, "import faulty\nprint('calling')\nfaulty.jump()\nprint('not reached')\n")
    started = time.monotonic()
    result = rt.run(script, [mod_dir(natmods, arch, "faulty")], timeout=RUN_TIMEOUT)
    elapsed = time.monotonic() - started
    assert result.returncode == 1 and not result.timed_out, show(result)
    assert result.output.startswith("calling\n"), show(result)
    assert "\nnatmod-testrt: FATAL: " in result.output, show(result)
    assert "not reached" not in result.output
    assert elapsed < RUN_TIMEOUT / 4, f"the fault took {elapsed:.1f} s to end the run"


def test_missing_rom_routine_ends_the_xtensa_run_with_its_name(natmods, runtime, tmp_path):
    """A natmod calling a ROM routine the sim machine lacks (float add) gets a message, not a hang."""
    rt = runtime("xtensa")
    script = write_script(tmp_path, "import faulty\nprint('calling')\nprint(faulty.romfloat())\n")
    result = rt.run(script, [mod_dir(natmods, "xtensa", "faulty")], timeout=RUN_TIMEOUT)
    assert result.returncode == 1 and not result.timed_out, show(result)
    assert result.output.startswith("calling\n"), show(result)
    assert "natmod-testrt: FATAL: called the ESP8266 ROM routine __addsf3, which the xtensa test runtime" in (
        result.output
    ), show(result)


def test_wrong_arch_module_is_refused(natmods, runtime, tmp_path):
    """An x64 .mpy on the Cortex-M3: MicroPython's own loader check, as a traceback."""
    rt = runtime("armv7m")
    script = write_script(tmp_path, "import factorial\n")
    result = rt.run(script, [mod_dir(natmods, "x64", "factorial")], timeout=RUN_TIMEOUT)
    assert result.returncode == 1, show(result)
    assert result.output.endswith("ValueError: incompatible .mpy arch\n"), show(result)


def test_armv6m_module_loads_on_the_cortex_m3(natmods, runtime, tmp_path):
    """A Cortex-M3 firmware accepts armv6m..armv7m modules (py/persistentcode.h)."""
    rt = runtime("armv7m")
    script = write_script(tmp_path, "import factorial\nprint(factorial.factorial(6))\n")
    result = rt.run(script, [mod_dir(natmods, "armv6m", "factorial")], timeout=RUN_TIMEOUT)
    assert (result.returncode, result.output) == (0, "720\n"), show(result)


@pytest.mark.parametrize("arch", ["x64", "armv7m", "rv32imc", "xtensa"])
def test_exit_status(arch, runtime, tmp_path):
    rt = runtime(arch)
    cases = {
        "print('ok')\n": (0, "ok\n"),
        "import sys\nprint('bye')\nsys.exit(3)\n": (3, "bye\n"),
        "import sys\nsys.exit()\n": (0, ""),
        "raise KeyError('k')\n": (1, None),
    }
    for i, (text, (status, output)) in enumerate(cases.items()):
        result = rt.run(write_script(tmp_path, text, f"s{i}.py"), [], timeout=RUN_TIMEOUT)
        if status != 0 and rt.target.family in ("cortexm", "riscv"):
            # qemu's AArch32/RV32 semihosting exit carries no code: any failure is 1
            # (the xtensa simulator call passes the status on)
            status = 1
        assert result.returncode == status, f"{text!r}: {show(result)}"
        if output is None:
            assert result.output.startswith("Traceback (most recent call last):\n"), show(result)
            assert result.output.endswith("KeyError: k\n"), show(result)
        else:
            assert result.output == output, show(result)


@pytest.mark.parametrize("arch", ["x64", "armv7m"])
def test_endless_script_times_out(arch, runtime, tmp_path):
    rt = runtime(arch)
    script = write_script(tmp_path, "print('start')\nwhile True:\n    pass\n")
    started = time.monotonic()
    result = rt.run(script, [], timeout=3)
    assert result.timed_out and result.returncode != 0, show(result)
    assert time.monotonic() - started < 20


# ---------------------------------------------------------------------------------------
# paths, the command line, the cache


@pytest.mark.parametrize("arch", ["armv7m", "xtensa"])
def test_paths_with_spaces_commas_and_percent_signs(arch, natmods, runtime, tmp_path):
    """qemu's option syntax (commas) and the semihosting command line (spaces) are escaped;
    the xtensa simulator calls pass arguments one by one, with the same escapes."""
    rt = runtime(arch)
    odd = tmp_path / "a dir, with 100% odd"
    shutil.copytree(mod_dir(natmods, arch, "factorial"), odd / "mods")
    script = write_script(odd, "import sys, factorial\nprint(sys.argv[0].split('/')[-2], factorial.factorial(4))\n")
    result = rt.run(script, [odd / "mods"], timeout=RUN_TIMEOUT)
    assert (result.returncode, result.output) == (0, "a dir, with 100% odd 24\n"), show(result)


def test_command_reruns_the_script_alone(natmods, runtime, tmp_path):
    rt = runtime("rv64imc")
    script = write_script(tmp_path, "import factorial\nprint(factorial.factorial(20))\n")
    argv = rt.command(script, [mod_dir(natmods, "rv64imc", "factorial")])
    done = subprocess.run(argv, capture_output=True, text=True, timeout=RUN_TIMEOUT, check=False, cwd="/")
    assert (done.returncode, done.stdout) == (0, "2432902008176640000\n"), done.stderr


def test_cli_builds_and_runs(natmods, runtime, tmp_path, mpy_dir):
    runtime("x86")
    script = write_script(tmp_path, "import factorial\nprint(factorial.factorial(12))\nraise SystemExit(5)\n")
    done = subprocess.run(
        [sys.executable, "-m", "natmod_tool.testrt", "x86", str(script), str(mod_dir(natmods, "x86", "factorial"))],
        env={**scons_env(), "MPY_DIR": str(mpy_dir)},
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        check=False,
    )
    assert (done.returncode, done.stdout) == (5, "479001600\n"), done.stderr


def test_cached_runtime_is_reused(runtime, mpy_dir):
    rt = runtime("armv7emsp")
    before = rt.program.stat().st_mtime_ns
    started = time.monotonic()
    again = ensure_runtime("armv7emsp", mpy_dir, quiet=True)
    assert again.program == rt.program
    assert again.program.stat().st_mtime_ns == before
    assert time.monotonic() - started < 5


def test_runtime_problem_names_the_arch():
    assert runtime_problem("pdp11") == (f"no test runtime for arch 'pdp11': use one of {', '.join(TARGETS)}")
    with pytest.raises(NatmodError, match="no test runtime for arch 'pdp11'"):
        ensure_runtime("pdp11", REPO_ROOT)


def test_tree_without_sources_is_one_line_error(tmp_path):
    """A headers-only tree (py/dynruntime.h, makeqstrdata.py) cannot build a runtime: say so."""
    if runtime_problem("x64") is not None:
        skip_or_fail(runtime_problem("x64"))
    (tmp_path / "py").mkdir()
    (tmp_path / "py" / "dynruntime.h").write_text("")
    (tmp_path / "py" / "makeqstrdata.py").write_text("")
    with pytest.raises(NatmodError) as info:
        ensure_runtime("x64", tmp_path, quiet=True)
    message = str(info.value)
    assert "\n" not in message
    assert f"MicroPython tree {tmp_path} has no py/runtime.c" in message


def test_changed_toolchain_library_relinks(runtime, mpy_dir):
    """The stamp records the libraries the link read; one that changed (here: a recorded
    size that no longer matches) makes the next call link the program again."""
    from natmod_tool.testrt.build import STAMP

    rt = runtime("x64")
    stamp_path = rt.program.parent / STAMP
    stamp = json.loads(stamp_path.read_text())
    assert any(path.endswith("libgcc.a") for path in stamp["libraries"]), stamp["libraries"]
    first = next(iter(stamp["libraries"]))
    stamp["libraries"][first] = [0, 0]
    stamp_path.write_text(json.dumps(stamp))
    before = rt.program.stat().st_mtime_ns
    again = ensure_runtime("x64", mpy_dir, quiet=True)
    assert again.program == rt.program
    assert again.program.stat().st_mtime_ns != before
    assert json.loads(stamp_path.read_text())["libraries"][first] != [0, 0]
