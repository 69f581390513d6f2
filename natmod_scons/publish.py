"""What a project gets besides the modules: mip package files, `sizes`, `compiledb`.

* `dist` writes, next to each `DIST_DIR/<DIST_PATTERN>` copy, a mip package file
  (`MIP_PATTERN`, default `{name}-{arch}.json`): `mip.install()` on a board then fetches
  the `.mpy` and stores it as `<name>.mpy`, the name `import` looks for.  URLs are
  relative to the package file (mip resolves them from its folder), or absolute under
  `MIP_BASE_URL` for older mip versions that only take full URLs.
* `scons sizes` prints one table row per module and arch from the `<name>.size.json`
  files the link step writes (natmod_tool's LinkResult figures) and the `.mpy` sizes.
* `scons compiledb` writes `BUILD_DIR/<arch>/compile_commands.json` per arch and a
  top-level `compile_commands.json` for `COMPILEDB_ARCH` (default: the first ARCH) with
  SCons' `compilation_db` tool, plus the qstr config headers those commands include.
"""

from __future__ import annotations

import functools
import json
import os
import posixpath
import sys
from typing import Any

from . import output
from .builders import SIZE_FIELDS
from .variables import Settings, top_path


def mip_package_text(name: str, url: str, version: str) -> str:
    """A mip `package.json`: one file, stored as `<name>.mpy`."""
    return json.dumps({"urls": [[f"{name}.mpy", url]], "version": version}, indent=2) + "\n"


def _write_value(target: list, source: list, env: Any) -> int:
    """Write the text of the Value source to the target (atomically)."""
    from natmod_tool.fileio import write_atomic

    write_atomic(target[0].abspath, source[0].read().encode())
    return 0


def mip_package(env: Any, settings: Settings, name: str, arch: str, mpy_name: str, version: str) -> list:
    """Declare `DIST_DIR/<MIP_PATTERN>` for one module and arch; returns its nodes.

    `mpy_name` is the module's file name in DIST_DIR (DIST_PATTERN applied).
    """
    manifest_name = settings.mip_pattern.format(name=name, arch=arch)
    if settings.mip_base_url:
        url = f"{settings.mip_base_url}/{mpy_name}"
    else:
        url = posixpath.relpath(mpy_name, posixpath.dirname(manifest_name) or ".")
        if url.startswith("../"):
            output.fail(
                f"MIP_PATTERN puts {manifest_name} beside no folder holding {mpy_name}: mip resolves "
                "relative URLs from the package file's folder, so put it in the .mpy's folder or above "
                "(e.g. DIST_PATTERN={name}/{arch}/{name}.mpy MIP_PATTERN={name}/{arch}/package.json), "
                "or set MIP_BASE_URL"
            )
    target = env.File(os.path.join(top_path(settings.dist_dir), manifest_name))
    return env.Command(target, env.Value(mip_package_text(name, url, version)), _mip_action())


@functools.lru_cache(maxsize=1)
def _mip_action() -> Any:
    """One action for every package file: making a function action hashes its code."""
    import SCons.Action

    return SCons.Action.Action(_write_value, "$NATMOD_MIPCOMSTR")


def _sizes_rows(modules: list[tuple[str, str, Any, dict]]) -> list[list[str]]:
    """Table rows (header first) from each module's size record and final `.mpy`."""
    header = ["module", "arch", *(key for key, _attr in SIZE_FIELDS), "mpy"]
    rows = [header]
    for name, arch, node, extras in modules:
        sizes = extras.get("sizes")
        try:
            record = json.loads(open(sizes.abspath).read()) if sizes is not None else {}
        except (OSError, ValueError):
            record = {}
        mpy_bytes = os.path.getsize(node.abspath) if os.path.exists(node.abspath) else None
        rows.append(
            [
                name,
                arch,
                *(str(record.get(key, "?")) for key, _attr in SIZE_FIELDS),
                "?" if mpy_bytes is None else str(mpy_bytes),
            ]
        )
    return rows


def format_table(rows: list[list[str]]) -> str:
    """Left-aligned names, right-aligned numbers, one space-padded line per row."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for row in rows:
        cells = [cell.ljust(w) if i < 2 else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths))]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines) + "\n"


def sizes_alias(env: Any, modules: list[tuple[str, str, Any, dict]]) -> None:
    """`scons sizes`: build the modules, then print the table (always, even when up to date)."""
    import SCons.Action

    def show(target: list, source: list, env: Any) -> int:
        sys.stdout.write(format_table(_sizes_rows(modules)))
        sys.stdout.flush()
        return 0

    deps = [node for _n, _a, node, _x in modules] + [x["sizes"] for *_rest, x in modules if "sizes" in x]
    alias = env.Alias("sizes", deps, SCons.Action.Action(show, None))
    env.AlwaysBuild(alias)


def compiledb(env: Any, settings: Settings, envs: list[Any], config_headers: list[Any]) -> list:
    """The `compiledb` alias: per-arch and top-level compile_commands.json; returns its targets."""
    by_arch = {aenv["NATMOD_ARCH"]: aenv for aenv in envs}
    top_arch = settings.compiledb_arch or envs[0]["NATMOD_ARCH"]
    if top_arch not in by_arch:
        output.fail(f"COMPILEDB_ARCH={top_arch} is not among the arches built (ARCH={','.join(by_arch)})")
    targets = []
    for arch, aenv in by_arch.items():
        folder = env.Dir(top_path(aenv["NATMOD_BUILD_DIR"]))
        pattern = posixpath.join(folder.get_path().replace(os.sep, "/"), "*")
        targets += env.CompilationDatabase(
            folder.File("compile_commands.json"),
            COMPILATIONDB_PATH_FILTER=pattern,
            COMPILATIONDB_COMSTR="$NATMOD_COMPILEDBCOMSTR",
            NATMOD_ARCH=arch,
        )
        if arch == top_arch:
            targets += env.CompilationDatabase(
                env.File("#compile_commands.json"),
                COMPILATIONDB_PATH_FILTER=pattern,
                COMPILATIONDB_COMSTR="$NATMOD_COMPILEDBCOMSTR",
                NATMOD_ARCH=arch,
            )
    env.Alias("compiledb", [*targets, *config_headers])
    return targets


def written_by_scons(nodes: list) -> list:
    """Of `nodes`, the files SCons recorded building that still hold what it wrote (`scons -c` only).

    `scons -c` removes the compile_commands.json files we wrote; one the user generated
    otherwise (bear, CMake) at the same path has no build record or other content, and stays.
    """
    import SCons.Util
    from SCons.Script import GetOption

    if not GetOption("clean"):
        return []
    built = []
    for node in nodes:
        try:
            entry = node.dir.sconsign().get_entry(node.name)
        except KeyError:
            continue
        csig = getattr(entry.ninfo, "csig", None)  # what SCons wrote; the file may be another since
        if getattr(entry.binfo, "bactsig", None) and csig and node.exists():
            if SCons.Util.hash_file_signature(node.abspath) == csig:
                built.append(node)
    return built
