"""Test runtime speed per arch (prints figures; not a test).

For each arch whose runtime can be built here (natmod_tool.testrt.runtime_problem):

* cold build: wall time of `ensure_runtime` into an empty cache folder
  (XDG_CACHE_HOME pointed at a temporary folder; the MicroPython tree is passed in,
  so nothing is downloaded);
* cached: wall time of the same call again (the no-op path every test run takes);
* run: wall time of one small test, factorial built with the project's SCons tool,
  best of three (process start, qemu boot, import of the .mpy, the script).

Usage: python benchmarks/runtime_bench.py [ARCH ...]
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from natmod_tool.mpydir import resolve_mpy_dir  # noqa: E402
from natmod_tool.testrt import TARGETS, ensure_runtime, runtime_problem  # noqa: E402

SCRIPT = "import factorial\nprint(factorial.factorial(12))\n"


def build_factorial(work: Path, arches: list[str], mpy_dir: Path) -> Path:
    """factorial.mpy for `arches` with the project's SCons tool; returns the build folder."""
    top = work / "mods"
    shutil.copytree(REPO / "examples" / "factorial", top / "mods" / "factorial")
    shutil.copytree(REPO / "site_scons", top / "site_scons", ignore=shutil.ignore_patterns("__pycache__"))
    (top / "SConstruct").write_text(
        "DefaultEnvironment(tools=[])\n"
        'env = Environment(tools=["natmod"])\n'
        'env.NativeMpyProject(["mods/*/SConscript"])\n'
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    subprocess.run(
        [sys.executable, "-m", "SCons", "-Q", "-C", str(top), "-j2", f"ARCH={','.join(arches)}", f"MPY_DIR={mpy_dir}"],
        env=env,
        check=True,
        capture_output=True,
    )
    return top / "build"


def main(argv: list[str]) -> int:
    wanted = argv or list(TARGETS)
    mpy_dir = resolve_mpy_dir()
    arches = []
    for arch in wanted:
        problem = runtime_problem(arch)
        if problem:
            print(f"{arch}: skipped ({problem})")
        else:
            arches.append(arch)
    rows = []
    with tempfile.TemporaryDirectory(prefix="natmod-runtime-bench-") as tmp:
        work = Path(tmp)
        build = build_factorial(work, arches, mpy_dir)
        script = work / "bench.py"
        script.write_text(SCRIPT)
        os.environ["XDG_CACHE_HOME"] = str(work / "cache")
        for arch in arches:
            started = time.monotonic()
            runtime = ensure_runtime(arch, mpy_dir, quiet=True)
            cold = time.monotonic() - started
            started = time.monotonic()
            ensure_runtime(arch, mpy_dir, quiet=True)
            cached = time.monotonic() - started
            runs = []
            for _ in range(3):
                started = time.monotonic()
                result = runtime.run(script, [build / arch / "mods" / "factorial"])
                runs.append(time.monotonic() - started)
                if result.output != "479001600\n":
                    print(f"{arch}: unexpected output {result.output!r} {result.stderr!r}")
                    return 1
            rows.append((arch, TARGETS[arch].board, cold, cached, min(runs)))
            print(f"{arch}: done", file=sys.stderr)
    print(f"{'arch':<10} {'machine':<42} {'cold build':>10} {'cached':>8} {'run':>7}")
    for arch, board, cold, cached, run in rows:
        print(f"{arch:<10} {board:<42} {cold:>9.1f}s {cached * 1000:>6.0f}ms {run * 1000:>5.0f}ms")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
