"""TOOLCHAIN=clang / clang-N: the examples built with clang, run (`scons test` on every arch's
runtime, and x64 in the unix port), and the keyword per module.

Each build runs real SCons with Debian's clang (14, and clang-15/clang-16 when
tools/bootstrap.sh installed them) on a scratch copy of the project.  Objects say who
compiled them in their `.comment` section, so the tests check that clang (or, for a
module that asks, gcc) really did.  Without clang the tests skip (fail under CI).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import REPO_ROOT, skip_or_fail
from elftools.elf.elffile import ELFFile
from scons_support import SCONSTRUCT, make_repo, run_scons, write

from natmod_scons.clang import CLANG_FLAGS, SUPPORTED_VERSIONS
from natmod_tool.mpy.reader import read_mpy, validate
from natmod_tool.qstr import load_static_qstrs
from natmod_tool.toolchains import toolchain as facts_of

EXAMPLES_DIR = REPO_ROOT / "examples"
EXAMPLES = sorted(d.name for d in EXAMPLES_DIR.iterdir() if (d / "SConscript").is_file())
#: C++ examples: built by g++ even in a clang build (their SConscript says TOOLCHAIN="gcc")
CXX_EXAMPLES = ("cppclass",)
BUILD_TIMEOUT = 30 * 60


def _need(program: str) -> None:
    if shutil.which(program) is None:
        skip_or_fail(f"{program} is not installed (tools/bootstrap.sh installs it)")


def _compiled_by(obj: Path) -> str:
    """The `.comment` text of an object: "Debian clang version 14.0.6", "GCC: (...) 12.2.0"."""
    with obj.open("rb") as handle:
        section = ELFFile(handle).get_section_by_name(".comment")
        return section.data().replace(b"\0", b" ").decode().strip() if section is not None else ""


def _buildable(arches: tuple[str, ...], installed: tuple[str, ...]) -> list[str]:
    return [arch for arch in arches if arch in installed and arch in CLANG_FLAGS]


def _copy_project(top: Path) -> None:
    shutil.copy2(REPO_ROOT / "SConstruct", top / "SConstruct")
    shutil.copytree(REPO_ROOT / "site_scons", top / "site_scons", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(EXAMPLES_DIR, top / "examples", ignore=shutil.ignore_patterns("__pycache__"))


#: (TOOLCHAIN, arches): every clang arch with the default clang, a sample with the others
BUILDS = [
    ("clang", tuple(CLANG_FLAGS)),
    *[(f"clang-{v}", ("x64", "armv6m", "armv7emdp", "rv32imc")) for v in SUPPORTED_VERSIONS if v != "14"],
]


@pytest.mark.parametrize(("toolchain", "arches"), BUILDS, ids=[b[0] for b in BUILDS])
def test_examples_build_and_run_with_clang(toolchain, arches, tmp_path, installed_arches, mpy_dir, run_micropython):
    _need(toolchain)
    wanted = _buildable(arches, tuple(installed_arches))
    if not wanted:
        skip_or_fail(f"none of {', '.join(arches)} has its GNU toolchain installed")
    _copy_project(tmp_path)
    done = run_scons(tmp_path, "-j2", f"ARCH={','.join(wanted)}", f"TOOLCHAIN={toolchain}", f"MPY_DIR={mpy_dir}")
    assert done.returncode == 0, str(done)
    assert "warning" not in (done.stdout + done.stderr).lower(), str(done)

    version = subprocess.run([toolchain, "--version"], capture_output=True, text=True).stdout.split("version ")[1]
    static = load_static_qstrs(mpy_dir)
    for arch in wanted:
        for name in EXAMPLES:
            folder = tmp_path / "build" / arch / "examples" / name
            mpy = read_mpy((folder / f"{name}.mpy").read_bytes(), name)
            assert validate(mpy, static_qstr_count=len(static.names)) == [], f"{arch}/{name}"
            assert mpy.arch_name == arch
            for obj in folder.glob("*.o"):
                by = _compiled_by(obj)
                if name in CXX_EXAMPLES:
                    assert by.startswith("GCC"), f"{obj}: {by}"
                else:
                    assert f"clang version {version.split()[0]}" in by, f"{obj}: {by}"
    _passes_scons_test(tmp_path, wanted, toolchain, mpy_dir)
    if "x64" in wanted:
        for name in EXAMPLES:
            script = EXAMPLES_DIR / name / f"test_{name}.py"
            run = run_micropython(script, [tmp_path / "build" / "x64" / "examples" / name])
            assert run.returncode == 0, f"{name}: {run.stdout}{run.stderr}"
            assert run.stdout == (EXAMPLES_DIR / name / f"test_{name}.exp").read_text(), name


#: one `scons test` progress line: status, module, arch, script, reason
PROGRESS = re.compile(r"^(PASS|FAIL|SKIP) (\S+) (\S+) (\S+\.py)(?:: (.*))?$")


def _passes_scons_test(top: Path, arches: list[str], toolchain: str, mpy_dir: Path) -> None:
    """`scons test` on the clang build: every example passes on every arch's runtime (hosted
    x86/x64, qemu for ARM and RISC-V); floats skips itself where there is no float."""
    from natmod_tool.testrun import runtime_problem

    missing = {arch: runtime_problem(arch) for arch in arches if runtime_problem(arch)}
    if missing:
        skip_or_fail(f"no test runtime for {', '.join(f'{a} ({why})' for a, why in missing.items())}")
    done = run_scons(
        top, "-k", "-j2", "test", f"ARCH={','.join(arches)}", f"TOOLCHAIN={toolchain}", f"MPY_DIR={mpy_dir}"
    )
    seen = {}
    for line in done.stdout.splitlines():
        match = PROGRESS.match(line)
        if match:
            seen[(match.group(2), match.group(3))] = match.group(1)
    for arch in arches:
        for name in EXAMPLES:
            got = seen.get((name, arch))
            no_float = name == "floats" and facts_of(arch).float_impl.upper() == "NONE"
            assert got == ("SKIP" if no_float else "PASS"), f"{name} on {arch}: {got}\n{done.stdout[-4000:]}"
    assert done.returncode == 0, str(done)
    assert re.search(r"^natmod test: \d+ passed, 0 failed, \d+ skipped$", done.stdout, re.M), done.stdout[-2000:]


# ---------------------------------------------------------------------------------------
# small projects: the variable and the keyword

MOD_C = """\
#include "py/dynruntime.h"

typedef struct {{ int v[8]; }} block_t;
block_t {name}_last;

static mp_obj_t fill(mp_obj_t x_in) {{
    block_t b = {{{{0}}}};  // zeroed, then copied: __aeabi_memclr4 / __aeabi_memcpy with clang on ARM
    b.v[3] = mp_obj_get_int(x_in);
    {name}_last = b;
    return mp_obj_new_int({name}_last.v[3] * 2 + {name}_last.v[0]);
}}
static MP_DEFINE_CONST_FUN_OBJ_1(fill_obj, fill);

mp_obj_t mpy_init(mp_obj_fun_bc_t *self, size_t n_args, size_t n_kw, mp_obj_t *args) {{
    MP_DYNRUNTIME_INIT_ENTRY
    mp_store_global(MP_QSTR_fill, MP_OBJ_FROM_PTR(&fill_obj));
    MP_DYNRUNTIME_INIT_EXIT
}}
"""


def _repo(root: Path, keywords: str = "") -> Path:
    return make_repo(
        root,
        {
            "SConstruct": SCONSTRUCT,
            "mods/viaclang/SConscript": f'Import("env")\nenv.NativeMpy("viaclang", ["viaclang.c"]{keywords})\n',
            "mods/viaclang/viaclang.c": MOD_C.format(name="viaclang"),
            "mods/viagcc/SConscript": 'Import("env")\nenv.NativeMpy("viagcc", ["viagcc.c"])\n',
            "mods/viagcc/viagcc.c": MOD_C.format(name="viagcc"),
        },
    )


def test_help_lists_toolchain(tmp_path):
    done = run_scons(_repo(tmp_path), "-h")
    assert done.returncode == 0, str(done)
    assert "  TOOLCHAIN=gcc\n" in done.stdout and "clang-N" in done.stdout


@pytest.mark.parametrize("value", ["icc", "clang16", "gcc-12"])
def test_bad_toolchain_is_one_line(tmp_path, value):
    done = run_scons(_repo(tmp_path), f"TOOLCHAIN={value}")
    assert done.returncode != 0
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and f"TOOLCHAIN={value!r}" in lines[0] and "clang-N" in lines[0], str(done)
    assert not (tmp_path / "build").exists()


def test_unknown_clang_version_names_the_package(tmp_path):
    done = run_scons(_repo(tmp_path), "TOOLCHAIN=clang-99")
    assert done.returncode != 0
    assert "needs clang-99, which is not on PATH: install the Debian package clang-99" in done.stderr, str(done)
    assert "Traceback" not in done.stderr


def test_xtensa_with_clang_says_there_is_no_backend(tmp_path, installed_arches):
    if "xtensa" not in installed_arches:
        skip_or_fail("xtensa-lx106-elf-gcc is not installed")
    done = run_scons(_repo(tmp_path), "ARCH=xtensa", "TOOLCHAIN=clang")
    assert done.returncode != 0
    assert "ARCH=xtensa with TOOLCHAIN=clang: clang has no xtensa backend" in done.stderr, str(done)


@pytest.mark.parametrize("arch", ["x64", "armv7m", "rv64imc"])
def test_module_keyword_picks_its_compiler(tmp_path, arch, installed_arches, run_micropython):
    """NativeMpy(..., TOOLCHAIN="clang") in a gcc build: that module's objects only."""
    _need("clang")
    if arch not in installed_arches:
        skip_or_fail(f"{arch}: its GNU toolchain is not installed")
    root = _repo(tmp_path, ', TOOLCHAIN="clang"')
    done = run_scons(root, f"ARCH={arch}")
    assert done.returncode == 0, str(done)
    build = root / "build" / arch / "mods"
    assert "clang version" in _compiled_by(build / "viaclang" / "viaclang.o")
    assert _compiled_by(build / "viagcc" / "viagcc.o").startswith("GCC")
    if arch.startswith("arm"):  # the helper archive is linked (and so built) for the clang module
        assert (root / "build" / arch / "_natmod_runtime" / "libnatmod_aeabi.a").is_file()
    if arch == "x64":
        script = write(root, "check.py", "import viaclang, viagcc\nprint(viaclang.fill(21), viagcc.fill(4))\n")
        run = run_micropython(script, [build / "viaclang", build / "viagcc"])
        assert run.stdout == "42 8\n", run.stdout + run.stderr


def test_module_keyword_gcc_in_a_clang_build(tmp_path, installed_arches):
    _need("clang")
    root = _repo(tmp_path, ', TOOLCHAIN="gcc"')
    done = run_scons(root, "ARCH=x64", "TOOLCHAIN=clang")
    assert done.returncode == 0, str(done)
    build = root / "build" / "x64" / "mods"
    assert _compiled_by(build / "viaclang" / "viaclang.o").startswith("GCC")
    assert "clang version" in _compiled_by(build / "viagcc" / "viagcc.o")


def test_module_keyword_bad_value_names_the_module(tmp_path):
    done = run_scons(_repo(tmp_path, ', TOOLCHAIN="tcc"'), "ARCH=x64")
    assert done.returncode != 0
    assert "NativeMpy('viaclang'): TOOLCHAIN='tcc': use gcc, clang or clang-N" in done.stderr, str(done)


def test_cxx_with_clang_is_refused_with_the_fix(tmp_path):
    _need("clang")
    root = _repo(tmp_path)
    write(root, "mods/cxx/SConscript", 'Import("env")\nenv.NativeMpy("cxx", ["cxx.cpp"], TOOLCHAIN="clang")\n')
    write(root, "mods/cxx/cxx.cpp", "int f(int x) { return x; }\n")
    done = run_scons(root, "ARCH=x64")
    assert done.returncode != 0
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, str(done)
    assert "NativeMpy('cxx'): " in lines[0] and "mods/cxx/cxx.cpp: C++ needs g++ with TOOLCHAIN=clang" in lines[0]
    assert "give this module TOOLCHAIN='gcc'" in lines[0]


def test_switching_toolchain_recompiles_and_relinks_only_once(tmp_path):
    """The compiler is in every compile's signature: gcc -> clang rebuilds, clang again does nothing."""
    _need("clang")
    root = _repo(tmp_path)
    first = run_scons(root, "ARCH=x64")
    assert first.returncode == 0, str(first)
    gcc_mpy = (root / "build" / "x64" / "mods" / "viagcc" / "viagcc.mpy").read_bytes()
    second = run_scons(root, "ARCH=x64", "TOOLCHAIN=clang")
    assert second.returncode == 0, str(second)
    assert second.names("CC") == ["mods/viaclang/viaclang.c", "mods/viagcc/viagcc.c"]
    assert (root / "build" / "x64" / "mods" / "viagcc" / "viagcc.mpy").read_bytes() != gcc_mpy
    third = run_scons(root, "ARCH=x64", "TOOLCHAIN=clang")
    assert third.returncode == 0 and third.names("CC") == [] and third.names("LINK") == [], str(third)
