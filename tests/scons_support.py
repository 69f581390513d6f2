"""Helpers for the SCons tool tests: a small natmod repository and a way to run SCons on it.

The repository is built the way a user's would be, in a temporary folder: a top
SConstruct that loads the tool through `natmod_scons.TOOLPATH` (as after `pip install`),
and module folders with their own SConscript.  `Scons.run()` returns the step lines
(`CC mods/calc/calc.c [x64]`) so tests can assert exactly what was rebuilt.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent

#: one quiet step line: KIND target-or-source [arch]
STEP_RE = re.compile(r"^(CC|CXX|AS|AR|RANLIB|QSTR|MPY|LINK|MERGE|DIST|MIP) (\S+)(?: \[(\w+)\])?$")

SCONSTRUCT = """\
import natmod_scons

DefaultEnvironment(tools=[])
env = Environment(tools=["natmod"], toolpath=[natmod_scons.TOOLPATH])
env.NativeMpyProject(["mods/*/SConscript"])
"""

COMMON_H = """\
// Shared by calc.c and ops/ops.c (not by helper.c).
#define COMMON_OFFSET 3
int ops_square(int x);
int helper_twice(int x);
"""

CALC_C = """\
#include "py/dynruntime.h"
#include "common.h"

static mp_obj_t square(mp_obj_t x_obj) {
    return mp_obj_new_int(ops_square(mp_obj_get_int(x_obj)));
}
static MP_DEFINE_CONST_FUN_OBJ_1(square_obj, square);

static mp_obj_t twice(mp_obj_t x_obj) {
    return mp_obj_new_int(helper_twice(mp_obj_get_int(x_obj)));
}
static MP_DEFINE_CONST_FUN_OBJ_1(twice_obj, twice);

mp_obj_t mpy_init(mp_obj_fun_bc_t *self, size_t n_args, size_t n_kw, mp_obj_t *args) {
    MP_DYNRUNTIME_INIT_ENTRY
    mp_store_global(MP_QSTR_square, MP_OBJ_FROM_PTR(&square_obj));
    mp_store_global(MP_QSTR_twice, MP_OBJ_FROM_PTR(&twice_obj));
    mp_store_global(MP_QSTR_OFFSET, mp_obj_new_int(COMMON_OFFSET));
    MP_DYNRUNTIME_INIT_EXIT
}
"""

OPS_C = """\
#include "py/dynruntime.h"
#include "common.h"

int ops_square(int x) {
    return x * x + COMMON_OFFSET - COMMON_OFFSET;
}
"""

HELPER_C = """\
// Plain C: includes no MicroPython header, so qstr changes never recompile it.
int helper_twice(int x) {
    return 2 * x;
}
"""

UTIL_PY = """\
def describe(x):
    return "calc:%d" % x
"""

GREET_C = """\
#include "py/dynruntime.h"

#ifndef GREETING
#define GREETING 1
#endif

static mp_obj_t hello(void) {
    return mp_obj_new_int(GREETING);
}
static MP_DEFINE_CONST_FUN_OBJ_0(hello_obj, hello);

mp_obj_t mpy_init(mp_obj_fun_bc_t *self, size_t n_args, size_t n_kw, mp_obj_t *args) {
    MP_DYNRUNTIME_INIT_ENTRY
    mp_store_global(MP_QSTR_hello, MP_OBJ_FROM_PTR(&hello_obj));
    MP_DYNRUNTIME_INIT_EXIT
}
"""

FILES = {
    "SConstruct": SCONSTRUCT,
    "mods/calc/SConscript": 'Import("env")\nenv.NativeMpy("calc", ["calc.c", "ops/ops.c", "helper.c", "util.py"])\n',
    "mods/calc/common.h": COMMON_H,
    "mods/calc/calc.c": CALC_C,
    "mods/calc/ops/ops.c": OPS_C,
    "mods/calc/helper.c": HELPER_C,
    "mods/calc/util.py": UTIL_PY,
    "mods/greet/SConscript": 'Import("env")\nenv.NativeMpy("greet", ["greet.c"], CFLAGS=["-DGREETING=7"])\n',
    "mods/greet/greet.c": GREET_C,
}

#: a MicroPython script exercising both modules (run with build/<arch>/mods/* on the path)
CHECK_PY = """\
import calc, greet
print(calc.square(5), calc.twice(4), calc.OFFSET, calc.describe(9), greet.hello())
"""

_next_mtime = time.time() + 10


def bump_mtime(path: Path) -> None:
    """Give `path` a modification time no earlier build has seen.

    SCons' content-timestamp decider trusts an unchanged whole-second timestamp, so
    an edit within the second of the previous build would go unnoticed; a real user
    cannot type that fast, a test can.
    """
    global _next_mtime
    _next_mtime += 2
    os.utime(path, (_next_mtime, _next_mtime))


def write(root: Path, rel: str, text: str) -> Path:
    """Create or replace `root/rel` with `text`, with a fresh mtime."""
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    bump_mtime(path)
    return path


def make_repo(root: Path, files: dict[str, str] | None = None) -> Path:
    """Write the sample repository (or `files`) under `root`; returns `root`."""
    for rel, text in (files or FILES).items():
        write(root, rel, text)
    return root


@dataclass
class Result:
    """One SCons run: exit status, output, and the parsed step lines."""

    returncode: int
    stdout: str
    stderr: str

    @property
    def steps(self) -> list[tuple[str, str, str]]:
        """(kind, name, arch) for each quiet step line, in output order."""
        found = []
        for line in self.stdout.splitlines():
            match = STEP_RE.match(line.strip())
            if match:
                found.append((match.group(1), match.group(2), match.group(3) or ""))
        return found

    def names(self, kind: str, arch: str | None = None) -> list[str]:
        """Sorted names of the steps of one kind (optionally one arch)."""
        return sorted(name for k, name, a in self.steps if k == kind and (arch is None or a == arch))

    def __str__(self) -> str:
        return f"exit {self.returncode}\n--- stdout\n{self.stdout}\n--- stderr\n{self.stderr}"


def scons_env() -> dict[str, str]:
    """Environment for SCons: natmod_scons/natmod_tool importable as after `pip install`."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO_ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return env


def run_scons(
    root: Path, *args: str, timeout: float = 600, env: dict[str, str] | None = None, quiet: bool = True
) -> Result:
    """`python -m SCons -Q <args>` in `root` (`quiet=False`: without -Q); `env` is added to
    scons_env()."""
    done = subprocess.run(
        [sys.executable, "-m", "SCons", *(["-Q"] if quiet else []), *args],
        cwd=root,
        env={**scons_env(), **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return Result(done.returncode, done.stdout, done.stderr)


def files_under(root: Path) -> dict[str, int]:
    """Every file below `root` with its mtime (ns), for "left untouched" checks."""
    if not root.exists():
        return {}
    return {str(p.relative_to(root)): p.stat().st_mtime_ns for p in sorted(root.rglob("*")) if p.is_file()}
