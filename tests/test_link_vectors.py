"""Every link vector of the conformance suite through the `link` CLI, in a scratch copy of its folder.

`ok` vectors must be byte-identical to the reference (or one of its hash-seed
alternatives); `error` vectors must fail cleanly (exit 1, one line naming the file or
item, no traceback, no output file); `reference-crash` vectors must fail cleanly or
give a module that validates; `reference-broken` vectors must give a module that
differs from the broken reference and validates (x64 run-time checks live in
test_link_runtime.py).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from natmod_tool.cli import main
from natmod_tool.mpy.reader import read_mpy, validate

VECTORS = Path(__file__).parent / "vectors"
MANIFEST = json.loads((VECTORS / "manifest.json").read_text())
LINK = [v for v in MANIFEST["vectors"] if v["kind"] == "link"]
#: Cases that link with `--writable-data` although the reference rejects them or links
#: them into wrong code: static BSS and initialised `.data` (docs/linker.md).  Without
#: the option they behave like the reference (the tests below); with it they are checked
#: by test_writable_data_vectors_link here and run in test_link_runtime.py.
WRITABLE_DATA = ("static-bss", "data-nonempty", "small-data")
REPO = Path(__file__).resolve().parent.parent


def _id(v: dict) -> str:
    out = v["options"][v["options"].index("-o") + 1]
    return f"{v['case']}-{v['arch']}-{out}"


def _scratch(tmp_path: Path, v: dict) -> Path:
    work = tmp_path / "v"
    shutil.copytree(VECTORS / v["case"] / v["arch"], work)
    for f in work.glob("*expected*"):
        f.unlink()
    return work


def _output_name(v: dict) -> str:
    return v["options"][v["options"].index("-o") + 1]


def _run_cli(work: Path, v: dict, capsys, monkeypatch, *extra: str) -> tuple[int, str]:
    """Run the CLI in-process; returns the exit status and what went to stderr."""
    monkeypatch.chdir(work)
    rc = main(["link", *extra, *v["options"], *v["inputs"]])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out
    return rc, captured.err


def _wanted(v: dict) -> list[bytes]:
    folder = VECTORS / v["case"] / v["arch"]
    return [(folder / name).read_bytes() for name in [v["output"], *v.get("alternatives", [])]]


def _assert_validates(data: bytes, arch: str, unknown_flags_ok: bool = False) -> None:
    mpy = read_mpy(data, "out.mpy")
    assert mpy.arch_name == arch
    problems = validate(mpy)
    if unknown_flags_ok:  # the reference accepts `--arch-flags 10`; no loader would
        problems = [p for p in problems if not p.startswith("arch flags")]
    assert problems == []


@pytest.mark.parametrize("v", [v for v in LINK if v["expect"] == "ok"], ids=_id)
def test_ok_vector_is_byte_identical(v, tmp_path, capsys, monkeypatch):
    work = _scratch(tmp_path, v)
    rc, text = _run_cli(work, v, capsys, monkeypatch)
    assert rc == 0, text
    got = (work / _output_name(v)).read_bytes()
    assert got in _wanted(v)
    _assert_validates(got, v["arch"], unknown_flags_ok=v["case"] == "archflags")


@pytest.mark.parametrize("v", [v for v in LINK if not v.get("deterministic", True)], ids=_id)
def test_hash_seed_vectors_are_deterministic(v, tmp_path):
    """Our archive pull order does not depend on PYTHONHASHSEED (the reference's does)."""
    outputs = set()
    for seed in ("0", "1", "12345"):
        work = _scratch(tmp_path / seed, v)
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(REPO)}
        proc = subprocess.run(
            [sys.executable, "-m", "natmod_tool", "link", *v["options"], *v["inputs"]],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
        )
        assert proc.returncode == 0, proc.stderr
        outputs.add((work / _output_name(v)).read_bytes())
    assert len(outputs) == 1
    assert outputs.pop() in _wanted(v)


def _assert_clean_failure(rc: int, text: str, work: Path, v: dict) -> None:
    assert rc == 1, text
    assert "Traceback" not in text
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == 1, text
    assert not (work / _output_name(v)).exists()
    assert not list(work.glob(".*.tmp"))


@pytest.mark.parametrize("v", [v for v in LINK if v["expect"] == "error"], ids=_id)
def test_error_vector_fails_cleanly(v, tmp_path, capsys, monkeypatch):
    work = _scratch(tmp_path, v)
    rc, text = _run_cli(work, v, capsys, monkeypatch)
    _assert_clean_failure(rc, text, work, v)
    # The message names what is wrong: the object file, or the missing entry point.
    assert any(name in text for name in v["inputs"]) or "mpy_init" in text, text
    # ...and the item the reference named (symbol or section), where it named one.
    ref = v["error"].removeprefix("LinkError: ")
    item = ref.split(": ")[-1].split(" (")[0]
    if v["case"] in ("tls", "wrong-arch", "non-pic"):
        # we name the cause (the .tbss section, the ELF machine, the relocation type)
        # rather than the reference's symptom
        assert any(
            w in text for w in (".tbss", "thread-local", "incompatible arch", "relocation", ".data non-empty")
        ), text
    elif v["case"] in WRITABLE_DATA:
        assert "--writable-data" in text, text  # the way out
    elif "undefined symbol" in ref:
        for line in ref.splitlines():
            assert line.split(": ")[-1] in text
    else:
        assert item in text, (item, text)


@pytest.mark.parametrize("v", [v for v in LINK if v["case"] in WRITABLE_DATA], ids=_id)
def test_writable_data_vectors_link(v, tmp_path, capsys, monkeypatch):
    """Static BSS and initialised data link on every arch (the reference rejects them or,
    on x86/RISC-V static BSS, links code that addresses the wrong memory)."""
    work = _scratch(tmp_path, v)
    rc, text = _run_cli(work, v, capsys, monkeypatch, "--writable-data")
    assert rc == 0, text
    got = (work / _output_name(v)).read_bytes()
    _assert_validates(got, v["arch"])
    mpy = read_mpy(got, "out.mpy")
    viper = mpy.raw_codes()[0]
    if v["arch"] in ("xtensa", "xtensawin"):
        assert v["expect"] == "error" or got in _wanted(v)  # xtensa reaches all data through the GOT
    elif v["case"] == "static-bss":
        # the static counter now lives in the text image, next to the code that reaches it
        assert viper.bss_size == 0
        if v["expect"] == "ok":
            assert got not in _wanted(v)
    else:
        # initialised globals are reached through the GOT: they go to the rodata image
        assert len(viper.rodata) >= 4 and any(e.dest == 1 for e in viper.relocs)


@pytest.mark.parametrize("v", [v for v in LINK if v["expect"] == "reference-crash"], ids=_id)
def test_reference_crash_vector_is_clean(v, tmp_path, capsys, monkeypatch):
    work = _scratch(tmp_path, v)
    rc, text = _run_cli(work, v, capsys, monkeypatch)
    if rc == 0:
        _assert_validates((work / _output_name(v)).read_bytes(), v["arch"])
    else:
        _assert_clean_failure(rc, text, work, v)


@pytest.mark.parametrize("v", [v for v in LINK if v["expect"] == "reference-broken"], ids=_id)
def test_reference_broken_vector_gives_a_working_entry(v, tmp_path, capsys, monkeypatch):
    work = _scratch(tmp_path, v)
    rc, text = _run_cli(work, v, capsys, monkeypatch)
    assert rc == 0, text
    got = (work / _output_name(v)).read_bytes()
    _assert_validates(got, v["arch"])
    reference = _wanted(v)[0]
    if v["arch"] in ("xtensa", "xtensawin"):
        # The reference recomputes the xtensa trampoline after layout, so its entry is
        # right there; ours must agree with it.
        assert got == reference
    else:
        assert got != reference


def test_cli_runs_as_a_module(tmp_path):
    """`python -m natmod_tool link` works as a whole process, with the reference's options."""
    v = next(v for v in LINK if v["case"] == "qstrs" and v["arch"] == "armv7m")
    work = _scratch(tmp_path, v)
    proc = subprocess.run(
        [sys.executable, "-m", "natmod_tool", "link", "-v", *v["options"], *v["inputs"]],
        cwd=work,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    assert (work / _output_name(v)).read_bytes() in _wanted(v)
    assert "GOT entries:" in proc.stdout and "sections:" in proc.stdout
