"""The compiler probe cache never keeps an answer the machine has outgrown.

Seen on a fresh machine: a build ran while apt was still installing, the RISC-V compiler
was there but picolibc not yet, and the cached "no picolibc.specs" answer outlived the
install, so every later RISC-V compile failed on `assert.h`.  These tests use the real
RISC-V compiler and a cache file in a temporary folder.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import skip_or_fail

from natmod_scons import probes

CC = "riscv64-unknown-elf-gcc"
FLAGS = ["-march=rv32imac", "-mabi=ilp32"]
PICOLIBC = ("riscv64-unknown-elf", "rv32imac/ilp32")


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[probes.ProbeCache, str]:
    binary = shutil.which(CC)
    if binary is None:
        skip_or_fail(f"{CC} is not installed: run tools/bootstrap.sh")
    monkeypatch.setenv("NATMOD_CACHE_DIR", str(tmp_path))
    return probes.ProbeCache(probes.cache_file()), binary


def _plant(cache: probes.ProbeCache, binary: str, **entry: object) -> None:
    """Write one entry for the real compiler's key, as an earlier run would have."""
    key = probes.ProbeCache.key(binary, [CC], FLAGS)
    base = {"version": "planted", "specs": None, "libgcc": None, "libm": None, "stamp": probes.system_stamp()}
    data = {"format": probes.CACHE_FORMAT, "entries": {key: {**base, **entry}}}
    cache.path.write_text(json.dumps(data))


def test_a_probe_is_cached_with_the_package_stamp(cache) -> None:
    store, binary = cache
    first = store.get(binary, [CC], FLAGS, PICOLIBC)
    assert first.specs and first.specs.endswith("picolibc.specs"), first
    saved = json.loads(store.path.read_text())["entries"]
    assert [entry["stamp"] for entry in saved.values()] == [probes.system_stamp()]


def test_a_valid_entry_is_used_without_asking_the_compiler(cache) -> None:
    store, binary = cache
    _plant(store, binary)
    assert store.get(binary, [CC], FLAGS, PICOLIBC).version == "planted"


def test_an_entry_from_before_a_package_change_is_asked_again(cache) -> None:
    """The fresh-machine case: cached "no specs" from before picolibc was installed."""
    store, binary = cache
    _plant(store, binary, stamp="0")
    probe = store.get(binary, [CC], FLAGS, PICOLIBC)
    assert probe.version != "planted"
    assert probe.specs and Path(probe.specs).is_file()


def test_an_entry_naming_a_vanished_file_is_asked_again(cache, tmp_path: Path) -> None:
    store, binary = cache
    _plant(store, binary, libgcc=str(tmp_path / "gone" / "libgcc.a"))
    probe = store.get(binary, [CC], FLAGS, PICOLIBC)
    assert probe.version != "planted"
    assert probe.libgcc and Path(probe.libgcc).is_file()
