"""Fixed-address symbols (`--externs`): a tiny subset of GNU ld script syntax.

Accepted lines (whitespace ignored): `name = 0xADDR;` and `PROVIDE(name = 0xADDR);`,
plus `/* ... */` and `//` comments.  Unlike the reference we do not silently skip
lines we cannot read, and we take the whole hex number rather than its last eight
digits: a wrong firmware address is a crash on the board, so it is worth an error
that names the line.
"""

from __future__ import annotations

import re

from ..errors import LinkError

_LINE = re.compile(r"(?P<provide>PROVIDE\()?(?P<name>[A-Za-z_]\w*)=0x(?P<addr>[0-9A-Fa-f]+)(?P<end>\);|;)")


def parse_externs(label: str, text: str) -> dict[str, int]:
    """Return {symbol: address} in file order; LinkError names the file and line."""
    out: dict[str, int] = {}
    in_comment = False
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if in_comment:
            if line.endswith("*/"):
                in_comment = False
            continue
        if line.startswith("/*"):
            in_comment = not line.endswith("*/") or line == "/*"
            continue
        if not line or line.startswith("//"):
            continue
        compact = re.sub(r"\s+", "", line)
        match = _LINE.fullmatch(compact)
        if match is None or bool(match["provide"]) != (match["end"] == ");"):
            raise LinkError(
                f"{label}:{number}: cannot read {line[:60]!r}; "
                "expected 'name = 0xADDRESS;' or 'PROVIDE(name = 0xADDRESS);'"
            )
        name = match["name"]
        value = int(match["addr"], 16)
        if value >= 1 << 64:
            raise LinkError(f"{label}:{number}: address of {name} does not fit in 64 bits")
        if name in out:
            raise LinkError(f"{label}:{number}: symbol {name} already defined on an earlier line")
        out[name] = value
    return out
