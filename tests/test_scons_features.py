"""SCons tool features beyond plain C modules: C++ sources, compile_commands.json,
size reports, and mip package files for `dist`.

Real toolchains and real MicroPython: C++ modules are built for every installed arch
with a C++ compiler and run on x64; mip package files are installed by MicroPython's
own `mip` from a local HTTP server.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import mip_install, skip_or_fail
from scons_support import make_repo, run_scons, scons_env, write

from natmod_tool.arch import ARCHES
from natmod_tool.toolchains import toolchain

# ---------------------------------------------------------------------------------------
# C++

SHAPES_CPP = """\
// A class hierarchy with virtual functions, a template and a call into C.
#include "natmod_cpp.h"

extern "C" int c_helper_scale(int x);  // defined in scale.c

namespace {

class Shape {
public:
    virtual ~Shape() {}
    virtual mp_int_t area() const = 0;
};

class Rect : public Shape {
public:
    Rect(mp_int_t w, mp_int_t h) : w_(w), h_(h) {}
    mp_int_t area() const override { return w_ * h_; }
private:
    mp_int_t w_, h_;
};

class Square : public Rect {
public:
    explicit Square(mp_int_t side) : Rect(side, side) {}
};

template <typename T> T clamp(T value, T low, T high) {
    return value < low ? low : (value > high ? high : value);
}

mp_int_t total_area(const Shape *const *shapes, size_t n) {
    mp_int_t total = 0;
    for (size_t i = 0; i < n; i++) {
        total += shapes[i]->area();
    }
    return total;
}

mp_obj_t areas(mp_obj_t w_in, mp_obj_t h_in) {
    Rect *rect = new Rect(mp_obj_get_int(w_in), mp_obj_get_int(h_in));
    Square square(mp_obj_get_int(h_in));
    const Shape *shapes[] = {rect, &square};
    mp_int_t total = total_area(shapes, 2);
    delete rect;
    return mp_obj_new_int(c_helper_scale(static_cast<int>(clamp<mp_int_t>(total, 0, 1000))));
}
MP_DEFINE_CONST_FUN_OBJ_2(areas_obj, areas);

} // namespace

mp_obj_t mpy_init(mp_obj_fun_bc_t *self, size_t n_args, size_t n_kw, mp_obj_t *args) {
    MP_DYNRUNTIME_INIT_ENTRY
    mp_store_global(MP_QSTR_areas, MP_OBJ_FROM_PTR(&areas_obj));
    MP_DYNRUNTIME_INIT_EXIT
}
"""

SCALE_C = """\
int c_helper_scale(int x) {
    return 10 * x;
}
"""

CTOR_CPP = """\
#include "natmod_cpp.h"

struct Counter {
    int n;
    Counter() : n(5) {}
};
Counter global_counter;  // constructed before main in a program: a natmod has no such step

static mp_obj_t get(void) {
    return mp_obj_new_int(global_counter.n);
}
static MP_DEFINE_CONST_FUN_OBJ_0(get_obj, get);

mp_obj_t mpy_init(mp_obj_fun_bc_t *self, size_t n_args, size_t n_kw, mp_obj_t *args) {
    MP_DYNRUNTIME_INIT_ENTRY
    mp_store_global(MP_QSTR_get, MP_OBJ_FROM_PTR(&get_obj));
    MP_DYNRUNTIME_INIT_EXIT
}
"""


def cxx_arches(installed: tuple[str, ...]) -> list[str]:
    """Installed arches whose C++ compiler is also installed (as the tool finds it)."""
    found = []
    for arch in installed:
        prefix = toolchain(arch).cross_prefix
        if shutil.which(f"{prefix}g++") or (arch in ("x86", "x64") and shutil.which("g++")):
            found.append(arch)
    return found


def add_shapes(root: Path) -> None:
    write(root, "mods/shapes/SConscript", 'Import("env")\nenv.NativeMpy("shapes", ["cxx/shapes.cpp", "scale.c"])\n')
    write(root, "mods/shapes/cxx/shapes.cpp", SHAPES_CPP)
    write(root, "mods/shapes/scale.c", SCALE_C)


def test_cpp_module_builds_for_every_arch_and_runs(
    tmp_path: Path, mpy_dir: Path, installed_arches, run_micropython
) -> None:
    arches = cxx_arches(installed_arches)
    if "x64" not in arches:
        skip_or_fail("no x64 C++ compiler")
    make_repo(tmp_path)
    add_shapes(tmp_path)
    result = run_scons(tmp_path, "-j4", f"ARCH={','.join(arches)}")
    assert result.returncode == 0, result
    assert sorted(result.names("CXX")) == sorted(["mods/shapes/cxx/shapes.cpp"] * len(arches)), result
    for arch in arches:
        mpy = tmp_path / "build" / arch / "mods" / "shapes" / "shapes.mpy"
        data = mpy.read_bytes()
        assert data[:2] == b"M\x06" and (data[2] >> 2) & 0x2F == ARCHES[arch].number, arch
    script = tmp_path / "check_shapes.py"
    script.write_text("import shapes\nprint(shapes.areas(3, 4), shapes.areas(100, 100))\n")
    done = run_micropython(script, [tmp_path / "build/x64/mods/shapes"], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    # (3*4 + 4*4) * 10, and the clamp<> at 1000 * 10
    assert done.stdout.strip() == "280 10000"
    assert run_scons(tmp_path, "-q", f"ARCH={','.join(arches)}").returncode == 0


@pytest.mark.parametrize("arch", ["armv6m", "rv32imc", "xtensa"])
def test_cxx_fallback_climits_has_64_bit_limits(tmp_path: Path, mpy_dir: Path, arch: str) -> None:
    """Without libstdc++ headers (`-nostdinc++`), py/misc.h's ULLONG_MAX comes from our fallback."""
    from natmod_scons.arches import CXX_FALLBACK_DIR

    facts = toolchain(arch)
    gxx = f"{facts.cross_prefix}g++"
    if shutil.which(gxx) is None:
        skip_or_fail(f"{gxx} is not installed (tools/bootstrap.sh installs {' '.join(facts.packages)})")
    src = tmp_path / "limits.cpp"
    src.write_text(
        "#include <climits>\n"
        "unsigned long long u = ULLONG_MAX; long long lo = LLONG_MIN, hi = LLONG_MAX;\n"
        'static_assert(ULLONG_MAX == 0xffffffffffffffffULL && LLONG_MIN < 0, "64-bit limits");\n'
    )
    done = subprocess.run(
        [gxx, *facts.cflags, "-std=c++17", "-nostdinc++", "-idirafter", CXX_FALLBACK_DIR, "-c", str(src), "-o", "x.o"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def test_cpp_command_line(tmp_path: Path, mpy_dir: Path) -> None:
    make_repo(tmp_path)
    add_shapes(tmp_path)
    write(
        tmp_path,
        "mods/shapes/SConscript",
        'Import("env")\nenv.NativeMpy("shapes", ["cxx/shapes.cpp", "scale.c"], CXXFLAGS=["-DFROM_CXXFLAGS"],'
        ' CFLAGS=["-DFROM_CFLAGS"])\n',
    )
    result = run_scons(tmp_path, "V=1", "build/x64/mods/shapes")
    assert result.returncode == 0, result
    cxx = [line for line in result.stdout.splitlines() if line.endswith(" -c mods/shapes/cxx/shapes.cpp")]
    cc = [line for line in result.stdout.splitlines() if line.endswith(" -c mods/shapes/scale.c")]
    assert len(cxx) == 1 and len(cc) == 1, result
    words = shlex.split(cxx[0])
    assert words[0].endswith("g++"), words[0]
    for flag in ("-std=c++17", "-fno-exceptions", "-fno-rtti", "-fno-threadsafe-statics", "-fno-use-cxa-atexit"):
        assert flag in words, flag
    assert "-std=c99" not in words and "-DFROM_CXXFLAGS" in words and "-DFROM_CFLAGS" not in words
    assert "-fpic" in words and "-Werror" in words
    assert words[words.index("-isystem") + 1] == str(mpy_dir)
    c_words = shlex.split(cc[0])
    assert "-std=c99" in c_words and "-DFROM_CFLAGS" in c_words and "-DFROM_CXXFLAGS" not in c_words


def test_cpp_own_code_keeps_werror(tmp_path: Path, mpy_dir: Path) -> None:
    """-fpermissive/-isystem only excuse MicroPython's headers, not the module's code."""
    make_repo(tmp_path)
    add_shapes(tmp_path)
    bad = SHAPES_CPP.replace(
        "    delete rect;\n",
        "    void *raw = rect;\n    Rect *back = raw;\n    delete back;\n",
    )
    write(tmp_path, "mods/shapes/cxx/shapes.cpp", bad)
    result = run_scons(tmp_path, "build/x64/mods/shapes")
    assert result.returncode != 0, result
    message = result.stderr.replace("\u2018", "'").replace("\u2019", "'")
    assert "shapes.cpp:" in message and "invalid conversion from 'void*'" in message, result


def test_static_constructor_is_a_link_error(tmp_path: Path, mpy_dir: Path, installed_arches) -> None:
    arches = cxx_arches(installed_arches)
    if "x64" not in arches:
        skip_or_fail("no x64 C++ compiler")
    make_repo(tmp_path)
    write(tmp_path, "mods/ctor/SConscript", 'Import("env")\nenv.NativeMpy("ctor", ["ctor.cpp"])\n')
    write(tmp_path, "mods/ctor/ctor.cpp", CTOR_CPP)
    result = run_scons(tmp_path, "-k", "-j4", f"ARCH={','.join(arches)}")
    assert result.returncode != 0, result
    errors = [line for line in result.stderr.splitlines() if "ctor.mpy] LinkError" in line]
    assert len(errors) == len(arches), result
    for line in errors:
        assert "static constructors/destructors need a C++ runtime" in line, line
        assert "ctor.o: .init_array:" in line or "ctor.o: .ctors:" in line, line
    assert not (tmp_path / "build/x64/mods/ctor/ctor.mpy").exists()
    # the other modules were still built
    assert (tmp_path / "build/x64/mods/calc/calc.mpy").exists()


def test_missing_cxx_compiler_names_the_package(tmp_path: Path, mpy_dir: Path) -> None:
    gcc = shutil.which("x86_64-linux-gnu-gcc")
    if gcc is None:
        skip_or_fail("needs x86_64-linux-gnu-gcc")
    make_repo(tmp_path)
    add_shapes(tmp_path)
    only_gcc = tmp_path / "only-gcc"
    only_gcc.mkdir()
    (only_gcc / "x86_64-linux-gnu-gcc").symlink_to(gcc)
    env = scons_env()
    env["PATH"] = str(only_gcc)
    done = subprocess.run(
        [sys.executable, "-m", "SCons", "-Q"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2, done
    lines = [line for line in done.stderr.splitlines() if line.startswith("scons: ***")]
    assert len(lines) == 1, done.stderr
    assert "mods/shapes/cxx/shapes.cpp" in lines[0] and "x86_64-linux-gnu-g++" in lines[0], lines[0]
    assert "install the Debian package g++" in lines[0], lines[0]


# ---------------------------------------------------------------------------------------
# compile_commands.json


def test_compiledb_per_arch_and_top_level(tmp_path: Path, mpy_dir: Path, installed_arches) -> None:
    other = next((a for a in ("armv7m", "rv32imc", "armv6m", "x86") if a in installed_arches), None)
    if other is None:
        skip_or_fail("needs a second arch")
    make_repo(tmp_path)
    add_shapes(tmp_path)
    arches = ["x64", other]
    result = run_scons(tmp_path, "compiledb", f"ARCH={','.join(arches)}")
    assert result.returncode == 0, result
    assert result.names("LINK") == [], "compiledb builds no module"
    sources = {"mods/calc/calc.c", "mods/calc/ops/ops.c", "mods/calc/helper.c", "mods/greet/greet.c"}
    sources.add("mods/shapes/cxx/shapes.cpp")
    sources.add("mods/shapes/scale.c")
    for arch in arches:
        db = json.loads((tmp_path / "build" / arch / "compile_commands.json").read_text())
        assert {entry["file"] for entry in db} == sources, arch
        for entry in db:
            assert entry["directory"] == str(tmp_path)
            assert entry["output"].startswith(f"build/{arch}/")
            words = shlex.split(entry["command"])
            compiler = "g++" if entry["file"].endswith(".cpp") else "gcc"
            assert os.path.basename(words[0]).endswith(compiler), entry["command"]
            # the qstr headers the commands name exist, so an editor can follow them
            config = next(w for w in words if w.startswith("-DMP_CONFIGFILE="))
            header = config.split("<", 1)[1].rstrip(">")
            include_dirs = [tmp_path / w[2:] for w in words if w.startswith("-I")]
            assert any((d / header).is_file() for d in include_dirs), entry
    top = json.loads((tmp_path / "compile_commands.json").read_text())
    assert top == json.loads((tmp_path / "build/x64/compile_commands.json").read_text())

    # the recorded command is the real one: run it from `directory`
    entry = next(e for e in top if e["file"] == "mods/shapes/cxx/shapes.cpp")
    (tmp_path / entry["output"]).parent.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(entry["command"], shell=True, cwd=entry["directory"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / entry["output"]).is_file()

    again = run_scons(tmp_path, "compiledb", f"ARCH={','.join(arches)}", f"COMPILEDB_ARCH={other}")
    assert again.returncode == 0, again
    top = json.loads((tmp_path / "compile_commands.json").read_text())
    assert all(e["output"].startswith(f"build/{other}/") for e in top)


def test_compiledb_arch_must_be_built(tmp_path: Path, mpy_dir: Path) -> None:
    make_repo(tmp_path)
    result = run_scons(tmp_path, "compiledb", "COMPILEDB_ARCH=armv7m")
    assert result.returncode == 2, result
    assert "COMPILEDB_ARCH=armv7m is not among the arches built" in result.stderr, result
    bad = run_scons(tmp_path, "compiledb", "COMPILEDB_ARCH=pdp11")
    assert bad.returncode == 2 and "unknown COMPILEDB_ARCH 'pdp11'" in bad.stderr, bad


def test_compiledb_option_writes_on_every_build(tmp_path: Path, mpy_dir: Path) -> None:
    make_repo(tmp_path)
    result = run_scons(tmp_path, "COMPILEDB=1")
    assert result.returncode == 0, result
    assert (tmp_path / "compile_commands.json").is_file()
    assert (tmp_path / "build/x64/mods/calc/calc.mpy").is_file()
    plain = tmp_path / "plain"
    make_repo(plain)
    assert run_scons(plain).returncode == 0
    assert not (plain / "compile_commands.json").exists()


# ---------------------------------------------------------------------------------------
# sizes


def test_size_lines_and_sizes_table(tmp_path: Path, mpy_dir: Path) -> None:
    make_repo(tmp_path)
    result = run_scons(tmp_path, "-j2", "SIZE=1")
    assert result.returncode == 0, result
    size_lines = sorted(line for line in result.stdout.splitlines() if line.startswith("SIZE "))
    assert [line.split(":")[0] for line in size_lines] == ["SIZE calc.mpy [x64]", "SIZE greet.mpy [x64]"], result
    for line in size_lines:
        figures = dict(item.split("=") for item in line.split(": ", 1)[1].split())
        assert list(figures) == ["text", "rodata", "bss", "got", "relocs"], line
        assert int(figures["text"]) > 0 and int(figures["relocs"]) > 0, line
    record = json.loads((tmp_path / "build/x64/mods/greet/greet.size.json").read_text())
    greet_line = next(line for line in size_lines if "greet" in line)
    assert f"text={record['text']} " in greet_line and f"relocs={record['relocs']}" in greet_line

    # without SIZE=1: no lines; `scons sizes` prints the table, building nothing new
    table = run_scons(tmp_path, "sizes")
    assert table.returncode == 0, table
    assert table.names("LINK") == [] and "SIZE " not in table.stdout, table
    lines = table.stdout.splitlines()
    assert lines[0].split() == ["module", "arch", "text", "rodata", "bss", "got", "relocs", "qstrs", "mpy"]
    rows = {tuple(line.split()[:2]): line.split() for line in lines[1:]}
    assert set(rows) == {("calc", "x64"), ("greet", "x64")}, table.stdout
    assert rows[("greet", "x64")][2] == str(record["text"])
    assert rows[("greet", "x64")][7] == str(record["qstrs"])
    assert rows[("calc", "x64")][8] == str((tmp_path / "build/x64/mods/calc/calc.mpy").stat().st_size)


def test_sizes_builds_what_is_missing(tmp_path: Path, mpy_dir: Path) -> None:
    make_repo(tmp_path)
    result = run_scons(tmp_path, "-j2", "sizes")
    assert result.returncode == 0, result
    assert result.names("LINK") == ["calc.native.mpy", "greet.mpy"], result
    assert "calc" in result.stdout.splitlines()[-2] or "calc" in result.stdout, result


# ---------------------------------------------------------------------------------------
# mip package files


def test_dist_writes_mip_packages_that_mip_installs(
    tmp_path: Path, mpy_dir: Path, micropython: str, run_micropython, serve
) -> None:
    make_repo(tmp_path)
    write(
        tmp_path,
        "mods/greet/SConscript",
        'Import("env")\nenv.NativeMpy("greet", ["greet.c"], CFLAGS=["-DGREETING=7"], VERSION="2.1.0")\n',
    )
    result = run_scons(tmp_path, "-j2", "dist")
    assert result.returncode == 0, result
    assert result.names("MIP") == ["dist/calc-x64.json", "dist/greet-x64.json"], result
    package = json.loads((tmp_path / "dist/greet-x64.json").read_text())
    assert package == {"urls": [["greet.mpy", "greet-x64.mpy"]], "version": "2.1.0"}
    assert json.loads((tmp_path / "dist/calc-x64.json").read_text())["version"] == "0.1.0"

    base = serve(tmp_path / "dist")
    lib = tmp_path / "board-lib"
    for name in ("calc", "greet"):
        done = mip_install(micropython, f"{base}/{name}-x64.json", lib)
        assert done.returncode == 0, done.stdout + done.stderr
    assert sorted(p.name for p in lib.iterdir()) == ["calc.mpy", "greet.mpy"]
    assert (lib / "calc.mpy").read_bytes() == (tmp_path / "dist/calc-x64.mpy").read_bytes()
    script = tmp_path / "use.py"
    script.write_text("import calc, greet\nprint(calc.square(6), greet.hello())\n")
    done = run_micropython(script, [lib], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "36 7"

    # an unchanged build rewrites nothing; a new version rewrites only that package file
    assert run_scons(tmp_path, "-q", "dist").returncode == 0
    again = run_scons(tmp_path, "dist", "MIP_VERSION=0.2.0")
    assert again.returncode == 0, again
    assert again.names("MIP") == ["dist/calc-x64.json"], again


def test_mip_package_per_folder_installs_by_folder_url(tmp_path: Path, mpy_dir: Path, micropython: str, serve) -> None:
    """`mip.install(".../dist/calc/x64")`: mip adds package.json to a folder URL."""
    make_repo(tmp_path)
    pattern = ("DIST_PATTERN={name}/{arch}/{name}.mpy", "MIP_PATTERN={name}/{arch}/package.json")
    result = run_scons(tmp_path, "-j2", "dist", *pattern)
    assert result.returncode == 0, result
    package = json.loads((tmp_path / "dist/calc/x64/package.json").read_text())
    assert package["urls"] == [["calc.mpy", "calc.mpy"]]
    lib = tmp_path / "board-lib"
    done = mip_install(micropython, serve(tmp_path / "dist") + "/calc/x64", lib)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (lib / "calc.mpy").read_bytes() == (tmp_path / "dist/calc/x64/calc.mpy").read_bytes()
    cleaned = run_scons(tmp_path, "-c", *pattern)
    assert cleaned.returncode == 0 and not any((tmp_path / "dist").rglob("*.*")), cleaned


def test_mip_base_url_and_bad_pattern(tmp_path: Path, mpy_dir: Path) -> None:
    make_repo(tmp_path)
    result = run_scons(tmp_path, "dist", "MIP_BASE_URL=github:me/mods/dist/")
    assert result.returncode == 0, result
    package = json.loads((tmp_path / "dist/calc-x64.json").read_text())
    assert package["urls"] == [["calc.mpy", "github:me/mods/dist/calc-x64.mpy"]]

    bad = run_scons(tmp_path, "dist", "MIP_PATTERN=mip/{name}-{arch}.json")
    assert bad.returncode == 2, bad
    assert "MIP_PATTERN puts mip/calc-x64.json" in bad.stderr and "MIP_BASE_URL" in bad.stderr, bad

    none = run_scons(tmp_path, "dist", "MIP_PATTERN=")
    assert none.returncode == 0 and none.names("MIP") == [], none


# ---------------------------------------------------------------------------------------
# scons -h


def test_help_lists_the_new_options(tmp_path: Path, mpy_dir: Path) -> None:
    make_repo(tmp_path)
    result = run_scons(tmp_path, "-h")
    assert result.returncode == 0, result
    for name in ("SIZE", "COMPILEDB", "COMPILEDB_ARCH", "MIP_PATTERN", "MIP_BASE_URL", "MIP_VERSION", "DIST_PATTERN"):
        assert f"\n  {name}=" in result.stdout, name
