"""The signature database split by arch folder (natmod_scons/signdb.py).

Two `SignatureFiles` over one checkout stand for two ARCH_JOBS processes: what each
changed must survive the other's write, and an arch's records stay in its own file.
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest

from natmod_scons.signdb import Partitions, SignatureFiles

pytestmark = pytest.mark.fast


@pytest.mark.parametrize(
    ("key", "folder"),
    [
        ("build/x64/mods/m1", "build/x64"),
        ("build/x64", "build/x64"),
        ("build/v6.3/armv7m/mods/m1", "build/v6.3/armv7m"),
        ("build", None),
        ("build/compile_commands", None),
        ("buildx/x64/mods", None),
        ("mods/m1", None),
        ("dist", None),
        ("/usr/lib/gcc/arm-none-eabi/12.2.1", None),
    ],
)
def test_folder_of(key: str, folder: str | None) -> None:
    assert Partitions("build").folder_of(key) == (None if folder is None else os.path.normcase(folder))


def _record(**entries: str) -> bytes:
    return pickle.dumps(entries)


def _load(path: Path) -> dict[str, dict[str, str]]:
    return {key: pickle.loads(value) for key, value in pickle.loads(path.read_bytes()).items()}


def _open(root: Path) -> SignatureFiles:
    return SignatureFiles(str(root / ".sconsign"), Partitions(str(root / "build")))


def test_arch_records_in_their_own_files(tmp_path: Path) -> None:
    build = str(tmp_path / "build")
    for arch in ("x64", "armv7m"):
        (tmp_path / "build" / arch).mkdir(parents=True)
    db = _open(tmp_path)
    db[f"{build}/x64/mods/m1"] = _record(**{"m1.o": "x64 sig"})
    db[f"{build}/armv7m/mods/m1"] = _record(**{"m1.o": "armv7m sig"})
    db["mods/m1"] = _record(**{"m1.c": "source status"})
    db.sync()
    assert _load(tmp_path / "build/x64/.sconsign.dblite") == {f"{build}/x64/mods/m1": {"m1.o": "x64 sig"}}
    assert _load(tmp_path / "build/armv7m/.sconsign.dblite") == {f"{build}/armv7m/mods/m1": {"m1.o": "armv7m sig"}}
    assert _load(tmp_path / ".sconsign.dblite") == {"mods/m1": {"m1.c": "source status"}}
    again = _open(tmp_path)
    assert pickle.loads(again[f"{build}/x64/mods/m1"]) == {"m1.o": "x64 sig"}
    with pytest.raises(KeyError):
        again[f"{build}/x86/mods/m1"]


def test_concurrent_writers_keep_each_others_entries(tmp_path: Path) -> None:
    """Both read the same top file; each changes one entry of the same folder; both survive."""
    (tmp_path / ".sconsign.dblite").write_bytes(
        pickle.dumps({"dist": _record(a="old a", b="old b"), "mods": _record(c="old c")})
    )
    first, second = _open(tmp_path), _open(tmp_path)
    for db in (first, second):
        db["dist"], db["mods"]  # SCons reads a folder's record before it writes it
    first["dist"] = _record(a="new a", b="old b")
    second["dist"] = _record(a="old a", b="new b")
    second["mods"] = _record(c="old c", d="new d")
    first.sync()
    second.sync()
    assert _load(tmp_path / ".sconsign.dblite") == {
        "dist": {"a": "new a", "b": "new b"},
        "mods": {"c": "old c", "d": "new d"},
    }
    assert not list(tmp_path.glob("*.tmp"))


def test_records_from_before_the_split_move_to_the_arch_file(tmp_path: Path) -> None:
    build = str(tmp_path / "build")
    (tmp_path / "build" / "x64").mkdir(parents=True)
    old = {f"{build}/x64/mods/m1": _record(**{"m1.o": "sig"}), "mods/m1": _record(**{"m1.c": "status"})}
    (tmp_path / ".sconsign.dblite").write_bytes(pickle.dumps(old))
    db = _open(tmp_path)
    assert pickle.loads(db[f"{build}/x64/mods/m1"]) == {"m1.o": "sig"}  # no arch file yet: the top one's
    db[f"{build}/x64/mods/m1"] = _record(**{"m1.o": "sig"})
    db["mods/m1"] = db["mods/m1"]
    db.sync()
    assert _load(tmp_path / "build/x64/.sconsign.dblite") == {f"{build}/x64/mods/m1": {"m1.o": "sig"}}
    assert _load(tmp_path / ".sconsign.dblite") == {"mods/m1": {"m1.c": "status"}}


def test_no_file_in_a_removed_arch_folder(tmp_path: Path) -> None:
    """After `scons -c` removed BUILD_DIR/<arch>, its records are not written back into it."""
    db = _open(tmp_path)
    db[f"{tmp_path}/build/x64/mods/m1"] = _record(**{"m1.o": "sig"})
    db.sync()
    assert not (tmp_path / "build").exists()
