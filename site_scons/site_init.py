"""Loads this checkout's natmod_scons before the SConstruct runs.

Why here: imported this early, the no-op shortcut (natmod_scons/noop.py) traces the whole
SConstruct, so a build with nothing to do can stop before reading any SConscript.  The
checkout's copy is preferred over an installed one, as in site_tools/natmod.py.
"""

import os
import sys

_TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if os.path.isdir(os.path.join(_TOP, "natmod_scons")) and _TOP not in sys.path:
    sys.path.insert(0, _TOP)

import natmod_scons  # noqa: E402,F401
