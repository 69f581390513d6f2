"""The xtensa runtime's ESP8266 ROM jump table (natmod_tool/testrt/romtable.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from natmod_tool.testrt import romtable

ROM_C = Path(romtable.__file__).parent / "port" / "rom_xtensa.c"


def test_table_reads_every_rom_symbol_of_the_linker_file():
    """The same symbols, addresses in order, as the `name = 0x...;` lines the linker uses."""
    text = romtable.ROM_LD.read_text()
    lines = re.findall(r"^(__\w+) = (0x[0-9a-f]+);", text, flags=re.M)
    symbols = romtable.rom_symbols()
    assert sorted(symbols) == sorted((name, int(addr, 16)) for name, addr in lines)
    assert [addr for _name, addr in symbols] == sorted(addr for _name, addr in symbols)
    assert len(symbols) == 24


def test_provided_routines_are_defined_in_the_port_and_in_the_rom_file():
    defined = set(re.findall(r"^\w+ (__\w+)\([^;]*\) \{", ROM_C.read_text(), flags=re.M))
    assert romtable.PROVIDED == defined
    assert romtable.PROVIDED <= {name for name, _addr in romtable.rom_symbols()}


def test_assembly_jumps_to_ours_and_names_the_rest():
    symbols = [("__divsi3", 0x4000DC88), ("__addsf3", 0x4000C180), ("__floatsisf", 0x4000E2AC)]
    text = romtable.table_assembly(sorted(symbols, key=lambda s: s[1]))
    assert f"    .org {0x4000DC88 - romtable.TABLE_BASE:#x}  /* __divsi3 */\n    j __divsi3\n" in text
    assert "/* __addsf3 */\n    movi a2, 0\n    j natmod_rt_rom_missing\n" in text
    assert "/* __floatsisf */\n    movi a2, 1\n    j natmod_rt_rom_missing\n" in text
    assert '.Lrom_name0:\n    .asciz "__addsf3"' in text and '.Lrom_name1:\n    .asciz "__floatsisf"' in text


@pytest.mark.parametrize(
    "symbols",
    [
        [("__a", 0x40000100)],  # inside the vectors
        [("__a", 0x40001000), ("__b", 0x40001004)],  # no room for a 6-byte entry
        [("__a", 0x4000FFFC)],  # runs past the ROM range
    ],
)
def test_addresses_that_cannot_hold_an_entry_are_refused(symbols):
    with pytest.raises(ValueError, match="overlaps another entry or leaves the ROM range"):
        romtable.table_assembly(symbols)
