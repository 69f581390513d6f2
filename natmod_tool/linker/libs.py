"""`-l` arguments: static archives, or GNU ld scripts listing archives in `GROUP(...)`.

Toolchains ship some libraries as small ld scripts (e.g. a `libc.a` that groups
others).  We accept `GROUP(...)`/`INPUT(...)` with `OUTPUT_FORMAT(...)` and C
comments; archive names are relative to the script's folder if not absolute.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path

from ..errors import LinkError
from .archive import MAGIC

_COMMENT = re.compile(r"/\*.*?\*/", re.S)
_DIRECTIVE = re.compile(r"\b(GROUP|INPUT|OUTPUT_FORMAT)\s*\(([^()]*)\)")


def expand_libs(libs: Sequence[str | os.PathLike[str]]) -> list[str]:
    """Turn `-l` arguments into archive paths, in order."""
    out: list[str] = []
    for lib in libs:
        path = Path(lib)
        try:
            with path.open("rb") as handle:
                head = handle.read(8)
        except OSError as exc:
            raise LinkError(f"{os.fspath(lib)}: cannot read library ({exc.strerror}); check the -l path") from None
        if head == MAGIC:
            out.append(os.fspath(lib))
            continue
        out.extend(_read_script(path))
    return out


def _read_script(path: Path) -> list[str]:
    raw = path.read_bytes()
    if b"\0" in raw[:4096]:
        raise LinkError(f"{path}: not a static archive or a GNU ld script; pass .a files to -l")
    text = _COMMENT.sub(" ", raw.decode("utf-8", errors="replace"))
    found: list[str] = []

    def take(match: re.Match[str]) -> str:
        if match[1] != "OUTPUT_FORMAT":
            found.extend(n for n in re.split(r"[\s,]+", match[2]) if n)
        return " "

    rest = _DIRECTIVE.sub(take, text).strip()
    if rest:
        raise LinkError(f"{path}: unsupported ld script text {rest[:40]!r}; only GROUP(...) is understood")
    base = path.parent
    return [n if os.path.isabs(n) else os.fspath(base / n) for n in found]
