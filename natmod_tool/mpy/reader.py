"""Reading and validating `.mpy` files (format.md sections 4, 5, 13.1 and 14).

`read_mpy` parses a file into an `MpyFile` tree and fails with a one-line `MpyError`
on anything it cannot parse: the loader in the firmware does not validate relocation
streams at all, so a broken native module would otherwise corrupt memory on the device
instead of failing on the build machine.  `validate` then lists the problems a loader
would reject, or silently mis-handle, as readable strings.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import MpyError
from .bytecode import CHILD_OPS, FMT_JUMP, FMT_QSTR, OP_LOAD_CONST_OBJ, decode_function
from .encoding import ConstObject, QstrEntry, Reader
from .format import (
    ARCH_FLAG_BITS,
    ARCH_FLAG_MASK,
    ARCH_FLAGS_ARCHES,
    DEST_BSS,
    DEST_QSTR_TABLE,
    DEST_RODATA,
    DEST_RUN_MAX,
    DEST_SLOT0,
    FEATURE_RESERVED,
    KIND_ASM,
    KIND_BYTECODE,
    KIND_NATIVE,
    KIND_VIPER,
    MPY_MAGIC,
    MPY_SUB_VERSION,
    MPY_VERSION,
    RELOC_END,
    SCOPE_VIPER_FLAGS,
    SCOPE_VIPERBSS,
    SCOPE_VIPERRELOC,
    SCOPE_VIPERRODATA,
    MpyArch,
    dest_encodable,
    feature_arch,
    feature_has_arch_flags,
    feature_sub_version,
    mpy_arch,
)
from .names import FUN_TABLE_SLOTS, dest_name, kind_name

#: the format constants are defined in `format.py`; re-exported for existing importers
__all__ = [
    "MPY_MAGIC",
    "MPY_VERSION",
    "MPY_SUB_VERSION",
    "MAX_NESTING",
    "KIND_BYTECODE",
    "KIND_NATIVE",
    "KIND_VIPER",
    "KIND_ASM",
    "SCOPE_VIPERRELOC",
    "SCOPE_VIPERRODATA",
    "SCOPE_VIPERBSS",
    "MpyHeader",
    "RelocEntry",
    "RawCode",
    "MpyFile",
    "read_header",
    "read_mpy",
    "validate",
]

#: deepest raw-code or tuple nesting accepted; mpy-cross output nests a few levels, the
#: limit only keeps a hostile file from exhausting the Python stack
MAX_NESTING = 64

#: firmware qstr length limit with 1-byte lengths (format.md 14.6)
MAX_QSTR_LEN = 255


@dataclass
class MpyHeader:
    """The fixed header and the optional arch-flags varuint."""

    magic: int
    version: int
    feature_byte: int
    small_int_bits: int
    arch_flags: int  # 0 when the feature byte has no 0x40 bit
    has_arch_flags: bool
    end: int  # offset just past the header (and the arch flags)

    @property
    def arch_number(self) -> int:
        """Native arch number as loaders decode it: `(byte >> 2) & 0x2F` (format.md 4)."""
        return feature_arch(self.feature_byte)

    @property
    def sub_version(self) -> int:
        """Low two bits of the feature byte."""
        return feature_sub_version(self.feature_byte)


@dataclass
class RelocEntry:
    """One decoded relocation-stream entry (format.md 5.2)."""

    base: int  # 0 = text image, 1 = rodata image
    word: int  # word index of the first word adjusted
    dest: int  # destination code (0..2, 6, 7, 8, 9 + slot)
    count: int  # number of consecutive words
    has_location: bool  # False: continues after the previous entry's last word
    offset: int  # file offset of the op byte

    @property
    def dest_name(self) -> str:
        """Readable destination, e.g. `slot 50 (memset)`."""
        return dest_name(self.dest)


@dataclass
class RawCode:
    """One raw code (function) and its children, as laid out in the file."""

    kind: int  # low two bits of the kind field: 0 bytecode, 1 native, 2 viper, 3 asm
    code: bytes  # function data (bytecode) or machine code (text image)
    offset: int  # file offset of the kind/length varuint
    code_offset: int  # file offset of `code`
    end: int = 0  # file offset just past this raw code and its children
    has_children: bool = False
    children: list[RawCode] = field(default_factory=list)
    scope_flags: int | None = None  # native kinds 2 and 3
    prelude_offset: int | None = None  # kind 1
    rodata: bytes = b""  # viper
    bss_size: int = 0  # viper
    relocs: list[RelocEntry] = field(default_factory=list)  # viper
    reloc_offset: int | None = None  # viper: file offset of the relocation stream
    asm_n_pos_args: int | None = None
    asm_type_sig: int | None = None

    @property
    def kind_name(self) -> str:
        """`bytecode`, `native`, `viper` or `asm`."""
        return kind_name(self.kind)

    @property
    def is_bytecode(self) -> bool:
        """True for a bytecode raw code (the only kind merge can rewrite)."""
        return self.kind == KIND_BYTECODE

    def walk(self) -> list[RawCode]:
        """This raw code and all its descendants, depth first, in file order."""
        out: list[RawCode] = []
        stack = [self]
        while stack:
            rc = stack.pop()
            out.append(rc)
            stack.extend(reversed(rc.children))
        return out


@dataclass
class MpyFile:
    """A parsed `.mpy` file.

    The offsets `qstr_table_offset` (Q), `obj_table_offset` (O) and `raw_code_offset`
    (R) are what the merge step copies byte ranges by (format.md 13.1).
    """

    label: str
    data: bytes = field(repr=False)
    header: MpyHeader
    qstrs: list[QstrEntry]
    objects: list[ConstObject]
    raw_code: RawCode
    qstr_table_offset: int
    obj_table_offset: int
    raw_code_offset: int
    end_offset: int  # just past the outer raw code; bytes after it are trailing

    @property
    def size(self) -> int:
        """File length in bytes."""
        return len(self.data)

    @property
    def magic(self) -> int:
        """Header byte 0."""
        return self.header.magic

    @property
    def version(self) -> int:
        """Header byte 1 (.mpy version)."""
        return self.header.version

    @property
    def feature_byte(self) -> int:
        """Header byte 2."""
        return self.header.feature_byte

    @property
    def small_int_bits(self) -> int:
        """Header byte 3."""
        return self.header.small_int_bits

    @property
    def arch_number(self) -> int:
        """Native arch number (0 = no native code)."""
        return self.header.arch_number

    @property
    def sub_version(self) -> int:
        """Sub-version bits of the feature byte."""
        return self.header.sub_version

    @property
    def arch_flags(self) -> int:
        """The arch-flags value (0 when absent)."""
        return self.header.arch_flags

    @property
    def arch(self) -> MpyArch | None:
        """The arch of the header number, or None for 0 and unknown numbers."""
        return mpy_arch(self.arch_number) if self.arch_number else None

    @property
    def arch_name(self) -> str | None:
        """The `--arch` name of the header number, or None."""
        info = self.arch
        return info.name if info else None

    @property
    def word_size(self) -> int | None:
        """W of the arch, or None without a known arch."""
        info = self.arch
        return info.word_size if info else None

    @property
    def source_name(self) -> str:
        """Qstr 0: the module's source name (`static #N` when it is a static qstr)."""
        if not self.qstrs:
            return ""
        entry = self.qstrs[0]
        return entry.text if not entry.is_static else f"static #{entry.static_id}"

    @property
    def trailing(self) -> bytes:
        """Bytes after the outer raw code (loaders ignore them; the linker writes none)."""
        return self.data[self.end_offset :]

    def raw_codes(self) -> list[RawCode]:
        """All raw codes, outer first, depth first."""
        return self.raw_code.walk()


def read_header(data: bytes, label: str = "<mpy>") -> MpyHeader:
    """Read the header and arch flags; reject files that are not version-6 `.mpy` files.

    The magic and version errors use the reference merge's wording (format.md 13.1).
    """
    reader = Reader(data, label)
    if reader.remaining < 4:
        if reader.remaining == 0 or data[0] != MPY_MAGIC:
            raise MpyError(f"{label}: not a valid .mpy file")
        if reader.remaining >= 2 and data[1] != MPY_VERSION:
            raise MpyError(f"{label}: incompatible .mpy version")
        raise MpyError(f"{label}: truncated .mpy header ({reader.remaining} bytes)")
    magic, version, feature, bits = reader.take(4, "header")
    if magic != MPY_MAGIC:
        raise MpyError(f"{label}: not a valid .mpy file")
    if version != MPY_VERSION:
        raise MpyError(f"{label}: incompatible .mpy version")
    flags = 0
    has_flags = feature_has_arch_flags(feature)
    if has_flags:
        flags = reader.varuint("arch flags")
    return MpyHeader(magic, version, feature, bits, flags, has_flags, reader.offset)


def _read_relocs(reader: Reader, rc: RawCode) -> None:
    """Decode a relocation stream up to and including its 0xFF (format.md 5.2)."""
    rc.reloc_offset = reader.offset
    base = 0
    next_word = 0
    while True:
        start = reader.offset
        op = reader.byte("relocation op")
        if op == RELOC_END:
            return
        has_location = bool(op & 1)
        if has_location:
            loc = reader.varuint("relocation location")
            base, next_word = loc & 1, loc >> 1
        k = op >> 1
        count = 1
        if k >> 1 <= DEST_RUN_MAX:  # ops of destinations 0..2 carry a count flag
            if k & 1:
                count = reader.varuint("relocation count")
            dest = k >> 1
        else:
            dest = k
        rc.relocs.append(RelocEntry(base, next_word, dest, count, has_location, start))
        next_word += count


def _read_raw_code(reader: Reader, depth: int) -> RawCode:
    """Read one raw code and its children in the order `mpy-tool.py` uses (format.md 13.1)."""
    start = reader.offset
    if depth > MAX_NESTING:
        raise reader.error(f"corrupt file: raw codes nested deeper than {MAX_NESTING}")
    kind_len = reader.varuint("raw code kind/length")
    kind = kind_len & 3
    length = kind_len >> 3
    code_offset = reader.offset
    code = reader.take(length, f"{kind_name(kind)} code")
    rc = RawCode(
        kind=kind,
        code=code,
        offset=start,
        code_offset=code_offset,
        has_children=bool(kind_len & 4),
    )
    if kind == KIND_NATIVE:
        rc.prelude_offset = reader.varuint("native prelude offset")
    elif kind in (KIND_VIPER, KIND_ASM):
        rc.scope_flags = reader.varuint("scope flags")
        if kind == KIND_VIPER:
            rodata_size = reader.varuint("rodata size") if rc.scope_flags & SCOPE_VIPERRODATA else 0
            if rc.scope_flags & SCOPE_VIPERBSS:
                rc.bss_size = reader.varuint("bss size")
            rc.rodata = reader.take(rodata_size, "rodata")
            if rc.scope_flags & SCOPE_VIPERRELOC:
                _read_relocs(reader, rc)
        else:
            rc.asm_n_pos_args = reader.varuint("asm argument count")
            rc.asm_type_sig = reader.varuint("asm type signature")
    if rc.has_children:
        count = reader.varuint("child count")
        for _ in range(count):  # every child takes at least one byte: bounded by the file
            rc.children.append(_read_raw_code(reader, depth + 1))
    rc.end = reader.offset
    return rc


def read_mpy(data: bytes, label: str = "<mpy>") -> MpyFile:
    """Parse a `.mpy` file; any malformation is a one-line `MpyError` naming `label`."""
    data = bytes(data)
    header = read_header(data, label)
    reader = Reader(data, label, header.end)
    n_qstr = reader.varuint("qstr count")
    n_obj = reader.varuint("object count")
    q_start = reader.offset
    qstrs = [reader.qstr_entry() for _ in range(min(n_qstr, reader.remaining + 1))]
    if len(qstrs) < n_qstr:
        raise reader.error(f"truncated or corrupt file: {n_qstr} qstrs declared, the file ends first")
    o_start = reader.offset
    objects = [reader.const_object(max_depth=MAX_NESTING) for _ in range(min(n_obj, reader.remaining + 1))]
    if len(objects) < n_obj:
        raise reader.error(f"truncated or corrupt file: {n_obj} objects declared, the file ends first")
    r_start = reader.offset
    raw_code = _read_raw_code(reader, 0)
    return MpyFile(
        label=label,
        data=data,
        header=header,
        qstrs=qstrs,
        objects=objects,
        raw_code=raw_code,
        qstr_table_offset=q_start,
        obj_table_offset=o_start,
        raw_code_offset=r_start,
        end_offset=reader.offset,
    )


def _validate_viper(rc: RawCode, where: str, word_size: int | None) -> list[str]:
    """The relocation self-checks of format.md 14.8 for one viper raw code."""
    problems = []
    flags = rc.scope_flags or 0
    if flags & ~SCOPE_VIPER_FLAGS:
        allowed = ", ".join(f"0x{bit:x}" for bit in (SCOPE_VIPERRELOC, SCOPE_VIPERRODATA, SCOPE_VIPERBSS))
        problems.append(f"{where}: unexpected scope flags 0x{flags:x} (only {allowed} allowed)")
    if not flags & SCOPE_VIPERRELOC:
        problems.append(f"{where}: scope flag 0x{SCOPE_VIPERRELOC:x} (relocation stream) is not set")
    if rc.children:
        problems.append(
            f"{where}: viper code has {len(rc.children)} children "
            "(the loader and mpy-tool.py read such files differently)"
        )
    if flags & SCOPE_VIPERRODATA and not rc.rodata:
        problems.append(f"{where}: rodata flag set with an empty rodata image")
    images = {0: ("text", len(rc.code)), 1: ("rodata", len(rc.rodata))}
    for n, entry in enumerate(rc.relocs):
        at = f"{where}: relocation {n} (offset {entry.offset})"
        if not entry.has_location:
            problems.append(f"{at}: entry without a location (the reference always writes one)")
        if entry.count < 1:
            problems.append(f"{at}: run of {entry.count} words")
        if not dest_encodable(entry.dest):
            problems.append(f"{at}: invalid destination code {entry.dest}")
        elif entry.dest >= DEST_SLOT0 and entry.dest - DEST_SLOT0 >= len(FUN_TABLE_SLOTS):
            slot = entry.dest - DEST_SLOT0
            problems.append(f"{at}: mp_fun_table slot {slot} does not exist (max {len(FUN_TABLE_SLOTS) - 1})")
        if entry.dest == DEST_RODATA and not rc.rodata:
            problems.append(f"{at}: destination rodata but the module has no rodata")
        if entry.dest == DEST_BSS and not rc.bss_size:
            problems.append(f"{at}: destination bss but the module has no bss")
        name, length = images[entry.base]
        if entry.base == 1 and not rc.rodata:
            problems.append(f"{at}: location in rodata but the module has no rodata")
        elif word_size is not None:
            last = (entry.word + max(entry.count, 1)) * word_size
            if last > length:
                problems.append(
                    f"{at}: words {entry.word}..{entry.word + entry.count - 1} lie outside the "
                    f"{length}-byte {name} image"
                )
    return problems


def _validate_bytecode(mpy: MpyFile, rc: RawCode, where: str) -> list[str]:
    """Decode one bytecode function and check its indices and jump targets."""
    try:
        fun = decode_function(rc.code, mpy.label, rc.code_offset)
    except MpyError as exc:
        return [f"{where}: {exc}"]
    problems = []
    n_qstr = len(mpy.qstrs)
    for name in fun.prelude.names:
        if name >= n_qstr:
            problems.append(f"{where}: prelude names qstr {name}, the table has {n_qstr}")
    for ins in fun.instrs:
        at = f"{where}: opcode 0x{ins.op:02x} at offset {ins.offset}"
        if ins.fmt == FMT_QSTR and ins.arg is not None and ins.arg >= n_qstr:
            problems.append(f"{at}: qstr {ins.arg} is beyond the {n_qstr}-entry table")
        elif ins.op == OP_LOAD_CONST_OBJ and ins.arg is not None and ins.arg >= len(mpy.objects):
            problems.append(f"{at}: object {ins.arg} is beyond the {len(mpy.objects)}-entry table")
        elif ins.op in CHILD_OPS and ins.arg is not None and ins.arg >= len(rc.children):
            problems.append(f"{at}: child {ins.arg} does not exist ({len(rc.children)} children)")
        elif ins.fmt == FMT_JUMP and ins.target_index is None:
            problems.append(f"{at}: jump target {ins.target} is not the start of an instruction")
    return problems


def validate(mpy: MpyFile, static_qstr_count: int | None = None) -> list[str]:
    """Problems a loader would reject or silently mis-handle (format.md 14); [] means OK.

    `static_qstr_count` (the length of the firmware's static qstr list) enables the
    range check of static qstr references; the list is not hard-coded here.
    """
    problems: list[str] = []
    header = mpy.header
    arch = header.arch_number
    if header.magic != MPY_MAGIC:
        problems.append(f"magic byte is 0x{header.magic:02x}, not 0x{MPY_MAGIC:02x} ({chr(MPY_MAGIC)!r})")
    if header.version != MPY_VERSION:
        problems.append(f"version {header.version}, loaders accept {MPY_VERSION}")
    if header.feature_byte & FEATURE_RESERVED:
        problems.append(f"feature byte 0x{header.feature_byte:02x} has the reserved bit 7 set")
    if arch:
        if header.sub_version != MPY_SUB_VERSION:
            problems.append(f"sub-version {header.sub_version}, loaders accept {MPY_SUB_VERSION}")
        if mpy.arch is None:
            problems.append(f"unknown native arch number {arch}")
    limit = (mpy.word_size or 8) * 8 - 1
    if header.small_int_bits > limit:
        problems.append(f"small-int bits {header.small_int_bits} exceed {limit}")
    if header.has_arch_flags:
        if mpy.arch_name not in ARCH_FLAGS_ARCHES:
            accepting = " and ".join(sorted(ARCH_FLAGS_ARCHES))
            problems.append(f"arch flags 0x{header.arch_flags:x} present, only {accepting} loaders accept arch flags")
        elif header.arch_flags & ~ARCH_FLAG_MASK:
            known = " and ".join(f"{name} ({bit})" for name, bit in ARCH_FLAG_BITS.items())
            problems.append(f"arch flags 0x{header.arch_flags:x} has bits other than {known}")
    if not mpy.qstrs:
        problems.append("the qstr table is empty (entry 0 must be the source name)")
    for i, entry in enumerate(mpy.qstrs):
        if entry.is_static:
            assert entry.static_id is not None
            if entry.static_id < 1:
                problems.append(f"qstr {i}: static id 0 is the null qstr")
            elif static_qstr_count is not None and entry.static_id > static_qstr_count:
                problems.append(f"qstr {i}: static id {entry.static_id} is beyond the {static_qstr_count} static qstrs")
        elif len(entry.data) > MAX_QSTR_LEN:
            problems.append(f"qstr {i}: {len(entry.data)} bytes long, loaders raise 'name too long'")
    for n, rc in enumerate(mpy.raw_codes()):
        where = f"raw code {n} ({rc.kind_name} at offset {rc.offset})"
        if rc.kind != KIND_BYTECODE and not arch:
            problems.append(f"{where}: native code in a file whose header has no native arch")
        if rc.kind == KIND_VIPER:
            problems.extend(_validate_viper(rc, where, mpy.word_size))
            if len(mpy.qstrs) == 1 and any(entry.dest == DEST_QSTR_TABLE for entry in rc.relocs):
                problems.append(
                    f"{where}: native code reads the qstr table, which holds only the source name "
                    "(linked without --qstrs?): its MP_QSTR_ names are wrong"
                )
        elif rc.kind == KIND_BYTECODE:
            problems.extend(_validate_bytecode(mpy, rc, where))
    if mpy.trailing:
        problems.append(f"{len(mpy.trailing)} bytes after the end of the outer raw code")
    return problems
