"""`natmod-tool preprocess` and the qstr helpers (format.md 7, 8.2) against the vectors.

The MicroPython tree is $MPY_DIR or the cached default tree (downloaded once).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from natmod_tool import mpydir, qstr
from natmod_tool.errors import QstrError
from natmod_tool.qstr import (
    extract_qstr_names,
    load_static_qstrs,
    make_config_header,
    parse_native_qstrs,
    read_native_qstrs,
    write_if_changed,
)

ROOT = Path(__file__).resolve().parent.parent
VECTORS = ROOT / "tests" / "vectors"
MANIFEST = json.loads((VECTORS / "manifest.json").read_text())
PREPROCESS = [v for v in MANIFEST["vectors"] if v["kind"] == "preprocess"]
CONFIG_HEADERS = sorted(VECTORS.glob("*/*/config.h")) + sorted(VECTORS.glob("preprocess/*/expected-config.h"))


@pytest.fixture(scope="session")
def mpy_dir() -> Path:
    """The tree every test uses (resolving it may download the default sdist once)."""
    return mpydir.resolve_mpy_dir()


def natmod_tool(args: list[str], cwd: Path, mpy_dir: Path) -> subprocess.CompletedProcess[str]:
    """Run the real CLI as a user would, with MPY_DIR naming the tree."""
    env = dict(os.environ, MPY_DIR=str(mpy_dir), PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, "-m", "natmod_tool", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def assert_clean_failure(done: subprocess.CompletedProcess[str]) -> None:
    """Exit status 1 and one line on stderr, no traceback."""
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("error: "), done.stderr


def scratch(vector: dict, tmp_path: Path) -> Path:
    work = tmp_path / "work"
    shutil.copytree(VECTORS / vector["case"] / vector["arch"], work)
    return work


def cli_args(vector: dict) -> list[str]:
    """The reference options with `--preprocess` turned into the subcommand."""
    options = [o for o in vector["options"] if o != "--preprocess"]
    return ["preprocess", *options, *vector["inputs"]]


@pytest.mark.parametrize("vector", PREPROCESS, ids=lambda v: f"{v['case']}-{v['arch']}")
def test_vector(vector: dict, tmp_path: Path, mpy_dir: Path) -> None:
    work = scratch(vector, tmp_path)
    output = work / vector["options"][vector["options"].index("-o") + 1]
    done = natmod_tool(cli_args(vector), work, mpy_dir)
    if vector["expect"] == "ok":
        assert done.returncode == 0, done.stderr
        assert output.read_bytes() == (work / vector["output"]).read_bytes()
    else:
        assert_clean_failure(done)
        assert not output.exists()


def test_rerun_keeps_mtime(tmp_path: Path, mpy_dir: Path) -> None:
    vector = next(v for v in PREPROCESS if v["arch"] == "x64")
    work = scratch(vector, tmp_path)
    assert natmod_tool(cli_args(vector), work, mpy_dir).returncode == 0
    header = work / "config.h"
    old = 1_000_000_000
    os.utime(header, ns=(old, old))
    assert natmod_tool(cli_args(vector), work, mpy_dir).returncode == 0
    assert header.stat().st_mtime_ns == old
    with open(work / "qstrs.c", "a") as handle:
        handle.write("/* MP_QSTR_brand_new */\n")
    assert natmod_tool(cli_args(vector), work, mpy_dir).returncode == 0
    assert header.stat().st_mtime_ns != old
    assert "#define MP_QSTR_brand_new (mp_native_qstr_table[4])\n" in header.read_text()


def test_default_output_name(tmp_path: Path, mpy_dir: Path) -> None:
    (tmp_path / "foo.c").write_text("MP_QSTR_hello\n")
    done = natmod_tool(["preprocess", "foo.c"], tmp_path, mpy_dir)
    assert done.returncode == 0, done.stderr
    assert "#define MP_QSTR_hello (mp_native_qstr_table[1])\n" in (tmp_path / "foo.config.h").read_text()


@pytest.mark.parametrize(
    "args, words",
    [
        (["preprocess", "foo.py"], "-o"),
        (["preprocess", "-o", "out.h", "missing.c"], "missing.c"),
        (["preprocess", "--arch", "pdp11", "-o", "out.h", "foo.py"], "pdp11"),
        (["preprocess", "--arch", "x64", "--arch-flags", "zba", "-o", "out.h", "foo.py"], "x64"),
        (["preprocess", "--arch", "rv32imc", "--arch-flags", "zbb", "-o", "out.h", "foo.py"], "zbb"),
    ],
)
def test_clean_errors(args: list[str], words: str, tmp_path: Path, mpy_dir: Path) -> None:
    (tmp_path / "foo.py").write_text("MP_QSTR_x\n")
    done = natmod_tool(args, tmp_path, mpy_dir)
    assert_clean_failure(done)
    assert words in done.stderr
    assert not (tmp_path / "out.h").exists()


def test_bad_mpy_dir_is_clean(tmp_path: Path, mpy_dir: Path) -> None:
    (tmp_path / "foo.c").write_text("MP_QSTR_x\n")
    done = natmod_tool(["preprocess", "--mpy-dir", str(tmp_path), "foo.c"], tmp_path, mpy_dir)
    assert_clean_failure(done)
    assert "MPY_DIR" in done.stderr


def test_static_qstrs(mpy_dir: Path) -> None:
    static = load_static_qstrs(mpy_dir)
    assert static is load_static_qstrs(str(mpy_dir))
    assert static.names[0] == "" and static.ids[""] == 1
    assert static.ids[static.names[-1]] == len(static.names)
    assert static.escape("utf-8") == "utf_hyphen_8"
    assert static.escape("<module>") == "_lt_module_gt_"
    assert static.escape("\n") == "_0x0a_"
    expected = (VECTORS / "preprocess" / "x64" / "expected-config.h").read_text().splitlines()
    statics = [line for line in expected if line.startswith("#define") and "mp_native_" not in line]
    assert statics == [f"#define MP_QSTR_{static.escape(n)} ({static.ids[n]})" for n in static.names]


def test_static_qstrs_leave_no_trace(mpy_dir: Path) -> None:
    before_modules, before_path = set(sys.modules), list(sys.path)
    had_pycache = (mpy_dir / "py" / "__pycache__").exists()
    qstr._load_static_qstrs.cache_clear()
    load_static_qstrs(mpy_dir)
    assert set(sys.modules) - before_modules == set()
    assert sys.path == before_path
    assert had_pycache or not (mpy_dir / "py" / "__pycache__").exists()


def test_static_qstrs_broken_tree(tmp_path: Path) -> None:
    with pytest.raises(QstrError, match="makeqstrdata.py not found"):
        load_static_qstrs(tmp_path)
    (tmp_path / "py").mkdir()
    (tmp_path / "py" / "makeqstrdata.py").write_text("static_qstr_list = [\n")
    with pytest.raises(QstrError, match="SyntaxError"):
        load_static_qstrs(tmp_path)
    (tmp_path / "py" / "makeqstrdata.py").write_text("static_qstr_list = ['']\n")
    with pytest.raises(QstrError, match="qstr_escape"):
        load_static_qstrs(tmp_path)


def test_header_from_texts(mpy_dir: Path, tmp_path: Path) -> None:
    static = load_static_qstrs(mpy_dir)
    weird = tmp_path / "weird.c"
    weird.write_bytes(b"\xff\xfe MP_QSTR_caf\xc3\xa9 \x80MP_QSTR_zeta\r\nMP_QSTR_\n")
    header = make_config_header([("a.c", "MP_QSTR_b MP_QSTR_a x_MP_QSTR_Z MP_QSTR_zip"), weird], static)
    native = [line.split()[1] for line in header.splitlines() if "(mp_native_" in line]
    assert native == ["MP_QSTR_Z", "MP_QSTR_a", "MP_QSTR_b", "MP_QSTR_caf", "MP_QSTR_zeta"]
    assert header.startswith("#include <stdint.h>\ntypedef uintptr_t mp_off_t;\n#define MP_QSTR_ (1)\n")
    assert header.endswith(
        "extern const uint16_t mp_native_qstr_table[];\nextern const uintptr_t mp_native_obj_table[];\n"
    )
    assert read_native_qstrs(header) == ["Z", "a", "b", "caf", "zeta"]


def test_extract_qstr_names() -> None:
    assert extract_qstr_names("MP_QSTR_a+MP_QSTR_b_1 fooMP_QSTR_c MP_QSTR_ MP_QSTR_a.x") == {
        "a",
        "b_1",
        "c",
        "",
    }


@pytest.mark.parametrize("path", CONFIG_HEADERS, ids=lambda p: str(p.relative_to(VECTORS)))
def test_read_native_qstrs_vectors(path: Path) -> None:
    prefix = "#define MP_QSTR_"
    expected = [
        line[len(prefix) :].split(" ", 1)[0]
        for line in path.read_text().splitlines()
        if line.startswith(prefix) and " (mp_native_" in line
    ]
    assert read_native_qstrs(path) == expected
    assert read_native_qstrs(str(path)) == expected
    assert expected


def test_read_native_qstrs_errors(tmp_path: Path) -> None:
    with pytest.raises(QstrError, match="nope.h"):
        read_native_qstrs(tmp_path / "nope.h")
    bogus = tmp_path / "bogus.h"
    bogus.write_text("#define MP_QSTR_foo (mp_native_qstr_table[1])\n")
    with pytest.raises(QstrError, match="bogus.h: not a qstr config header"):
        read_native_qstrs(bogus)
    with pytest.raises(QstrError, match="not a qstr config header"):
        parse_native_qstrs("")


def test_write_if_changed(tmp_path: Path) -> None:
    path = tmp_path / "h.h"
    assert write_if_changed(path, "one\n") is True
    old = 1_000_000_000
    os.utime(path, ns=(old, old))
    assert write_if_changed(path, "one\n") is False
    assert path.stat().st_mtime_ns == old
    assert write_if_changed(path, "one\ntwo\n") is True
    assert path.read_text() == "one\ntwo\n"
    assert write_if_changed(path, "one\n") is True
    assert path.read_text() == "one\n"
    assert [p.name for p in tmp_path.iterdir()] == ["h.h"]
