"""The `natmod` tool as a conventional SCons tool: what `generate(env)` leaves alone.

A plain `Environment(tools=["natmod"])` must not change process-wide SCons state (the
implicit cache option, SCons' decider table, the global C scanner) or the environment's
decider; the speed-ups that do (speed.py) come with `NATMOD_SPEEDUPS=True`,
`natmod_scons.speedups(env)`, or NativeMpyProject (unless `NATMOD_SPEEDUPS=False`).
Also: the link's side output is declared by its emitter, and a NatmodLink without the
variables it needs is one line at declaration time.

Real SCons in a subprocess, on SConstructs that print what they see.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from scons_support import SCONSTRUCT, make_repo, run_scons, write

#: prepended to an SConstruct: SCons' state before the tool is loaded
BEFORE = """\
import SCons.Node, SCons.Tool
from SCons.Script import GetOption
import natmod_scons
_decider_map = dict(SCons.Node._decider_map)
DefaultEnvironment(tools=[])
"""

#: appended: SCons' state after; `env` is the tool's environment
AFTER = """\
import gc
print("gc_full_interval=%d" % gc.get_threshold()[2])
print("implicit_cache=%s" % bool(GetOption("implicit_cache")))
print("decider_map_untouched=%s" % (dict(SCons.Node._decider_map) == _decider_map))
print("global_c_scanner=%s" % (SCons.Tool.SourceFileScanner.select(File("x.c")) is SCons.Tool.CScanner))
print("env_decider=%s" % env.decide_source.__name__)
_obj = env["BUILDERS"]["Object"]
print("env_c_scanner=%s" % getattr(_obj, "builder", _obj).source_scanner.select(File("x.c")).name)
"""


def _state(root: Path, body: str, *args: str) -> dict[str, str]:
    """Run an SConstruct of BEFORE + body + AFTER under `--debug=explain`; its printed values."""
    write(root, "SConstruct", BEFORE + body + AFTER)
    result = run_scons(root, "-n", "--debug=explain", *args)
    assert result.returncode == 0, result
    assert "Traceback" not in result.stderr, result
    return dict(line.split("=", 1) for line in result.stdout.splitlines() if "=" in line and " " not in line)


def test_plain_environment_changes_no_global_state(tmp_path: Path) -> None:
    state = _state(tmp_path, 'env = Environment(tools=["natmod"], toolpath=[natmod_scons.TOOLPATH])\n')
    assert state["implicit_cache"] == "False", state
    assert state["gc_full_interval"] == "10", state  # CPython's default
    assert state["decider_map_untouched"] == "True", state  # no explain patch, even under --debug=explain
    assert state["global_c_scanner"] == "True", state
    assert state["env_decider"] != "decide", state  # SCons' own (content) decider
    assert state["env_c_scanner"] == "NatmodCScanner", state  # the config header edge: always, per env


@pytest.mark.parametrize(
    "body",
    [
        'env = Environment(tools=["natmod"], toolpath=[natmod_scons.TOOLPATH], NATMOD_SPEEDUPS=True)\n',
        'env = Environment(tools=["natmod"], toolpath=[natmod_scons.TOOLPATH])\nnatmod_scons.speedups(env)\n',
    ],
    ids=["variable", "function"],
)
def test_speedups_on_request(tmp_path: Path, body: str) -> None:
    state = _state(tmp_path, body)
    assert state["implicit_cache"] == "True", state
    assert state["gc_full_interval"] == "100", state  # fewer full collections (speed.py)
    assert state["decider_map_untouched"] == "False", state  # the explain fix, asked for by --debug=explain
    assert state["env_decider"] == "decide", state
    assert state["global_c_scanner"] == "True", state  # never global


def test_speedups_patch_nothing_without_explain(tmp_path: Path) -> None:
    body = 'env = Environment(tools=["natmod"], toolpath=[natmod_scons.TOOLPATH], NATMOD_SPEEDUPS=True)\n'
    write(tmp_path, "SConstruct", BEFORE + body + AFTER)
    result = run_scons(tmp_path, "-n")
    assert result.returncode == 0, result
    assert "decider_map_untouched=True" in result.stdout and "implicit_cache=True" in result.stdout, result


@pytest.mark.parametrize(("setting", "on"), [("", True), (", NATMOD_SPEEDUPS=False", False)])
def test_project_turns_them_on_unless_told_not_to(tmp_path: Path, mpy_dir: Path, setting: str, on: bool) -> None:
    make_repo(tmp_path)
    body = SCONSTRUCT.replace("import natmod_scons\n\nDefaultEnvironment(tools=[])\n", "")
    body = body.replace("toolpath=[natmod_scons.TOOLPATH])", f"toolpath=[natmod_scons.TOOLPATH]{setting})")
    state = _state(tmp_path, body, f"MPY_DIR={mpy_dir}")
    assert state["implicit_cache"] == str(on), state
    assert state["gc_full_interval"] == ("100" if on else "10"), state
    assert (state["env_decider"] == "decide") is on, state  # else SCons' own (content)
    assert state["global_c_scanner"] == "True", state


LINK_SCONSTRUCT = """\
import natmod_scons
DefaultEnvironment(tools=[])
env = Environment(tools=["natmod"], toolpath=[natmod_scons.TOOLPATH])
aenv = env.NatmodArchEnvs()[0]
{call}
"""


def test_link_emitter_declares_the_sizes_file(tmp_path: Path, mpy_dir: Path) -> None:
    call = (
        'print("targets=" + ",".join(str(n) for n in aenv.NatmodLink("m/calc.native.mpy", ["m/x.o"], '
        'NATMOD_CONFIG_H=File("m/calc.config.h"))))\n'
        'print("given=" + ",".join(str(n) for n in aenv.NatmodLink(["m/g.mpy", "m/other.json"], ["m/y.o"], '
        'NATMOD_CONFIG_H=File("m/g.config.h"))))\n'
    )
    write(tmp_path, "SConstruct", LINK_SCONSTRUCT.format(call=call))
    result = run_scons(tmp_path, "-n", f"MPY_DIR={mpy_dir}", "m/calc.native.mpy")
    assert "targets=m/calc.native.mpy,m/calc.size.json\n" in result.stdout, result
    assert "given=m/g.mpy,m/other.json\n" in result.stdout, result


@pytest.mark.parametrize(
    ("call", "missing"),
    [
        ('aenv.NatmodLink("calc.mpy", ["x.o"])', "NATMOD_CONFIG_H"),
        ('env.NatmodLink("calc.mpy", ["x.o"], NATMOD_CONFIG_H="calc.config.h")', "NATMOD_ARCH"),
    ],
)
def test_link_without_what_it_needs_is_one_line(tmp_path: Path, mpy_dir: Path, call: str, missing: str) -> None:
    write(tmp_path, "SConstruct", LINK_SCONSTRUCT.format(call=call))
    result = run_scons(tmp_path, f"MPY_DIR={mpy_dir}")
    assert result.returncode == 2, result
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result
    assert lines[0].startswith(f"scons: *** natmod: NatmodLink(calc.mpy): no {missing}: "), result
    assert "KeyError" not in result.stderr and "Traceback" not in result.stderr, result


@pytest.mark.parametrize(
    ("before", "after"), [("gc.set_threshold(700, 10, 500)", "500"), ("gc.set_threshold(0)", "10")]
)
def test_speedups_keep_the_projects_own_collector_settings(tmp_path: Path, before: str, after: str) -> None:
    """A project that tuned the collector (less often, or off with threshold 0) keeps its choice."""
    body = f'import gc\n{before}\nenv = Environment(tools=["natmod"], toolpath=[natmod_scons.TOOLPATH])\n'
    state = _state(tmp_path, body + "natmod_scons.speedups(env)\n")
    assert state["gc_full_interval"] == after, state
