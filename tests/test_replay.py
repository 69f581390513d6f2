"""Which module SConscripts are read once for every arch (natmod_scons/replay.py).

Only a file that can mean nothing but the same NativeMpy calls on every arch may skip
SCons' per-arch read; anything that could differ between arches must be refused.  The
builds themselves (both ways) are covered by the test_scons_*.py files, whose sample
SConscripts have the plain shape, and by the examples (two of which do not).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from natmod_scons.replay import plain_calls


def calls_of(tmp_path: Path, text: str):
    path = tmp_path / "SConscript"
    path.write_text(text)
    return plain_calls(str(path))


def test_plain_file_gives_its_calls_and_lines(tmp_path: Path) -> None:
    text = (
        '"""A module."""\n# comment\nImport("env")\n\n'
        'env.NativeMpy("calc", ["calc.c", "x.py"], CPPDEFINES=[("W", 16)], LINK_RUNTIME=1)\n'
        'env.NativeMpy(\n    "other",\n    ["o.c"],\n)\n'
    )
    calls = calls_of(tmp_path, text)
    assert [(c.args, c.kwargs, c.line) for c in calls] == [
        (("calc", ["calc.c", "x.py"]), {"CPPDEFINES": [("W", 16)], "LINK_RUNTIME": 1}, 5),
        (("other", ["o.c"]), {}, 6),
    ]


@pytest.mark.parametrize(
    "text",
    [
        'Import("env")\nif env["NATMOD_ARCH"] == "x64":\n    env.NativeMpy("m", ["m.c"])\n',
        'Import("env")\nsources = ["m.c"]\nenv.NativeMpy("m", sources)\n',
        'Import("env")\nlib = env.StaticLibrary("lib/x", ["lib/x.c"])\nenv.NativeMpy("m", ["m.c"], LIBS=[lib])\n',
        'Import("env")\nenv.NativeMpy("m", Glob("*.c"))\n',
        'Import("env")\nenv.NativeMpy("m", ["m.c"], **OPTIONS)\n',
        'Import("env")\nenv.NativeMpy("m", *ARGS)\n',
        'Import("env")\nother.NativeMpy("m", ["m.c"])\n',
        'Import("env", "flags")\nenv.NativeMpy("m", ["m.c"])\n',
        'env.NativeMpy("m", ["m.c"])\nImport("env")\n',
        'Import("env")\nenv.NativeMpy("m", ["m.c"])\nReturn("env")\n',
        'Import("env")\nimport os\nenv.NativeMpy("m", ["m.c"])\n',
        'Import("env")\n',
        'Import("env")\nenv.NativeMpy("m", ["m.c"]\n',
    ],
    ids=[
        "arch-test",
        "variable",
        "library",
        "glob",
        "double-star",
        "star",
        "other-env",
        "more-imports",
        "call-before-import",
        "return",
        "python-import",
        "no-call",
        "syntax-error",
    ],
)
def test_anything_else_is_read_per_arch(tmp_path: Path, text: str) -> None:
    assert calls_of(tmp_path, text) is None


def test_missing_file_is_left_to_scons(tmp_path: Path) -> None:
    assert plain_calls(str(tmp_path / "SConscript")) is None
