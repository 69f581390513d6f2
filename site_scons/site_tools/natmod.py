"""The `natmod` SCons tool for this repository's own SConstruct.

The code is the package `natmod_scons` at the top of this checkout (also installed by
`pip install natmod-tool`).  This checkout's copy is preferred, so working on the tool
or on natmod_tool needs no reinstall.
"""

import os
import sys

_TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if os.path.isdir(os.path.join(_TOP, "natmod_scons")) and _TOP not in sys.path:
    sys.path.insert(0, _TOP)

from natmod_scons import exists, generate, options  # noqa: E402,F401
