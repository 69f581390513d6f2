"""Run one test case on its arch's runtime and turn what happened into a result record.

Shared by `scons test` (one call per test node, in SCons' worker threads) and
`natmod-tool test` (a thread pool).  Nothing here raises for a test's sake: a missing
runtime, a runtime that fails to build, a crash or a hang all end as a record.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import NatmodError
from .cases import FAIL, SKIP, Case, expected_file, judge
from .report import make_record
from .runners import NoRuntime, get_runtime


def run_case(
    case: Case, mpy_dir: str | os.PathLike[str], timeout: float, *, in_ci: bool = False, setting: str = "TEST_TIMEOUT"
) -> dict:
    """Run `case` and return its result record (see report.make_record).

    `setting` names what set `timeout` (for the message).  A missing runtime is a
    SKIP, except under CI (`in_ci`), where the machine was set up to have every
    runtime, so it is a FAIL; an arch no runtime is made for (xtensawin) is a SKIP
    everywhere.
    """
    script = Path(case.script)
    try:
        runtime = get_runtime(case.arch, mpy_dir, quiet=True)
    except NoRuntime as exc:
        if in_ci and exc.exists:
            return make_record(case.module, case.arch, script, FAIL, f"{exc} (CI is set: it must be there)", "", [])
        return make_record(case.module, case.arch, script, SKIP, str(exc), "", [])
    except NatmodError as exc:
        return make_record(case.module, case.arch, script, FAIL, f"no runtime for {case.arch}: {exc}", "", [])
    dirs = [Path(d) for d in case.import_dirs]
    command = runtime.command(script, dirs)
    try:
        result = runtime.run(script, dirs, timeout=timeout)
    except (NatmodError, OSError) as exc:
        return make_record(case.module, case.arch, script, FAIL, f"could not run: {exc}", "", command)
    outcome = judge(result, script, expected_file(script, case.arch), case.arch, timeout, setting)
    complaints = (getattr(result, "stderr", "") or "").strip()  # an emulator's own messages
    if outcome.status == FAIL and complaints:
        extra = [f"stderr: {line}" for line in complaints.splitlines()[-10:]]
        outcome.diff = "\n".join([*([outcome.diff] if outcome.diff else []), *extra])
    return make_record(case.module, case.arch, script, outcome.status, outcome.reason, outcome.diff, command)
