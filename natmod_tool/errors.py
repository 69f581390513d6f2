"""Error types of natmod-tool.

Every failure the tool reports to a user is one of these: a one-line message that
names the file, the symbol or section involved, and what to do.  Anything else that
escapes is a bug in natmod-tool.
"""

from __future__ import annotations


def one_line(text: str) -> str:
    """`text` with control characters escaped, so names read from a damaged file keep it one line."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


class NatmodError(Exception):
    """Base class: a user-facing, one-line error."""

    def __init__(self, *args: object) -> None:
        if len(args) == 1 and isinstance(args[0], str):
            args = (one_line(args[0]),)
        super().__init__(*args)


class LinkError(NatmodError):
    """Linking objects and archives into a native .mpy failed."""


class MpyError(NatmodError):
    """A .mpy file could not be read, validated or merged."""


class QstrError(NatmodError):
    """The qstr config header or the MicroPython tree could not be used."""
