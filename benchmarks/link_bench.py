"""Linker speed and memory on the biggest conformance vector of each arch (prints figures; not a test).

For each arch: in-process link time (median of 20 after one warm-up, archives
cached as in an SCons run), peak Python memory of one link (tracemalloc), and the
wall time of `python -m natmod_tool link` as a whole process (median of 5).

Usage: python benchmarks/link_bench.py
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from natmod_tool.linker.driver import link  # noqa: E402

VECTORS = REPO / "tests" / "vectors"


def _options(v: dict) -> dict:
    opts, libs, i = {}, [], 0
    while i < len(v["options"]):
        key, value = v["options"][i], v["options"][i + 1]
        if key == "-l":
            libs.append(value)
        else:
            opts[key] = value
        i += 2
    opts["libs"] = libs
    return opts


def biggest_per_arch() -> dict[str, dict]:
    manifest = json.loads((VECTORS / "manifest.json").read_text())
    best: dict[str, tuple[int, dict]] = {}
    for v in manifest["vectors"]:
        if v["kind"] != "link" or v["expect"] != "ok":
            continue
        folder = VECTORS / v["case"] / v["arch"]
        files = v["inputs"] + _options(v)["libs"]
        size = sum((folder / f).stat().st_size for f in files)
        if size > best.get(v["arch"], (-1, {}))[0]:
            best[v["arch"]] = (size, v)
    return {arch: v for arch, (_, v) in best.items()}


def main() -> None:
    print(f"{'arch':10} {'case':18} {'in-process ms':>14} {'peak KiB':>9} {'process ms':>11}")
    for arch, v in biggest_per_arch().items():
        folder = VECTORS / v["case"] / arch
        opts = _options(v)
        kwargs = dict(
            libs=[folder / lib for lib in opts["libs"]],
            qstrs=folder / opts["--qstrs"] if "--qstrs" in opts else None,
            externs=folder / opts["--externs"] if "--externs" in opts else None,
            arch_flags=opts.get("--arch-flags"),
            source_name=opts["-o"],
        )
        objects = [folder / i for i in v["inputs"]]
        link(objects, arch, **kwargs)  # warm-up: imports and the archive cache
        times = []
        for _ in range(20):
            start = time.perf_counter()
            link(objects, arch, **kwargs)
            times.append(time.perf_counter() - start)
        tracemalloc.start()
        link(objects, arch, **kwargs)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        wall = []
        with tempfile.TemporaryDirectory() as tmp:
            cmd = [sys.executable, "-m", "natmod_tool", "link", *v["options"][:-2], "-o", f"{tmp}/out.mpy"]
            env = {**os.environ, "PYTHONPATH": str(REPO)}
            for _ in range(5):
                start = time.perf_counter()
                subprocess.run([*cmd, *v["inputs"]], cwd=folder, env=env, check=True, capture_output=True)
                wall.append(time.perf_counter() - start)
        print(
            f"{arch:10} {v['case']:18} {statistics.median(times) * 1000:14.2f} {peak / 1024:9.0f} "
            f"{statistics.median(wall) * 1000:11.0f}"
        )


if __name__ == "__main__":
    main()
