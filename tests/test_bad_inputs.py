"""Bad input never crashes the tool, never leaves a broken .mpy, never writes outside the build.

One test per row of docs/bad-inputs.md.  Each runs the CLI in-process in a scratch
folder and checks: exit status 1, exactly one line on stderr that names the offending
file and item, no traceback, no output file and no temporary file left behind.
Damaged objects are made by patching single header fields of conformance-vector
objects (no toolchain needed); the byte offsets come from pyelftools.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import struct
import subprocess
import tracemalloc
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile

from natmod_tool.cli import main

VECTORS = Path(__file__).parent / "vectors"
MANIFEST = json.loads((VECTORS / "manifest.json").read_text())

# --------------------------------------------------------------------------------------
# helpers


def _vector(case: str, arch: str) -> dict:
    return next(v for v in MANIFEST["vectors"] if v["kind"] == "link" and v["case"] == case and v["arch"] == arch)


def _copy(work: Path, case: str, arch: str) -> dict:
    """Copy a vector's folder (without expected outputs) into `work`; return the vector."""
    for f in (VECTORS / case / arch).iterdir():
        if "expected" not in f.name:
            shutil.copy(f, work / f.name)
    return _vector(case, arch)


def _run(argv: list[str], work: Path, capsys, monkeypatch) -> tuple[int, str, str]:
    monkeypatch.chdir(work)
    before = set(os.listdir(work))
    rc = main(argv)
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    created = set(os.listdir(work)) - before
    return rc, err, " ".join(sorted(created))


def _fails(argv: list[str], work: Path, capsys, monkeypatch, *names: str) -> str:
    """Run, and check the clean-failure contract; every string in `names` is in the message."""
    rc, err, created = _run(argv, work, capsys, monkeypatch)
    assert rc == 1, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert not created, f"left behind: {created}"
    for name in names:
        assert name in err, (name, err)
    return err


def _link_fails(work, capsys, monkeypatch, arch: str, inputs: list[str], *names: str, extra=()) -> str:
    return _fails(["link", "--arch", arch, *extra, "-o", "out.mpy", *inputs], work, capsys, monkeypatch, *names)


_SH = {  # field: (offset, width) for ELF32, ELF64
    "sh_type": ((4, 4), (4, 4)),
    "sh_addralign": ((32, 4), (48, 8)),
    "sh_size": ((20, 4), (32, 8)),
    "sh_info": ((28, 4), (44, 4)),
    "sh_name": ((0, 4), (0, 4)),
}
_ST = {"st_shndx": ((14, 2), (6, 2)), "st_info": ((12, 1), (4, 1))}


def _elf(data: bytes) -> ELFFile:
    return ELFFile(io.BytesIO(data))


def _put(data: bytes, offset: int, width: int, value: int, little: bool = True) -> bytes:
    buf = bytearray(data)
    buf[offset : offset + width] = value.to_bytes(width, "little" if little else "big")
    return bytes(buf)


def set_section(data: bytes, name: str, field: str, value: int) -> bytes:
    """`data` with header field `field` of section `name` set to `value`."""
    elf = _elf(data)
    index = next(i for i, s in enumerate(elf.iter_sections()) if s.name == name)
    off, width = _SH[field][elf.elfclass == 64]
    at = elf.header["e_shoff"] + index * elf.header["e_shentsize"] + off
    return _put(data, at, width, value)


def set_symbol(data: bytes, symbol: str, field: str, value: int) -> bytes:
    """`data` with field `field` of symbol `symbol` in `.symtab` set to `value`."""
    elf = _elf(data)
    symtab = elf.get_section_by_name(".symtab")
    index = next(i for i, s in enumerate(symtab.iter_symbols()) if s.name == symbol)
    off, width = _ST[field][elf.elfclass == 64]
    return _put(data, symtab["sh_offset"] + index * symtab["sh_entsize"] + off, width, value)


def set_reloc(data: bytes, section: str, index: int, *, rtype=None, sym=None, offset=None, addend=None) -> bytes:
    """`data` with relocation `index` of `section` changed."""
    elf = _elf(data)
    sec = elf.get_section_by_name(section)
    word = 8 if elf.elfclass == 64 else 4
    at = sec["sh_offset"] + index * sec["sh_entsize"]
    r = sec.get_relocation(index)
    if offset is not None:
        data = _put(data, at, word, offset)
    if rtype is not None or sym is not None:
        t = r["r_info_type"] if rtype is None else rtype
        s = r["r_info_sym"] if sym is None else sym
        data = _put(data, at + word, word, (s << 32 | t) if word == 8 else (s << 8 | t))
    if addend is not None:
        data = _put(data, at + 2 * word, word, addend & ((1 << (8 * word)) - 1))
    return data


def _first_reloc(data: bytes, section: str, *types: int) -> int:
    sec = _elf(data).get_section_by_name(section)
    return next(i for i, r in enumerate(sec.iter_relocations()) if r["r_info_type"] in types)


def tiny_elf(*, little: bool = True, is64: bool = False, machine: int = 40, symbols: bool = True) -> bytes:
    """A hand-made relocatable object: `.text` with `mpy_init`, `.symtab`, `.strtab`, `.shstrtab`."""
    e = "<" if little else ">"
    names = b"\0.text\0.symtab\0.strtab\0.shstrtab\0"
    strtab = b"\0mpy_init\0"
    text = b"\x70\x47\x00\xbf"  # bx lr; nop
    if is64:
        sym = struct.pack(e + "IBBHQQ", 0, 0, 0, 0, 0, 0) + struct.pack(e + "IBBHQQ", 1, 0x12, 0, 1, 0, 4)
    else:
        sym = struct.pack(e + "IIIBBH", 0, 0, 0, 0, 0, 0) + struct.pack(e + "IIIBBH", 1, 0, 4, 0x12, 0, 1)
    ehsize, shentsize = (64, 64) if is64 else (52, 40)
    body = bytearray(ehsize)
    offsets = []
    for blob in (text, sym, strtab, names):
        offsets.append(len(body))
        body += blob
        body += bytes(-len(body) % 8)
    shoff = len(body)
    # (name, type, flags, offset, size, link, info, align, entsize)
    headers = [(0, 0, 0, 0, 0, 0, 0, 0, 0), (1, 1, 6, offsets[0], len(text), 0, 0, 4, 0)]
    headers.append((7, 2 if symbols else 1, 0, offsets[1], len(sym), 3, 1, 8, len(sym) // 2))
    headers += [(15, 3, 0, offsets[2], len(strtab), 0, 0, 1, 0), (23, 3, 0, offsets[3], len(names), 0, 0, 1, 0)]
    for h in headers:
        if is64:
            body += struct.pack(e + "IIQQQQIIQQ", h[0], h[1], h[2], 0, h[3], h[4], h[5], h[6], h[7], h[8])
        else:
            body += struct.pack(e + "IIIIIIIIII", h[0], h[1], h[2], 0, h[3], h[4], h[5], h[6], h[7], h[8])
    ident = b"\x7fELF" + bytes((2 if is64 else 1, 1 if little else 2, 1)) + bytes(9)
    if is64:
        header = ident + struct.pack(e + "HHIQQQIHHHHHH", 1, machine, 1, 0, 0, shoff, 0, ehsize, 0, 0, 64, 5, 4)
    else:
        header = ident + struct.pack(e + "HHIIIIIHHHHHH", 1, machine, 1, 0, 0, shoff, 0, ehsize, 0, 0, 40, 5, 4)
    body[: len(header)] = header
    assert shentsize
    return bytes(body)


def ar_archive(members: list[tuple[bytes, bytes]]) -> bytes:
    """A GNU `ar` archive; names longer than 15 bytes go to the `//` table."""
    table = b""
    headers = []
    for name, _ in members:
        if len(name) > 15 or b"/" in name:
            headers.append(b"/" + str(len(table)).encode())
            table += name + b"/\n"
        else:
            headers.append(name + b"/")
    out = bytearray(b"!<arch>\n")

    def add(name: bytes, body: bytes) -> None:
        out.extend(name.ljust(16) + b"0".ljust(12) + b"0".ljust(6) + b"0".ljust(6) + b"644".ljust(8))
        out.extend(str(len(body)).encode().ljust(10) + b"`\n" + body + (b"\n" if len(body) & 1 else b""))

    if table:
        add(b"//", table)
    for header, (_, body) in zip(headers, members):
        add(header, body)
    return bytes(out)


# --------------------------------------------------------------------------------------
# object files


def test_not_an_elf_file(tmp_path, capsys, monkeypatch):
    (tmp_path / "notes.o").write_text("this is text\n")
    _link_fails(tmp_path, capsys, monkeypatch, "x64", ["notes.o"], "notes.o", "not an ELF object file")


def test_verbose_shows_the_traceback(tmp_path, capsys, monkeypatch):
    (tmp_path / "notes.o").write_text("this is text\n")
    monkeypatch.chdir(tmp_path)
    assert main(["link", "-v", "--arch", "x64", "notes.o"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" in err and err.rstrip().endswith("(give .o files compiled for the target arch)")


def test_truncated_elf(tmp_path, capsys, monkeypatch):
    _copy(tmp_path, "minimal", "x64")
    data = (tmp_path / "minimal.o").read_bytes()
    for keep in (20, 100, len(data) // 2, len(data) - 7):
        (tmp_path / "minimal.o").write_bytes(data[:keep])
        _link_fails(tmp_path, capsys, monkeypatch, "x64", ["minimal.o"], "minimal.o", "rebuild")


def test_elf_of_another_machine(tmp_path, capsys, monkeypatch):
    _copy(tmp_path, "minimal", "armv7m")
    _link_fails(tmp_path, capsys, monkeypatch, "x64", ["minimal.o"], "minimal.o", "EM_ARM", "EM_X86_64")


def test_elf_of_another_class(tmp_path, capsys, monkeypatch):
    _copy(tmp_path, "minimal", "rv32imc")
    _link_fails(tmp_path, capsys, monkeypatch, "rv64imc", ["minimal.o"], "minimal.o", "32-bit", "64-bit")


def test_big_endian_object(tmp_path, capsys, monkeypatch):
    (tmp_path / "be.o").write_bytes(tiny_elf(little=False))
    _link_fails(tmp_path, capsys, monkeypatch, "armv7m", ["be.o"], "be.o", "big-endian")


def test_hand_made_object_links(tmp_path, capsys, monkeypatch):
    """The helper's little-endian twin is a valid object: the errors above are about one field."""
    (tmp_path / "le.o").write_bytes(tiny_elf())
    rc, err, created = _run(["link", "--arch", "armv7m", "-o", "le.mpy", "le.o"], tmp_path, capsys, monkeypatch)
    assert rc == 0, err
    assert created == "le.mpy"


def test_object_without_symbol_table(tmp_path, capsys, monkeypatch):
    (tmp_path / "stripped.o").write_bytes(tiny_elf(symbols=False))
    _link_fails(tmp_path, capsys, monkeypatch, "armv7m", ["stripped.o"], "stripped.o", ".symtab")


def test_symbol_section_index_out_of_range(tmp_path, capsys, monkeypatch):
    _copy(tmp_path, "minimal", "x64")
    data = set_symbol((tmp_path / "minimal.o").read_bytes(), "mpy_init", "st_shndx", 0x999)
    (tmp_path / "minimal.o").write_bytes(data)
    _link_fails(tmp_path, capsys, monkeypatch, "x64", ["minimal.o"], "minimal.o", "mpy_init", "section index 2457")


def test_relocation_symbol_index_out_of_range(tmp_path, capsys, monkeypatch):
    _copy(tmp_path, "minimal", "x64")
    data = set_reloc((tmp_path / "minimal.o").read_bytes(), ".rela.text", 0, sym=0xFFFFFF)
    (tmp_path / "minimal.o").write_bytes(data)
    _link_fails(tmp_path, capsys, monkeypatch, "x64", ["minimal.o"], "minimal.o", ".rela.text", "symbol index")


def test_relocation_section_target_out_of_range(tmp_path, capsys, monkeypatch):
    _copy(tmp_path, "minimal", "x64")
    data = set_section((tmp_path / "minimal.o").read_bytes(), ".rela.text", "sh_info", 0x7777)
    (tmp_path / "minimal.o").write_bytes(data)
    _link_fails(tmp_path, capsys, monkeypatch, "x64", ["minimal.o"], "minimal.o", ".rela.text", "section index")


def test_relocation_outside_its_section(tmp_path, capsys, monkeypatch):
    _copy(tmp_path, "minimal", "x64")
    data = set_reloc((tmp_path / "minimal.o").read_bytes(), ".rela.text", 0, offset=0x10000)
    (tmp_path / "minimal.o").write_bytes(data)
    _link_fails(tmp_path, capsys, monkeypatch, "x64", ["minimal.o"], "minimal.o", "outside section .text")


def test_unsupported_relocation_type(tmp_path, capsys, monkeypatch):
    _copy(tmp_path, "minimal", "x64")
    data = set_reloc((tmp_path / "minimal.o").read_bytes(), ".rela.text", 0, rtype=200)
    (tmp_path / "minimal.o").write_bytes(data)
    _link_fails(tmp_path, capsys, monkeypatch, "x64", ["minimal.o"], "minimal.o", "unsupported relocation type 200")


def test_unsupported_relocation_is_named(tmp_path, capsys, monkeypatch):
    _copy(tmp_path, "non-pic", "armv7m")
    _link_fails(tmp_path, capsys, monkeypatch, "armv7m", ["nonpic.o"], "nonpic.o", "R_ARM_THM_MOVW_ABS_NC", "-fpic")


def test_misaligned_address_word_in_writable_data(tmp_path, capsys, monkeypatch):
    """Initialised data and static BSS link (docs/linker.md), but the loader can only
    relocate aligned words: a pointer in a packed struct is refused by name."""
    src = tmp_path / "packed.c"
    src.write_text(
        "static int y;\n"
        "struct __attribute__((packed)) s { char c; int *p; };\n"
        "struct s x = {1, &y};\n"
        "int mpy_init(void) { return x.c + *x.p; }\n"
    )
    subprocess.run(["gcc", "-fpic", "-Os", "-c", "-o", str(tmp_path / "packed.o"), str(src)], check=True)
    _link_fails(
        tmp_path, capsys, monkeypatch, "x64", ["packed.o"], "packed.o", ".data", "+0x1", "aligned",
        extra=["--writable-data"],
    )  # fmt: skip


def test_non_empty_data_without_the_option(tmp_path, capsys, monkeypatch):
    _copy(tmp_path, "data-nonempty", "x64")
    _link_fails(tmp_path, capsys, monkeypatch, "x64", ["data.o"], "data.o", ".data non-empty", "--writable-data")


def test_static_bss_without_the_option(tmp_path, capsys, monkeypatch):
    _copy(tmp_path, "static-bss", "armv7m")
    _link_fails(tmp_path, capsys, monkeypatch, "armv7m", ["staticbss.o"], "staticbss.o", "calls", "--writable-data")


def test_common_symbol(tmp_path, capsys, monkeypatch):
    _copy(tmp_path, "got", "x64")
    data = set_symbol((tmp_path / "got.o").read_bytes(), "shared_value", "st_shndx", 0xFFF2)
    (tmp_path / "got.o").write_bytes(data)
    _link_fails(tmp_path, capsys, monkeypatch, "x64", ["got.o"], "got.o", "shared_value", "COMMON", "-fno-common")


@pytest.mark.parametrize("arch", ["x64", "x86", "armv7m", "rv32imc"])
def test_thread_local_storage(arch, tmp_path, capsys, monkeypatch):
    _copy(tmp_path, "tls", arch)
    _link_fails(tmp_path, capsys, monkeypatch, arch, ["tls.o"], "tls.o", ".tbss", "thread-local")


def test_undefined_symbols_are_all_named_with_their_referrer(tmp_path, capsys, monkeypatch):
    _copy(tmp_path, "undefined-symbol", "x64")
    _link_fails(
        tmp_path,
        capsys,
        monkeypatch,
        "x64",
        ["undefined.o"],
        "undefined.o: undefined symbol: missing_variable",
        "undefined.o: undefined symbol: missing_function",
        "-l",
    )


def test_undefined_symbol_in_a_pulled_archive_member_names_the_member(tmp_path, capsys, monkeypatch):
    """scale.o (pulled for lib_scale) needs lib_offset, whose member is gone."""
    from natmod_tool.linker.archive import read_members

    v = _copy(tmp_path, "archive-two-pulls", "x64")
    members = read_members("libfoo.a", (tmp_path / "libfoo.a").read_bytes())
    kept = [(m.name.encode(), m.data) for m in members if m.name != "offset.o"]
    (tmp_path / "libfoo.a").write_bytes(ar_archive(kept))
    _link_fails(
        tmp_path, capsys, monkeypatch, "x64", v["inputs"], "libfoo.a:scale.o: undefined symbol: lib_offset",
        extra=["-l", "libfoo.a"],
    )  # fmt: skip


def test_duplicate_symbol_names_both_objects(tmp_path, capsys, monkeypatch):
    _copy(tmp_path, "duplicate-symbol", "x64")
    _link_fails(tmp_path, capsys, monkeypatch, "x64", ["dup_a.o", "dup_b.o"], "shared_helper", "dup_a.o", "dup_b.o")


def test_mpy_init_missing(tmp_path, capsys, monkeypatch):
    _copy(tmp_path, "no-mpy-init", "x64")
    _link_fails(tmp_path, capsys, monkeypatch, "x64", ["noinit.o"], "mpy_init", "noinit.o")


def test_branch_out_of_range(tmp_path, capsys, monkeypatch):
    _copy(tmp_path, "got", "rv32imc")
    data = (tmp_path / "got.o").read_bytes()
    index = _first_reloc(data, ".rela.text", 16)  # R_RISCV_BRANCH: +-4 KiB
    (tmp_path / "got.o").write_bytes(set_reloc(data, ".rela.text", index, addend=0x100000))
    _link_fails(tmp_path, capsys, monkeypatch, "rv32imc", ["got.o"], "got.o", "R_RISCV_BRANCH", "out of range")


def test_thumb_call_out_of_range(tmp_path, capsys, monkeypatch):
    _copy(tmp_path, "multiobj", "armv7m")
    v = _vector("multiobj", "armv7m")
    name = next(n for n in v["inputs"] if _elf((tmp_path / n).read_bytes()).get_section_by_name(".rel.text"))
    data = (tmp_path / name).read_bytes()
    elf = _elf(data)
    index = _first_reloc(data, ".rel.text", 10)  # R_ARM_THM_CALL, addend in the instruction
    offset = elf.get_section_by_name(".rel.text").get_relocation(index)["r_offset"]
    at = elf.get_section_by_name(".text")["sh_offset"] + offset
    data = _put(data, at, 4, 0xFFFF_F3FF)  # bl with the largest forward immediate
    (tmp_path / name).write_bytes(data)
    _link_fails(tmp_path, capsys, monkeypatch, "armv7m", v["inputs"], name, "out of range")


@pytest.mark.parametrize(
    "section, field, value, words",
    [
        (".bss", "sh_size", 1 << 31, (".bss", "implausibly large")),
        (".data.rel.ro", "sh_addralign", 1 << 40, (".data.rel.ro", "alignment")),
    ],
    ids=["huge-bss", "huge-alignment"],
)
def test_huge_sizes_do_not_allocate(section, field, value, words, tmp_path, capsys, monkeypatch):
    _copy(tmp_path, "got", "x64")
    data = set_section((tmp_path / "got.o").read_bytes(), section, field, value)
    (tmp_path / "got.o").write_bytes(data)
    tracemalloc.start()
    try:
        _link_fails(tmp_path, capsys, monkeypatch, "x64", ["got.o"], "got.o", *words)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 64 << 20


def test_control_characters_in_names_stay_on_one_line(tmp_path, capsys, monkeypatch):
    _copy(tmp_path, "undefined-symbol", "x64")
    data = (tmp_path / "undefined.o").read_bytes()
    at = data.index(b"missing_function")
    data = data[:at] + b"missing\nfuncti\x1bn" + data[at + 16 :]
    (tmp_path / "undefined.o").write_bytes(data)
    _link_fails(tmp_path, capsys, monkeypatch, "x64", ["undefined.o"], "undefined.o", "missing\\nfuncti\\x1bn")


# --------------------------------------------------------------------------------------
# archives


def test_library_that_is_not_an_archive(tmp_path, capsys, monkeypatch):
    _copy(tmp_path, "minimal", "x64")
    (tmp_path / "libjunk.a").write_bytes(b"\x00\x01binary junk" * 10)
    lib = ["-l", "libjunk.a"]
    _link_fails(tmp_path, capsys, monkeypatch, "x64", ["minimal.o"], "libjunk.a", "not a static archive", extra=lib)


def test_group_script_naming_a_non_archive(tmp_path, capsys, monkeypatch):
    _copy(tmp_path, "minimal", "x64")
    (tmp_path / "libreal.a").write_bytes(b"\x7fELF not really")
    (tmp_path / "libgroup.a").write_text("GROUP(libreal.a)\n")
    lib = ["-l", "libgroup.a"]
    _link_fails(tmp_path, capsys, monkeypatch, "x64", ["minimal.o"], "libreal.a", "no !<arch> header", extra=lib)


def test_truncated_archive(tmp_path, capsys, monkeypatch):
    v = _copy(tmp_path, "archive", "x64")
    lib = v["options"][v["options"].index("-l") + 1]
    data = (tmp_path / lib).read_bytes()
    (tmp_path / lib).write_bytes(data[: len(data) - 100])
    _link_fails(tmp_path, capsys, monkeypatch, "x64", v["inputs"], lib, "past the end", extra=["-l", lib])


def test_damaged_archive_member_is_named(tmp_path, capsys, monkeypatch):
    v = _copy(tmp_path, "archive", "x64")
    lib = v["options"][v["options"].index("-l") + 1]
    good = (VECTORS / "minimal" / "x64" / "minimal.o").read_bytes()
    (tmp_path / lib).write_bytes(ar_archive([(b"broken.o", good[:200])]))
    _link_fails(tmp_path, capsys, monkeypatch, "x64", v["inputs"], f"{lib}:broken.o", "damaged", extra=["-l", lib])


HOSTILE = [b"../../etc/passwd", b"/etc/passwd", b"/tmp/abs/x.o", b"a\0b.o", b"..\\..\\win.o", b"\x1b[2J"]


def test_hostile_member_names_are_never_paths(tmp_path, capsys, monkeypatch):
    """Members are read in memory; their names only appear (printable) in messages."""
    v = _copy(tmp_path, "archive", "x64")
    lib = v["options"][v["options"].index("-l") + 1]
    from natmod_tool.linker.archive import read_members

    real = read_members(lib, (tmp_path / lib).read_bytes())
    members = [(name, m.data) for name, m in zip(HOSTILE, real)] + [(n, b"junk") for n in HOSTILE[len(real) :]]
    (tmp_path / lib).write_bytes(ar_archive(members))
    root_before = set(os.listdir(tmp_path.parent))
    build = tmp_path / "build"
    build.mkdir()
    monkeypatch.chdir(tmp_path)
    rc = main(["link", "-vv", "--arch", "x64", "-l", lib, "-o", "build/out.mpy", *v["inputs"]])
    out, err = capsys.readouterr()
    assert rc == 0, err
    assert os.listdir(build) == ["out.mpy"]
    assert set(os.listdir(tmp_path.parent)) == root_before
    assert not Path("/tmp/abs").exists()
    using = [line for line in out.splitlines() if line.startswith("using ")]
    assert using and all(line.isprintable() for line in using)
    # a damaged member with a hostile name is named, printably, on one line
    (tmp_path / lib).write_bytes(ar_archive([(b"../../e\x1btc\0pw", b"\x7fELF\x02\x01")]))
    _link_fails(tmp_path, capsys, monkeypatch, "x64", v["inputs"], "../../e?tc?pw", extra=["-l", lib])


@pytest.mark.parametrize(
    "header",
    [b"/99999".ljust(16), b"#1/99999".ljust(16), b"#1/-5".ljust(16)],
    ids=["long-name-offset", "bsd-name-length", "bsd-negative"],
)
def test_archive_with_bad_member_name_fields(header, tmp_path, capsys, monkeypatch):
    v = _copy(tmp_path, "archive", "x64")
    lib = v["options"][v["options"].index("-l") + 1]
    data = bytearray((tmp_path / lib).read_bytes())
    data[8:24] = header
    (tmp_path / lib).write_bytes(bytes(data))
    _link_fails(tmp_path, capsys, monkeypatch, "x64", v["inputs"], lib, extra=["-l", lib])


def test_archive_member_size_field_damaged(tmp_path, capsys, monkeypatch):
    v = _copy(tmp_path, "archive", "x64")
    lib = v["options"][v["options"].index("-l") + 1]
    data = bytearray((tmp_path / lib).read_bytes())
    data[8 + 48 : 8 + 58] = b"12x4".ljust(10)
    (tmp_path / lib).write_bytes(bytes(data))
    _link_fails(tmp_path, capsys, monkeypatch, "x64", v["inputs"], lib, "member size", extra=["-l", lib])


# --------------------------------------------------------------------------------------
# side files and options


def test_externs_file_with_a_bad_line(tmp_path, capsys, monkeypatch):
    _copy(tmp_path, "minimal", "x64")
    (tmp_path / "ext.ld").write_text("/* fixed */\nfoo = 0x1000;\nbar := 12;\n")
    _link_fails(tmp_path, capsys, monkeypatch, "x64", ["minimal.o"], "ext.ld:3", "bar", extra=["--externs", "ext.ld"])


def test_qstr_header_missing(tmp_path, capsys, monkeypatch):
    _copy(tmp_path, "minimal", "x64")
    qstrs = ["--qstrs", "nothere.h"]
    _link_fails(tmp_path, capsys, monkeypatch, "x64", ["minimal.o"], "nothere.h", "preprocess", extra=qstrs)


def test_qstr_header_malformed(tmp_path, capsys, monkeypatch):
    _copy(tmp_path, "minimal", "x64")
    (tmp_path / "config.h").write_text("#define MP_QSTR_x 1\n")
    qstrs = ["--qstrs", "config.h"]
    _link_fails(tmp_path, capsys, monkeypatch, "x64", ["minimal.o"], "config.h", "not a qstr config", extra=qstrs)


def test_unknown_arch(tmp_path, capsys, monkeypatch):
    _copy(tmp_path, "minimal", "x64")
    _link_fails(tmp_path, capsys, monkeypatch, "arm64", ["minimal.o"], "arm64", "x64, ")


@pytest.mark.parametrize("command", ["link", "merge", "preprocess"])
def test_empty_source_list(command, tmp_path, capsys, monkeypatch):
    _fails([command, "-o", "out.x"], tmp_path, capsys, monkeypatch, "no ", "give")


def test_unreadable_input(tmp_path, capsys, monkeypatch):
    _link_fails(tmp_path, capsys, monkeypatch, "x64", ["missing.o"], "missing.o", "cannot read")


# --------------------------------------------------------------------------------------
# .mpy files


def _merge_fails(tmp_path, capsys, monkeypatch, inputs: list[str], *names: str) -> str:
    return _fails(["merge", "-o", "merged.mpy", *inputs], tmp_path, capsys, monkeypatch, *names)


def test_merge_input_that_is_not_an_mpy(tmp_path, capsys, monkeypatch):
    shutil.copy(VECTORS / "merge" / "x64" / "helpers.mpy", tmp_path)
    (tmp_path / "text.mpy").write_text("print('hi')\n")
    _merge_fails(tmp_path, capsys, monkeypatch, ["helpers.mpy", "text.mpy"], "text.mpy", "not a valid .mpy")


def test_merge_inputs_of_another_arch(tmp_path, capsys, monkeypatch):
    shutil.copy(VECTORS / "merge" / "x64" / "native.mpy", tmp_path / "a.mpy")
    shutil.copy(VECTORS / "merge" / "armv7m" / "native.mpy", tmp_path / "b.mpy")
    _merge_fails(tmp_path, capsys, monkeypatch, ["a.mpy", "b.mpy"], "b.mpy", "architecture mismatch")


def test_merge_input_of_another_version(tmp_path, capsys, monkeypatch):
    shutil.copy(VECTORS / "merge" / "x64" / "helpers.mpy", tmp_path)
    data = bytearray((VECTORS / "merge" / "x64" / "loops.mpy").read_bytes())
    data[1] = 5
    (tmp_path / "old.mpy").write_bytes(bytes(data))
    _merge_fails(tmp_path, capsys, monkeypatch, ["helpers.mpy", "old.mpy"], "old.mpy", "incompatible .mpy version")


def test_merge_truncated_mpy(tmp_path, capsys, monkeypatch):
    shutil.copy(VECTORS / "merge" / "x64" / "helpers.mpy", tmp_path)
    data = (VECTORS / "merge" / "x64" / "loops.mpy").read_bytes()
    (tmp_path / "cut.mpy").write_bytes(data[: len(data) // 2])
    _merge_fails(tmp_path, capsys, monkeypatch, ["helpers.mpy", "cut.mpy"], "cut.mpy", "offset")


def test_inspect_damaged_mpy(tmp_path, capsys, monkeypatch):
    data = (VECTORS / "merge" / "x64" / "native.mpy").read_bytes()
    (tmp_path / "bad.mpy").write_bytes(data[:5] + b"\xff" * 12)
    _fails(["inspect", "bad.mpy"], tmp_path, capsys, monkeypatch, "bad.mpy", "corrupt")


# --------------------------------------------------------------------------------------
# atomic output


def test_failed_link_keeps_the_previous_output(tmp_path, capsys, monkeypatch):
    _copy(tmp_path, "no-mpy-init", "x64")
    (tmp_path / "out.mpy").write_bytes(b"previous")
    rc = main(["link", "--arch", "x64", "-o", str(tmp_path / "out.mpy"), str(tmp_path / "noinit.o")])
    capsys.readouterr()
    assert rc == 1
    assert (tmp_path / "out.mpy").read_bytes() == b"previous"
    assert not [n for n in os.listdir(tmp_path) if n.endswith(".tmp")]


def test_failed_write_leaves_no_temp_file(tmp_path, capsys, monkeypatch):
    _copy(tmp_path, "minimal", "x64")
    (tmp_path / "out.mpy").mkdir()  # the rename onto a folder fails
    err = _link_fails(tmp_path, capsys, monkeypatch, "x64", ["minimal.o"], "out.mpy")
    assert ".tmp" not in err
    assert os.listdir(tmp_path / "out.mpy") == []
    assert not [n for n in os.listdir(tmp_path) if n.endswith(".tmp")]


def test_output_folder_missing(tmp_path, capsys, monkeypatch):
    _copy(tmp_path, "minimal", "x64")
    err = _fails(["link", "--arch", "x64", "-o", "nodir/out.mpy", "minimal.o"], tmp_path, capsys, monkeypatch, "nodir")
    assert ".tmp" not in err


def test_every_cli_writer_is_atomic():
    """No command opens a file for writing itself: outputs go through fileio.write_atomic."""
    package = Path(__file__).resolve().parent.parent / "natmod_tool"
    for path in [*package.glob("commands/*.py"), package / "qstr.py", package / "cli.py"]:
        text = path.read_text()
        for bad in ('"wb"', '"w"', "'wb'", "'w'", '"ab"', '"a"', ".write_bytes(", ".write_text("):
            assert bad not in text, (path.name, bad)
