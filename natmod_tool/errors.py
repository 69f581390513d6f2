"""Error types of natmod-tool.

Every failure the tool reports to a user is one of these: a one-line message that
names the file, the symbol or section involved, and what to do.  Anything else that
escapes is a bug in natmod-tool.
"""

from __future__ import annotations

from collections.abc import Iterable


def one_line(text: str) -> str:
    """`text` with control characters escaped, so names read from a damaged file keep it one line."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def closest(word: str, choices: Iterable[str], aliases: dict[str, str] | None = None) -> str | None:
    """The choice a mistyped `word` most likely meant, or None when nothing is close.

    A known alias first (`esp8266` -> `xtensa`), then the shortest choice that `word`
    begins (`armv7` -> `armv7m`), then a close spelling (`LINK_RUNTIM` -> `LINK_RUNTIME`);
    the cut-off is high so that a suggestion is a likely one, not a guess.
    """
    import difflib

    options = list(choices)
    if aliases and word.lower() in aliases:
        return aliases[word.lower()]
    if len(word) >= 3:
        longer = sorted((c for c in options if c.startswith(word) and c != word), key=len)
        if longer:
            return longer[0]
    found = difflib.get_close_matches(word, options, n=1, cutoff=0.8)
    return found[0] if found else None


def did_you_mean(word: str, choices: Iterable[str], aliases: dict[str, str] | None = None) -> str:
    """` did you mean X?` for `closest(...)`, or "" when nothing is close."""
    found = closest(word, choices, aliases)
    return f" did you mean {found}?" if found else ""


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
