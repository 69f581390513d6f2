"""Run a long fuzz campaign and print its figures: `python tools/fuzz.py --cases 100000`.

Why a tool and not a test: a campaign of 10^5 cases takes minutes, which belongs in a
deliberate run, not in every `pytest`.  The cases, mutators and verdict are those of
`tests/fuzzer.py`, which `tests/test_fuzz.py` runs at CI size, so a clean campaign
here speaks for the same code paths.  A finding prints as `case <n> (<kind> <input>:
<mutations>, <s> s): <step>: <exception> at <file:line>`; `--case N` (with the same
`--seed` and `--target`) replays one case and shows its traceback.

Exit status: 0 without findings, 1 with findings.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for path in (ROOT, ROOT / "tests"):  # natmod_tool from this checkout, and the fuzzer beside the tests
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

import fuzzer  # noqa: E402


def parse_args(argv: list[str]) -> argparse.Namespace:
    """The campaign's options."""
    parser = argparse.ArgumentParser(description="Run a natmod-tool fuzz campaign and print its figures.")
    parser.add_argument("--cases", type=int, default=20000, help="number of cases (default: 20000)")
    parser.add_argument("--seed", type=int, default=0, help="campaign seed: same seed, same cases (default: 0)")
    parser.add_argument(
        "--target", choices=fuzzer.TARGETS, default="all", help="what to damage: all inputs, links only or .mpy only"
    )
    parser.add_argument("--jobs", type=int, default=0, help="worker processes (default: up to 2)")
    parser.add_argument("--case", type=int, default=None, help="run one case and show its traceback")
    args = parser.parse_args(argv)
    if args.cases < 1:
        parser.error("--cases must be at least 1")
    return args


def main(argv: list[str]) -> int:
    """Run the campaign (or one case) and print findings and figures."""
    args = parse_args(argv)
    if args.case is not None:
        outcome = fuzzer.run_case(args.seed, args.case, args.target)
        corpus = fuzzer.worker_init(limit_memory=False)
        print(fuzzer.make_case(corpus, args.seed, args.case, args.target).what)
        finding = outcome.finding
        if finding is None:
            verdict = f"rejected with {outcome.error_class}" if outcome.rejected else "accepted"
            print(f"no finding ({verdict}, {outcome.seconds * 1000:.0f} ms)")
            return 0
        print(finding.trace, finding, sep="")
        return 1
    campaign = fuzzer.run_campaign(args.cases, args.seed, args.jobs or None, args.target, progress=True)
    for finding in campaign.findings:
        print(finding)
    print("\n".join(campaign.report()))
    return 1 if campaign.findings else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
