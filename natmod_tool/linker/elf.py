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

from elftools.common.exceptions import ELFError
from elftools.elf.elffile import ELFFile

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
    machine: str  # e.g. "EM_ARM"
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
    try:
        return _parse(label, data)
    except LinkError:
        raise
    except (ELFError, Exception) as exc:  # pyelftools raises many kinds on damaged input
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise LinkError(f"{label}: damaged or truncated ELF file ({detail[:120]}); rebuild the object") from None


def _parse(label: str, data: bytes) -> ElfObject:
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
        name = strtab[name_off : end if end >= 0 else len(strtab)].decode("utf-8", errors="replace")
        if name:
            out.append((name, shndx != 0, bind == 2))
    return out
