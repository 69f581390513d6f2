"""Reading a module SConscript once for every arch, when it can only mean the same on each.

Why: NativeMpyProject ran each module SConscript once per arch through SCons'
`SConscript()` (variant-folder set-up, reading and compiling the file, the export frame),
a large share of a no-op build at 9 arches.  Most module SConscripts are `Import("env")`
and `env.NativeMpy("name", [...], KEY=value)` with literal values only: such a file
declares the same module on every arch, so it is parsed once (`ast`) and its calls are
made directly on each arch's environment, from that arch's variant folder, as
`SConscript()` would make them.  Anything else (an `if` on the arch, a `StaticLibrary`,
a `Glob`, a variable, another import) keeps being read by SCons once per arch.
"""

from __future__ import annotations

import ast
import copy
import os
from dataclasses import dataclass
from typing import Any

from . import checks


@dataclass(frozen=True)
class Call:
    """One `env.NativeMpy(...)` statement: its literal arguments and its line."""

    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    line: int


def _literal_import(call: ast.Call) -> bool:
    """`Import("env")`, and nothing more."""
    if not (isinstance(call.func, ast.Name) and call.func.id == "Import") or call.keywords or len(call.args) != 1:
        return False
    arg = call.args[0]
    return isinstance(arg, ast.Constant) and arg.value == "env"


def _native_mpy(call: ast.Call) -> Call | None:
    """The call as data when it is `env.NativeMpy(<literals>)`, else None."""
    func = call.func
    if not (isinstance(func, ast.Attribute) and func.attr == "NativeMpy"):
        return None
    if not (isinstance(func.value, ast.Name) and func.value.id == "env"):
        return None
    if any(keyword.arg is None for keyword in call.keywords):  # **options
        return None
    try:
        args = tuple(ast.literal_eval(arg) for arg in call.args)
        kwargs = {str(keyword.arg): ast.literal_eval(keyword.value) for keyword in call.keywords}
    except ValueError:  # a name, a call, *args: only SCons can evaluate it, per arch
        return None
    return Call(args, kwargs, call.lineno)


def plain_calls(path: str) -> list[Call] | None:
    """The NativeMpy calls of the SConscript at `path` when it has the plain shape, else None."""
    try:
        with open(path, encoding="utf-8") as handle:
            tree = ast.parse(handle.read(), filename=path)
    except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
        return None  # SCons reads it and reports what is wrong
    imported, calls = False, []
    for index, statement in enumerate(tree.body):
        value = statement.value if isinstance(statement, ast.Expr) else None
        if index == 0 and isinstance(value, ast.Constant) and isinstance(value.value, str):
            continue  # a docstring
        if not isinstance(value, ast.Call):
            return None
        if not imported and _literal_import(value):
            imported = True
            continue
        found = _native_mpy(value) if imported else None
        if found is None:
            return None
        calls.append(found)
    return calls or None


def declare(env: Any, arch_env: Any, path: str, variant: str, calls: list[Call]) -> None:
    """Make `calls` (from SConscript `path`, relative to the top) on `arch_env` in `variant`.

    The same set-up as `env.SConscript(path, variant_dir=variant, duplicate=False)`: the
    variant folder maps to the SConscript's folder and relative paths start there; the
    read-time checks name the SConscript line, as they do for a file SCons read.
    """
    env.VariantDir(variant, os.path.dirname(path) or ".", duplicate=False)
    fs = env.fs
    previous = fs.getcwd()
    fs.chdir(env.Dir(variant), change_os_dir=False)
    try:
        for call in calls:
            with checks.located(f"{path}:{call.line}"):
                # copies: a module's lists must not be shared between arches
                arch_env.NativeMpy(*copy.deepcopy(call.args), **copy.deepcopy(call.kwargs))
    finally:
        fs.chdir(previous, change_os_dir=False)
