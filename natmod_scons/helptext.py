"""What `scons -h` prints: the tool's variables with the values in use, then the targets.

Why our own format instead of SCons' `default:`/`actual:` pairs: a user runs `scons -h` to
learn what a plain `scons` would do here, so each variable shows the value this run uses
(MPY_DIR: the tree actually found, e.g. the cached default, not an empty string), and the
targets (aliases, modules) follow.  SCons' own options stay under `scons -H`.  Nothing is
fetched or probed for the help: a tree that is not there yet is shown as such.
"""

from __future__ import annotations

import textwrap
from typing import Any

from natmod_tool.arch import ARCHES

from .trees import split_list

#: indentation of the description under each `NAME=value` line
INDENT = " " * 6
WIDTH = 100


def _mpy_dir_in_use(value: str) -> str:
    """The MicroPython tree a build would use, without fetching it."""
    from natmod_tool.errors import NatmodError
    from natmod_tool.mpydir import default_tree_path, resolve_mpy_dir

    try:
        return str(resolve_mpy_dir(value or None, fetch=False))
    except NatmodError as exc:
        if value:
            return f"{value} (unusable: {exc})"
        return f"{default_tree_path()} (not fetched yet: the first build fetches it from PyPI)"


def _shown_value(env: Any, key: str, actual: Any) -> str:
    """The value this run uses, as a user would type it."""
    if key == "MPY_DIR":
        return ",".join(_mpy_dir_in_use(entry) for entry in split_list(str(actual or "")))  # one or several trees
    if key == "MPY_CROSS":
        return str(env.get("MPY_CROSS") or actual or "")
    if isinstance(actual, bool):
        return "1" if actual else "0"
    return "" if actual is None else str(actual)


def _wrap(text: str) -> str:
    lines = textwrap.wrap(text, WIDTH, initial_indent=INDENT, subsequent_indent=INDENT, break_on_hyphens=False)
    return "\n".join(lines) + "\n"


def variables_help(opts: Any, env: Any) -> str:
    """The variables section: `NAME=value in use`, then what it means and its default."""

    def format_one(env: Any, key: str, help: str, default: Any, actual: Any, aliases: list[str] | None = None) -> str:
        value = _shown_value(env, key, env.get(key, default))
        shown_default = "" if default is None else str(default)
        if isinstance(default, bool) or shown_default in ("False", "True"):
            shown_default = "1" if shown_default in ("True", "1") else "0"
        same = value == shown_default or key in ("MPY_DIR", "MPY_CROSS")  # those say their default
        note = "" if same else f"{INDENT}default: {shown_default}\n"
        return f"  {key}={value}\n{_wrap(help)}{note}"

    opts.FormatVariableHelpText = format_one  # GenerateHelpText's per-variable formatter
    header = "natmod variables (scons NAME=value; shown with the value this run uses):\n"
    return header + opts.GenerateHelpText(env)


def targets_help(requested: list[str], modules: list[str], extra_aliases: dict[str, str]) -> str:
    """The targets section: the default, one alias per arch and module, the other aliases."""
    example = f"{modules[0] if modules else 'NAME'}-{requested[0] if requested else 'x64'}"
    rows = {
        "(none)": f"every module for ARCH={','.join(requested)}",
        "ARCHNAME": f"one arch's modules, built even when ARCH does not name it: {', '.join(ARCHES)}",
        "MODULE": f"one module for every requested arch: {', '.join(modules) or '(none declared)'}",
        "MODULE-ARCHNAME": f"one module for one arch, also one ARCH does not name (e.g. {example})",
        **extra_aliases,
    }
    text = "\nTargets (scons TARGET ...):\n"
    for name, meaning in rows.items():
        text += f"  {name}\n{_wrap(meaning)}"
    return text


def escape(text: str) -> str:
    """`env.Help` substitutes construction variables: keep a literal `$` literal."""
    return text.replace("$", "$$")
