"""Undefined symbols say what to do: the calling function, the kind of name and the fix.

Small C files are compiled with each arch's cross compiler (natmod flags, no
MicroPython headers: the linker's messages do not depend on them) and linked through
the CLI or the library, the way a user's first link would fail.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from conftest import compiler_for, skip_or_fail

from natmod_tool import link
from natmod_tool.arch import ARCHES, get_arch
from natmod_tool.cli import main
from natmod_tool.errors import LinkError
from natmod_tool.linker.hints import LIBC, RUNTIME, classify
from natmod_tool.linker.undefined import UndefinedSymbolError, rom_externs_file, rom_symbols
from natmod_tool.mpy.reader import read_mpy, validate
from natmod_tool.toolchains import toolchain

ESP8266_ROM_EXTERNS = rom_externs_file(get_arch("xtensa"))
assert ESP8266_ROM_EXTERNS is not None

FLAGS = ["-fpic", "-fno-common", "-Os", "-fno-stack-protector", "-ffreestanding"]

MOD_C = """
unsigned int fact_mod(unsigned int a, unsigned int b) { return a % b; }
int mpy_init(void) { return (int)fact_mod(7, 3); }
"""

LIBC_C = """
int printf(const char *format, ...);
__SIZE_TYPE__ strlen(const char *s);
void *malloc(__SIZE_TYPE__ n);
int say(const char *s) { printf("%s=%d\\n", s, 3); return (int)strlen(s); }
void *grab(unsigned n) { return malloc(n); }
int mpy_init(void) { return say("x") + (grab(4) != 0); }
"""

MATHS_C = """
#include <math.h>
#include <stdio.h>
double root(double x) { return sqrt(x) + sin(x); }
int show(double x) { return printf("%f\\n", x); }
int mpy_init(void) { return (int)root(4.0) + show(1.0); }
"""


def compile_c(arch: str, source: str, out: Path, name: str = "mod") -> Path:
    """`source` compiled for `arch` with natmod-like flags; skips (fails under CI) without a compiler."""
    info = ARCHES[arch]
    cc = compiler_for(info)
    if cc is None:
        skip_or_fail(f"no {arch} compiler ({toolchain(arch).gcc})")
    src = out / f"{name}.c"
    src.write_text(source)
    obj = out / f"{name}.o"
    subprocess.run([*cc, *toolchain(arch).cflags, *FLAGS, "-c", str(src), "-o", str(obj)], check=True)
    return obj


def cli_link(args: list[str], capsys) -> tuple[int, str]:
    """Run `natmod-tool link`; (exit status, stderr)."""
    rc = main(["link", *args])
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return rc, err


def libgcc(arch: str) -> str:
    info = ARCHES[arch]
    cc = compiler_for(info)
    assert cc is not None
    flags = toolchain(arch).cflags
    return subprocess.run([*cc, *flags, "-print-libgcc-file-name"], capture_output=True, text=True).stdout.strip()


def test_division_helper_names_the_caller_and_the_fix(tmp_path, capsys):
    """`%` on Cortex-M0 calls __aeabi_uidivmod: the message names fact_mod, mod.o and libgcc."""
    obj = compile_c("armv6m", MOD_C, tmp_path)
    rc, err = cli_link(["--arch", "armv6m", "-o", str(tmp_path / "mod.mpy"), str(obj)], capsys)
    assert rc == 1 and len(err.splitlines()) == 1, err
    assert f"{obj}: undefined symbol: __aeabi_uidivmod (used in fact_mod): compiler support routine" in err
    assert "-l $(arm-none-eabi-gcc -mthumb -mcpu=cortex-m0 -print-libgcc-file-name)" in err
    assert "--externs" not in err  # no generic advice for a name we know
    # ...and the advice works
    rc, err = cli_link(["--arch", "armv6m", "-l", libgcc("armv6m"), "-o", str(tmp_path / "mod.mpy"), str(obj)], capsys)
    assert rc == 0, err
    assert validate(read_mpy((tmp_path / "mod.mpy").read_bytes(), "mod.mpy")) == []


@pytest.mark.parametrize("arch", ["x64", "armv7m", "rv32imc"])
def test_libc_calls_say_what_to_use(arch, tmp_path):
    obj = compile_c(arch, LIBC_C, tmp_path)
    with pytest.raises(UndefinedSymbolError) as info:
        link([obj], arch)
    text = str(info.value)
    assert "\n" not in text
    names = {item.name: item for item in info.value.symbols}
    assert set(names) == {"printf", "malloc", "strlen"}, text
    assert "printf (used in say): natmods have no C library: use mp_printf(&mp_plat_print, ...)" in text
    assert "malloc (used in grab): natmods have no C library: use m_malloc(n)" in text
    assert "strlen (used in say): natmods have no C library: use __builtin_strlen" in text
    assert all(item.hint is not None and item.hint.kind == LIBC for item in names.values())
    assert "--externs" not in text


def test_generic_names_keep_the_cli_advice(tmp_path):
    obj = compile_c("x64", "extern int nowhere(int);\nint mpy_init(void) { return nowhere(2); }\n", tmp_path)
    with pytest.raises(LinkError) as info:
        link([obj], "x64")
    assert str(info.value) == (
        f"{obj}: undefined symbol: nowhere (used in mpy_init) "
        "(define them, add the library that has them with -l, or list them in --externs)"
    )


def test_many_objects_missing_one_helper_is_a_short_line(tmp_path, capsys):
    """Every object of a big module uses __udivsi3: three are named, the rest counted."""
    objs = [
        compile_c("xtensa", f"unsigned f{i}(unsigned a, unsigned b) {{ return a / b; }}\n", tmp_path, f"part{i}")
        for i in range(12)
    ]
    objs.append(compile_c("xtensa", "int mpy_init(void) { return 0; }\n", tmp_path, "init"))
    rc, err = cli_link(["--arch", "xtensa", "-o", str(tmp_path / "m.mpy"), *map(str, objs)], capsys)
    assert rc == 1 and len(err.splitlines()) == 1, err
    assert (
        f"undefined symbol: __udivsi3 (used in f0 in {objs[0]}, f1 in {objs[1]}, f2 in {objs[2]} and 9 more objects)"
        in err
    )
    assert err.count("__udivsi3") == 1 and len(err) < 600, err
    assert f"the ESP8266 ROM has it: add --externs {ESP8266_ROM_EXTERNS}" in err


def test_esp8266_rom_externs_link_the_helpers(tmp_path, capsys):
    """With the shipped ROM table the same module links; the literal holds the ROM address."""
    obj = compile_c("xtensa", MOD_C, tmp_path)
    out = tmp_path / "mod.mpy"
    rc, err = cli_link(["--arch", "xtensa", "--externs", ESP8266_ROM_EXTERNS, "-o", str(out), str(obj)], capsys)
    assert rc == 0, err
    data = out.read_bytes()
    assert validate(read_mpy(data, "mod.mpy")) == []
    assert (0x4000E268).to_bytes(4, "little") in data  # __umodsi3 in the ESP8266 ROM


def test_rom_table_holds_compiler_support_routines_only():
    table = rom_symbols(ESP8266_ROM_EXTERNS)
    assert len(table) == 24 and table["__umodsi3"] == 0x4000E268 and table["__udivdi3"] == 0x4000D310
    assert all(classify(name).kind == RUNTIME for name in table), table
    assert all(0x40000000 <= address < 0x40010000 for address in table.values())


def test_math_libs_lend_maths_only(tmp_path):
    """A libc holding libm (musl) gives sqrt and sin, never printf: the same verdict as on ARM."""
    musl = Path("/usr/lib/x86_64-linux-musl/libc.a")
    if not musl.exists():
        skip_or_fail("musl-dev is not installed")
    obj = compile_c("x64", MATHS_C, tmp_path)
    with pytest.raises(UndefinedSymbolError) as info:
        link([obj], "x64", math_libs=[musl], writable_data=True)
    assert [item.name for item in info.value.symbols] == ["printf"], str(info.value)
    # as an ordinary library the same archive lends everything (the old LINK_RUNTIME behaviour)
    link([obj], "x64", libs=[musl], writable_data=True)
    only_maths = compile_c("x64", MATHS_C.replace("printf", "(int)floor").replace('"%f\\n", ', ""), tmp_path, "m2")
    result = link([only_maths], "x64", math_libs=[musl], writable_data=True)
    assert validate(read_mpy(result.mpy, "m.mpy")) == []
