"""Scale-out figures on a generated repository (prints figures; not a test).

Generates N modules (2-5 C files each; every fifth with a Python part, every seventh
with LINK_RUNTIME=1) and builds them with `-j2` for the given arches:

1. cold: clone A from nothing, with an empty shared CACHE_DIR;
2. warm CACHE_DIR: clone B at another path, same CACHE_DIR (compiler runs must be 0), with
   SCons copying the entries out (the default) and with CACHE_LINK=1 (hard links); with
   `--warm-runs K` each is measured K times, in turn, from a fresh clone state (no build
   folder, no `.sconsign`), and the median is shown with the range; with `--arch-jobs N`
   (default 2) also with ARCH_JOBS=N and CACHE_LINK=1, against a cold build with
   ARCH_JOBS=N of its own (another clone, another empty cache);
3. warm remote ccache only: clone C, no CACHE_DIR, its own empty local ccache folder,
   CCACHE=1 with a Redis server on 127.0.0.1 that clone A' filled (started and stopped here);
4. no-op: clone B again.

Also the CACHE_DIR size per module x arch, and the machine's load average (it is shared:
the ratios of one run matter more than its seconds).

Usage: python benchmarks/scaleout_bench.py [--modules N] [--arches x64,armv7m,...] [--warm-runs K]
                                           [--arch-jobs N] [--tool CHECKOUT]
       (CHECKOUT: another natmod-tool tree, for before/after)
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

SCONSTRUCT = """\
import natmod_scons
DefaultEnvironment(tools=[])
env = Environment(tools=["natmod"], toolpath=[natmod_scons.TOOLPATH])
env.NativeMpyProject(["mods/*/SConscript"])
"""

MAIN_C = """\
#include "py/dynruntime.h"
{decls}
static mp_obj_t run(mp_obj_t x_in) {{
    mp_int_t x = mp_obj_get_int(x_in);
{calls}    return mp_obj_new_int(x);
}}
static MP_DEFINE_CONST_FUN_OBJ_1(run_obj, run);

mp_obj_t mpy_init(mp_obj_fun_bc_t *self, size_t n_args, size_t n_kw, mp_obj_t *args) {{
    MP_DYNRUNTIME_INIT_ENTRY
    mp_store_global(MP_QSTR_run, MP_OBJ_FROM_PTR(&run_obj));
    MP_DYNRUNTIME_INIT_EXIT
}}
"""

PART_C = """\
int m{m}_part{p}(int x) {{
    int acc = x;
    for (int i = 0; i < {loops}; i++) {{
        acc = acc * 3 + i - (acc >> 2);
    }}
    return acc;
}}
"""

RUNTIME_PART_C = """\
long long m{m}_part{p}(long long x) {{
    return x / 7 + x % 5;
}}
"""


def generate(root: Path, modules: int) -> None:
    """Write the repository: SConstruct and `mods/m<i>/`."""
    (root / "mods").mkdir(parents=True)
    (root / "SConstruct").write_text(SCONSTRUCT)
    for m in range(modules):
        folder = root / "mods" / f"m{m}"
        folder.mkdir()
        parts = 1 + m % 4  # 2-5 C files with the main one
        runtime = m % 7 == 3
        decls, calls, sources = "", "", [f'"m{m}.c"']
        for p in range(parts):
            kind = "long long" if runtime else "int"
            decls += f"{kind} m{m}_part{p}({kind} x);\n"
            calls += f"    x = m{m}_part{p}(x);\n"
            text = RUNTIME_PART_C if runtime else PART_C
            (folder / f"part{p}.c").write_text(text.format(m=m, p=p, loops=3 + p))
            sources.append(f'"part{p}.c"')
        (folder / f"m{m}.c").write_text(MAIN_C.format(decls=decls, calls=calls))
        if m % 5 == 1:
            (folder / "extra.py").write_text(f"def twice(x):\n    return 2 * run(x) + {m}\n")
            sources.append('"extra.py"')
        options = ", LINK_RUNTIME=1" if runtime else ""
        (folder / "SConscript").write_text(f'Import("env")\nenv.NativeMpy("m{m}", [{", ".join(sources)}]{options})\n')


#: CPU seconds (user + sys) of every SCons run so far and what it ran (resource.RUSAGE_CHILDREN)
_CPU = {"last": 0.0}


def cpu_seconds() -> float:
    """CPU seconds of the last `scons()` run with its compilers (steadier than wall time on a shared machine)."""
    return _CPU["last"]


def scons(root: Path, *args: str, env: dict[str, str] | None = None, tool: Path = REPO) -> tuple[float, str]:
    """Run SCons -Q -j2; (wall seconds, stdout).  `cpu_seconds()` gives its CPU time."""
    full = {**os.environ, **(env or {})}
    full["PYTHONPATH"] = os.pathsep.join([str(tool), full.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    full.pop("PYTHONDONTWRITEBYTECODE", None)  # as a user's Python: the tool's bytecode is kept
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "SCons", "-Q", "-j2", *args], cwd=root, env=full, capture_output=True, text=True
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    _CPU["last"] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if done.returncode != 0:
        sys.exit(f"scons {' '.join(args)} failed in {root}:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return wall, done.stdout


def compiles(stdout: str) -> int:
    return sum(1 for line in stdout.splitlines() if line.startswith(("CC ", "CXX ", "AS ")))


def size_of(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


#: what a fresh clone does not have: the build folder, SCons' signatures, the no-op record
CLONE_STATE = ("build", ".sconsign.dblite", ".natmod-noop.json")  # the arch folders' records are in build/


def reset_clone(root: Path) -> None:
    """Put `root` back to a fresh clone's state (its sources only)."""
    for name in CLONE_STATE:
        path = root / name
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()


def warm_clone_figures(root: Path, runs: int, variants: dict[str, tuple[str, ...]], tool: Path) -> dict[str, list]:
    """Each variant's (wall, CPU, compiles) per run, the variants in turn from a fresh clone state."""
    figures: dict[str, list] = {name: [] for name in variants}
    for _ in range(runs):
        for name, args in variants.items():
            reset_clone(root)
            wall, out = scons(root, *args, tool=tool)
            figures[name].append((wall, cpu_seconds(), compiles(out)))
    return figures


def median_line(label: str, runs: list, cold: float, cold_cpu: float) -> str:
    """One warm-clone line: median wall and CPU (share of the cold build's), range when several runs."""
    walls, cpus = sorted(r[0] for r in runs), sorted(r[1] for r in runs)
    wall, cpu = walls[len(walls) // 2], cpus[len(cpus) // 2]
    spread = f", {walls[0]:.2f}-{walls[-1]:.2f} s over {len(runs)} runs" if len(runs) > 1 else ""
    return (
        f"{label:<36}{wall:7.2f} s ({wall / cold:.0%} of cold, {max(r[2] for r in runs)} compiles{spread})"
        f"  CPU {cpu:6.2f} s ({cpu / cold_cpu:.0%})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modules", type=int, default=200)
    parser.add_argument("--arches", default="x64,x86,armv6m,armv7m,armv7emsp,armv7emdp,rv32imc,rv64imc")
    parser.add_argument("--warm-runs", type=int, default=1, help="measure each warm clone this many times")
    parser.add_argument("--arch-jobs", type=int, default=2, help="also measure ARCH_JOBS=N (1: not)")
    parser.add_argument("--tool", type=Path, default=REPO, help="the natmod-tool checkout to measure")
    opts = parser.parse_args()
    tool = opts.tool.resolve()
    load_start = os.getloadavg()
    arch_arg = f"ARCH={opts.arches}"
    work = Path(tempfile.mkdtemp(prefix="natmod-scaleout-"))
    try:
        cache = work / "cache"
        clones = {name: work / name / "repo" for name in ("a", "b", "c", "d", "e")}
        for root in clones.values():
            generate(root, opts.modules)
        cold, out = scons(clones["a"], arch_arg, f"CACHE_DIR={cache}", tool=tool)
        cold_cpu, cold_compiles = cpu_seconds(), compiles(out)
        split = f"ARCH_JOBS={opts.arch_jobs}"
        if opts.arch_jobs > 1:
            cold_split, out = scons(clones["e"], arch_arg, f"CACHE_DIR={work / 'cache-split'}", split, tool=tool)
            cold_split_cpu, cold_split_compiles = cpu_seconds(), compiles(out)
        variants = {
            "second clone, warm CACHE_DIR:": (arch_arg, f"CACHE_DIR={cache}"),
            "the same with CACHE_LINK=1:": (arch_arg, f"CACHE_DIR={cache}", "CACHE_LINK=1"),
        }
        split_label = f"... and {split} (vs its cold build):"
        if opts.arch_jobs > 1:
            variants[split_label] = (arch_arg, f"CACHE_DIR={cache}", "CACHE_LINK=1", split)
        warm_runs = warm_clone_figures(clones["b"], max(1, opts.warm_runs), variants, tool)
        reset_clone(clones["b"])
        scons(clones["b"], arch_arg, f"CACHE_DIR={cache}", tool=tool)
        noop, _ = scons(clones["b"], arch_arg, f"CACHE_DIR={cache}", tool=tool)
        noop_cpu = cpu_seconds()

        redis = shutil.which("redis-server")
        remote_line = "remote ccache: redis-server not installed"
        if redis and shutil.which("ccache"):
            port = free_port()
            server = subprocess.Popen(
                [redis, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"],
                stdout=subprocess.DEVNULL,
            )
            try:
                time.sleep(0.5)
                remote = {"CCACHE_REMOTE_STORAGE": f"redis://127.0.0.1:{port}"}
                fill = {**remote, "CCACHE_DIR": str(work / "cc-c")}
                scons(clones["c"], arch_arg, "CCACHE=1", env=fill, tool=tool)
                fresh = {**remote, "CCACHE_DIR": str(work / "cc-d")}
                hot, out = scons(clones["d"], arch_arg, "CCACHE=1", env=fresh, tool=tool)
                hot_cpu = cpu_seconds()
                remote_line = (
                    f"only the remote ccache warm:         {hot:7.2f} s ({hot / cold:.0%} of cold)"
                    f"  CPU {hot_cpu:6.2f} s ({hot_cpu / cold_cpu:.0%})"
                )
            finally:
                server.terminate()
                server.wait()
        pairs = opts.modules * len(opts.arches.split(","))
        print(f"{opts.modules} modules x {len(opts.arches.split(','))} arches ({pairs} module-arches), -j2")
        print(f"tool: {tool}")
        print("wall seconds (share of the cold build's), then CPU seconds of SCons and its compilers (share)")
        print(f"cold build:                         {cold:7.2f} s ({cold_compiles} compiles)  CPU {cold_cpu:6.2f} s")
        if opts.arch_jobs > 1:
            print(
                f"cold build with {split}:{'':<{22 - len(split)}}{cold_split:7.2f} s ({cold_split_compiles} compiles)"
                f"  CPU {cold_split_cpu:6.2f} s"
            )
        for label, runs in warm_runs.items():
            if label == split_label:
                print(median_line(label, runs, cold_split, cold_split_cpu))
            else:
                print(median_line(label, runs, cold, cold_cpu))
        print(remote_line)
        print(f"no-op:                              {noop:7.2f} s  CPU {noop_cpu:6.2f} s")
        print(
            f"CACHE_DIR size: {size_of(cache) / 1024:.0f} KiB, {size_of(cache) / pairs / 1024:.1f} KiB per module-arch"
        )
        loads = " ".join(f"{x:.2f}" for x in (*load_start[:1], *os.getloadavg()[:1]))
        print(f"load average (1 min) at start and end: {loads}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
