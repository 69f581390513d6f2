"""Test runtimes: a small MicroPython of our own per CPU, to run scripts that import natmods.

`ensure_runtime(arch, mpy_dir)` builds (once per user and input set, see `build`) a
MicroPython from the tree's py/ and shared/ plus our port (`port/`): a Linux program
for x86/x64, a firmware image for a qemu board for the ARM and RISC-V arches and for
qemu's xtensa sim machine (see `targets`).  `Runtime.run(script, import_dirs)` runs a
script with the natmod folders first on `sys.path` and returns its exit status and
output.  A natmod that faults
ends the run with a "natmod-testrt: FATAL: ..." line and status 1, never a hang.

`python -m natmod_tool.testrt ARCH SCRIPT [IMPORT_DIR...]` does the same from a shell.
"""

from __future__ import annotations

import os

from ..errors import NatmodError
from .build import build_runtime
from .run import RunResult, Runtime
from .targets import TARGETS
from .tools import runtime_problem

__all__ = ["TARGETS", "RunResult", "Runtime", "ensure_runtime", "runtime_problem"]


def ensure_runtime(arch: str, mpy_dir: str | os.PathLike[str], *, quiet: bool = False) -> Runtime:
    """Build (or reuse the cached build of) the runtime for `arch`; raise NatmodError on failure."""
    problem = runtime_problem(arch)
    if problem is not None:
        raise NatmodError(problem)
    return Runtime(arch, build_runtime(arch, mpy_dir, quiet=quiet))
