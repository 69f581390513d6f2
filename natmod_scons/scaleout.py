"""Sharing work between clones and machines: SCons' CacheDir, ccache, distcc/icecc.

Why here and not in each SConstruct: the cache and the compile wrapper must stay out of
the build signatures (so turning them on or off rebuilds nothing, and two clones at
different paths compute the same signatures), and the wrapper's settings must reach the
compiler's environment, which SCons does not inherit from `os.environ`.
"""

from __future__ import annotations

import os
from typing import Any

from .cachelink import cache_class
from .variables import Settings, top_path

#: environment variables a compile wrapper reads (ccache, distcc, icecc), passed through
WRAPPER_ENV_PREFIXES = ("CCACHE_", "DISTCC_", "ICECC_")


def apply(env: Any, settings: Settings) -> None:
    """Turn on CACHE_DIR and the compile wrapper for `env` (and its per-arch clones)."""
    if settings.cache_dir:
        env.CacheDir(top_path(settings.cache_dir), cache_class(settings.cache_link))
    wrapper = settings.cc_wrapper
    # `$( $)`: the wrapper is in the command line but not in its signature
    env["NATMOD_CC_WRAPPER"] = f"$( {wrapper} $)" if wrapper else ""
    if not wrapper:
        return
    passed = {key: value for key, value in os.environ.items() if key.startswith(WRAPPER_ENV_PREFIXES)}
    # ccache rewrites absolute paths below the top folder into relative ones, so clones at
    # different paths hit each other's entries (a base dir the user set wins)
    passed.setdefault("CCACHE_BASEDIR", env.Dir("#").abspath)
    for key in ("HOME", "TMPDIR", "XDG_CACHE_HOME", "XDG_CONFIG_HOME"):  # where ccache keeps its files
        if key in os.environ:
            passed.setdefault(key, os.environ[key])
    env["ENV"] = {**env.get("ENV", {}), **passed}
