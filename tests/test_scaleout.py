"""Past one machine: a shared CACHE_DIR, ccache with Redis remote storage, distcc, and the
project's own compiler settings.

The servers (Debian's redis-server and distccd) run on 127.0.0.1 only, started and stopped
by the fixtures here.  Each test builds the sample repository (tests/scons_support.py) in
two clones at different paths, as two CI runners or two developers would.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import skip_or_fail
from scons_support import Result, make_repo, run_scons, write

ARCHES = "x64,armv7m"


def _program(name: str, package: str) -> str:
    path = shutil.which(name)
    if path is None:
        skip_or_fail(f"{name} is not installed (tools/bootstrap.sh installs the Debian package {package})")
    return path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_port(port: int, proc: subprocess.Popen, what: str) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"{what} exited with status {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    pytest.fail(f"{what} did not listen on 127.0.0.1:{port}")


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    """A throw-away Redis server on 127.0.0.1 (no persistence)."""
    server = _program("redis-server", "redis-server")
    port = _free_port()
    proc = subprocess.Popen(
        [
            server,
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for_port(port, proc, "redis-server")
        yield f"redis://127.0.0.1:{port}"
    finally:
        _stop(proc)


@pytest.fixture
def distccd(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """distccd on 127.0.0.1 serving this machine's compilers: (DISTCC_HOSTS, its log)."""
    server = _program("distccd", "distcc")
    log = tmp_path / "distccd.log"
    port = _free_port()
    with open(log, "w") as handle:
        proc = subprocess.Popen(
            [server, "--daemon", "--no-detach", "--allow", "127.0.0.1", "--listen", "127.0.0.1"]
            + ["--port", str(port), "--log-stderr", "--log-level", "info", "--jobs", "2"],
            stdout=subprocess.DEVNULL,
            stderr=handle,
        )
    try:
        _wait_for_port(port, proc, "distccd")
        yield f"127.0.0.1:{port}", log
    finally:
        _stop(proc)


def _need_arches(installed_arches: tuple[str, ...]) -> None:
    if "armv7m" not in installed_arches:
        skip_or_fail("needs the armv7m cross compiler (tools/bootstrap.sh installs gcc-arm-none-eabi)")


def _outputs(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted((root / "build").rglob("*.mpy"))}


def _built(root: Path) -> list[Path]:
    """The build's outputs: every file below build/ but SCons' records (one file per arch folder)."""
    return sorted(p for p in (root / "build").rglob("*") if p.is_file() and not p.name.startswith(".sconsign"))


def _scons(root: Path, *args: str, env: dict[str, str] | None = None) -> Result:
    done = run_scons(root, *args, env=env)
    assert done.returncode == 0, done
    return done


def _steps(out: str, kind: str) -> list[str]:
    return [line for line in out.splitlines() if line.startswith(kind + " ")]


def test_cache_dir_shared_by_two_clones(tmp_path: Path, installed_arches) -> None:
    """The second clone's clean build runs no compiler and no linker; outputs are identical."""
    _need_arches(installed_arches)
    cache = tmp_path / "cache"
    first, second = make_repo(tmp_path / "a" / "repo"), make_repo(tmp_path / "b" / "deeper" / "repo")
    built = _scons(first, f"ARCH={ARCHES}", f"CACHE_DIR={cache}")
    assert _steps(built.stdout, "CC") and _steps(built.stdout, "LINK")
    again = _scons(second, f"ARCH={ARCHES}", f"CACHE_DIR={cache}")
    for kind in ("CC", "LINK", "MERGE", "QSTR", "MPY"):
        assert _steps(again.stdout, kind) == [], again.stdout
    retrieved = sorted(
        line.split("`")[1].split("'")[0] for line in again.stdout.splitlines() if line.startswith("Retrieved ")
    )
    files = [str(p.relative_to(first)) for p in _built(first)]
    assert retrieved == files, again.stdout
    assert [str(p.relative_to(second)) for p in _built(second)] == files
    assert _outputs(second) == _outputs(first) and _outputs(first)
    # without CACHE_LINK every retrieved file is a copy of its own
    assert all(p.stat().st_nlink == 1 for p in _built(second))
    # SCons' own switches keep their meaning
    shutil.rmtree(second / "build")
    rebuilt = _scons(second, f"ARCH={ARCHES}", f"CACHE_DIR={cache}", "--cache-disable")
    assert _steps(rebuilt.stdout, "CC"), rebuilt.stdout


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_cache_link_retrieves_hard_links(tmp_path: Path, installed_arches) -> None:
    """CACHE_LINK=1: the clone's outputs are the cache's entries; a rebuild leaves the entries alone."""
    _need_arches(installed_arches)
    cache = tmp_path / "cache"
    first, second = make_repo(tmp_path / "a" / "repo"), make_repo(tmp_path / "b" / "repo")
    _scons(first, f"ARCH={ARCHES}", f"CACHE_DIR={cache}")
    again = _scons(second, f"ARCH={ARCHES}", f"CACHE_DIR={cache}", "CACHE_LINK=1")
    assert _steps(again.stdout, "CC") == [] and _steps(again.stdout, "LINK") == [], again.stdout
    entries = {(p.stat().st_dev, p.stat().st_ino) for p in cache.rglob("*") if p.is_file()}
    retrieved = _built(second)
    assert retrieved and all((p.stat().st_dev, p.stat().st_ino) in entries for p in retrieved)
    assert not [p for p in (second / "build").rglob("*.natmod-cache")]  # no temporary left
    assert _outputs(second) == _outputs(first)

    before, first_modules = _files(cache), _outputs(first)
    write(second, "mods/greet/greet.c", (second / "mods/greet/greet.c").read_text() + "\nint natmod_extra;\n")
    rebuilt = _scons(second, f"ARCH={ARCHES}", f"CACHE_DIR={cache}", "CACHE_LINK=1")
    assert _steps(rebuilt.stdout, "CC"), rebuilt.stdout
    after = _files(cache)
    assert {name: after[name] for name in before} == before  # every entry kept its bytes
    assert len(after) > len(before)  # the new objects and modules went in as entries of their own
    assert _outputs(first) == first_modules  # the other clone's files are its own
    assert _outputs(second) != first_modules


def test_cache_link_needs_a_cache_dir(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo")
    done = run_scons(root, "ARCH=x64", "CACHE_LINK=1")
    assert done.returncode != 0
    assert "CACHE_LINK=1 without CACHE_DIR: set CACHE_DIR=<folder> too" in done.stderr, done
    assert "Traceback" not in done.stderr and not (root / "build").exists()


def _ccache_stats(ccache_dir: Path) -> dict[str, int]:
    done = subprocess.run(
        ["ccache", "--print-stats"],
        env={**os.environ, "CCACHE_DIR": str(ccache_dir)},
        capture_output=True,
        text=True,
        check=True,
    )
    return {k: int(v) for k, v in (line.split("\t") for line in done.stdout.splitlines() if "\t" in line)}


def test_ccache_remote_storage_in_redis(tmp_path: Path, installed_arches, redis_url: str) -> None:
    """Clone B, with its own empty ccache folder, gets every object from Redis."""
    _need_arches(installed_arches)
    _program("ccache", "ccache")
    first, second = make_repo(tmp_path / "a" / "repo"), make_repo(tmp_path / "b" / "repo")
    remote = {"CCACHE_REMOTE_STORAGE": redis_url}
    _scons(first, f"ARCH={ARCHES}", "CCACHE=1", env={**remote, "CCACHE_DIR": str(tmp_path / "cc-a")})
    built = _scons(second, f"ARCH={ARCHES}", "CCACHE=1", env={**remote, "CCACHE_DIR": str(tmp_path / "cc-b")})
    compiles = len(_steps(built.stdout, "CC"))
    stats = _ccache_stats(tmp_path / "cc-b")
    assert compiles > 0 and stats["remote_storage_hit"] == compiles, stats
    assert stats["local_storage_hit"] == 0 and stats["cache_miss"] == 0, stats
    assert _outputs(second) == _outputs(first)


def test_ccache_on_and_off_rebuilds_nothing(tmp_path: Path, installed_arches) -> None:
    _need_arches(installed_arches)
    _program("ccache", "ccache")
    root = make_repo(tmp_path / "repo")
    env = {"CCACHE_DIR": str(tmp_path / "cc")}
    _scons(root, f"ARCH={ARCHES}", env=env)
    for args in (("CCACHE=1",), (), ("CC_WRAPPER=ccache",)):
        again = _scons(root, f"ARCH={ARCHES}", *args, env=env)
        assert _steps(again.stdout, "CC") == [] and _steps(again.stdout, "LINK") == [], (args, again.stdout)


def test_distcc_compiles_on_the_helper(tmp_path: Path, installed_arches, distccd: tuple[str, Path]) -> None:
    """distcc as CC_WRAPPER sends every compile, cross compilers too, to distccd."""
    _need_arches(installed_arches)
    _program("distcc", "distcc")
    hosts, log = distccd
    local = make_repo(tmp_path / "local")
    _scons(local, f"ARCH={ARCHES}")
    root = make_repo(tmp_path / "repo")
    built = _scons(root, f"ARCH={ARCHES}", "CC_WRAPPER=distcc", env={"DISTCC_HOSTS": hosts, "DISTCC_FALLBACK": "0"})
    compiles = len(_steps(built.stdout, "CC"))
    done = [line for line in log.read_text().splitlines() if "COMPILE_OK" in line]
    assert compiles > 0 and len(done) == compiles, log.read_text()[-2000:]
    assert any("arm-none-eabi-gcc" in line for line in done), done
    assert _outputs(root) == _outputs(local)


FAKE_CC = """\
#!/bin/sh
echo "$@" >> "{log}"
exec x86_64-linux-gnu-gcc "$@"
"""


@pytest.mark.parametrize("how", ["Environment", "Replace"])
def test_project_compiler_settings_win(tmp_path: Path, installed_arches, how: str, run_micropython) -> None:
    """A CC the project chose (in Environment(...) or by env.Replace) compiles every object."""
    _program("x86_64-linux-gnu-gcc", "gcc")
    log = tmp_path / "cc.log"
    wrapper = tmp_path / "my-cc"
    wrapper.write_text(FAKE_CC.format(log=log))
    wrapper.chmod(0o755)
    if how == "Environment":
        setup = f'env = Environment(tools=["natmod"], toolpath=[natmod_scons.TOOLPATH], CC={str(wrapper)!r})\n'
    else:
        setup = (
            f'env = Environment(tools=["natmod"], toolpath=[natmod_scons.TOOLPATH])\nenv.Replace(CC={str(wrapper)!r})\n'
        )
    sconstruct = (
        f'import natmod_scons\nDefaultEnvironment(tools=[])\n{setup}env.NativeMpyProject(["mods/*/SConscript"])\n'
    )
    root = make_repo(tmp_path / "repo")
    (root / "SConstruct").write_text(sconstruct)
    result = run_scons(root, "ARCH=x64")
    assert result.returncode == 0, result
    compiled = result.names("CC")
    assert compiled and len(log.read_text().splitlines()) == len(compiled)
    script = tmp_path / "check.py"
    script.write_text("import greet\nprint(greet.hello())\n")
    done = run_micropython(script, [root / "build" / "x64" / "mods" / "greet"])
    assert done.stdout.strip() == "7", done
