#!/usr/bin/env python3
"""Regenerate tests/vectors/clang/: objects clang made for a few modules, and their links.

Why stored objects: the linker must keep handling what clang emits (R_ARM_GOT_PREL,
R_386_GOT32X, R_X86_64_REX_GOTPCRELX, RISC-V GOT_HI20/PCREL pairs, 4-aligned RISC-V
.text, AEABI helper calls) on machines without clang, and a linker change that alters
the output shows as a byte difference.  This script builds the modules with
`scons TOOLCHAIN=clang` in a scratch copy of the project, copies each object, qstr
header and (ARM) the AEABI helper archive into `<arch>/<module>/`, links them with the
same options the SCons tool uses and writes `expected.mpy` and `clang.json`.
The x64 modules' run-time output is checked by tests/test_clang_vectors.py against
the examples' `.exp` files and `src/check_stress.exp`.

    .venv/bin/python tools/make_clang_vectors.py
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "vectors" / "clang"
ARCHES = ("x86", "x64", "armv6m", "armv7m", "armv7emsp", "armv7emdp", "rv32imc", "rv64imc")
#: module -> its source folder (examples/ or the vector's own src/)
MODULES = {"data": ROOT / "examples" / "data", "heap": ROOT / "examples" / "heap", "stress": OUT / "src"}


def _build(top: Path) -> None:
    """The modules for every arch with clang, in `top` (a scratch project)."""
    shutil.copytree(ROOT / "site_scons", top / "site_scons", ignore=shutil.ignore_patterns("__pycache__"))
    for name, folder in MODULES.items():
        dest = top / name
        dest.mkdir()
        for src in folder.glob("*.c"):
            shutil.copy2(src, dest / src.name)
        (dest / "SConscript").write_text(f'Import("env")\nenv.NativeMpy("{name}", ["{name}.c"])\n')
    (top / "SConstruct").write_text(
        "from SCons.Script import DefaultEnvironment, Environment\nDefaultEnvironment(tools=[])\n"
        'Environment(tools=["natmod"]).NativeMpyProject(["*/SConscript"])\n'
    )
    scons = Path(sys.executable).parent / "scons"
    argv = [str(scons), "-Q", "-j2", "-C", str(top), f"ARCH={','.join(ARCHES)}", "TOOLCHAIN=clang", "V=1"]
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode:
        sys.exit(f"scons failed:\n{done.stdout}{done.stderr}")
    (top / "build.log").write_text(done.stdout)


def _compile_command(log: str, arch: str, name: str) -> str:
    """The clang command line that made `<arch>/<name>/<name>.o` (from the V=1 log)."""
    for line in log.splitlines():
        if line.startswith("clang") and line.endswith(f"{name}/{name}.c") and f"/{arch}/{name}/" in line:
            return line
    raise SystemExit(f"no compile command for {arch}/{name} in the build log")


def main() -> None:
    import natmod_tool
    import natmod_tool.mpydir

    with tempfile.TemporaryDirectory(prefix="clang-vectors-") as tmp:
        top = Path(tmp)
        _build(top)
        log = (top / "build.log").read_text()
        version = subprocess.run(["clang", "--version"], capture_output=True, text=True).stdout.splitlines()[0]
        vectors = []
        for arch in ARCHES:
            for name in MODULES:
                built = top / "build" / arch / name
                dest = OUT / arch / name
                if dest.exists():
                    shutil.rmtree(dest)
                dest.mkdir(parents=True)
                inputs = [f"{name}.o"]
                shutil.copy2(built / f"{name}.o", dest / f"{name}.o")
                shutil.copy2(built / f"{name}.config.h", dest / "config.h")
                libs = []
                aeabi = top / "build" / arch / "_natmod_runtime" / "libnatmod_aeabi.a"
                if arch.startswith("arm"):
                    shutil.copy2(aeabi, dest / aeabi.name)
                    libs = [aeabi.name]
                options = ["--arch", arch, "--qstrs", "config.h", *[x for lib in libs for x in ("-l", lib)]]
                options += ["--source-name", f"{name}.mpy", "--writable-data", "-o", f"{name}.mpy"]
                result = natmod_tool.link(
                    [(f, (dest / f).read_bytes()) for f in inputs],
                    arch,
                    qstrs=str(dest / "config.h"),
                    libs=[str(dest / lib) for lib in libs],
                    source_name=f"{name}.mpy",
                    writable_data=True,
                )
                (dest / "expected.mpy").write_bytes(result.mpy)
                command = _compile_command(log, arch, name).replace(str(top) + "/", "").replace(str(ROOT) + "/", "")
                command = command.replace(str(natmod_tool.mpydir.resolve_mpy_dir(None, fetch=False)), "$MPY_DIR")
                vectors.append(
                    {"arch": arch, "module": name, "inputs": inputs, "libs": libs, "options": options, "cc": command}
                )
        manifest = {"compiler": version, "vectors": vectors}
        (OUT / "clang.json").write_text(json.dumps(manifest, indent=1) + "\n")
        print(f"{len(vectors)} vectors written to {OUT.relative_to(ROOT)} ({version})")


if __name__ == "__main__":
    main()
