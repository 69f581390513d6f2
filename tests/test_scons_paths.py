"""Absolute BUILD_DIR and DIST_DIR are used as given, not below the project folder."""

from __future__ import annotations

from scons_support import make_repo, run_scons


def test_absolute_build_and_dist_dirs(tmp_path):
    root = make_repo(tmp_path / "repo")
    build, dist = tmp_path / "out" / "build", tmp_path / "out" / "dist"
    result = run_scons(root, "ARCH=x64", f"BUILD_DIR={build}", f"DIST_DIR={dist}", "dist")
    assert result.returncode == 0, result
    assert (build / "x64" / "mods" / "greet" / "greet.mpy").exists()
    assert (dist / "greet-x64.mpy").exists()
    assert not (root / "build").exists() and not (root / str(dist).lstrip("/")).exists()
    clean = run_scons(root, "ARCH=x64", f"BUILD_DIR={build}", f"DIST_DIR={dist}", "-c", "dist")
    assert clean.returncode == 0, clean
    assert not (dist / "greet-x64.mpy").exists()
    assert not list(build.rglob("*.mpy"))
