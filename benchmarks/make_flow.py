"""MicroPython's make flow on a copy of a repository, for the benchmarks (not a test).

MicroPython builds a natmod with one `make` per module and arch: a three-line Makefile
that includes the tree's `py/dynruntime.mk`, which runs `tools/mpy_ld.py` (link and qstr
preprocessing), `tools/mpy-tool.py --merge` and `mpy-cross`.  The default tree (the PyPI
sdist natmod_tool fetches) has `py/dynruntime.mk` but no `tools/`, and no PyPI package
ships `mpy_ld.py`, so the make flow here runs with natmod-tool's own `link`, `preprocess`
and `merge` in place of those two scripts (MPY_LD and MPY_TOOL on make's command line, as
dynruntime.mk allows) and with the `mpy_cross` package's binary.  A no-op make runs none of
them: what it measures is make itself (reading dynruntime.mk, its `$(shell ...)` calls,
the timestamp checks), which is the figure issue 16 compares with.  A clean build's time
is make's with our linker, not with mpy_ld.py.

Only modules whose SConscript is the plain shape (replay.py) with C and Python sources
are written; a module this flow cannot express (C++, per-file flags) stops the benchmark.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

from natmod_scons import replay

#: mpy_ld.py's and mpy-tool.py's command lines, on natmod-tool (written next to the copy)
SHIM = '''\
"""mpy_ld.py / mpy-tool.py --merge command lines, run by natmod-tool (benchmarks/make_flow.py)."""
import sys

from natmod_tool.cli import main

args = sys.argv[1:]
if "--merge" in args:
    args.remove("--merge")
    sys.exit(main(["merge", *args]))
if "--preprocess" in args:
    args.remove("--preprocess")
    sys.exit(main(["preprocess", *args]))
sys.exit(main(["link", "--writable-data", *args]))
'''

MAKEFILE = """\
MPY_DIR = {mpy_dir}
MOD = {name}
SRC = {sources}
{options}ifeq ($(ARCH),xtensa)
MPY_EXTERN_SYM_FILE = {rom_externs}
endif
include $(MPY_DIR)/py/dynruntime.mk
"""

#: module options the make flow takes as make variables
OPTIONS = {"LINK_RUNTIME": "LINK_RUNTIME"}


def mpy_cross_binary() -> str:
    """The `mpy_cross` package's binary (what the SCons tool runs too)."""
    import mpy_cross

    folder = Path(mpy_cross.__file__).parent
    for path in sorted(folder.iterdir()):
        if path.name.startswith("mpy-cross") and path.is_file() and os.access(path, os.X_OK):
            return str(path)
    sys.exit(f"no mpy-cross binary in {folder}")


def rom_externs() -> str:
    """The ESP8266 ROM's addresses, which an xtensa module links against (as the SCons tool does
    by default; MicroPython's make flow takes them as MPY_EXTERN_SYM_FILE)."""
    from natmod_tool.arch import get_arch
    from natmod_tool.linker.undefined import rom_externs_file

    return rom_externs_file(get_arch("xtensa")) or ""


def write_makefiles(root: Path, mpy_dir: str) -> list[Path]:
    """A Makefile beside each module SConscript of `root` (`mods/*/SConscript`); their folders."""
    folders = []
    for sconscript in sorted(root.glob("mods/*/SConscript")):
        calls = replay.plain_calls(str(sconscript))
        if not calls or len(calls) != 1:
            sys.exit(f"{sconscript}: not one plain NativeMpy call; the make flow cannot build it")
        call = calls[0]
        name, sources = call.args[0], list(call.args[1])
        unknown = set(call.kwargs) - set(OPTIONS)
        if unknown or any(not s.endswith((".c", ".py")) for s in sources):
            sys.exit(f"{sconscript}: {sorted(unknown) or sources} has no make-flow equivalent here")
        options = "".join(f"{OPTIONS[k]} = {int(v) if isinstance(v, bool) else v}\n" for k, v in call.kwargs.items())
        text = MAKEFILE.format(
            mpy_dir=mpy_dir, name=name, sources=" ".join(sources), options=options, rom_externs=rom_externs()
        )
        (sconscript.parent / "Makefile").write_text(text)
        folders.append(sconscript.parent)
    return folders


def make_script(root: Path, folders: list[Path], arches: list[str], python: str) -> Path:
    """`make-all.sh`: one `make` per module and arch, one after the other, as a user's loop runs them."""
    shim = root / "mpy_ld_shim.py"
    shim.write_text(SHIM)
    variables = {
        "MPY_CROSS": mpy_cross_binary(),
        "MPY_LD": f"{python} {shim}",
        "MPY_TOOL": f"{python} {shim}",
    }
    assignments = " ".join(shlex.quote(f"{k}={v}") for k, v in variables.items())
    lines = ["#!/bin/sh", "set -e"]
    for folder in folders:
        for arch in arches:
            lines.append(f"make -s -C {shlex.quote(str(folder))} ARCH={arch} {assignments}")
    script = root / "make-all.sh"
    script.write_text("\n".join(lines) + "\n")
    return script


def run(script: Path, env: dict[str, str]) -> tuple[float, str]:
    """(wall seconds, output) of the whole loop; a failure stops the benchmark."""
    start = time.perf_counter()
    done = subprocess.run(["sh", str(script)], env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"make flow failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return wall, done.stdout


def prepare(source: Path, dest: Path, mpy_dir: str, arches: list[str]) -> Path:
    """Copy the repository `source` to `dest` (sources only) with Makefiles; returns the loop script."""
    shutil.rmtree(dest, ignore_errors=True)
    shutil.copytree(source, dest, ignore=shutil.ignore_patterns("build", "dist", ".sconsign*", "__pycache__"))
    folders = write_makefiles(dest, mpy_dir)
    return make_script(dest, folders, arches, sys.executable)
