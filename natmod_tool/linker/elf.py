"""ELF relocatable objects as plain, immutable data.

pyelftools is pleasant but slow and lazily parses on every access, and its
exceptions (struct errors, ELFError, KeyError on bad indices...) are not ours.  This
module reads an object once, converts everything the linker needs into frozen
dataclasses, and turns any parsing failure into a one-line `LinkError` naming the
file.  Parsed objects are immutable so archive members can be cached across links.
"""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass

from ..arch import elf_machines
from ..errors import LinkError

#: names of SHN_* special section indices as pyelftools reports them
SHN_UNDEF = "SHN_UNDEF"

#: largest section, and largest text/rodata/bss image, a link accepts (64 MiB): far
#: beyond any natmod, small enough that a size read from a damaged header never
#: turns into a huge allocation
MAX_SIZE = 1 << 26


@dataclass(frozen=True)
class ElfReloc:
    """One relocation entry: REL entries have `addend` 0 and `is_rela` False."""

    offset: int
    type: int
    sym: int  # index into the object's symbol table
    addend: int
    is_rela: bool


@dataclass(frozen=True)
class ElfSymbol:
    """A `.symtab` entry."""

    index: int
    name: str
    value: int
    size: int
    bind: str  # STB_LOCAL, STB_GLOBAL, STB_WEAK, ...
    type: str  # STT_NOTYPE, STT_FUNC, STT_OBJECT, STT_SECTION, ...
    shndx: int | str  # a section index, or SHN_UNDEF / SHN_ABS / SHN_COMMON


@dataclass(frozen=True)
class ElfSection:
    """A section header with its contents (`data` is None for types we never read)."""

    index: int
    name: str
    type: str  # SHT_PROGBITS, SHT_NOBITS, SHT_REL, SHT_RELA, ...
    size: int  # logical data size (after decompression)
    align: int
    addr: int
    info: int  # sh_info: target section index for REL/RELA
    flags: int
    data: bytes | None
    relocs: tuple[ElfReloc, ...] = ()
    reloc_error: str | None = None  # set when the relocation table could not be read


@dataclass(frozen=True)
class ElfObject:
    """An ELF relocatable object: what the linker needs, nothing lazily parsed."""

    label: str  # file name as given, or `archive:member`
    machine: str  # `e_machine` as pyelftools names it (`Family.elf_machine_name`)
    elf_class: int  # 32 or 64
    little_endian: bool
    elf_type: str  # ET_REL expected
    sections: tuple[ElfSection, ...]
    symbols: tuple[ElfSymbol, ...] | None  # None: no .symtab


_KEPT_TYPES = ("SHT_PROGBITS", "SHT_NOBITS")
_RELOC_TYPES = ("SHT_REL", "SHT_RELA")


def parse_object(label: str, data: bytes) -> ElfObject:
    """Parse `data` (the bytes of an ELF relocatable object) named `label` in messages."""
    if data[:4] != b"\x7fELF":
        raise LinkError(f"{label}: not an ELF object file (give .o files compiled for the target arch)")
    fast = _parse_fast(label, data)
    if fast is not None:
        return fast
    try:
        return _parse(label, data)
    except LinkError:
        raise
    except Exception as exc:  # pyelftools raises many kinds on damaged input
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise LinkError(f"{label}: damaged or truncated ELF file ({detail[:120]}); rebuild the object") from None


def _parse(label: str, data: bytes) -> ElfObject:
    from elftools.elf.elffile import ELFFile  # only for objects the fast path leaves alone

    elf = ELFFile(io.BytesIO(data))
    header = elf.header
    n_sections = elf.num_sections()
    if n_sections > 65536:
        raise LinkError(f"{label}: implausible section count {n_sections}; rebuild the object")
    sections: list[ElfSection] = []
    raw = [elf.get_section(i) for i in range(n_sections)]
    for index, sec in enumerate(raw):
        sh = sec.header
        kind = sh["sh_type"]
        if not isinstance(kind, str):
            kind = f"SHT_{kind}"
        size = sec.data_size
        payload: bytes | None = None
        relocs: tuple[ElfReloc, ...] = ()
        reloc_error = None
        if kind == "SHT_PROGBITS" and size:
            if sec.compressed and size > MAX_SIZE:
                raise LinkError(f"{label}: compressed section {sec.name} is implausibly large ({size} bytes)")
            payload = sec.data()
            if len(payload) != size:
                raise LinkError(f"{label}: section {sec.name} is truncated; rebuild the object")
        elif kind == "SHT_NOBITS":
            payload = None
        elif kind in _RELOC_TYPES:
            relocs, reloc_error = _read_relocs(sec, kind == "SHT_RELA")
        sections.append(
            ElfSection(
                index=index,
                name=sec.name,
                type=kind,
                size=size,
                align=sh["sh_addralign"],
                addr=sh["sh_addr"],
                info=sh["sh_info"],
                flags=sh["sh_flags"],
                data=payload,
                relocs=relocs,
                reloc_error=reloc_error,
            )
        )
    symtab = elf.get_section_by_name(".symtab")
    symbols = None
    if symtab is not None and hasattr(symtab, "iter_symbols"):
        symbols = tuple(
            ElfSymbol(
                index=i,
                name=s.name,
                value=s["st_value"],
                size=s["st_size"],
                bind=s["st_info"]["bind"],
                type=s["st_info"]["type"],
                shndx=s["st_shndx"],
            )
            for i, s in enumerate(symtab.iter_symbols())
        )
    return ElfObject(
        label=label,
        machine=header["e_machine"] if isinstance(header["e_machine"], str) else f"EM_{header['e_machine']}",
        elf_class=elf.elfclass,
        little_endian=elf.little_endian,
        elf_type=header["e_type"] if isinstance(header["e_type"], str) else f"ET_{header['e_type']}",
        sections=tuple(sections),
        symbols=symbols,
    )


def _read_relocs(sec, is_rela: bool) -> tuple[tuple[ElfReloc, ...], str | None]:
    entsize = sec.header["sh_entsize"]
    if not entsize:
        return (), "relocation section has entry size 0"
    out = []
    for r in sec.iter_relocations():
        out.append(
            ElfReloc(
                offset=r["r_offset"],
                type=r["r_info_type"],
                sym=r["r_info_sym"],
                addend=r["r_addend"] if is_rela else 0,
                is_rela=is_rela,
            )
        )
    return tuple(out), None


_SHDR = {1: struct.Struct("<10I"), 2: struct.Struct("<IIQQQQIIQQ")}
_SYM = {1: struct.Struct("<IIIBBH"), 2: struct.Struct("<IBBHQQ")}


def scan_global_symbols(data: bytes) -> list[tuple[str, bool, bool]] | None:
    """Global/weak symbols of an object as (name, defined, weak), without pyelftools.

    Indexing an archive only needs each member's global names; parsing every member
    of libm with pyelftools took seconds.  Returns None when the object is not a
    plain little-endian ELF this fast path understands (the caller then parses it
    fully, which reports damage properly).
    """
    if len(data) < 64 or data[:4] != b"\x7fELF" or data[5] != 1 or data[4] not in (1, 2):
        return None
    cls = data[4]
    if cls == 1:
        shoff, (shentsize, shnum) = struct.unpack_from("<I", data, 0x20)[0], struct.unpack_from("<HH", data, 0x2E)
    else:
        shoff, (shentsize, shnum) = struct.unpack_from("<Q", data, 0x28)[0], struct.unpack_from("<HH", data, 0x3A)
    shdr, sym = _SHDR[cls], _SYM[cls]
    if shentsize != shdr.size or shnum == 0 or shoff + shnum * shdr.size > len(data):
        return None
    headers = [shdr.unpack_from(data, shoff + i * shdr.size) for i in range(shnum)]
    symtabs = [h for h in headers if h[1] == 2]  # SHT_SYMTAB
    if len(symtabs) != 1:
        return None
    h = symtabs[0]
    offset, size, link = (h[4], h[5], h[6]) if cls == 1 else (h[4], h[5], h[6])
    if link >= shnum or offset + size > len(data):
        return None
    str_off, str_size = headers[link][4], headers[link][5]
    if str_off + str_size > len(data):
        return None
    strtab = data[str_off : str_off + str_size]
    out = []
    for pos in range(offset, offset + size - sym.size + 1, sym.size):
        fields = sym.unpack_from(data, pos)
        if cls == 1:
            name_off, info, shndx = fields[0], fields[3], fields[5]
        else:
            name_off, info, shndx = fields[0], fields[1], fields[3]
        bind = info >> 4
        if bind not in (1, 2) or name_off == 0 or name_off >= len(strtab):
            continue
        end = strtab.find(b"\0", name_off)
        name = strtab[name_off : end if end >= 0 else len(strtab)].decode("latin-1")
        if name:
            out.append((name, shndx != 0, bind == 2))
    return out


# -- fast path ----------------------------------------------------------------------------
# pyelftools builds its construct parsers per file and parses every field lazily, which
# made up 90% of a link.  Plain little-endian relocatable objects (what compilers
# produce) are read here with `struct` into the same dataclasses; anything unusual
# (compressed sections, extended section numbering, odd entry sizes, damage) returns
# None and goes through pyelftools, which also words the errors.

_SH_TYPES = {
    0: "SHT_NULL",
    1: "SHT_PROGBITS",
    2: "SHT_SYMTAB",
    3: "SHT_STRTAB",
    4: "SHT_RELA",
    8: "SHT_NOBITS",
    9: "SHT_REL",
}
_BINDS = {0: "STB_LOCAL", 1: "STB_GLOBAL", 2: "STB_WEAK"}
_STT = {0: "STT_NOTYPE", 1: "STT_OBJECT", 2: "STT_FUNC", 3: "STT_SECTION", 4: "STT_FILE", 5: "STT_COMMON", 6: "STT_TLS"}
_SHN = {0: "SHN_UNDEF", 0xFFF1: "SHN_ABS", 0xFFF2: "SHN_COMMON"}
_REL = {
    (1, False): struct.Struct("<II"),
    (1, True): struct.Struct("<IIi"),
    (2, False): struct.Struct("<QQ"),
    (2, True): struct.Struct("<QQq"),
}
SHF_COMPRESSED = 0x800


def _cstr(table: bytes, offset: int) -> str:
    end = table.find(b"\0", offset)
    return table[offset : end if end >= 0 else len(table)].decode("latin-1")


def _parse_fast(label: str, data: bytes) -> ElfObject | None:
    try:
        return _parse_fast_unchecked(label, data)
    except (struct.error, IndexError, ValueError, KeyError):
        return None


def _parse_fast_unchecked(label: str, data: bytes) -> ElfObject | None:
    if len(data) < 64 or data[5] != 1 or data[4] not in (1, 2) or data[6] != 1:
        return None
    cls = data[4]
    if cls == 1:
        e_type, e_machine = struct.unpack_from("<HH", data, 16)
        shoff = struct.unpack_from("<I", data, 0x20)[0]
        shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x2E)
    else:
        e_type, e_machine = struct.unpack_from("<HH", data, 16)
        shoff = struct.unpack_from("<Q", data, 0x28)[0]
        shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
    shdr = _SHDR[cls]
    machines = elf_machines()  # the registered families' machines, so a new arch is never slow
    if e_type != 1 or e_machine not in machines or shentsize != shdr.size or shnum == 0:
        return None
    if shoff + shnum * shdr.size > len(data) or shstrndx >= shnum:
        return None
    headers = []
    for i in range(shnum):
        f = shdr.unpack_from(data, shoff + i * shdr.size)
        # (name, type, flags, addr, offset, size, link, info, addralign, entsize)
        headers.append(f)
        if f[2] & SHF_COMPRESSED or (f[1] != 8 and f[1] != 0 and f[4] + f[5] > len(data)):
            return None
    names_hdr = headers[shstrndx]
    shstr = data[names_hdr[4] : names_hdr[4] + names_hdr[5]]
    sections = []
    symtab_hdr = None
    for index, (name_off, kind, flags, addr, offset, size, link, info, align, entsize) in enumerate(headers):
        name = _cstr(shstr, name_off) if name_off < len(shstr) else None
        if name is None:
            return None
        type_name = _SH_TYPES.get(kind, f"SHT_{kind:#x}")
        payload, relocs, reloc_error = None, (), None
        if kind == 1 and size:
            payload = data[offset : offset + size]
        elif kind in (4, 9):
            if not entsize:
                reloc_error = "relocation section has entry size 0"
            else:
                rec = _REL[(cls, kind == 4)]
                if entsize != rec.size or size % rec.size:
                    return None
                out = []
                for pos in range(offset, offset + size, rec.size):
                    r = rec.unpack_from(data, pos)
                    sym, rtype = (r[1] >> 8, r[1] & 0xFF) if cls == 1 else (r[1] >> 32, r[1] & 0xFFFFFFFF)
                    out.append(
                        ElfReloc(offset=r[0], type=rtype, sym=sym, addend=r[2] if kind == 4 else 0, is_rela=kind == 4)
                    )
                relocs = tuple(out)
        if name == ".symtab" and symtab_hdr is None:
            symtab_hdr = (kind, offset, size, link, entsize)
        sections.append(
            ElfSection(
                index=index, name=name, type=type_name, size=size, align=align, addr=addr, info=info,
                flags=flags, data=payload, relocs=relocs, reloc_error=reloc_error,
            )
        )  # fmt: skip
    symbols = None
    if symtab_hdr is not None and symtab_hdr[0] == 2:
        _, offset, size, link, entsize = symtab_hdr
        sym = _SYM[cls]
        if entsize != sym.size or size % sym.size or link >= shnum:
            return None
        strtab = data[headers[link][4] : headers[link][4] + headers[link][5]]
        out_syms = []
        for i, pos in enumerate(range(offset, offset + size, sym.size)):
            f = sym.unpack_from(data, pos)
            if cls == 1:
                name_off, value, sz, info, shndx = f[0], f[1], f[2], f[3], f[5]
            else:
                name_off, info, shndx, value, sz = f[0], f[1], f[3], f[4], f[5]
            if shndx == 0xFFFF:  # SHN_XINDEX: leave to pyelftools
                return None
            out_syms.append(
                ElfSymbol(
                    index=i,
                    name=_cstr(strtab, name_off) if name_off < len(strtab) else "",
                    value=value,
                    size=sz,
                    bind=_BINDS.get(info >> 4, f"STB_{info >> 4}"),
                    type=_STT.get(info & 0xF, f"STT_{info & 0xF}"),
                    shndx=_SHN.get(shndx, shndx if shndx < 0xFF00 else f"SHN_{shndx:#x}"),
                )
            )
            if name_off >= len(strtab) and name_off:
                return None
        symbols = tuple(out_syms)
    return ElfObject(
        label=label,
        machine=machines[e_machine],
        elf_class=32 if cls == 1 else 64,
        little_endian=True,
        elf_type="ET_REL",
        sections=tuple(sections),
        symbols=symbols,
    )
