"""The `.mpy` container: primitive encodings, writer, reader/validator and merge.

Separate from the linker: merging and inspecting work on `.mpy` bytes only, and the
linker uses `writer` to serialise what it built.
"""

from __future__ import annotations

from .encoding import (
    ConstObject,
    QstrEntry,
    Reader,
    decode_signed_varuint,
    decode_varuint,
    encode_qstr_inline,
    encode_qstr_static,
    encode_signed_varuint,
    encode_varuint,
)

__all__ = [
    "ConstObject",
    "QstrEntry",
    "Reader",
    "decode_signed_varuint",
    "decode_varuint",
    "encode_qstr_inline",
    "encode_qstr_static",
    "encode_signed_varuint",
    "encode_varuint",
]
