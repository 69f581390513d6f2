"""The CLI loads only the command it runs (a Makefile may run `natmod-tool link` per module)."""

from __future__ import annotations

import subprocess
import sys

import pytest

PROBE = """\
import sys
from natmod_tool.cli import main
try:
    main({argv!r})
except SystemExit:
    pass
print(sorted(m for m in sys.modules if m.startswith("natmod_tool.commands.")))
"""


def _loaded(argv: list[str]) -> str:
    done = subprocess.run([sys.executable, "-c", PROBE.format(argv=argv)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()[-1]


@pytest.mark.parametrize("command", ["link", "merge", "preprocess", "inspect", "test"])
def test_a_command_loads_only_its_module(command: str) -> None:
    assert _loaded([command, "--help"]) == str([f"natmod_tool.commands.{command}"])


@pytest.mark.parametrize("argv", [["--help"], ["lnik"], []])
def test_help_and_typos_see_every_command(argv: list[str]) -> None:
    loaded = _loaded(argv)
    assert all(f"natmod_tool.commands.{name}" in loaded for name in ("link", "merge", "preprocess", "inspect", "test"))
