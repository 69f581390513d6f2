"""Static archives: GNU ld GROUP scripts, the per-process cache and the fixed pull order."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import skip_or_fail

from natmod_tool import LinkError, link
from natmod_tool.linker.archive import clear_cache, load_archive
from natmod_tool.linker.libs import expand_libs

VECTORS = Path(__file__).parent / "vectors"
TWO = VECTORS / "archive-two-pulls" / "x64"


def test_ld_script_group_is_expanded_relative_to_the_script(tmp_path):
    shutil.copy(TWO / "libfoo.a", tmp_path / "libfoo.a")
    script = tmp_path / "libgroup.a"
    script.write_text("/* a GNU ld script */\nOUTPUT_FORMAT(elf64-x86-64)\nGROUP ( libfoo.a )\n")
    assert expand_libs([script]) == [str(tmp_path / "libfoo.a")]
    direct = link([TWO / "archive_two.o"], "x64", libs=[TWO / "libfoo.a"], source_name="m.mpy").mpy
    grouped = link([TWO / "archive_two.o"], "x64", libs=[script], source_name="m.mpy").mpy
    assert direct == grouped


def test_ld_script_with_other_commands_is_refused(tmp_path):
    script = tmp_path / "libbad.a"
    script.write_text("SEARCH_DIR(/usr/lib)\n")
    with pytest.raises(LinkError, match="libbad.a.*GROUP"):
        expand_libs([script])


def test_archive_parse_is_cached_and_invalidated_by_changes(tmp_path):
    clear_cache()
    lib = tmp_path / "libfoo.a"
    shutil.copy(TWO / "libfoo.a", lib)
    first = load_archive(lib)
    assert load_archive(lib) is first
    data = lib.read_bytes()
    lib.write_bytes(data + b"\n")  # same members, new size: must be re-read
    assert load_archive(lib) is not first


def test_repeated_links_in_one_process_are_identical():
    """Two runs, one process: identical bytes (the reference varies with PYTHONHASHSEED)."""
    outputs = {link([TWO / "archive_two.o"], "x64", libs=[TWO / "libfoo.a"], source_name="m.mpy").mpy for _ in range(3)}
    assert len(outputs) == 1


def test_outputs_get_the_usual_file_mode(tmp_path):
    """Atomic writes go through mkstemp (mode 0600); the result must be readable like any output."""
    from natmod_tool.fileio import write_atomic

    umask = os.umask(0o022)
    os.umask(umask)
    write_atomic(tmp_path / "out.mpy", b"M")
    assert (tmp_path / "out.mpy").stat().st_mode & 0o777 == 0o666 & ~umask


def _compile_x64(tmp_path: Path, name: str, text: str) -> Path:
    """One host-gcc object with the natmod x64 code model (-fpic)."""
    gcc = shutil.which("gcc")
    if gcc is None:
        skip_or_fail("gcc is not installed (Debian package gcc)")
    src = tmp_path / f"{name}.c"
    src.write_text(text)
    obj = tmp_path / f"{name}.o"
    subprocess.run([gcc, "-Os", "-fpic", "-fno-common", "-c", str(src), "-o", str(obj)], check=True)
    return obj


def test_member_is_not_pulled_for_a_name_the_objects_define(tmp_path):
    """GNU ld semantics: `shared` is defined by b.o, so lib.a's `shared` member stays out,
    both for a.o's reference and for the reference of the member that is pulled (helper)."""
    a_c = "int shared(void);\nint helper(void);\nint mpy_init(void) { return shared() + helper(); }\n"
    a = _compile_x64(tmp_path, "a", a_c)
    b = _compile_x64(tmp_path, "b", "int shared(void) { return 1; }\n")
    m1 = _compile_x64(tmp_path, "m1", "int shared(void) { return 2; }\n")
    m2 = _compile_x64(tmp_path, "m2", "int shared(void);\nint helper(void) { return shared() + 3; }\n")
    lib = tmp_path / "libx.a"
    subprocess.run(["ar", "rcs", str(lib), str(m1), str(m2)], check=True)
    clear_cache()
    lines: list[str] = []
    link([a, b], "x64", libs=[lib], source_name="m.mpy", log=lambda level, line: lines.append(line))
    assert [line for line in lines if line.startswith("using ")] == [f"using {lib}:m2.o"]
