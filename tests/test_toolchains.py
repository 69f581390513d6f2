"""The toolchain table (natmod_tool/toolchains.py): one row per arch, readable by a bare python3.

tools/bootstrap.sh reads the package list before the venv exists, so the table must import
with the standard library alone; it used to come from natmod_scons.arches, which needs
SCons, and the failure went unnoticed (`mapfile < <(...)` hid it: no package was checked).
"""

from __future__ import annotations

import re
import subprocess
import sys

from conftest import REPO_ROOT

from natmod_tool.arch import ARCHES
from natmod_tool.toolchains import TOOLCHAINS, bootstrap_packages, toolchain


def test_one_row_per_arch_in_registry_order() -> None:
    assert list(TOOLCHAINS) == list(ARCHES)
    assert all(toolchain(name).arch == name for name in ARCHES)


def test_rows_are_consistent() -> None:
    for facts in TOOLCHAINS.values():
        assert facts.float_impl in ("NONE", "FLOAT", "DOUBLE"), facts
        assert facts.gcc == facts.cross_prefix + "gcc" and facts.cross_prefix.endswith("-"), facts
        assert not set(facts.bootstrap_packages) - set(bootstrap_packages()), facts
        if facts.picolibc_specs:  # the triple and the multilib folder come from these
            assert any(f.startswith("-march=") for f in facts.cflags), facts
            assert any(f.startswith("-mabi=") for f in facts.cflags), facts
    assert len(bootstrap_packages()) == len(set(bootstrap_packages()))


def _bootstrap_snippet() -> str:
    """The Python tools/bootstrap.sh runs for the package list (its heredoc)."""
    text = (REPO_ROOT / "tools" / "bootstrap.sh").read_text()
    match = re.search(r'TOOLCHAIN_PACKAGES=\$\("\$PYTHON" - <<\'PY\'\n(.*?)\nPY\n', text, re.S)
    assert match, "tools/bootstrap.sh no longer reads natmod_tool/toolchains.py"
    return match.group(1)


def test_bootstrap_reads_the_table_without_site_packages() -> None:
    # -S: no site-packages (no SCons, no pyelftools), as a bare python3 before the venv exists
    check = "\nimport sys\nassert not [m for m in sys.modules if m.split('.')[0] in ('SCons', 'elftools')]\n"
    done = subprocess.run(
        [sys.executable, "-S", "-c", _bootstrap_snippet() + check],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == bootstrap_packages()
