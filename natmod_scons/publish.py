"""What a project gets besides the modules: mip package files, `sizes`, `compiledb`.

* `dist` writes, next to each `DIST_DIR/<DIST_PATTERN>` copy, a mip package file
  (`MIP_PATTERN`, default `{name}-{arch}.json`): `mip.install()` on a board then fetches
  the `.mpy` and stores it as `<name>.mpy`, the name `import` looks for.  URLs are
  relative to the package file (mip resolves them from its folder), or absolute under
  `MIP_BASE_URL` for older mip versions that only take full URLs.  `DIST_LAYOUT=mip` (the
  default with several MPY_DIR trees) writes the `<name>/<arch>_<mpy>/` tree instead, with
  a templated `<name>/package.json` and `index.json` (docs/dist.md).  Package and index
  files are written by SCons' Textfile action, so a changed text rewrites only that file.
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
from dataclasses import dataclass
from typing import Any

from . import output
from .builders import SIZE_FIELDS
from .variables import Settings, top_path

#: the folder of one build in the mip tree: what mip substitutes for `{MPY_ARCH}_{MPY_VERSION}`
#: (micropython-lib #1140, micropython #19478), e.g. `x64_6.3`
MIP_FOLDER = "{arch}_{mpy}"
MIP_TEMPLATE_FOLDER = "{MPY_ARCH}_{MPY_VERSION}"
INDEX_NAME = "index.json"


@dataclass(frozen=True)
class Published:
    """One module build `dist` publishes."""

    name: str
    arch: str
    mpy: str  # the tree's .mpy version, "6.3"
    node: Any  # the built `<name>.mpy`
    version: str  # the module's version (VERSION=, MIP_VERSION)


def mip_package_text(name: str, url: str, version: str) -> str:
    """A mip `package.json`: one file, stored as `<name>.mpy`."""
    return json.dumps({"urls": [[f"{name}.mpy", url]], "version": version}, indent=2) + "\n"


@functools.lru_cache(maxsize=1)
def _text_builder() -> Any:
    """SCons' Textfile action (content from Value sources, so a changed text rewrites the file)
    with our one-line `MIP` message; one builder for every package and index file."""
    import SCons.Action
    import SCons.Builder
    import SCons.Node.Python
    from SCons.Tool import textfile

    return SCons.Builder.Builder(
        action=SCons.Action.Action(textfile._action, "$NATMOD_MIPCOMSTR", varlist=["LINESEPARATOR"]),
        source_factory=SCons.Node.Python.Value,
    )


def text_file(env: Any, path: str, text: str) -> list:
    """Declare `path` (an SCons path) holding `text`."""
    lines = text[:-1].split("\n") if text.endswith("\n") else text.split("\n")
    return _text_builder()(env, env.File(path), [*lines, ""], LINESEPARATOR="\n")


def mip_package(env: Any, settings: Settings, name: str, arch: str, mpy_name: str, version: str, mpy: str = "") -> list:
    """Declare `DIST_DIR/<MIP_PATTERN>` for one module and arch; returns its nodes.

    `mpy_name` is the module's file name in DIST_DIR (DIST_PATTERN applied).
    """
    manifest_name = settings.mip_pattern.format(name=name, arch=arch, mpy=mpy)
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
    return text_file(
        env, os.path.join(top_path(settings.dist_dir), manifest_name), mip_package_text(name, url, version)
    )


def dist_layout(settings: Settings, several: bool) -> str:
    """DIST_LAYOUT with `auto` decided: the mip tree for several trees, else the flat patterns."""
    if settings.dist_layout == "auto":
        return "mip" if several else "flat"
    return settings.dist_layout


def declare_dist(env: Any, settings: Settings, builds: list[Published], several: bool) -> list:
    """The `dist` files of every build (the copies, package files, the index); returns their nodes."""
    if dist_layout(settings, several) == "mip":
        return _mip_tree(env, settings, builds)
    dist: list = []
    seen: dict[str, Published] = {}
    for build in builds:
        filename = settings.dist_pattern.format(name=build.name, arch=build.arch, mpy=build.mpy)
        other = seen.setdefault(filename, build)
        if other is not build:
            output.fail(
                f"DIST_PATTERN={settings.dist_pattern} names {filename} for {build.name} of .mpy v{other.mpy} and "
                f"v{build.mpy}: put {{mpy}} in DIST_PATTERN and MIP_PATTERN, or use DIST_LAYOUT=mip"
            )
        dist += _copy(env, settings, filename, build.node)
        if settings.mip_pattern:
            manifest = mip_package(env, settings, build.name, build.arch, filename, build.version, build.mpy)
            env.Clean(build.node, manifest)
            dist += manifest
    return dist


def _copy(env: Any, settings: Settings, filename: str, node: Any) -> list:
    copy = env.InstallAs(env.File(os.path.join(top_path(settings.dist_dir), filename)), node)
    env.Clean(node, copy)  # `scons -c` removes published copies too
    return copy


def _mip_tree(env: Any, settings: Settings, builds: list[Published]) -> list:
    """`<name>/<arch>_<mpy>/<name>.mpy` with a concrete package.json beside each, a templated
    `<name>/package.json` for a mip that expands `{MPY_ARCH}`/`{MPY_VERSION}`, and `index.json`.

    The concrete files serve every mip in use today (the folder URL `.../<name>/x64_6.3`), and
    the mip of micropython-lib #1140 / `mpremote mip` of micropython #19478 from the single URL
    `.../<name>/{MPY_ARCH}_{MPY_VERSION}`; the templated one serves `.../<name>` for a mip that
    also expands the markers inside package files.
    """
    root = top_path(settings.dist_dir)
    base = settings.mip_base_url
    dist: list = []
    index: dict[str, dict[str, Any]] = {}
    for build in builds:
        folder = f"{build.name}/{MIP_FOLDER.format(arch=build.arch, mpy=build.mpy)}"
        dist += _copy(env, settings, f"{folder}/{build.name}.mpy", build.node)
        url = f"{base}/{folder}/{build.name}.mpy" if base else f"{build.name}.mpy"
        package = text_file(env, f"{root}/{folder}/package.json", mip_package_text(build.name, url, build.version))
        env.Clean(build.node, package)
        dist += package
        entry = index.setdefault(build.name, {"version": build.version, "package": f"{build.name}/package.json"})
        entry.setdefault("builds", []).append(
            {
                "arch": build.arch,
                "mpy": build.mpy,
                "file": f"{folder}/{build.name}.mpy",
                "package": f"{folder}/package.json",
            }
        )
    nodes_by_name: dict[str, list] = {}
    for build in builds:
        nodes_by_name.setdefault(build.name, []).append(build.node)
    for name, entry in index.items():
        template = f"{MIP_TEMPLATE_FOLDER}/{name}.mpy"
        url = f"{base}/{name}/{template}" if base else template
        package = text_file(env, f"{root}/{name}/package.json", mip_package_text(name, url, entry["version"]))
        env.Clean(nodes_by_name[name], package)
        dist += package
    if index:
        text = json.dumps({"modules": index}, indent=2, sort_keys=True) + "\n"
        written = text_file(env, f"{root}/{INDEX_NAME}", text)
        env.Clean([build.node for build in builds], written)
        dist += written
    return dist


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
    by_arch: dict[str, Any] = {}
    for aenv in envs:
        by_arch.setdefault(aenv["NATMOD_ARCH"], aenv)  # several MPY_DIR trees: the first one's
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
