"""CI-sized runs of the fuzzer (`tests/fuzzer.py`) over the linker, the `.mpy` reader and merge.

Why here and at this size: every damaged input must come back as a success or a
one-line `NatmodError` (the `.mpy` reader's naming the file), never a traceback, an
allocation sized from a header or a hang.  The campaign that proves it at length is
`tools/fuzz.py` (the same cases; `--case N` replays one); these runs keep each change
honest in CI.
"""

from __future__ import annotations

import contextlib
import io
import random
from collections.abc import Callable

import fuzzer
import pytest

from natmod_tool.cli import main as cli_main
from natmod_tool.errors import LinkError, MpyError

#: the slow layer's run: about 10 s on two cores
CI_CASES = 5000


def _findings(campaign: fuzzer.Campaign) -> str:
    return f"{len(campaign.findings)} finding(s):\n" + "\n".join(str(f) for f in campaign.findings[:30])


def test_fuzz_raises_only_natmod_errors() -> None:
    campaign = fuzzer.run_campaign(CI_CASES, seed=0)
    assert not campaign.findings, _findings(campaign)
    # every kind was exercised and both verdicts were reached, or the run proved little
    assert set(campaign.by_kind) == {"object", "archive", "mpy"}
    for kind, count in campaign.by_kind.items():
        assert 0 < campaign.rejected[kind] < count, (kind, campaign.report())


@pytest.mark.parametrize("target", ["mpy", "link"])
def test_fuzz_each_target_in_process(target: str) -> None:
    """A short in-process run per target: the fast layer's check of the same rules."""
    campaign = fuzzer.run_campaign(600, seed=1, jobs=1, target=target)
    assert not campaign.findings, _findings(campaign)
    kinds = {"mpy"} if target == "mpy" else {"object", "archive"}
    assert set(campaign.by_kind) == kinds
    assert sum(campaign.rejected.values()) > 0


def test_mutator_is_deterministic() -> None:
    corpus = fuzzer.worker_init(limit_memory=False)
    data = corpus.links[0].objects[0][1]
    for kind in ("object", "archive", "mpy"):
        a = fuzzer.mutate(random.Random(7), data, kind, [data])
        b = fuzzer.mutate(random.Random(7), data, kind, [data])
        assert a == b and a[0] != data
    first = fuzzer.make_case(corpus, 3, 17)
    again = fuzzer.make_case(corpus, 3, 17)
    assert (first.what, first.data) == (again.what, again.data)


class _TwoLineError(LinkError):
    """An error whose text escapes `one_line` (as a subclass with its own `__str__` could)."""

    def __str__(self) -> str:
        return "first line\nsecond line"


def test_judge_reports_what_breaks_the_rules() -> None:
    """The verdict itself: a stray exception, a two-line message, an unnamed reader error are findings."""
    corpus = fuzzer.worker_init(limit_memory=False)
    case = fuzzer.make_case(corpus, 0, 0, "mpy")

    def raiser(exc: BaseException) -> Callable[[], None]:
        def action() -> None:
            raise exc

        return action

    outcome = fuzzer.Outcome(case.kind)
    assert fuzzer.judge(case, "merge first", lambda: None, outcome) is None and not outcome.rejected
    assert fuzzer.judge(case, "merge first", raiser(MpyError("fuzz.mpy: bad")), outcome) is None
    assert outcome.rejected and outcome.error_class == "MpyError" and outcome.names_file
    stray = fuzzer.judge(case, "read", raiser(IndexError("boom")), outcome)
    assert stray is not None and "IndexError: boom" in stray.error and "Traceback" in stray.trace
    two_lines = fuzzer.judge(case, "link", raiser(_TwoLineError("a")), outcome)
    assert two_lines is not None and "not one line" in two_lines.error
    unnamed = fuzzer.judge(case, "read", raiser(MpyError("truncated file")), outcome)
    assert unnamed is not None and "does not name fuzz.mpy" in unnamed.error


def test_cli_gives_one_line_errors_on_fuzzed_inputs(tmp_path) -> None:
    """The user's view: the CLI on damaged inputs exits 0 or 1 with one error line, never an internal error."""
    corpus = fuzzer.worker_init(limit_memory=False)
    failures = errors = 0
    for number in range(120):
        case = fuzzer.make_case(corpus, 5, number)
        for argv in fuzzer.cli_commands(case, str(tmp_path / str(number))):
            out, err = io.StringIO(), io.StringIO()
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                status = cli_main(argv)
            lines = err.getvalue().splitlines()
            where = f"case {number} ({case.what}): natmod-tool {' '.join(argv[:1])}: {err.getvalue()!r}"
            assert status in (0, 1), where
            assert "Traceback" not in err.getvalue() and "internal error" not in err.getvalue(), where
            if status and lines:
                errors += 1
                assert lines[-1].startswith(("error: ", "LinkError: ")), where
            failures += status
    assert errors > 0 and failures > 0  # the damaged inputs did reach the error paths
