"""SCons build speed on the examples, per installed arch (prints figures; not a test).

For each arch whose toolchain is installed, on a private copy of the repository's
SConstruct, site_scons/ and examples/ (so ./build is never touched), with `-j2`:

* clean build: wall time of `scons ARCH=<arch>` from nothing;
* no-op rebuild: wall time of the same command again (nothing to do: SCons reads and checks
  everything, and records the no-op shortcut's facts), then once more ("no-op 2": the
  shortcut, natmod_scons/noop.py);
* one-file edit: wall time after a code change in one C file of a multi-file module;
* link+merge share: time in our in-process link and merge actions (from SCons'
  `--debug=time` per-target figures) as a share of the clean build's wall time and
  of its summed command time.

Usage: python benchmarks/build_bench.py [ARCH ...]
"""

from __future__ import annotations

import os
import re
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
from natmod_tool.arch import ARCHES  # noqa: E402

TIME_RE = re.compile(r"^Command execution time: (\S+): ([0-9.]+) seconds$")
#: the file edited for the one-file rebuild, and a code change that keeps it valid C
EDIT_FILE = Path("examples/multifile/stats.c")


def installed() -> list[str]:
    """Arches with a usable compiler here (same discovery as the tool)."""
    cache = probes.shared()
    return [
        name
        for name, info in ARCHES.items()
        if isinstance(natmod_arches.find_toolchain(info, cache), natmod_arches.Toolchain)
    ]


def scons(root: Path, *args: str, timing_log: Path | None = None) -> tuple[float, str]:
    """Run SCons; return (wall seconds, stdout).  Fails loudly on a build error."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env.pop("NATMOD_TIMING_LOG", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # as a user's Python: the tool's bytecode is kept
    if timing_log is not None:
        env["NATMOD_TIMING_LOG"] = str(timing_log)
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "SCons", "-Q", "-j2", *args],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"scons {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return elapsed, done.stdout


def command_seconds(stdout: str) -> float:
    """Summed per-target command time from `--debug=time` lines."""
    return sum(float(m.group(2)) for m in map(TIME_RE.match, stdout.splitlines()) if m)


def link_merge_seconds(log: Path) -> tuple[float, float]:
    """(wall seconds during which a link or merge ran, summed link+merge seconds).

    The first is the union of the actions' intervals: with -j2 two Python actions can
    overlap (sharing the interpreter), so their plain sum can exceed the wall time.
    """
    spans = []
    for line in log.read_text().splitlines() if log.exists() else []:
        step, _target, start, end = line.split("\t")
        if step in ("LINK", "MERGE"):
            spans.append((float(start), float(end)))
    covered, summed, reach = 0.0, 0.0, float("-inf")
    for start, end in sorted(spans):
        summed += end - start
        if end > reach:
            covered += end - max(start, reach)
            reach = end
    return covered, summed


def copy_repo(dest: Path) -> None:
    """The parts of the checkout a build reads."""
    shutil.copy(REPO / "SConstruct", dest / "SConstruct")
    for folder in ("site_scons", "examples"):
        shutil.copytree(REPO / folder, dest / folder, ignore=shutil.ignore_patterns("__pycache__", "build*"))


def bench_arch(root: Path, arch: str, edit_number: int) -> dict[str, float]:
    """Clean, no-op and one-edit figures for one arch."""
    shutil.rmtree(root / "build", ignore_errors=True)
    for sconsign in root.glob(".sconsign*"):
        sconsign.unlink()
    log = root / f"timing-{arch}.log"
    clean, out = scons(root, f"ARCH={arch}", "--debug=time", timing_log=log)
    covered, summed = link_merge_seconds(log)
    noop, _ = scons(root, f"ARCH={arch}")
    shortcut, _ = scons(root, f"ARCH={arch}")
    path = root / EDIT_FILE
    path.write_text(path.read_text() + f"\nint build_bench_edit_{edit_number}(void) {{ return {edit_number}; }}\n")
    stamp = time.time() + 10 + edit_number * 2  # a timestamp no earlier build has seen
    os.utime(path, (stamp, stamp))
    edit, _ = scons(root, f"ARCH={arch}")
    return {
        "clean": clean,
        "noop": noop,
        "shortcut": shortcut,
        "edit": edit,
        "covered": covered,
        "summed": summed,
        "commands": command_seconds(out),
    }


def main(argv: list[str]) -> int:
    arches = argv or installed()
    print(f"examples x {len(arches)} arches, scons -j2 (seconds)")
    print("link+merge: wall time with a link or merge running (share of the clean build's wall time),")
    print("            and their summed time as a share of all command time (--debug=time)")
    print(
        f"{'arch':<10} {'clean':>7} {'no-op':>7} {'no-op 2':>7} {'1 edit':>7} {'link+merge':>11} {'% wall':>7} "
        f"{'% cmds':>7}"
    )
    totals = dict.fromkeys(("clean", "noop", "shortcut", "edit", "covered"), 0.0)
    with tempfile.TemporaryDirectory(prefix="natmod-build-bench-") as tmp:
        root = Path(tmp)
        copy_repo(root)
        for number, arch in enumerate(arches):
            r = bench_arch(root, arch, number)
            for key in totals:
                totals[key] += r[key]
            _row(arch, r)
        print(
            f"{'total':<10} {totals['clean']:7.2f} {totals['noop']:7.2f} {totals['shortcut']:7.2f} "
            f"{totals['edit']:7.2f} "
            f"{totals['covered']:11.2f} {100 * totals['covered'] / totals['clean']:6.1f}%"
        )
        # What a user types: every arch in one SCons run (one start-up, one import of the linker).
        _row("all (1 run)", bench_arch(root, ",".join(arches), len(arches)))
    return 0


def _row(label: str, r: dict[str, float]) -> None:
    print(
        f"{label:<10} {r['clean']:7.2f} {r['noop']:7.2f} {r['shortcut']:7.2f} {r['edit']:7.2f} {r['covered']:11.2f} "
        f"{100 * r['covered'] / r['clean']:6.1f}% {100 * r['summed'] / max(r['commands'], 1e-9):6.1f}%"
    )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
