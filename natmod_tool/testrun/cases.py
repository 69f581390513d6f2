"""One module test: which expected output applies, and whether a run passed.

The convention (the same as MicroPython's own tests, plus per-arch files):

* a test is a MicroPython script `test_x.py`; its expected output is `test_x.exp`
  beside it, or `test_x.<arch>.exp` when that exists (for output that truly differs
  by arch, e.g. float digits on single-precision boards);
* a script whose first output line is `SKIP` skips itself (e.g. a float test where
  the module was built without floats); later lines may say why;
* otherwise the test passes when the script exits with status 0 and prints exactly
  the expected lines (line endings normalised: serial consoles send CR LF).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PASS = "PASS"
FAIL = "FAIL"
SKIP = "SKIP"


@dataclass
class Case:
    """One (module, arch, test script) to run, with the folders its imports come from."""

    module: str
    arch: str
    script: Path
    import_dirs: list[Path] = field(default_factory=list)

    @property
    def test(self) -> str:
        """The name shown in progress lines and tables: the script's file name."""
        return self.script.name


@dataclass
class Outcome:
    """The verdict on one run: status, a one-line reason, and the diff when output differed."""

    status: str
    reason: str = ""
    diff: str = ""


def expected_candidates(script: Path, arch: str) -> list[Path]:
    """`test_x.<arch>.exp` then `test_x.exp`: the files whose presence decides the expected output."""
    stem = script.with_suffix("")
    return [Path(f"{stem}.{arch}.exp"), Path(f"{stem}.exp")]


def expected_file(script: Path, arch: str) -> Path | None:
    """The expected-output file that applies to `script` on `arch`, or None when there is none."""
    for path in expected_candidates(script, arch):
        if path.is_file():
            return path
    return None


def normalise(text: str) -> list[str]:
    """Output as lines, CR LF and lone CR read as line ends."""
    return text.replace("\r\n", "\n").replace("\r", "\n").splitlines()


def _diff(expected: list[str], got: list[str], exp_name: str, arch: str) -> str:
    lines = difflib.unified_diff(expected, got, fromfile=f"{exp_name} (expected)", tofile=f"output ({arch})", n=2)
    return "\n".join(line.rstrip("\n") for line in lines)


def judge(
    result: Any, script: Path, exp_path: Path | None, arch: str, timeout: float, setting: str = "TEST_TIMEOUT"
) -> Outcome:
    """Decide PASS, FAIL or SKIP for one run (`result` has returncode, output, timed_out).

    `setting` names the knob that sets `timeout`, for the timeout message.
    """
    got = normalise(result.output)
    if result.timed_out:
        return Outcome(FAIL, f"timed out after {timeout:g} s ({setting}): killed", "\n".join(got[-20:]))
    if result.returncode == 0 and got and got[0].strip() == SKIP:
        why = " ".join(line.strip() for line in got[1:3] if line.strip())
        return Outcome(SKIP, why or "the script printed SKIP")
    if exp_path is None:
        name = expected_candidates(script, arch)[1].name
        reason = f"no {name} beside {script.name}: write the expected output there (this run printed the lines below)"
        return Outcome(FAIL, reason, "\n".join(got[-40:]))
    expected = normalise(exp_path.read_text(encoding="utf-8", errors="replace"))
    diff = _diff(expected, got, exp_path.name, arch)
    if result.returncode != 0:
        return Outcome(FAIL, f"exit status {result.returncode}", diff or "\n".join(got[-40:]))
    if expected != got:
        return Outcome(FAIL, f"output differs from {exp_path.name}", diff)
    return Outcome(PASS)
