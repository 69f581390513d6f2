"""End to end: build every example with SCons, run the x64 builds in real MicroPython.

One SCons run (session fixture) builds all examples for every installed arch, in a
temporary copy of the project (`SConstruct`, `site_scons/`, `examples/`), so nothing is
left in the checkout (no `build/`, no `.sconsign.dblite`).  Then:

* x64: each `examples/<name>/test_<name>.py` runs in the MicroPython unix port with the
  built `.mpy` on its import path; its output must equal `test_<name>.exp`.
* every installed arch: each example's `.mpy` exists, reads back with
  `natmod_tool.mpy.reader.read_mpy`, passes `validate` (header, relocations inside the
  images, ...), has the arch in its header, and carries the module's qstrs.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import REPO_ROOT, skip_or_fail

from natmod_tool.mpy.reader import KIND_BYTECODE, KIND_VIPER, MpyFile, read_mpy, validate
from natmod_tool.qstr import load_static_qstrs, native_qstr_names, read_native_qstrs
from natmod_tool.toolchains import TOOLCHAINS, toolchain

EXAMPLES_DIR = REPO_ROOT / "examples"
EXAMPLES = sorted(d.name for d in EXAMPLES_DIR.iterdir() if (d / "SConscript").is_file())
#: the examples the project promises (README); more may be added
REQUIRED_EXAMPLES = (
    "data",
    "exceptions",
    "extlib",
    "factorial",
    "floats",
    "heap",
    "mixed",
    "multifile",
    "runtime",
)
#: a cold build of ~80 modules takes about two minutes on two cores
BUILD_TIMEOUT = 30 * 60


def tool_sources_digest() -> str:
    """Digest of the linker and SCons tool sources (they are part of every build signature)."""
    digest = hashlib.sha256()
    for package in ("natmod_tool", "natmod_scons"):
        for path in sorted((REPO_ROOT / package).rglob("*.py")):
            digest.update(str(path.relative_to(REPO_ROOT)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


@dataclass
class ExamplesBuild:
    """The result of building all examples for `arches` in `top`."""

    top: Path
    arches: tuple[str, ...]
    returncode: int
    output: str
    tool_digest: str  # tool_sources_digest() when the build started

    def mpy(self, arch: str, name: str) -> Path:
        """Where the module `name` for `arch` is built (BUILD_DIR/<arch>/<folder>/)."""
        return self.top / "build" / arch / "examples" / name / f"{name}.mpy"

    def module_dir(self, arch: str, name: str) -> Path:
        return self.mpy(arch, name).parent

    def config_h(self, arch: str, name: str) -> Path:
        return self.module_dir(arch, name) / f"{name}.config.h"

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.output.splitlines()[-lines:])


#: source suffixes NativeMpy accepts (C, C++, assembler, Python)
SOURCE_SUFFIXES = (".c", ".cpp", ".cc", ".cxx", ".S", ".s", ".sx", ".py")


def module_sources(name: str, recursive: bool = False) -> list[Path]:
    """Source files of an example (not its test script): top level, or the whole folder."""
    folder = EXAMPLES_DIR / name
    found = folder.rglob("*") if recursive else folder.iterdir()
    return sorted(p for p in found if p.suffix in SOURCE_SUFFIXES and not p.name.startswith("test_"))


def scons_env() -> dict[str, str]:
    """Environment for SCons: this checkout's packages first on the import path."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH", "")) if p)
    return env


@pytest.fixture(scope="session")
def examples_build(tmp_path_factory, scons_command, installed_arches, mpy_dir) -> ExamplesBuild:
    """Build every example for every installed arch, once, in a scratch copy of the project."""
    if not installed_arches:
        skip_or_fail("no C compiler for any arch is installed")
    top = tmp_path_factory.mktemp("natmod-examples")
    shutil.copy2(REPO_ROOT / "SConstruct", top / "SConstruct")
    shutil.copytree(REPO_ROOT / "site_scons", top / "site_scons", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(EXAMPLES_DIR, top / "examples", ignore=shutil.ignore_patterns("__pycache__"))
    argv = [
        *scons_command,
        "-C",
        str(top),
        "-k",  # build everything that can be built: one failure must not hide the rest
        "-j2",
        f"ARCH={','.join(installed_arches)}",
        f"MPY_DIR={mpy_dir}",
    ]
    digest = tool_sources_digest()
    done = subprocess.run(
        argv,
        env=scons_env(),
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT,
        check=False,
    )
    return ExamplesBuild(top, tuple(installed_arches), done.returncode, done.stdout + done.stderr, digest)


# ---------------------------------------------------------------------------------------
# the examples folder itself


def test_required_examples_exist():
    missing = [name for name in REQUIRED_EXAMPLES if name not in EXAMPLES]
    assert not missing, f"examples without a SConscript: {missing}"


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_has_test_script_and_expected_output(name):
    folder = EXAMPLES_DIR / name
    assert (folder / f"test_{name}.py").is_file()
    expected = (folder / f"test_{name}.exp").read_text()
    assert expected.strip(), f"test_{name}.exp is empty"


# ---------------------------------------------------------------------------------------
# the build


def test_scons_builds_every_example(examples_build):
    assert examples_build.returncode == 0, f"scons failed:\n{examples_build.tail()}"


def test_build_prints_no_warning(examples_build):
    """The examples are meant to be copied: they must build without linker or compiler warnings."""
    warnings = [line for line in examples_build.output.splitlines() if "warning" in line.lower()]
    assert not warnings, "\n".join(warnings)


def test_rebuild_is_up_to_date(examples_build, scons_command, mpy_dir):
    """A second SCons run finds nothing to do (no always-out-of-date node)."""
    if examples_build.returncode != 0:
        pytest.fail("the first build failed, so its rebuild cannot be checked")
    if tool_sources_digest() != examples_build.tool_digest:
        pytest.skip("natmod_tool or natmod_scons changed while the examples were building")
    done = subprocess.run(
        [
            *scons_command,
            "-C",
            str(examples_build.top),
            "-q",
            f"ARCH={','.join(examples_build.arches)}",
            f"MPY_DIR={mpy_dir}",
        ],
        env=scons_env(),
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT,
        check=False,
    )
    assert done.returncode == 0, f"scons -q says something is out of date:\n{done.stdout}{done.stderr}"


# ---------------------------------------------------------------------------------------
# x64: run the test scripts in the real MicroPython


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_runs_in_micropython(name, examples_build, run_micropython):
    if "x64" not in examples_build.arches:
        skip_or_fail("no x64 compiler installed")
    mpy = examples_build.mpy("x64", name)
    assert mpy.is_file(), f"{name}.mpy was not built for x64:\n{examples_build.tail()}"
    script = EXAMPLES_DIR / name / f"test_{name}.py"
    done = run_micropython(script, [examples_build.module_dir("x64", name)])
    assert done.returncode == 0, f"test_{name}.py failed (exit {done.returncode}):\n{done.stdout}{done.stderr}"
    expected = (EXAMPLES_DIR / name / f"test_{name}.exp").read_text()
    assert done.stdout == expected


def test_all_examples_load_together(examples_build, run_micropython, tmp_path):
    """Every x64 module imports into one interpreter, and each keeps working."""
    if "x64" not in examples_build.arches:
        skip_or_fail("no x64 compiler installed")
    built = [name for name in EXAMPLES if examples_build.mpy("x64", name).is_file()]
    assert built == EXAMPLES, f"not built: {sorted(set(EXAMPLES) - set(built))}"
    script = tmp_path / "import_all.py"
    script.write_text(
        "import gc\n"
        + "".join(f"import {name}\n" for name in EXAMPLES)
        + "gc.collect()\n"
        + "print(factorial.factorial(10), data.prime(3), extlib.crc32(b'123456789'))\n"
        + "print(sorted(m.__name__ for m in ("
        + ", ".join(EXAMPLES)
        + ",)))\n"
    )
    done = run_micropython(script, [examples_build.module_dir("x64", name) for name in EXAMPLES])
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines() == ["3628800 7 3421780262", str(sorted(EXAMPLES))]


# ---------------------------------------------------------------------------------------
# every arch: the output reads back and validates


def _viper_raw_codes(mpy: MpyFile) -> list:
    return [rc for rc in mpy.raw_codes() if rc.kind == KIND_VIPER]


#: arches with a compiler Debian packages (xtensawin has none: README, "Tested where")
BUILDABLE_ARCHES = [name for name, facts in TOOLCHAINS.items() if facts.packages]


def _need_compiler(arch: str, examples_build) -> None:
    """Skip (fail under CI) when the examples build found no compiler for `arch`."""
    if arch not in examples_build.arches:
        packages = toolchain(arch).packages
        skip_or_fail(f"{arch}: no compiler installed here (tools/bootstrap.sh installs {' '.join(packages)})")


@pytest.mark.parametrize("arch", BUILDABLE_ARCHES)
@pytest.mark.parametrize("name", EXAMPLES)
def test_example_builds_and_validates(name, arch, examples_build, mpy_dir):
    _need_compiler(arch, examples_build)
    path = examples_build.mpy(arch, name)
    assert path.is_file(), f"{name}.mpy was not built for {arch}:\n{examples_build.tail()}"

    static = load_static_qstrs(mpy_dir)
    mpy = read_mpy(path.read_bytes(), str(path))
    assert validate(mpy, static_qstr_count=len(static.names)) == []
    assert mpy.arch_name == arch
    assert mpy.arch_flags == 0

    # exactly one native (viper) raw code, with machine code in it
    natives = _viper_raw_codes(mpy)
    assert len(natives) == 1
    assert natives[0].code, "empty text image"
    has_python = any(p.suffix == ".py" for p in module_sources(name))
    if has_python:
        assert mpy.raw_code.kind == KIND_BYTECODE and mpy.raw_code.children[0] is natives[0]
    else:
        assert mpy.raw_code is natives[0]

    # the config header holds the qstrs of the module's sources: at least those of its
    # top-level files, at most those of every file in its folder (sources may sit in
    # subfolders); the .mpy holds exactly the header's, in order, after the source name
    header = read_native_qstrs(examples_build.config_h(arch, name))
    at_least = set(native_qstr_names(module_sources(name), static))
    at_most = set(native_qstr_names(module_sources(name, recursive=True), static))
    assert at_least <= set(header) <= at_most
    table = mpy.qstrs[1 : 1 + len(header)]
    assert [entry.text for entry in table] == header
    assert not any(entry.is_static for entry in table)


# ---------------------------------------------------------------------------------------
# the documented commands


def test_readme_and_ci_run_the_same_test_command():
    ci_lines = [
        line.strip()
        for line in (REPO_ROOT / ".ci" / "run").read_text().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    test_command = ci_lines[-1]
    assert ci_lines[-2] == "tools/bootstrap.sh"
    readme = (REPO_ROOT / "README.md").read_text()
    assert f"tools/bootstrap.sh && {test_command}" in readme
    assert "tools/bootstrap.sh && .venv/bin/scons -j2 ARCH=all" in readme


# ---------------------------------------------------------------------------------------
# every arch: `scons test` runs each example's test script on the arch's runtime

#: one progress line of `scons test`: STATUS module arch test[: reason]
_PROGRESS = re.compile(r"^(PASS|FAIL|SKIP) (\S+) (\S+) (\S+\.py)(?:: (.*))?$")


@dataclass
class ExamplesTestRun:
    """`scons test` over the examples build: exit status, output, status per (example, arch)."""

    returncode: int
    output: str
    status: dict[tuple[str, str], tuple[str, str]]  # (example, arch) -> (status, reason)


@pytest.fixture(scope="session")
def examples_test_run(examples_build, scons_command, mpy_dir) -> ExamplesTestRun:
    """Run `scons test` once in the examples build (every installed arch)."""
    if examples_build.returncode != 0:
        pytest.fail(f"the examples did not build:\n{examples_build.tail()}")
    done = subprocess.run(
        [
            *scons_command,
            "-C",
            str(examples_build.top),
            "-Q",
            "-k",
            "-j2",
            "test",
            f"ARCH={','.join(examples_build.arches)}",
            f"MPY_DIR={mpy_dir}",
        ],
        env=scons_env(),
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT,
        check=False,
    )
    status = {}
    for line in done.stdout.splitlines():
        match = _PROGRESS.match(line)
        if match:
            status[(match.group(2), match.group(3))] = (match.group(1), match.group(5) or "")
    return ExamplesTestRun(done.returncode, done.stdout + done.stderr, status)


@pytest.mark.runtime
@pytest.mark.parametrize("arch", BUILDABLE_ARCHES)
@pytest.mark.parametrize("name", EXAMPLES)
def test_example_passes_on_arch_runtime(name, arch, examples_build, examples_test_run):
    from natmod_tool.testrun import runtime_problem

    _need_compiler(arch, examples_build)
    problem = runtime_problem(arch)
    if problem:
        skip_or_fail(f"no runtime for {arch}: {problem}")
    got = examples_test_run.status.get((name, arch))
    assert got is not None, f"no result for {name} on {arch}:\n{examples_test_run.output[-3000:]}"
    status, reason = got
    if status == "SKIP" and name == "floats" and toolchain(arch).float_impl.upper() == "NONE":
        return  # the module has no floats on this arch: its test says so and skips itself
    assert status == "PASS", f"{name} on {arch}: {status} {reason}\n{examples_test_run.output[-6000:]}"


def test_every_buildable_arch_has_a_runtime():
    """No example run is skipped for want of a runtime: each arch Debian can compile for
    (xtensa included, on qemu's sim machine) has a test runtime target."""
    from natmod_tool.testrt import TARGETS

    assert [arch for arch in BUILDABLE_ARCHES if arch not in TARGETS] == []


def test_examples_test_summary(examples_build, examples_test_run):
    """The run ends with the count line, and fails exactly when a test failed."""
    last = examples_test_run.output.rstrip().splitlines()
    count_lines = [line for line in last if line.startswith("natmod test: ")]
    assert count_lines and re.fullmatch(r"natmod test: \d+ passed, \d+ failed, \d+ skipped", count_lines[-1])
    failed = [key for key, (status, _reason) in examples_test_run.status.items() if status == "FAIL"]
    assert (examples_test_run.returncode != 0) == bool(failed), examples_test_run.output[-3000:]
