"""Run native modules' test scripts on each arch's MicroPython and report the results.

`scons test` (natmod_scons/testing.py) and `natmod-tool test` both use this package:
`cases` (which .exp applies, PASS/FAIL/SKIP), `runners` (the unix port for x64,
natmod_tool.testrt for the other arches), `execute` (one case -> one record) and
`report` (progress lines, diffs, the module x arch table, the count line).
"""

from __future__ import annotations

from .cases import FAIL, PASS, SKIP, Case, expected_file, judge
from .execute import run_case
from .report import count_line, summary, table
from .runners import NoRuntime, RunResult, get_runtime, identity, runtime_problem

__all__ = [
    "FAIL",
    "PASS",
    "SKIP",
    "Case",
    "NoRuntime",
    "RunResult",
    "count_line",
    "expected_file",
    "get_runtime",
    "identity",
    "judge",
    "run_case",
    "runtime_problem",
    "summary",
    "table",
]
