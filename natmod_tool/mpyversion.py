"""Which MicroPython release and which native ABI a MicroPython tree is.

A native `.mpy` loads only on a firmware whose `.mpy` version *and* sub-version equal the
file's (the sub-version counts changes of the native ABI, e.g. `mp_fun_table`), so a build
against several trees needs both numbers of each: the link writes the tree's sub-version,
the build folder and the published folder are named after `<version>.<sub-version>`
(`6.3`, the `{MPY_VERSION}` mip expands), and the `mpy-cross` chosen for the tree's `.py`
files must emit that version.  Both are plain `#define`s: the release in `py/mpconfig.h`,
the `.mpy` numbers in `py/persistentcode.h`; reading them is cheaper and more robust than
compiling anything.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .errors import QstrError

_DEFINE = re.compile(r"^\s*#\s*define\s+(\w+)\s+\(?\s*(\d+)\s*\)?\s*(?:$|//|/\*)", re.MULTILINE)

#: the macros a tree must define, in py/mpconfig.h and in py/persistentcode.h
RELEASE_MACROS = ("MICROPY_VERSION_MAJOR", "MICROPY_VERSION_MINOR", "MICROPY_VERSION_MICRO")
MPY_MACROS = ("MPY_VERSION", "MPY_SUB_VERSION")


@dataclass(frozen=True)
class TreeVersion:
    """The release and `.mpy` numbers of one MicroPython tree."""

    release: tuple[int, int, int]
    prerelease: bool  # MICROPY_VERSION_PRERELEASE: a development snapshot, never on PyPI
    mpy_version: int
    mpy_sub_version: int

    @property
    def release_text(self) -> str:
        """`1.28.0`, with `-preview` for a development snapshot (as MicroPython prints it)."""
        text = ".".join(str(part) for part in self.release)
        return f"{text}-preview" if self.prerelease else text

    @property
    def mpy_label(self) -> str:
        """`6.3`: the `.mpy` version as folder names and mip's `{MPY_VERSION}` spell it."""
        return f"{self.mpy_version}.{self.mpy_sub_version}"


def _defines(path: Path) -> dict[str, int]:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise QstrError(f"cannot read {path} ({exc.strerror or exc}): MPY_DIR must name a MicroPython tree") from None
    return {name: int(value) for name, value in _DEFINE.findall(text)}


def read_tree_version(tree: str | Path) -> TreeVersion:
    """The numbers of the tree at `tree`; QstrError naming the header and macro when one is missing."""
    root = Path(tree)
    found: dict[str, int] = {}
    for header, macros in (("py/mpconfig.h", RELEASE_MACROS), ("py/persistentcode.h", MPY_MACROS)):
        defines = _defines(root / header)
        for macro in macros:
            if macro not in defines:
                raise QstrError(
                    f"{root / header} defines no {macro}: MPY_DIR must name a MicroPython tree (1.22 or newer)"
                )
            found[macro] = defines[macro]
        if header == "py/mpconfig.h":
            found["MICROPY_VERSION_PRERELEASE"] = defines.get("MICROPY_VERSION_PRERELEASE", 0)
    return TreeVersion(
        release=(found["MICROPY_VERSION_MAJOR"], found["MICROPY_VERSION_MINOR"], found["MICROPY_VERSION_MICRO"]),
        prerelease=bool(found["MICROPY_VERSION_PRERELEASE"]),
        mpy_version=found["MPY_VERSION"],
        mpy_sub_version=found["MPY_SUB_VERSION"],
    )
