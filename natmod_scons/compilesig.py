"""Compile actions whose signature and command dependency are substituted once per module.

Why: SCons substitutes the whole compile command (`$CCCOM`: compiler, flags, include and
define lists through `_concat`/`_defines` calls) for every object, twice on a clean tree
(the build signature and the implicit command dependency, the compiler's path) and once
on every no-op build.  All objects of one module share one environment, so everything
but the object's and the source's names is the same for each; this was the largest
single cost of a no-op build and of a clone filled from a shared CACHE_DIR.

How it stays exact: the command is substituted once per environment with a *probe*
target and source whose names carry a marker.  When the marker shows up only as the
trailing `-o <target> -c <source>` names, the command depends on the object through
those names alone (any other use of `$TARGET`/`$SOURCE`, their folders, suffixes or
`$CHANGED_SOURCES` would print the marker again), and each object's signature is that
text with its own names put in.  Otherwise, or for a name SCons would treat specially
(spaces, `$`), SCons substitutes as before.  The same probe text gives the command's
first word, which SCons looks up on PATH as the compiler dependency.
"""

from __future__ import annotations

import re
from typing import Any

import SCons.Action
import SCons.Subst

#: in the probe names: no real file is named like this
_MARK = "natmodSigProbe7c1e"
_PROBE_TARGET = f"{_MARK}t.{_MARK}o"
_PROBE_SOURCE = f"{_MARK}s.{_MARK}c"
_TAIL = f" -o {_PROBE_TARGET} -c {_PROBE_SOURCE}"
#: names put into the text as they are: SCons would neither split nor unescape them
_PLAIN_NAME = re.compile(r"[\w.+\-]+")


class CompileAction(SCons.Action.LazyAction):
    """`$CCCOM`-style action (SCons' LazyAction) with per-environment signature text."""

    def __init__(self, var: str, kw: dict[str, Any]) -> None:
        super().__init__(var, kw)
        #: id(env) -> (env, command template, signature text with the probe names or None)
        self._texts: dict[int, tuple[Any, Any, str | None]] = {}
        #: id(env) -> (env, command template, command dependencies or None); only a clean
        #: tree asks (the implicit cache keeps them), so it is worked out apart from the text
        self._deps: dict[int, tuple[Any, Any, list | None]] = {}

    @staticmethod
    def _probe_nodes(env: Any) -> tuple[list, list]:
        folder = env.fs.Dir("#").Dir(_MARK)
        return [folder.File(_PROBE_TARGET)], [folder.File(_PROBE_SOURCE)]

    def _text(self, env: Any) -> str | None:
        """The signature text with the probe names for `env`, None when the object shows elsewhere."""
        template = env.get(self.var)
        cached = self._texts.get(id(env))
        if cached is not None and cached[0] is env and cached[1] is template:
            return cached[2]
        text = None
        if isinstance(template, str):
            sig = env.subst_target_source(self.cmd_list, SCons.Subst.SUBST_SIG, *self._probe_nodes(env))
            if sig.endswith(_TAIL) and sig.count(_MARK) == 4:
                text = sig
        self._texts[id(env)] = (env, template, text)
        return text

    def _command_deps(self, env: Any) -> list | None:
        template = env.get(self.var)
        cached = self._deps.get(id(env))
        if cached is not None and cached[0] is env and cached[1] is template:
            return cached[2]
        deps = self._probe_deps(env, *self._probe_nodes(env)) if isinstance(template, str) else None
        self._deps[id(env)] = (env, template, deps)
        return deps

    def _probe_deps(self, env: Any, target: list, source: list) -> list | None:
        """SCons' lightweight command dependencies (the first word of each line), when the
        first words do not involve the object; None: leave it to SCons."""
        icd = env.get("IMPLICIT_COMMAND_DEPENDENCIES", True)
        if icd is not True and str(icd) != "1":
            return None  # off, or the heavyweight kinds: SCons' own code
        lines = env.subst_list(self.cmd_list, SCons.Subst.SUBST_SIG, target, source)
        deps = []
        for line in lines:
            if not line:
                continue
            word = str(line[0])
            if _MARK in word:
                return None
            match = SCons.Action.strip_quotes.match(word)
            found = env.WhereIs(match.group(1) if match else word)
            if found:
                deps.append(env.fs.File(found))
        return deps

    @staticmethod
    def _names(target: list, source: list) -> tuple[str, str] | None:
        if len(target) != 1 or len(source) != 1:
            return None
        names = (target[0].for_signature(), source[0].for_signature())
        return names if all(_PLAIN_NAME.fullmatch(name) for name in names) else None

    def get_presig(self, target: Any, source: Any, env: Any, executor: Any = None) -> Any:
        names = self._names(target, source)
        text = self._text(env) if names is not None else None
        if text is None:
            return super().get_presig(target, source, env, executor)
        return f"{text[: -len(_TAIL)]} -o {names[0]} -c {names[1]}"

    def get_implicit_deps(self, target: Any, source: Any, env: Any, executor: Any = None) -> Any:
        deps = self._command_deps(env)
        if deps is None:
            return super().get_implicit_deps(target, source, env, executor)
        return list(deps)
