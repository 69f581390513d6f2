"""Test results as records (one JSON file per test for SCons), and how they are printed.

Why records: under SCons each test is its own node whose result file outlives the
run, so a later `scons test` with nothing changed prints the same summary, failure
diffs included, without running anything.  The printed forms are fixed so people
and scripts can read them:

* progress, one line per test run: `PASS factorial armv6m test_factorial.py`
  (`FAIL ...: reason`, `SKIP ...: reason`);
* per failure (also those recorded by earlier runs): `FAILED module arch test: reason`,
  the diff (expected vs got) and `rerun: <command>`;
* a module x arch table, then exactly `natmod test: P passed, F failed, S skipped`.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Iterable, Sequence
from pathlib import Path

from .cases import FAIL, PASS, SKIP

#: bump when the record's fields change (older files are then treated as missing)
FORMAT = 1


def make_record(
    module: str, arch: str, script: Path, status: str, reason: str, diff: str, command: Sequence[str]
) -> dict:
    """A result record: what ran, the verdict, and the command that reruns it alone."""
    return {
        "format": FORMAT,
        "module": module,
        "arch": arch,
        "test": script.name,
        "script": str(script),
        "status": status,
        "reason": reason,
        "diff": diff,
        "command": shlex.join(command) if command else "",
    }


def dump(record: dict) -> bytes:
    """The record as the bytes of its result file."""
    return (json.dumps(record, indent=1, sort_keys=True) + "\n").encode()


def load(path: str | Path, module: str, arch: str, script: Path) -> dict:
    """A result file's record; a missing or unreadable one is a FAIL naming the file."""
    try:
        record = json.loads(Path(path).read_text())
        if isinstance(record, dict) and record.get("format") == FORMAT and record.get("status") in (PASS, FAIL, SKIP):
            return record
        problem = "is not a result record of this natmod-tool version"
    except (OSError, ValueError) as exc:
        problem = f"cannot be read ({exc})"
    return make_record(module, arch, script, FAIL, f"result file {path} {problem}: run scons test again", "", [])


def progress_line(record: dict) -> str:
    """`STATUS module arch test`, plus `: reason` for failures and skips."""
    line = f"{record['status']} {record['module']} {record['arch']} {record['test']}"
    if record["status"] != PASS and record.get("reason"):
        line += f": {record['reason']}"
    return line


def failure_details(record: dict) -> str:
    """`FAILED module arch test: reason`, the diff (indented) and the rerun command of one failure.

    `FAILED`, not `FAIL`: the summary repeats failures of earlier runs too, and a
    progress line should only mean "this test ran now".
    """
    lines = ["FAILED" + progress_line(record)[len(FAIL) :]]
    lines += [f"    {line}" for line in record.get("diff", "").splitlines()]
    if record.get("command"):
        lines.append(f"    rerun: {record['command']}")
    return "\n".join(lines)


def counts(records: Iterable[dict]) -> tuple[int, int, int]:
    """(passed, failed, skipped)."""
    statuses = [r["status"] for r in records]
    return statuses.count(PASS), statuses.count(FAIL), statuses.count(SKIP)


def count_line(records: Sequence[dict]) -> str:
    """Exactly `natmod test: P passed, F failed, S skipped`."""
    passed, failed, skipped = counts(records)
    return f"natmod test: {passed} passed, {failed} failed, {skipped} skipped"


def _cell(records: list[dict]) -> str:
    """One table cell: `pass`, `FAIL` (with n/m when several tests), `skip`, or `-` (no test)."""
    if not records:
        return "-"
    passed, failed, skipped = counts(records)
    total = len(records)
    several = total > 1
    if failed:
        return f"FAIL {failed}/{total}" if several else "FAIL"
    if passed:
        return f"pass {passed}/{total}" if skipped else "pass"
    return "skip"


def table(records: Sequence[dict], modules: Sequence[str] = (), arches: Sequence[str] = ()) -> str:
    """A module x arch table of the records (rows and columns in first-seen order)."""
    modules = list(dict.fromkeys([*modules, *(r["module"] for r in records)]))
    arches = list(dict.fromkeys([*arches, *(r["arch"] for r in records)]))
    rows = [["module", *arches]]
    for module in modules:
        row = [module]
        for arch in arches:
            row.append(_cell([r for r in records if r["module"] == module and r["arch"] == arch]))
        rows.append(row)
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows) + "\n"


def summary(records: Sequence[dict], modules: Sequence[str] = (), arches: Sequence[str] = ()) -> str:
    """Every failure in detail, the table, and the count line last."""
    parts = [failure_details(r) for r in records if r["status"] == FAIL]
    parts.append(table(records, modules, arches).rstrip("\n"))
    parts.append(count_line(records))
    return "\n".join(parts) + "\n"
