"""Whether this machine can build and run an arch's test runtime (compiler, emulator)."""

from __future__ import annotations

import functools
import shutil
import subprocess
import tempfile
from pathlib import Path

from .targets import TARGETS, host_is_x86


@functools.cache
def _links(compiler: tuple[str, ...]) -> bool:
    """True when `compiler` can compile and link a C program (for gcc -m32: multilib is there)."""
    with tempfile.TemporaryDirectory(prefix="natmod-testrt-probe-") as tmp:
        src = Path(tmp, "probe.c")
        src.write_text("int main(void) { return 0; }\n")
        try:
            done = subprocess.run(
                [*compiler, str(src), "-o", str(Path(tmp, "probe"))], capture_output=True, timeout=60, check=False
            )
        except (OSError, subprocess.SubprocessError):
            return False
        return done.returncode == 0


def runtime_problem(arch: str) -> str | None:
    """Why `arch`'s runtime cannot be built or run here, in one line; None when it can."""
    target = TARGETS.get(arch)
    if target is None:
        return f"no test runtime for arch {arch!r}: use one of {', '.join(TARGETS)}"
    install = f"apt-get install {' '.join(target.packages)}"
    try:
        import SCons  # noqa: F401
    except ImportError:
        return "SCons is not installed (pip install scons): the test runtime is built with it"
    if shutil.which(target.compiler[0]) is None:
        return f"{target.compiler[0]} is not installed: {install}"
    if target.hosted:
        if not host_is_x86():
            return f"the {arch} runtime runs natively and needs an x86 Linux machine"
        if not _links(target.compiler):
            return f"{' '.join(target.compiler)} cannot link a program: {install}"
        return None
    if shutil.which(target.qemu) is None:
        return f"{target.qemu} is not installed: {install}"
    return None
