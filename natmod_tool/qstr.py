"""The qstr config header (format.md 7): writing it from sources, reading its native names back.

A natmod's C code refers to interned strings as `MP_QSTR_<ident>`.  Static qstrs (a
fixed list every firmware shares, format.md 8.2) compile to their constant ids; every other
name becomes a load from `mp_native_qstr_table[j+1]`, which the loader fills from the
`.mpy` qstr table.  The header written here is what makes both work, and link mode
reads its native names back to build that table in the same order.

The static list and its escaping function are read from a MicroPython tree at run time
(`load_static_qstrs`), never copied into natmod-tool, so a new MicroPython release that
changes the list only needs a new tree.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import types
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Union

from .errors import QstrError
from .fileio import write_atomic

PathLike = Union[str, "os.PathLike[str]"]
#: a source for `make_config_header`: a file path, or a (label, text) pair already in memory
Source = Union[PathLike, "tuple[str, str]"]

PREFIX = "MP_QSTR_"

#: format.md 7.1 step 3: no word-boundary anchoring, so it also matches inside longer identifiers
_QSTR_RE = re.compile(r"MP_QSTR_[A-Za-z0-9_]*")
#: format.md 7.2: a native qstr define, matched at the start of a line
_NATIVE_RE = re.compile(r"#define MP_QSTR_([A-Za-z0-9_]*) \(mp_native_")
#: the declaration every generated header ends with; its absence means "not a config header"
_TABLE_DECL_RE = re.compile(r"\bmp_native_qstr_table\s*\[\s*\]")
_IDENT_RE = re.compile(r"[A-Za-z0-9_]*")
#: lines as Python's universal-newline file reading splits them (not str.splitlines,
#: which also splits at form feeds and other separators)
_LINE_SPLIT_RE = re.compile(r"\r\n?|\n")

#: how sources are decoded: like the reference reads text, but undecodable bytes never
#: stop the build (they cannot be part of an `MP_QSTR_` identifier anyway)
ENCODING = "utf-8"
ENCODING_ERRORS = "surrogateescape"


@dataclass(frozen=True, eq=False)
class StaticQstrs:
    """The static qstr list of one MicroPython tree and that tree's escaping function.

    `names` is the list in firmware order (treat it as read-only: instances are cached
    and shared); `ids` maps each string to its firmware id (list index + 1, because id 0
    is the null qstr).  `escape` is the tree's own `qstr_escape`, so identifiers match
    what that MicroPython release generates.
    """

    names: list[str]
    ids: dict[str, int]
    escape_function: Callable[[str], str] = field(repr=False, compare=False)
    source: Path | None = None
    #: `MP_QSTR_<escaped>` for each name, in list order
    identifiers: tuple[str, ...] = field(default=(), repr=False)

    @classmethod
    def from_list(cls, names: Iterable[str], escape: Callable[[str], str], source: Path | None = None) -> StaticQstrs:
        """Build and check: every escaped name must be a valid C identifier tail."""
        names = list(names)
        identifiers = []
        for name in names:
            escaped = escape(name)
            if not isinstance(escaped, str) or not _IDENT_RE.fullmatch(escaped):
                where = f"{source}: " if source else ""
                raise QstrError(
                    f"{where}qstr_escape({name!r}) gave {escaped!r}, not a C identifier: is this a MicroPython tree?"
                )
            identifiers.append(PREFIX + escaped)
        ids: dict[str, int] = {}
        for index, name in enumerate(names):
            ids.setdefault(name, index + 1)
        return cls(names, ids, escape, source, tuple(identifiers))

    def escape(self, text: str) -> str:
        """The identifier tail MicroPython uses for `text` (`"utf-8"` -> `"utf_hyphen_8"`)."""
        return self.escape_function(text)


def load_static_qstrs(mpy_dir: PathLike) -> StaticQstrs:
    """Read `static_qstr_list` and `qstr_escape` from `<mpy_dir>/py/makeqstrdata.py` (format.md 8.2).

    Cached per (resolved) tree path, and per file state, so an edited tree is re-read.
    """
    path = (Path(mpy_dir).expanduser() / "py" / "makeqstrdata.py").resolve()
    try:
        stat = path.stat()
    except OSError:
        raise QstrError(f"{path} not found: set MPY_DIR (or --mpy-dir) to a MicroPython tree") from None
    return _load_static_qstrs(str(path), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=16)
def _load_static_qstrs(path: str, _mtime_ns: int, _size: int) -> StaticQstrs:
    """Run the tree's makeqstrdata.py as a private module and take what we need from it.

    Executing the tree's own module (format.md 8.2: "importing it has no side effects") keeps
    the escaping table and rules out of our code.  The module is compiled and executed
    by hand, not imported: nothing is added to sys.modules or sys.path, and no
    `__pycache__` is written into a possibly read-only tree.
    """
    file = Path(path)
    try:
        source = file.read_bytes()
        code = compile(source, path, "exec")
        digest = hashlib.sha1(path.encode("utf-8", "surrogateescape")).hexdigest()[:12]
        module = types.ModuleType(f"_natmod_tool_makeqstrdata_{digest}")
        module.__file__ = path
        exec(code, module.__dict__)
    except Exception as exc:  # whatever that file does, report it as one line
        raise QstrError(
            f"{path}: cannot load it ({type(exc).__name__}: {exc}): set MPY_DIR (or --mpy-dir) to a MicroPython tree"
        ) from None
    names = getattr(module, "static_qstr_list", None)
    escape = getattr(module, "qstr_escape", None)
    if (
        not isinstance(names, (list, tuple))
        or not names
        or not all(isinstance(n, str) for n in names)
        or not callable(escape)
    ):
        raise QstrError(
            f"{path}: has no static_qstr_list of strings or no qstr_escape function: "
            "is this MicroPython's py/makeqstrdata.py?"
        )
    return StaticQstrs.from_list(names, escape, file)


def extract_qstr_names(text: str) -> set[str]:
    """Every `MP_QSTR_<name>` in `text`, as the set of names (without the prefix).

    Matches like the reference (format.md 7.1): anywhere, including comments, strings and
    inside longer identifiers.  A bare `MP_QSTR_` gives the empty name.
    """
    return {match[len(PREFIX) :] for match in _QSTR_RE.findall(text)}


def read_source(source: Source) -> tuple[str, str]:
    """(label, text) of one source; a path that cannot be read is a QstrError naming it."""
    if isinstance(source, tuple):
        label, text = source
        return str(label), text
    try:
        with open(source, encoding=ENCODING, errors=ENCODING_ERRORS) as handle:
            return os.fspath(source), handle.read()
    except OSError as exc:
        raise QstrError(f"{os.fspath(source)}: cannot read source ({exc.strerror or exc})") from None


def native_qstr_names(sources: Sequence[Source], static: StaticQstrs) -> list[str]:
    """The non-static qstr names used by `sources`, sorted by code point (format.md 7.1 step 3)."""
    found: set[str] = set()
    for source in sources:
        _label, text = read_source(source)
        found |= extract_qstr_names(text)
    static_tails = {ident[len(PREFIX) :] for ident in static.identifiers}
    return sorted(found - static_tails)


def make_config_header(sources: Sequence[Source], static: StaticQstrs) -> str:
    """The qstr config header for `sources`, byte-exact with the reference (format.md 7.1).

    `sources` are file paths or `(label, text)` pairs, scanned in any order (the result
    is a sorted set).  Returns text; every line ends in `\\n`.
    """
    native = native_qstr_names(sources, static)
    lines = ["#include <stdint.h>", "typedef uintptr_t mp_off_t;"]
    lines += [f"#define {ident} ({i + 1})" for i, ident in enumerate(static.identifiers)]
    lines += [f"#define {PREFIX}{name} (mp_native_qstr_table[{j + 1}])" for j, name in enumerate(native)]
    lines += [
        "extern const uint16_t mp_native_qstr_table[];",
        "extern const uintptr_t mp_native_obj_table[];",
    ]
    return "".join(line + "\n" for line in lines)


def parse_native_qstrs(text: str, label: str = "<config header>") -> list[str]:
    """The native qstr names of a config header's text, in file order (format.md 7.2).

    Raises QstrError when the text is not a config header at all (no
    `mp_native_qstr_table[]` declaration): linking against the wrong file would otherwise
    silently produce a module whose qstrs are all wrong.
    """
    names: list[str] = []
    declared = False
    for line in _LINE_SPLIT_RE.split(text):
        match = _NATIVE_RE.match(line)
        if match:
            names.append(match.group(1))
        elif not declared and _TABLE_DECL_RE.search(line):
            declared = True
    if not declared:
        raise QstrError(
            f"{label}: not a qstr config header (no mp_native_qstr_table declaration); "
            "make it with `natmod-tool preprocess`"
        )
    return names


def read_native_qstrs(path_or_text: PathLike) -> list[str]:
    """The native qstr names of a config header (format.md 7.2), from a file or from its text.

    A `str` that contains a newline is taken as the header text; any other `str` or
    path-like is a file name.  A missing file is a QstrError naming it.
    """
    if isinstance(path_or_text, str) and "\n" in path_or_text:
        return parse_native_qstrs(path_or_text)
    name = os.fspath(path_or_text)
    try:
        with open(name, encoding=ENCODING, errors=ENCODING_ERRORS) as handle:
            text = handle.read()
    except OSError as exc:
        raise QstrError(
            f"{name}: cannot read qstr config header ({exc.strerror or exc}); make it with `natmod-tool preprocess`"
        ) from None
    return parse_native_qstrs(text, name)


def write_if_changed(path: PathLike, text: str | bytes) -> bool:
    """Write `text` to `path` atomically unless the file already holds exactly that.

    Returns True when the file was (re)written.  Keeping an unchanged header's mtime
    means timestamp-based builds (make, SCons with timestamp deciders) do not recompile
    every object when the qstr set did not change.
    """
    data = text if isinstance(text, bytes) else text.encode(ENCODING, ENCODING_ERRORS)
    try:
        with open(path, "rb") as handle:
            if handle.read(len(data) + 1) == data:
                return False
    except OSError:
        pass
    write_atomic(path, data)
    return True
