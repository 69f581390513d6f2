"""The arch interface: a made-up machine links through the generic linker.

"Adding an arch = one family module + one registry line" is only true if the generic
linker (load, GOT, layout, relocation walk, the fast ELF reader) needs nothing else.
This test defines a toy family here (what a new `natmod_tool/arch/<name>.py` would
hold), registers it, links a hand-built ELF object for it and checks the bytes, the
load-time relocation record and the errors -- without touching any other file.
"""

from __future__ import annotations

import ast
import struct
from collections.abc import Iterator
from pathlib import Path

import pytest

import natmod_tool.arch
from natmod_tool import link
from natmod_tool.arch import ARCHES, elf_machines, register, unregister
from natmod_tool.arch.base import ArchInfo, Family, Kind, LinkView
from natmod_tool.arch.fields import check_range, read_le, sign_extend, write_le
from natmod_tool.errors import LinkError
from natmod_tool.linker.elf import _parse_fast, parse_object
from natmod_tool.mpy.reader import read_mpy

pytestmark = pytest.mark.fast

EM_TOY = 0x4E4D  # not a machine pyelftools knows, so its name is "EM_20045" on both ELF paths
R_TOY_32, R_TOY_PC32, R_TOY_PC8, R_TOY_GOTPC32 = 1, 2, 3, 4


class ToyFamily(Family):
    """A little-endian 32-bit machine with REL objects: one absolute word, two PC-relative fields."""

    elf_machine_number, elf_machine_name = EM_TOY, f"EM_{EM_TOY}"
    names = {R_TOY_32: "R_TOY_32", R_TOY_PC32: "R_TOY_PC32", R_TOY_PC8: "R_TOY_PC8", R_TOY_GOTPC32: "R_TOY_GOTPC32"}
    data_types = frozenset({R_TOY_32})
    direct_types = frozenset({R_TOY_PC32, R_TOY_PC8})
    got_types = frozenset({R_TOY_GOTPC32})
    _kinds = {R_TOY_32: Kind.ABS_WORD, R_TOY_PC32: Kind.PC_REL, R_TOY_PC8: Kind.PC_REL, R_TOY_GOTPC32: Kind.GOT_PC_REL}

    def classify(self, rtype: int) -> Kind:
        return self._kinds.get(rtype, Kind.UNSUPPORTED)

    def field_size(self, rtype: int) -> int:
        return 1 if rtype == R_TOY_PC8 else 4

    def implicit_addend(self, buf: bytearray, off: int, rtype: int) -> int:
        size = self.field_size(rtype)
        return sign_extend(read_le(buf, off, size), 8 * size)

    def write(self, buf: bytearray, off: int, rtype: int, value: int) -> None:
        if rtype == R_TOY_PC8:
            write_le(buf, off, 1, check_range(value, 8, "an 8-bit displacement"))
        else:
            write_le(buf, off, 4, check_range(value, 32, "a 32-bit word", wrap=True))

    def trampoline(self, target: int) -> bytes:
        return b"\xee" + check_range(target - 2, 8, "a toy jump").to_bytes(1, "little")


TOY = ArchInfo(
    name="toy32",
    number=13,
    word_size=4,
    elf_class=32,
    text_alignments=(4,),
    family=ToyFamily(),
)


@pytest.fixture
def toy() -> Iterator[ArchInfo]:
    register([TOY])
    try:
        yield TOY
    finally:
        unregister([TOY.name])


def _elf(
    text: bytes, rodata: bytes, symbols: list[tuple[str, int, int, int, int]], rels: list[tuple[int, int, int]]
) -> bytes:
    """A minimal ELF32 LE relocatable object: .text, .rodata, .rel.text, .symtab, .strtab, .shstrtab.

    `symbols`: (name, value, size, info, shndx) after the null symbol, locals first;
    `rels`: (offset, symbol index, type) of `.rel.text`.
    """
    strtab = b"\0"
    syms = struct.pack("<IIIBBH", 0, 0, 0, 0, 0, 0)
    first_global = 1
    for name, value, size, info, shndx in symbols:
        syms += struct.pack("<IIIBBH", len(strtab), value, size, info, 0, shndx)
        strtab += name.encode() + b"\0"
        if info >> 4 == 0:
            first_global += 1
    rel = b"".join(struct.pack("<II", off, (sym << 8) | rtype) for off, sym, rtype in rels)
    names = [".text", ".rodata", ".rel.text", ".symtab", ".strtab", ".shstrtab"]
    shstr = b"\0" + b"".join(n.encode() + b"\0" for n in names)
    name_off = {n: shstr.index(n.encode() + b"\0") for n in names}
    # (name, type, flags, data, link, info, align, entsize)
    sections = [
        (".text", 1, 6, text, 0, 0, 4, 0),
        (".rodata", 1, 2, rodata, 0, 0, 4, 0),
        (".rel.text", 9, 0x40, rel, 4, 1, 4, 8),
        (".symtab", 2, 0, syms, 5, first_global, 4, 16),
        (".strtab", 3, 0, strtab, 0, 0, 1, 0),
        (".shstrtab", 3, 0, shstr, 0, 0, 1, 0),
    ]
    body = b""
    offsets = []
    for section in sections:
        offsets.append(52 + len(body))
        body += section[3] + bytes(-len(section[3]) % 4)
    shoff = 52 + len(body)
    header = b"\x7fELF" + bytes([1, 1, 1]) + bytes(9)
    header += struct.pack("<HHIIIIIHHHHHH", 1, EM_TOY, 1, 0, 0, shoff, 0, 52, 0, 0, 40, len(sections) + 1, 6)
    shdrs = bytes(40)
    for (name, kind, flags, data, link_, info, align, entsize), offset in zip(sections, offsets):
        shdrs += struct.pack(
            "<IIIIIIIIII", name_off[name], kind, flags, 0, offset, len(data), link_, info, align, entsize
        )
    return header + body + shdrs


STT_OBJECT, STT_FUNC, LOCAL, GLOBAL = 1, 2, 0, 1
# .text: mpy_init (4 bytes), a PC32 word to `helper` holding -4, an absolute word to `table`, helper
TEXT = bytes.fromhex("11223344") + (-4 & 0xFFFFFFFF).to_bytes(4, "little") + bytes(4) + bytes.fromhex("55667788")
SYMBOLS = [
    ("helper", 12, 4, (LOCAL << 4) | STT_FUNC, 1),
    ("table", 0, 4, (LOCAL << 4) | STT_OBJECT, 2),
    ("mpy_init", 0, 12, (GLOBAL << 4) | STT_FUNC, 1),
]
RELS = [(4, 1, R_TOY_PC32), (8, 2, R_TOY_32)]


def test_toy_arch_is_registered_with_one_call(toy: ArchInfo) -> None:
    assert ARCHES["toy32"] is toy
    assert elf_machines()[EM_TOY] == "EM_20045"
    assert toy.elf_machine == "EM_20045"


def test_fast_elf_reader_reads_a_registered_machine_only(toy: ArchInfo) -> None:
    data = _elf(TEXT, b"\x01\x02\x03\x04", SYMBOLS, RELS)
    fast = _parse_fast("toy.o", data)
    assert fast is not None and fast.machine == "EM_20045"
    assert parse_object("toy.o", data) == fast
    unregister([toy.name])
    try:
        assert _parse_fast("toy.o", data) is None  # unknown machine: the pyelftools path
        assert parse_object("toy.o", data).machine == "EM_20045"  # which names it the same way
    finally:
        register([toy])


def test_toy_object_links_through_the_generic_path(toy: ArchInfo) -> None:
    data = _elf(TEXT, b"\x01\x02\x03\x04", SYMBOLS, RELS)
    result = link([("toy.o", data)], "toy32")
    mpy = read_mpy(result.mpy)
    # the header carries the ArchInfo's number (the .mpy format's own arch table, mpy/format.py,
    # names only MicroPython's arches: a new one gets its name there when MicroPython has it)
    assert mpy.arch_number == 13
    code = mpy.raw_code.code
    # mpy_init is at text offset 0: no trampoline; .rodata follows .text at 16 (rodata_in_text)
    assert code[:4] == bytes.fromhex("11223344")
    assert code[4:8] == (12 - 4 - 4).to_bytes(4, "little")  # S + A - P = helper(12) + (-4) - 4
    assert code[8:12] == (16).to_bytes(4, "little")  # S + A = table's address, relocated at load
    assert code[12:20] == bytes.fromhex("5566778801020304")
    assert [(r.base, r.word, r.dest, r.count) for r in mpy.raw_code.relocs] == [(0, 2, 0, 1)]
    assert result.got_entries == 0 and result.reloc_count == 1


def test_toy_trampoline_when_mpy_init_is_not_first(toy: ArchInfo) -> None:
    symbols = [*SYMBOLS[:2], ("mpy_init", 12, 4, (GLOBAL << 4) | STT_FUNC, 1)]
    result = link([("toy.o", _elf(TEXT, b"\x01\x02\x03\x04", symbols, RELS))], "toy32")
    code = read_mpy(result.mpy).raw_code.code
    # the 2-byte jump fits a gap of one 4-byte alignment: .text moves to 4, mpy_init to 16
    assert code[:4] == b"\xee" + (16 - 2).to_bytes(1, "little") + bytes(2)
    assert code[4:8] == bytes.fromhex("11223344")


def test_toy_trampoline_out_of_reach_names_the_entry(toy: ArchInfo) -> None:
    text = bytes(400)
    symbols = [("mpy_init", 300, 4, (GLOBAL << 4) | STT_FUNC, 1)]
    with pytest.raises(LinkError) as info:
        link([("toy.o", _elf(text, b"", symbols, []))], "toy32")
    assert str(info.value).startswith("toy.o: mpy_init is at text offset 0x130, beyond the entry jump's reach")
    assert "a toy jump: -0x80..+0x7f" in str(info.value)


def test_toy_field_overflow_names_relocation_symbol_and_place(toy: ArchInfo) -> None:
    text = bytes(200) + b"\x00" + bytes(3)
    symbols = [("helper", 0, 4, (LOCAL << 4) | STT_FUNC, 1), ("mpy_init", 0, 4, (GLOBAL << 4) | STT_FUNC, 1)]
    with pytest.raises(LinkError) as info:
        link([("toy.o", _elf(text, b"", symbols, [(200, 1, R_TOY_PC8)]))], "toy32")
    message = str(info.value)
    assert message.startswith("toy.o: .text+0xc8: R_TOY_PC8 to helper is out of range (-0xc8;")
    assert "an 8-bit displacement holds -0x80..+0x7f" in message


def _ext_object() -> bytes:
    """mpy_init, then a GOTPC32 word (holding -4) and an absolute word, both against undefined `ext`."""
    text = bytes.fromhex("11223344") + (-4 & 0xFFFFFFFF).to_bytes(4, "little") + bytes(4)
    symbols = [("mpy_init", 0, 4, (GLOBAL << 4) | STT_FUNC, 1), ("ext", 0, 0, GLOBAL << 4, 0)]
    return _elf(text, b"", symbols, [(4, 2, R_TOY_GOTPC32), (8, 2, R_TOY_32)])


def test_toy_got_and_fixed_address_through_the_generic_path(toy: ArchInfo, tmp_path: Path) -> None:
    externs = tmp_path / "fw.ld"
    externs.write_text("ext = 0x12345678;\n")
    result = link([("toy.o", _ext_object())], "toy32", externs=externs)
    code = read_mpy(result.mpy).raw_code.code
    # .text 0..12, GOT at 12: one word holding the fixed address, no load-time record
    assert code[12:16] == (0x12345678).to_bytes(4, "little")
    assert code[4:8] == (12 - 4 - 4).to_bytes(4, "little")  # GOT + G + A - P
    assert code[8:12] == (0x12345678).to_bytes(4, "little")  # S + A, absolute: no record
    assert result.got_entries == 1 and result.reloc_count == 0


def test_toy_words_are_never_truncated(toy: ArchInfo, tmp_path: Path) -> None:
    """A 33-bit address in a 32-bit word is an error, in the GOT and in code alike."""
    externs = tmp_path / "fw.ld"
    externs.write_text("ext = 0x100000000;\n")
    with pytest.raises(LinkError, match=r"GOT word of ext would be 0x100000000, which does not fit the 4-byte"):
        link([("toy.o", _ext_object())], "toy32", externs=externs)
    only_abs = _elf(
        bytes.fromhex("11223344") + bytes(4),
        b"",
        [("mpy_init", 0, 4, (GLOBAL << 4) | STT_FUNC, 1), ("ext", 0, 0, GLOBAL << 4, 0)],
        [(4, 2, R_TOY_32)],
    )
    with pytest.raises(LinkError, match=r"toy.o: .text\+0x4: the address word of ext would be 0x100000000, which"):
        link([("toy.o", only_abs)], "toy32", externs=externs)


def test_toy_unknown_relocation_is_refused_by_name(toy: ArchInfo) -> None:
    with pytest.raises(LinkError, match="unsupported relocation type 7 against helper in .text"):
        link([("toy.o", _elf(TEXT, b"\x01\x02\x03\x04", SYMBOLS, [(4, 1, 7)]))], "toy32")


def test_objects_of_another_machine_are_refused(toy: ArchInfo) -> None:
    with pytest.raises(LinkError, match=r"object is EM_20045, --arch x64 needs EM_X86_64"):
        link([("toy.o", _elf(TEXT, b"\x01\x02\x03\x04", SYMBOLS, RELS))], "x64")


# -- the family modules keep to the interface ----------------------------------------

ARCH_DIR = Path(natmod_tool.arch.__file__).parent


def _view_members() -> set[str]:
    return {name for name in vars(LinkView) if not name.startswith("_")} | set(LinkView.__annotations__)


@pytest.mark.parametrize("path", sorted(ARCH_DIR.glob("*.py")), ids=lambda p: p.name)
def test_family_modules_use_only_the_link_view(path: Path) -> None:
    """Hooks reach the link through `LinkView` only, and no family imports the linker at run time."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    allowed = _view_members()
    used = {
        node.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "ctx"
    }
    assert used <= allowed, f"{path.name} uses {sorted(used - allowed)} of the link beyond LinkView"
    type_only = {
        id(child)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"
        for child in ast.walk(node)
    }
    runtime_imports = [
        node.module
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and id(node) not in type_only and node.module
    ]
    assert not [m for m in runtime_imports if m.startswith("linker") or "linker" in m.split(".")]


# -- the named constants against an independent table ------------------------------


#: relocation types pyelftools' tables do not have yet.  GOT32X (43) and GOTPCRELX (41)
#: are what llvm-readobj names the relocations llvm-mc emits for `movl foo@GOT(%ebx)` and
#: `call *foo@GOTPCREL(%rip)`; ALU_ABS_G0..G3_NC (132..135) are from ARM's AAELF32
#: document (no tool here knows them by name)
NEWER_THAN_PYELFTOOLS = {
    "R_386_GOT32X",
    "R_X86_64_GOTPCRELX",
    "R_ARM_THM_ALU_ABS_G0_NC",
    "R_ARM_THM_ALU_ABS_G1_NC",
    "R_ARM_THM_ALU_ABS_G2_NC",
    "R_ARM_THM_ALU_ABS_G3_NC",
}


@pytest.mark.parametrize(
    ("arch", "enum", "prefix"),
    [
        ("x86", "ENUM_RELOC_TYPE_i386", "R_386_"),
        ("x64", "ENUM_RELOC_TYPE_x64", "R_X86_64_"),
        ("armv7m", "ENUM_RELOC_TYPE_ARM", "R_ARM_"),
    ],
)
def test_relocation_numbers_agree_with_pyelftools(arch: str, enum: str, prefix: str) -> None:
    """pyelftools' tables come from the ABI documents; RISC-V and Xtensa it does not have."""
    import elftools.elf.enums as enums

    from natmod_tool.arch import get_arch

    table = getattr(enums, enum)
    names = get_arch(arch).family.names
    assert names and all(n.startswith(prefix) for n in names.values())
    for number, name in names.items():
        if name not in NEWER_THAN_PYELFTOOLS:
            assert table[name] == number, name
    assert {n for n in names.values() if n not in table} <= NEWER_THAN_PYELFTOOLS


def test_machine_numbers_agree_with_pyelftools() -> None:
    from elftools.elf.enums import ENUM_E_MACHINE

    for number, name in elf_machines().items():
        assert ENUM_E_MACHINE[name] == number
