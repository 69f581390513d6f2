"""natmod_scons.cachelink: hard-link retrieval never writes into an existing file.

SCons calls `copy_from_cache(env, entry, target)`; these call it the same way on real
files, with SCons' own environment, so the copy fallback is SCons' copy.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest
import SCons.Environment

from natmod_scons.cachelink import LinkingCacheDir, cache_class


@pytest.fixture
def env():
    return SCons.Environment.Environment(tools=[])


def _entry(folder: Path, name: str, data: bytes) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(data)
    return str(path)


def _refuse_links(monkeypatch, code: int) -> None:
    """os.link fails as it does across file systems, without permission, or at the link limit."""

    def refuse(src: str, dst: str) -> None:
        raise OSError(code, os.strerror(code), src, None, dst)

    monkeypatch.setattr(os, "link", refuse)


def test_retrieval_is_a_hard_link(tmp_path: Path, env) -> None:
    entry = _entry(tmp_path / "cache", "ab12", b"object bytes")
    target = tmp_path / "build" / "m.o"
    target.parent.mkdir()
    assert LinkingCacheDir.copy_from_cache(env, entry, str(target)) == str(target)
    assert os.path.samefile(entry, target) and target.read_bytes() == b"object bytes"
    assert sorted(os.listdir(target.parent)) == ["m.o"]


def test_a_linked_precious_target_is_replaced_not_overwritten(tmp_path: Path, env) -> None:
    """A Precious target (kept by SCons) that is a link to entry X, retrieved again as entry Y."""
    old = _entry(tmp_path / "cache", "x", b"old header")
    new = _entry(tmp_path / "cache", "y", b"new header")
    target = tmp_path / "m.config.h"
    LinkingCacheDir.copy_from_cache(env, old, str(target))
    LinkingCacheDir.copy_from_cache(env, new, str(target))
    assert Path(old).read_bytes() == b"old header"
    assert os.path.samefile(new, target)


@pytest.mark.parametrize("code", [errno.EXDEV, errno.EPERM, errno.EMLINK])
def test_no_link_possible_falls_back_to_a_copy(tmp_path: Path, env, monkeypatch, code: int) -> None:
    old = _entry(tmp_path / "cache", "x", b"old")
    new = _entry(tmp_path / "cache", "y", b"new")
    target = tmp_path / "m.o"
    LinkingCacheDir.copy_from_cache(env, old, str(target))  # linked to x
    _refuse_links(monkeypatch, code)
    LinkingCacheDir.copy_from_cache(env, new, str(target))
    assert target.read_bytes() == b"new" and not os.path.samefile(new, target)
    assert Path(old).read_bytes() == b"old"  # the copy went to a new file, not into x
    assert sorted(os.listdir(tmp_path)) == ["cache", "m.o"]


def test_a_failed_copy_leaves_no_temporary(tmp_path: Path, env, monkeypatch) -> None:
    target = tmp_path / "m.o"
    _refuse_links(monkeypatch, errno.EXDEV)
    with pytest.raises(OSError):
        LinkingCacheDir.copy_from_cache(env, str(tmp_path / "missing-entry"), str(target))
    assert os.listdir(tmp_path) == []


def test_off_is_scons_own_cache() -> None:
    assert cache_class(False) is None and cache_class(True) is LinkingCacheDir
