"""Error types of natmod-tool.

Every failure the tool reports to a user is one of these: a one-line message that
names the file, the symbol or section involved, and what to do.  Anything else that
escapes is a bug in natmod-tool.
"""

from __future__ import annotations


class NatmodError(Exception):
    """Base class: a user-facing, one-line error."""


class LinkError(NatmodError):
    """Linking objects and archives into a native .mpy failed."""


class MpyError(NatmodError):
    """A .mpy file could not be read, validated or merged."""


class QstrError(NatmodError):
    """The qstr config header or the MicroPython tree could not be used."""
