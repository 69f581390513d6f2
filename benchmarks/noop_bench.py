"""No-op build time against SCons' own floor for a graph of the same shape (prints figures; not a test).

For each repository (the examples, and benchmarks/scaleout_bench.py's generated one with
N modules), for the arches asked for (default: every installed one):

1. build it with the natmod tool (`scons -j2 ARCH=...`), then time `scons -Q -j2 ARCH=...`
   again (nothing to do), median of several runs, and its peak memory: once as users get it
   (the first no-op records, the next ones take the no-op shortcut, natmod_scons/noop.py),
   once with `NATMOD_NOOP=0` (SCons reads every SConscript and checks every node);
2. dump that build's graph (every node the default targets depend on, with its sources) and
   write a plain SConstruct that declares the same nodes with stock SCons only: each object
   an `env.Object` of the same C file (SCons' C scanner, same include folders and the
   config header as an explicit dependency), every other step (qstr header, mpy-cross,
   archive, link, merge) a `Command` with a shell command; the same content-timestamp
   decider and implicit cache our tool turns on;
3. build that plain graph and time its no-op the same way.

The plain graph's no-op is the floor: what SCons itself needs to check that many nodes.

4. for the generated repositories, MicroPython's make flow on a copy (benchmarks/make_flow.py:
   one `make` per module and arch with the tree's py/dynruntime.mk; natmod-tool's link,
   preprocess and merge stand in for tools/mpy_ld.py and mpy-tool.py, which no PyPI package
   ships; a no-op make runs neither), built once, then its no-op timed the same way.
   The examples use C++ and per-file options the make flow has no form for: no make column.

The machine is shared; figures are medians.

Usage: python benchmarks/noop_bench.py [--modules 10,50,200] [--no-examples] [--arches x64,...]
       [--runs 5] [--tool CHECKOUT] [--no-make]   (CHECKOUT: another natmod-tool tree, for before/after)
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(REPO))  # make_flow reads SConscripts with natmod_scons.replay

import make_flow  # noqa: E402
from scaleout_bench import generate  # noqa: E402

#: appended to a copy of the project's SConstruct: write the default targets' graph, stop
DUMP = """
def _natmod_bench_dump():
    import json, os
    from SCons.Script import DEFAULT_TARGETS
    C_SUFFIXES = (".c", ".cpp", ".cc", ".cxx", ".S", ".sx")
    top = Dir("#").abspath
    seen, steps = set(), []
    def rel(node):
        return os.path.relpath(node.abspath, top)
    todo = list(DEFAULT_TARGETS)
    while todo:
        node = todo.pop()
        if node in seen:
            continue
        seen.add(node)
        deps = list(node.sources) + list(node.depends)
        todo.extend(deps)
        if type(node).__name__ == "Alias":  # under -Q the default is the `natmods` alias: follow it
            continue
        if not node.has_builder() or node.get_executor() is None:
            continue
        targets = node.get_executor().get_all_targets()
        if any(t in seen and t is not node for t in targets):
            continue
        seen.update(targets)
        source = [s.srcnode() if not s.has_builder() else s for s in node.sources]
        step = {"targets": [rel(t) for t in targets], "sources": [rel(s) for s in source],
                "depends": [rel(d) for d in node.depends]}
        if len(source) == 1 and os.path.splitext(source[0].name)[1] in C_SUFFIXES and node.name.endswith(".o"):
            benv = node.get_build_env()
            dirs = []
            for entry in benv.get("CPPPATH", []):
                relative = isinstance(entry, str) and not entry.startswith("#")
                dirs.append((benv.Dir(entry, node.dir) if relative else benv.Dir(entry)).srcnode().abspath)
            config = benv.get("NATMOD_CONFIG_H")
            step["cpppath"] = dirs
            step["config_h"] = rel(config) if config is not None else None
        steps.append(step)
    with open(os.environ["NATMOD_BENCH_DUMP"], "w") as handle:
        json.dump(steps, handle)
    Exit(0)
_natmod_bench_dump()
"""

#: the plain graph: stock SCons, the decider and implicit cache our tool uses
PLAIN_SCONSTRUCT = """\
import json
DefaultEnvironment(tools=[])
SetOption("implicit_cache", 1)
env = Environment(tools=["cc", "cxx", "as", "ar"])
env.Decider("content-timestamp")
for com in ("CCCOM", "CXXCOM", "ASPPCOM"):
    env[com] = "touch $TARGET && : $CC $CFLAGS $CCFLAGS $_CCCOMCOM -o $TARGET -c $SOURCES"
env["CPPDEFINES"] = ["NDEBUG", "NO_QSTR", "MICROPY_ENABLE_DYNRUNTIME"]
env["CFLAGS"] = ["-std=c99", "-Os", "-Wall", "-Werror", "-fpic", "-fno-common"]
targets = []
for step in json.load(open("graph.json")):
    if "cpppath" in step:
        nodes = env.Object(step["targets"][0], step["sources"], CPPPATH=step["cpppath"])
        if step["config_h"]:
            env.Depends(nodes, step["config_h"])
    else:
        nodes = env.Command(step["targets"], step["sources"], "touch $TARGETS")
        if step["depends"]:
            env.Depends(nodes, step["depends"])
    targets += nodes
Default(targets)
"""


def _python_env(tool: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(tool), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env.pop("NATMOD_TIMING_LOG", None)
    # a user's Python keeps the tool's bytecode (__pycache__); without it every run compiles
    # natmod_scons and natmod_tool from source again (about 0.1 s), which the plain graph never imports
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def run_scons(
    root: Path, args: list[str], env: dict[str, str], sconstruct: str = "SConstruct"
) -> tuple[float, int, str]:
    """(wall seconds, peak resident KiB, output) of one `scons -Q -j2 ...`; a failure stops the bench."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "SCons", "-Q", "-j2", "-f", sconstruct, *args],
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    out = proc.stdout.read() if proc.stdout else ""
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        sys.exit(f"scons {' '.join(args)} failed in {root}:\n{out[-3000:]}")
    return wall, usage.ru_maxrss, out


def _did_nothing(out: str) -> bool:
    """True when a build printed no step (only "up to date" lines and natmod's notes)."""
    return all("is up to date" in line or line.startswith("natmod: ") for line in out.splitlines() if line.strip())


def noop(root: Path, args: list[str], env: dict[str, str], runs: int, sconstruct: str = "SConstruct") -> dict:
    """Median wall time and peak memory of `runs` no-op builds (after one warm-up run)."""
    # warm-up: the file cache, a first no-op's sconsign rewrite; until a run does nothing (the
    # first one that does records the no-op shortcut's facts)
    for _ in range(3):
        if _did_nothing(run_scons(root, args, env, sconstruct)[2]):
            break
    walls, peaks = [], []
    for _ in range(runs):
        wall, peak, out = run_scons(root, args, env, sconstruct)
        if not _did_nothing(out):
            sys.exit(f"not a no-op in {root}:\n{out[-3000:]}")
        walls.append(wall)
        peaks.append(peak)
    return {"median": statistics.median(walls), "min": min(walls), "peak_mib": max(peaks) / 1024}


def plain_graph(root: Path, plain: Path, args: list[str], env: dict[str, str]) -> int:
    """Write the plain-SCons copy of `root`'s graph into `plain`; returns its number of steps."""
    dump = root / "SConstruct.natmod-bench-dump"
    dump.write_text((root / "SConstruct").read_text() + DUMP)
    graph = plain / "graph.json"
    run_scons(root, args, {**env, "NATMOD_BENCH_DUMP": str(graph)}, dump.name)
    dump.unlink()
    steps = json.loads(graph.read_text())
    # paths are relative to the repository: the plain graph reads the same sources there
    for step in steps:
        for key in ("targets", "sources", "depends"):
            step[key] = [p if os.path.isabs(p) else str(_plain_path(root, plain, p)) for p in step[key]]
        if step.get("config_h"):
            step["config_h"] = str(_plain_path(root, plain, step["config_h"]))
    graph.write_text(json.dumps(steps))
    (plain / "SConstruct").write_text(PLAIN_SCONSTRUCT)
    return len(steps)


def _plain_path(root: Path, plain: Path, rel: str) -> Path:
    """Built files get their own place in the plain tree; sources stay the repository's files."""
    path = root / rel
    return plain / rel if rel.startswith(("build", "dist")) else path


def make_noop(root: Path, arches: list[str], tool: Path, runs: int) -> tuple[float, float]:
    """(clean seconds, median no-op seconds) of the make flow on a copy of `root`."""
    from natmod_tool.mpydir import resolve_mpy_dir

    mpy_dir = str(resolve_mpy_dir(None))
    script = make_flow.prepare(root, root.parent / (root.name + "-make"), mpy_dir, arches)
    env = {**_python_env(tool), "MPY_DIR": mpy_dir}
    clean, _ = make_flow.run(script, env)
    make_flow.run(script, env)  # warm-up, as for SCons
    walls = []
    for _ in range(runs):
        wall, out = make_flow.run(script, env)
        if out.strip():
            sys.exit(f"the make flow's no-op printed:\n{out[-2000:]}")
        walls.append(wall)
    return clean, statistics.median(walls)


def case(label: str, root: Path, arches: list[str], tool: Path, runs: int, with_make: bool) -> None:
    """One table row: build `root`, time its no-op, then the plain graph's (and the make flow's)."""
    arch_arg = f"ARCH={','.join(arches)}"
    env = _python_env(tool)
    start = time.perf_counter()
    run_scons(root, [arch_arg], env)
    cold = time.perf_counter() - start  # "build" when --work reuses an earlier build
    ours = noop(root, [arch_arg], env, runs)  # the warm-up no-op records, the timed ones take the shortcut
    walk = noop(root, [arch_arg], {**env, "NATMOD_NOOP": "0"}, runs)  # SCons' own walk of our graph
    plain = root.parent / (root.name + "-plain")
    shutil.rmtree(plain, ignore_errors=True)
    plain.mkdir()
    steps = plain_graph(root, plain, [arch_arg], env)
    objects = sum(1 for s in json.loads((plain / "graph.json").read_text()) if "cpppath" in s)
    run_scons(plain, [], env)
    floor = noop(plain, [], env, runs)
    ratio = ours["median"] / floor["median"]
    make = "      -       -      -      -"
    if with_make:
        make_clean, make_med = make_noop(root, arches, tool, runs)
        make = f"{make_clean:7.1f} {make_med:7.2f} {ours['median'] / make_med:6.2f} {walk['median'] / make_med:6.2f}"
    print(
        f"{label:<22} {steps:6d} {objects:6d} {cold:7.1f} {ours['median']:7.2f} {ours['min']:6.2f} "
        f"{walk['median']:7.2f} {floor['median']:7.2f} {floor['min']:6.2f} {ratio:6.2f} "
        f"{walk['median'] / floor['median']:6.2f} {ours['peak_mib']:6.0f} {walk['peak_mib']:6.0f} "
        f"{floor['peak_mib']:6.0f} {make}",
        flush=True,
    )


def installed_arches(tool: Path) -> list[str]:
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "from natmod_scons import arches, probes\nfrom natmod_tool.arch import ARCHES\n"
            "print(','.join(n for n, i in ARCHES.items() "
            "if isinstance(arches.find_toolchain(i, probes.shared()), arches.Toolchain)))",
        ],
        env=_python_env(tool),
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip().split(",")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modules", default="10,50,200", help="generated repository sizes, comma list ('' for none)")
    parser.add_argument("--no-examples", action="store_true", help="skip the examples/ repository")
    parser.add_argument("--arches", default="", help="comma list (default: every installed arch)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--tool", type=Path, default=REPO, help="the natmod-tool checkout to measure")
    parser.add_argument("--no-make", action="store_true", help="skip MicroPython's make flow")
    parser.add_argument(
        "--work", type=Path, help="keep the repositories here and reuse their builds next time (default: a temp dir)"
    )
    opts = parser.parse_args()
    tool = opts.tool.resolve()
    arches = opts.arches.split(",") if opts.arches else installed_arches(tool)
    print(f"no-op builds, scons -Q -j2, {len(arches)} arches ({','.join(arches)}), tool: {tool}")
    print(f"median (and min) of {opts.runs} runs after a warm-up; peak resident memory; the machine is shared")
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(
        f"{'repository':<22} {'steps':>6} {'objs':>6} {'cold s':>7} {'ours s':>7} {'min':>6} {'walk s':>7} "
        f"{'floor s':>7} {'min':>6} {'ratio':>6} {'walk/f':>6} {'MiB':>6} {'wk MiB':>6} {'fl MiB':>6} "
        f"{'make':>7} {'make s':>7} {'/make':>6} {'wk/mk':>6}"
    )
    work = opts.work.resolve() if opts.work else Path(tempfile.mkdtemp(prefix="natmod-noop-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        if not opts.no_examples:
            root = work / "examples"
            if not root.exists():
                root.mkdir()
                shutil.copy(REPO / "SConstruct", root / "SConstruct")
                for folder in ("site_scons", "examples"):
                    ignore = shutil.ignore_patterns("__pycache__", "build*")
                    shutil.copytree(REPO / folder, root / folder, ignore=ignore)
            case("examples", root, arches, tool, opts.runs, with_make=False)
        for count in [int(n) for n in opts.modules.split(",") if n]:
            root = work / f"gen{count}"
            if not root.exists():
                generate(root, count)
            case(f"{count} modules", root, arches, tool, opts.runs, with_make=not opts.no_make)
        print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        print(
            "ours: with the no-op shortcut (natmod_scons/noop.py);  walk: NATMOD_NOOP=0, SCons reads and checks "
            "everything;  ratio, walk/f: against the floor;  make: the make flow's clean build and no-op;  "
            "/make, wk/mk: against make"
        )
    finally:
        if not opts.work:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
