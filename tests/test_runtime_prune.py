"""Old test-runtime builds are removed; recent, current, locked and foreign folders stay."""

from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path

import pytest

from natmod_tool.testrt.prune import MAX_AGE_DAYS, mark_used, prune_unused

pytestmark = pytest.mark.fast

STAMP = "done.json"
DAY = 86400.0


def _runtime(cache: Path, name: str, age_days: float, now: float, stamp: bool = True) -> Path:
    folder = cache / name
    (folder / "build").mkdir(parents=True)
    (folder / "build" / "natmod-testrt.elf").write_bytes(b"\x7fELF")
    when = now - age_days * DAY
    if stamp:
        (folder / STAMP).write_text("{}")
        os.utime(folder / STAMP, (when, when))
    os.utime(folder, (when, when))
    (cache / f"{name}.lock").touch()
    return folder


def test_only_unused_folders_of_the_arch_go(tmp_path: Path) -> None:
    now = time.time()
    old = MAX_AGE_DAYS + 1
    current = _runtime(tmp_path, "armv7m-" + "a" * 20, old, now)  # the one just built: kept
    stale = _runtime(tmp_path, "armv7m-" + "b" * 20, old, now)
    unfinished = _runtime(tmp_path, "armv7m-" + "c" * 20, old, now, stamp=False)
    recent = _runtime(tmp_path, "armv7m-" + "d" * 20, MAX_AGE_DAYS - 1, now)
    other_arch = _runtime(tmp_path, "armv7emsp-" + "e" * 20, old, now)
    foreign = _runtime(tmp_path, "armv7m-notes", old, now)

    removed = prune_unused(tmp_path, "armv7m", current, STAMP, now=now)

    assert sorted(removed) == sorted([stale, unfinished])
    assert not stale.exists() and not (tmp_path / f"{stale.name}.lock").exists()
    assert not unfinished.exists()
    for kept in (current, recent, other_arch, foreign):
        assert kept.is_dir(), kept


def test_a_use_keeps_a_folder(tmp_path: Path) -> None:
    now = time.time()
    folder = _runtime(tmp_path, "xtensa-" + "1" * 20, MAX_AGE_DAYS + 5, now)
    mark_used(folder / STAMP)  # a cached hit, now
    assert prune_unused(tmp_path, "xtensa", tmp_path / "none", STAMP) == []
    assert folder.is_dir()


def test_a_folder_another_process_builds_in_stays(tmp_path: Path) -> None:
    now = time.time()
    folder = _runtime(tmp_path, "rv32imc-" + "f" * 20, MAX_AGE_DAYS + 1, now)
    with open(tmp_path / f"{folder.name}.lock", "a+b") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)
        assert prune_unused(tmp_path, "rv32imc", tmp_path / "none", STAMP, now=now) == []
    assert folder.is_dir()
    assert prune_unused(tmp_path, "rv32imc", tmp_path / "none", STAMP, now=now) == [folder]
