"""Clean build time of the examples with gcc vs clang, per arch (prints a table; not a test).

For each arch clang can build (natmod_scons/clang.py) whose GNU toolchain is installed,
and each toolchain (gcc, then every installed clang of SUPPORTED_VERSIONS), a private
copy of SConstruct, site_scons/ and examples/ is built from nothing with
`scons -j2 ARCH=<arch> TOOLCHAIN=<toolchain>`; the figure is the wall time (best of
`--runs`, default 1) and the summed text size of the modules (`scons sizes` figures).

Usage: python benchmarks/clang_bench.py [--runs N] [ARCH ...]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from natmod_scons import arches as natmod_arches  # noqa: E402
from natmod_scons import probes  # noqa: E402
from natmod_scons.clang import CLANG_FLAGS, SUPPORTED_VERSIONS  # noqa: E402
from natmod_tool.arch import ARCHES  # noqa: E402


def toolchains() -> list[str]:
    """gcc and the clang versions installed here."""
    found = ["gcc"]
    for version in SUPPORTED_VERSIONS:
        name = "clang" if version == "14" else f"clang-{version}"
        if shutil.which(name):
            found.append(name)
    return found


def buildable() -> list[str]:
    cache = probes.shared()
    return [
        name
        for name in CLANG_FLAGS
        if isinstance(natmod_arches.find_toolchain(ARCHES[name], cache), natmod_arches.Toolchain)
    ]


def clean_build(arch: str, toolchain: str) -> tuple[float, int]:
    """(wall seconds, summed text bytes) of one clean build in a scratch copy."""
    with tempfile.TemporaryDirectory(prefix="clang-bench-") as tmp:
        top = Path(tmp)
        shutil.copy2(REPO / "SConstruct", top / "SConstruct")
        shutil.copytree(REPO / "site_scons", top / "site_scons", ignore=shutil.ignore_patterns("__pycache__"))
        shutil.copytree(REPO / "examples", top / "examples", ignore=shutil.ignore_patterns("__pycache__"))
        argv = [sys.executable, "-m", "SCons", "-Q", "-j2", "-C", str(top), f"ARCH={arch}", f"TOOLCHAIN={toolchain}"]
        start = time.perf_counter()
        done = subprocess.run(argv, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - start
        if done.returncode:
            sys.exit(f"{arch} {toolchain}: build failed\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
        text = sum(json.loads(p.read_text())["text"] for p in (top / "build" / arch).rglob("*.size.json"))
        return wall, text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("arches", nargs="*")
    args = parser.parse_args()
    arches = args.arches or buildable()
    chains = toolchains()
    print(f"clean build of the examples (scons -j2, best of {args.runs}); seconds / text bytes of all modules")
    print("| arch | " + " | ".join(chains) + " |")
    print("|---|" + "---|" * len(chains))
    totals = dict.fromkeys(chains, 0.0)
    for arch in arches:
        cells = []
        for chain in chains:
            runs = [clean_build(arch, chain) for _ in range(args.runs)]
            wall = min(r[0] for r in runs)
            totals[chain] += wall
            cells.append(f"{wall:.1f} s / {runs[0][1]} B")
        print(f"| {arch} | " + " | ".join(cells) + " |")
    print("| total | " + " | ".join(f"{totals[c]:.1f} s" for c in chains) + " |")


if __name__ == "__main__":
    main()
