"""The no-op shortcut's rules that need no SCons run: which command lines may take it, and
which SConstruct prefixes the trace can vouch for (natmod_scons/noop.py)."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

from natmod_scons import noop


@pytest.mark.parametrize(
    ("argv", "allowed"),
    [
        (["-j2", "ARCH=all"], True),
        (["-Q", "-k", "-s", "--jobs=4", "-j", "3", "dist"], True),
        (["-f", "SConstruct.other", "--file=x", "-fy"], True),
        (["-j"], False),  # -j without its number
        (["-jx"], False),
        (["-n"], False),
        (["-c"], False),
        (["-h"], False),
        (["--debug=explain"], False),
        (["--tree=all"], False),
        (["-Qj2"], False),  # combined short options: not taken apart, so not allowed
        (["--implicit-deps-changed"], False),
        (["-C", "elsewhere"], False),
    ],
)
def test_command_lines(monkeypatch: pytest.MonkeyPatch, argv: list[str], allowed: bool) -> None:
    monkeypatch.setattr(sys, "argv", ["scons", *argv])
    monkeypatch.delenv("SCONSFLAGS", raising=False)
    assert (noop._command_line() is not None) is allowed


def test_sconsflags_count_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "argv", ["scons", "-j2"])
    monkeypatch.setenv("SCONSFLAGS", "-n")
    assert noop._command_line() is None
    monkeypatch.setenv("SCONSFLAGS", "-Q")
    assert noop._command_line() == ["-Q", "-j2"]


@pytest.mark.parametrize(
    ("text", "early"),
    [
        ('"""Doc."""\nimport os\nfrom SCons.Script import Environment\nimport natmod_scons\n', True),
        ("import natmod_scons\n", True),
        ("DefaultEnvironment(tools=[])\nimport natmod_scons\n", False),
        ("import os\nX = os.environ.get('X')\nimport natmod_scons\n", False),
    ],
)
def test_only_imports_before(tmp_path: Path, text: str, early: bool) -> None:
    script = tmp_path / "SConstruct"
    script.write_text(text)
    line = text.splitlines().index("import natmod_scons") + 1
    assert noop._only_imports_before(str(script), line) is early


def test_status_of_files_and_folders(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_text("a")
    before = noop._status(str(path))
    time.sleep(0.05)  # file times move in clock ticks of a few ms
    path.write_text("b")
    os.utime(path, ns=(before[0], before[0]))  # same size, modification time set back
    after = noop._status(str(path))
    assert after is not None and before is not None
    assert after[0] == before[0] and after[2] == before[2] and after[1] != before[1]  # the change time moved
    assert noop._status(str(tmp_path / "missing")) is None
    folder = noop._status(str(tmp_path))
    (tmp_path / "g").write_text("")
    assert noop._status(str(tmp_path)) == folder  # a folder's entries are its listing
    assert noop._listing(str(tmp_path)) == ["f", "g"]
