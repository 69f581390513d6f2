"""Compile signatures substituted once per module (natmod_scons/compilesig.py) equal SCons' own.

The shortcut must give, for every object, exactly the signature text and command
dependency SCons' LazyAction computes; a flag that names the object or its source must
leave it to SCons (and so still give each object its own command).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from scons_support import FILES, SCONSTRUCT, make_repo, run_scons, write

pytestmark = pytest.mark.scons

#: appended to the SConstruct: compare both ways for every object, print one line each
CHECK = """
import SCons.Action
from SCons.Script import DEFAULT_TARGETS
from natmod_scons.compilesig import CompileAction

def _natmod_check():
    seen, todo = set(), list(DEFAULT_TARGETS)
    while todo:
        node = todo.pop()
        if node in seen:
            continue
        seen.add(node)
        todo.extend(node.sources)
        todo.extend(node.depends)
        if not node.has_builder() or not node.name.endswith(".o"):
            continue
        executor = node.get_executor()
        env = executor.get_build_env()
        targets, sources = executor.get_all_targets(), executor.get_all_sources()
        action = executor.get_action_list()[0]._generate(targets, sources, env, 1)
        assert isinstance(action, CompileAction), type(action)
        ours = action.get_presig(targets, sources, env)
        theirs = SCons.Action.LazyAction.get_presig(action, targets, sources, env)
        deps = [str(d) for d in action.get_implicit_deps(targets, sources, env)]
        their_deps = [str(d) for d in SCons.Action.LazyAction.get_implicit_deps(action, targets, sources, env)]
        fast = action._texts[id(env)][2] is not None
        print(f"SIG {node.name} fast={fast} same={ours == theirs} deps={deps == their_deps and bool(deps)} {ours}")
    Exit(0)

_natmod_check()
"""


def _check(root: Path) -> dict[str, str]:
    write(root, "SConstruct", SCONSTRUCT + CHECK)
    done = run_scons(root)
    assert done.returncode == 0, done
    lines = [line for line in done.stdout.splitlines() if line.startswith("SIG ")]
    assert lines, done
    return {line.split()[1]: line for line in lines}


def test_signatures_match_scons_for_c_cxx_and_asm(tmp_path: Path, mpy_dir: Path, scons_command: list[str]) -> None:
    files = dict(FILES)
    files["mods/both/SConscript"] = 'Import("env")\nenv.NativeMpy("both", ["main.c", "extra.cpp", "fast.S"])\n'
    files["mods/both/main.c"] = '#include "py/dynruntime.h"\n'
    files["mods/both/extra.cpp"] = "int extra(int x) { return x; }\n"
    files["mods/both/fast.S"] = "    .text\n"
    lines = _check(make_repo(tmp_path, files))
    assert set(lines) >= {"calc.o", "ops.o", "helper.o", "greet.o", "main.o", "extra.o", "fast.o"}
    for line in lines.values():
        assert "fast=True same=True deps=True" in line, line
    assert lines["greet.o"].endswith(" -o greet.o -c greet.c") and "-DGREETING=7" in lines["greet.o"]
    assert "-std=c++17" in lines["extra.o"]


def test_flag_naming_the_source_is_left_to_scons(tmp_path: Path, mpy_dir: Path, scons_command: list[str]) -> None:
    files = dict(FILES)
    files["mods/greet/SConscript"] = (
        'Import("env")\nenv.NativeMpy("greet", ["greet.c", "other.c"], CFLAGS=["-DFROM_${SOURCE.filebase}"])\n'
    )
    files["mods/greet/other.c"] = "int other(void) { return 1; }\n"
    lines = _check(make_repo(tmp_path, files))
    for name in ("greet.o", "other.o"):
        assert "fast=False same=True" in lines[name], lines[name]
    assert "-DFROM_greet" in lines["greet.o"] and "-DFROM_other" in lines["other.o"]
    assert "fast=True same=True" in lines["calc.o"]  # other modules keep the shortcut
