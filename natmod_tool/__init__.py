"""natmod-tool: build MicroPython native modules.

Library first: `link()` turns ELF objects and archives into native `.mpy` bytes,
`merge()` joins a native `.mpy` with bytecode `.mpy` files, `make_config_header()`
writes the qstr config header, `read_mpy()`/`validate()` check a `.mpy`.
Every user-facing failure is a `NatmodError` subclass with a one-line message.
"""

from __future__ import annotations

from typing import Any

from .errors import LinkError, MpyError, NatmodError, QstrError

__all__ = [
    "LinkError",
    "MpyError",
    "NatmodError",
    "QstrError",
    "link",
    "LinkResult",
    "merge",
    "read_mpy",
    "validate",
    "make_config_header",
]

_LAZY = {
    "link": ("natmod_tool.linker.driver", "link"),
    "LinkResult": ("natmod_tool.linker.driver", "LinkResult"),
    "merge": ("natmod_tool.mpy.merge", "merge"),
    "read_mpy": ("natmod_tool.mpy.reader", "read_mpy"),
    "validate": ("natmod_tool.mpy.reader", "validate"),
    "make_config_header": ("natmod_tool.qstr", "make_config_header"),
}


def __getattr__(name: str) -> Any:
    """Import the heavy parts (pyelftools) only when they are used."""
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        return getattr(importlib.import_module(module), attr)
    raise AttributeError(name)
