"""The `.mpy` container: primitive encodings, writer, reader/validator and merge.

Submodules import nothing heavy (no pyelftools), so `inspect` and `merge` start fast.
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
