"""The decider (natmod_scons/decider.py): when a timestamp is trusted and when content is hashed.

A no-op build must hash nothing it can trust by timestamp and size, yet a generated file
rewritten within the second its dependent recorded it must still be compared by content
(the same-second case a whole-second timestamp cannot see).
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from natmod_scons.decider import decide


class FakeNode:
    """The parts of an SCons File node the decider reads; counts content hashes."""

    def __init__(self, timestamp: int, size: int, csig: str, built: bool, exists: bool = True) -> None:
        self.timestamp, self.size, self.csig, self.built, self.present = timestamp, size, csig, built, exists
        self.hashed = 0
        self.ninfo = SimpleNamespace(csig=None)

    def get_timestamp(self) -> int:
        return self.timestamp

    def get_size(self) -> int:
        return self.size

    def has_builder(self) -> bool:
        return self.built

    def exists(self) -> bool:
        return self.present

    def get_csig(self) -> str:
        self.hashed += 1
        return self.csig

    def get_ninfo(self) -> Any:
        return self.ninfo


def record(timestamp: int, size: int, csig: str) -> Any:
    return SimpleNamespace(timestamp=timestamp, size=size, csig=csig)


def test_unchanged_source_is_not_hashed() -> None:
    source = FakeNode(100, 10, "a", built=False)
    assert decide(source, FakeNode(100, 5, "t", built=True), record(100, 10, "a")) is False
    assert source.hashed == 0 and source.ninfo.csig == "a"


def test_touched_source_is_compared_by_content() -> None:
    same = FakeNode(200, 10, "a", built=False)
    assert decide(same, FakeNode(300, 5, "t", built=True), record(100, 10, "a")) is False
    edited = FakeNode(200, 10, "b", built=False)
    assert decide(edited, FakeNode(300, 5, "t", built=True), record(100, 10, "a")) is True
    assert same.hashed == edited.hashed == 1


def test_generated_file_recorded_a_second_later_is_trusted() -> None:
    """The no-op case: an object built before its module's link is not read again."""
    obj = FakeNode(100, 10, "a", built=True)
    assert decide(obj, FakeNode(101, 5, "t", built=True), record(100, 10, "a")) is False
    assert obj.hashed == 0 and obj.ninfo.csig == "a"


def test_generated_file_of_the_same_second_is_hashed() -> None:
    """Rewritten within the second the link recorded it, same size: only its content tells."""
    rewritten = FakeNode(100, 10, "b", built=True)
    assert decide(rewritten, FakeNode(100, 5, "t", built=True), record(100, 10, "a")) is True
    unchanged = FakeNode(100, 10, "a", built=True)
    assert decide(unchanged, FakeNode(100, 5, "t", built=True), record(100, 10, "a")) is False
    assert rewritten.hashed == unchanged.hashed == 1


def test_generated_file_with_a_missing_target_is_hashed() -> None:
    obj = FakeNode(100, 10, "b", built=True)
    assert decide(obj, FakeNode(200, 5, "t", built=True, exists=False), record(100, 10, "a")) is True
    assert obj.hashed == 1


def test_nothing_recorded_means_changed() -> None:
    obj = FakeNode(100, 10, "a", built=True)
    assert decide(obj, FakeNode(200, 5, "t", built=True), None) is True
    assert decide(obj, FakeNode(200, 5, "t", built=True), record(90, 10, None)) is True
