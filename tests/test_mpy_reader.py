"""The `.mpy` encodings, writer, reader, validator and `inspect` (format.md 3, 4, 5, 14).

Every `.mpy` in the conformance vectors must parse and validate; the writer must
rebuild every native vector byte for byte from what the reader decoded; corrupted and
truncated files must fail with `MpyError` and nothing else (random damage: the one fuzzer,
`tests/fuzzer.py`, run by `tests/test_fuzz.py`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from natmod_tool.errors import MpyError
from natmod_tool.mpy.bytecode import decode_function, encode_opcodes, encode_prelude_size
from natmod_tool.mpy.encoding import (
    Reader,
    decode_signed_varuint,
    decode_varuint,
    encode_qstr_inline,
    encode_qstr_static,
    encode_signed_varuint,
    encode_varuint,
)
from natmod_tool.mpy.names import dest_name
from natmod_tool.mpy.reader import MpyFile, read_mpy, validate
from natmod_tool.mpy.writer import encode_native_mpy, encode_relocs

ROOT = Path(__file__).resolve().parent.parent
VECTORS = ROOT / "tests" / "vectors"
ALL_MPY = sorted(VECTORS.rglob("*.mpy"))
#: linker outputs (the merge cases hold merged files, whose outer raw code is bytecode)
NATIVE_VECTORS = [
    path
    for path in sorted(VECTORS.glob("*/*/expected*.mpy")) + sorted(VECTORS.glob("*/*/alt-*.mpy"))
    if not path.parent.parent.name.startswith("merge")
]

#: vectors whose reference output is accepted by the reader but breaks a loader rule
KNOWN_PROBLEMS = {
    # `--arch-flags 10` is taken as a number by the reference; bit 3 is no known extension
    "archflags/rv32imc/expected-archflags6.mpy": ["arch flags 0xa has bits other than zba (1) and zcmp (2)"],
}


def _rel(path: Path) -> str:
    return path.relative_to(VECTORS).as_posix()


def _run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run(
        [sys.executable, "-m", "natmod_tool", *args], cwd=cwd, env=env, capture_output=True, text=True
    )


# --- primitive encodings (format.md 3) -------------------------------------------------------------


@pytest.mark.parametrize(
    "value, encoded",
    [(0, "00"), (5, "05"), (127, "7f"), (128, "8100"), (1218, "8942"), (16384, "818000")],
)
def test_varuint_examples(value: int, encoded: str) -> None:
    assert encode_varuint(value).hex() == encoded
    assert decode_varuint(bytes.fromhex(encoded)) == (value, len(encoded) // 2)


@given(st.integers(min_value=0, max_value=2**63))
def test_varuint_round_trip(value: int) -> None:
    data = encode_varuint(value)
    assert decode_varuint(data + b"\x55") == (value, len(data))


@pytest.mark.parametrize(
    "value, encoded",
    [(0, "00"), (1, "01"), (63, "3f"), (64, "8040"), (-1, "7f"), (-64, "40"), (-65, "ff3f"), (200, "8148")],
)
def test_signed_varuint_examples(value: int, encoded: str) -> None:
    assert encode_signed_varuint(value).hex() == encoded
    assert decode_signed_varuint(bytes.fromhex(encoded)) == (value, len(encoded) // 2)


@given(st.integers(min_value=-(2**40), max_value=2**40))
def test_signed_varuint_round_trip(value: int) -> None:
    data = encode_signed_varuint(value)
    assert decode_signed_varuint(data) == (value, len(data))
    # minimal: dropping the first byte changes the value (or leaves nothing)
    if len(data) > 1:
        shorter = bytes([data[1]]) + data[2:]
        assert decode_signed_varuint(shorter)[0] != value


def test_qstr_entries() -> None:
    assert encode_qstr_static(1).hex() == "03"
    assert encode_qstr_inline(b"bump").hex() == "0862756d7000"
    reader = Reader(encode_qstr_inline(b"tiny.mpy") + encode_qstr_static(165))
    first, second = reader.qstr_entry(), reader.qstr_entry()
    assert (first.is_static, first.text, first.offset) == (False, "tiny.mpy", 0)
    assert (second.is_static, second.static_id, second.offset) == (True, 165, 10)
    assert first.encode() + second.encode() == reader.data
    with pytest.raises(MpyError, match="NUL"):
        Reader(b"\x04ab\x01").qstr_entry()


def test_const_objects_are_skipped() -> None:
    table = bytes.fromhex(
        "00 01 02 03 04"  # fun table, None, False, True, Ellipsis
        "05 03 616263 00"  # str 'abc'
        "06 02 0102 00"  # bytes
        "07 03 313233"  # int 123
        "08 03 312e35"  # float 1.5
        "09 02 316a"  # complex 1j
        "0a 02 01 0a 01 07 01 37"  # tuple (None, (7,))
    )
    reader = Reader(table + b"\xee")
    objects = [reader.const_object() for _ in range(11)]
    assert reader.offset == len(table)
    assert [o.type_name for o in objects] == [
        "mp_fun_table", "None", "False", "True", "Ellipsis", "str", "bytes", "int", "float", "complex", "tuple",
    ]  # fmt: skip
    assert objects[5].value == b"abc"
    assert objects[10].describe() == "(None, (int 7))"
    with pytest.raises(MpyError, match="unknown constant object type 11"):
        Reader(b"\x0b\x00").const_object()
    deep = b"\x0a\x01" * 200 + b"\x01"
    with pytest.raises(MpyError, match="nested deeper"):
        Reader(deep).const_object()


def test_reader_reports_truncation_with_label_and_offset() -> None:
    reader = Reader(b"\x81\x80", "x.mpy")
    with pytest.raises(MpyError, match=r"^x\.mpy: truncated .*offset 0"):
        reader.varuint("count")
    with pytest.raises(MpyError, match="needs 5 bytes, only 2 left"):
        Reader(b"ab", "y.mpy").take(5, "rodata")
    with pytest.raises(MpyError, match="longer than"):
        Reader(b"\x80" * 20 + b"\x00").varuint()


# --- every vector file parses and validates ---------------------------------------------------


@pytest.mark.parametrize("path", ALL_MPY, ids=_rel)
def test_vector_files_parse_and_validate(path: Path) -> None:
    mpy = read_mpy(path.read_bytes(), path.name)
    assert mpy.version == 6
    assert mpy.end_offset == mpy.size
    problems = validate(mpy)
    assert problems == KNOWN_PROBLEMS.get(_rel(path), [])


@pytest.mark.parametrize("path", NATIVE_VECTORS, ids=_rel)
def test_writer_rebuilds_native_vectors(path: Path) -> None:
    """Decode with the reader, re-encode with the writer: identical bytes (format.md 4, 5.3)."""
    data = path.read_bytes()
    mpy = read_mpy(data, path.name)
    rc = mpy.raw_code
    assert (rc.kind_name, rc.children, mpy.small_int_bits) == ("viper", [], 31)
    names, static = [], {}
    for entry in mpy.qstrs:
        if entry.is_static:
            names.append(f"<static {entry.static_id}>")
            static[names[-1]] = entry.static_id
        else:
            names.append(entry.data.decode("ascii"))
    word = mpy.word_size
    assert word is not None
    relocs = [(e.base, (e.word + k) * word, e.dest) for e in rc.relocs for k in range(e.count)]
    rebuilt = encode_native_mpy(
        arch_number=mpy.arch_number,
        arch_flags=mpy.arch_flags,
        qstr_names=names,
        static_qstr_ids=static,
        text=rc.code,
        rodata=rc.rodata,
        bss_size=rc.bss_size,
        relocs=relocs,
        word_size=word,
    )
    assert rebuilt == data


# --- writer ------------------------------------------------------------------------------------


def test_relocation_stream_of_spec_6_2() -> None:
    """The xtensawin example: slots, text/rodata/bss runs, rodata-based locations."""
    relocs = [
        (0, 4, 59), (0, 8, 60), (0, 12, 8), (0, 16, 0), (0, 20, 1), (0, 24, 1), (0, 28, 2),
        (1, 0, 87), (1, 4, 0), (1, 16, 1), (1, 20, 1),
    ]  # fmt: skip
    expected = "77 02 79 04 11 06 01 08 07 0A 02 09 0E AF 01 01 03 07 09 02 FF"
    assert encode_relocs(relocs, 4) == bytes.fromhex(expected)


def test_relocation_runs_only_between_neighbours() -> None:
    # dest >= 6 never forms runs; a run needs the same base; no sorting
    relocs = [(0, 0, 59), (0, 8, 59), (0, 16, 0), (0, 24, 0), (0, 32, 0), (1, 40, 0), (0, 8, 0)]
    assert encode_relocs(relocs, 8).hex() == "77007702030403010b0102ff"


def _tiny(**changes: object) -> bytes:
    args: dict[str, object] = dict(
        arch_number=2,
        arch_flags=0,
        qstr_names=["tiny.mpy", "bump"],
        static_qstr_ids={"zip": 165},
        text=bytes(0x98),
        rodata=b"",
        bss_size=4,
        relocs=[(0, 0x80, 8), (0, 0x88, 6), (0, 0x90, 2), (0, 0x70, 86), (0, 0x78, 0)],
        word_size=8,
    )
    args.update(changes)
    return encode_native_mpy(**args)  # type: ignore[arg-type]


def test_writer_layout_of_spec_6_1() -> None:
    data = _tiny()
    assert len(data) == 189
    assert data[:0x18].hex() == "4d060b1f0200" + "10" + b"tiny.mpy".hex() + "00" + "0862756d7000" + "8942"
    assert data[0xB0:].hex() == "500411200d220924ad1c011eff"
    mpy = read_mpy(data, "tiny.mpy")
    assert validate(mpy) == []
    assert [(e.base, e.word, e.dest, e.count) for e in mpy.raw_code.relocs] == [
        (0, 16, 8, 1), (0, 17, 6, 1), (0, 18, 2, 1), (0, 14, 86, 1), (0, 15, 0, 1),
    ]  # fmt: skip
    assert mpy.raw_code.relocs[3].dest_name == "slot 77 (mp_type_fun_builtin_0)"


def test_writer_header_variants() -> None:
    flagged = read_mpy(_tiny(arch_number=11, arch_flags=3, word_size=4, relocs=[]))
    assert flagged.feature_byte == 0x6F and flagged.arch_flags == 3 and flagged.arch_name == "rv32imc"
    static = read_mpy(_tiny(qstr_names=["zip", "bump"]))
    assert static.qstrs[0].static_id == 165
    rodata = read_mpy(_tiny(arch_number=10, word_size=4, rodata=b"abcd", bss_size=0, relocs=[(1, 0, 1)]))
    assert rodata.raw_code.scope_flags == 0x30 and rodata.raw_code.rodata == b"abcd"
    assert validate(rodata) == []


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"relocs": [(0, 4, 0)]}, "not aligned"),
        ({"relocs": [(0, 8, 4)]}, "destination code 4"),
        ({"relocs": [(0, 8, 9 + 119)]}, "destination code 128"),
        ({"relocs": [(2, 8, 0)]}, "base 2"),
        ({"qstr_names": ["tiny.mpy", "caf\u00e9"]}, "caf"),
        ({"qstr_names": []}, "source name"),
    ],
)
def test_writer_errors(changes: dict[str, object], message: str) -> None:
    with pytest.raises(MpyError, match=message):
        _tiny(**changes)


# --- validation (format.md 14) ----------------------------------------------------------------------


def _with_stream(stream: str, **changes: object) -> MpyFile:
    """The tiny module with its relocation stream replaced by `stream` (hex)."""
    data = _tiny(relocs=[], **changes)
    return read_mpy(data[:-1] + bytes.fromhex(stream), "t.mpy")


@pytest.mark.parametrize(
    "stream, problem",
    [
        ("00 ff", "without a location"),
        ("01 26 ff", "outside the 152-byte text image"),
        ("03 24 03 ff", "words 18..20 lie outside"),
        ("01 01 ff", "location in rodata but the module has no rodata"),
        ("05 00 ff", "destination rodata but the module has no rodata"),
        ("c1 00 ff", "slot 87 does not exist"),
    ],
)
def test_validate_relocation_problems(stream: str, problem: str) -> None:
    problems = validate(_with_stream(stream))
    assert any(problem in p for p in problems), problems


def test_validate_header_and_table_problems() -> None:
    data = bytearray(_tiny(bss_size=0, relocs=[(0, 0, 2)]))
    problems = validate(read_mpy(bytes(data)))
    assert any("destination bss but the module has no bss" in p for p in problems)
    data = bytearray(_tiny())
    data[2] = 0x0A  # sub-version 2
    assert "sub-version 2, loaders accept 3" in validate(read_mpy(bytes(data)))
    data[2] = (13 << 2) | 3
    assert "unknown native arch number 13" in validate(read_mpy(bytes(data)))
    data = bytearray(_tiny(arch_number=1, word_size=4, relocs=[]))
    data[3] = 40
    assert "small-int bits 40 exceed 31" in validate(read_mpy(bytes(data)))
    long_name = read_mpy(_tiny(qstr_names=["t.mpy", "x" * 256]))
    assert "qstr 1: 256 bytes long, loaders raise 'name too long'" in validate(long_name)
    trailing = read_mpy(_tiny() + b"\x00")
    assert "1 bytes after the end of the outer raw code" in validate(trailing)
    flagged = validate(read_mpy(_tiny(arch_flags=1)))
    assert "arch flags 0x1 present, only rv32imc loaders accept arch flags" in flagged
    static = validate(read_mpy(_tiny(qstr_names=["zip", "bump"])), static_qstr_count=164)
    assert static == ["qstr 0: static id 165 is beyond the 164 static qstrs"]
    alone = validate(read_mpy(_tiny(qstr_names=["tiny.mpy"])))  # the qstr table is read (dest 6)
    assert alone == [
        "raw code 0 (viper at offset 16): native code reads the qstr table, which holds only the source name "
        "(linked without --qstrs?): its MP_QSTR_ names are wrong"
    ]


def test_validate_native_code_without_arch() -> None:
    data = bytearray(_tiny())
    data[2] = 0
    problems = validate(read_mpy(bytes(data)))
    assert any("native code in a file whose header has no native arch" in p for p in problems)


def test_header_errors() -> None:
    with pytest.raises(MpyError, match=r"^a\.mpy: not a valid \.mpy file$"):
        read_mpy(b"C\x06\x00\x1f", "a.mpy")
    with pytest.raises(MpyError, match=r"^a\.mpy: incompatible \.mpy version$"):
        read_mpy(b"M\x05\x00\x1f", "a.mpy")
    with pytest.raises(MpyError, match="not a valid"):
        read_mpy(b"", "a.mpy")
    with pytest.raises(MpyError, match="truncated"):
        read_mpy(b"M\x06\x0b", "a.mpy")


# --- robustness against corrupted input --------------------------------------------------------


def _nested(depth: int) -> bytes:
    """A bytecode-only file whose raw codes nest `depth` levels deep."""
    body = b"\x00\x02\x00\x51\x63"
    inner = encode_varuint(len(body) << 3) + body
    for _ in range(depth):
        inner = encode_varuint((len(body) << 3) | 4) + body + b"\x01" + inner
    return b"M\x06\x00\x1f\x01\x00" + encode_qstr_inline(b"n.py") + inner


def test_deep_nesting_is_an_mpy_error() -> None:
    assert len(read_mpy(_nested(20)).raw_codes()) == 21
    with pytest.raises(MpyError, match="nested deeper"):
        read_mpy(_nested(5000), "deep.mpy")


def test_huge_declared_sizes_do_not_allocate() -> None:
    header = b"M\x06\x0b\x1f"
    cases = [
        header + encode_varuint(2**62) + b"\x00",  # qstr count
        header + b"\x01" + encode_varuint(2**62) + b"\x10",  # object count
        header + b"\x01\x00" + encode_varuint(2**62),  # inline qstr length
        header + b"\x01\x00\x02\x00" + encode_varuint(2**60 << 3 | 2),  # code length
        header + b"\x01\x00\x02\x00" + encode_varuint(0 << 3 | 4) + encode_varuint(2**62),  # children
    ]
    for data in cases:
        with pytest.raises(MpyError):
            read_mpy(data, "huge.mpy")


SEED_FILES = [
    VECTORS / "merge" / "x64" / "native.mpy",
    VECTORS / "merge" / "x64" / "loops.mpy",
    VECTORS / "merge" / "xtensawin" / "expected-merged2.mpy",
    VECTORS / "memfuncs" / "xtensawin" / "expected.mpy",
    VECTORS / "merge-archflags" / "rv32imc" / "expected-m1.mpy",
]


@pytest.mark.parametrize("path", SEED_FILES, ids=_rel)
def test_truncations_are_mpy_errors(path: Path) -> None:
    data = path.read_bytes()
    for cut in range(len(data)):
        with pytest.raises(MpyError):
            read_mpy(data[:cut], "mut.mpy")


def test_bytecode_helpers() -> None:
    assert encode_prelude_size(1, 0) == b"\x02"
    assert encode_prelude_size(64, 1) == b"\x81\x02"
    assert encode_prelude_size(0, 0) == b"\x00"
    fun = decode_function(bytes.fromhex("0002004203b0b0b063"))
    assert [i.op for i in fun.instrs] == [0x42, 0xB0, 0xB0, 0xB0, 0x63]
    assert fun.instrs[0].target == 2 + 0x03 - 0x40  # signed 1-byte offset, from the end of the field
    good = decode_function(bytes.fromhex("0002004243b0b0b063"))
    assert good.instrs[0].target == 5 and good.instrs[0].target_index == 4
    assert encode_opcodes(good.instrs) == bytes.fromhex("4243b0b0b063")
    with pytest.raises(MpyError, match="not the start of an instruction"):
        encode_opcodes(decode_function(bytes.fromhex("00020042411163b063")).instrs, "b.mpy")


# --- inspect command ---------------------------------------------------------------------------


def test_inspect_dump_and_validate(tmp_path: Path) -> None:
    native = VECTORS / "memfuncs" / "xtensawin" / "expected.mpy"
    result = _run_cli("inspect", str(native))
    assert result.returncode == 0, result.stderr
    assert "slot 50 (memset)" in result.stdout and "rodata word 3" in result.stdout
    assert "validation: OK" in result.stdout
    result = _run_cli("inspect", "--bytecode", str(VECTORS / "merge" / "x64" / "loops.mpy"))
    assert result.returncode == 0 and "jump +5 -> 25 extra 0x81" in result.stdout

    assert _run_cli("inspect", "--validate", str(native)).returncode == 0
    bad = tmp_path / "bad.mpy"
    bad.write_bytes(_tiny(relocs=[(0, 0x98, 0)]))
    result = _run_cli("inspect", "--validate", str(bad))
    assert result.returncode == 1 and "outside the 152-byte text image" in result.stdout

    result = _run_cli("inspect", "--json", str(native))
    doc = json.loads(result.stdout)
    assert doc["arch"] == "xtensawin" and doc["problems"] == []
    assert doc["raw_code"]["relocations"][0]["dest_name"] == dest_name(59) == "slot 50 (memset)"

    truncated = tmp_path / "cut.mpy"
    truncated.write_bytes(native.read_bytes()[:100])
    result = _run_cli("inspect", str(truncated))
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "cut.mpy: truncated" in result.stderr
