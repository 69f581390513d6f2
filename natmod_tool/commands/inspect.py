"""`natmod-tool inspect`: show what is inside a `.mpy`, and check it (format.md 4, 5, 14).

The firmware loader applies a relocation stream without any checks, so a wrong
stream shows up as memory corruption on the device.  `inspect --validate` runs the
self-checks of format.md 14 on the build machine instead; the plain dump names every
relocation destination (`slot 50 (memset)`) so a stream can be read by eye.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from typing import Any

from ..errors import MpyError
from ..mpy.bytecode import FMT_JUMP, FMT_QSTR, decode_function
from ..mpy.encoding import ConstObject
from ..mpy.format import ARCH_FLAG_BITS, MPY_MAGIC, MPY_VERSION
from ..mpy.names import scope_flag_names
from ..mpy.opnames import OpcodeNames
from ..mpy.reader import (
    KIND_ASM,
    KIND_BYTECODE,
    KIND_NATIVE,
    KIND_VIPER,
    MpyFile,
    RawCode,
    read_mpy,
    validate,
)

__all__ = ["register", "run", "describe", "to_json"]


def register(subparsers: Any) -> None:
    """Add the `inspect` subcommand."""
    parser = subparsers.add_parser(
        "inspect",
        help="dump and validate .mpy files",
        description="Print the header, qstrs, raw codes and relocations of .mpy files.",
    )
    parser.add_argument("files", nargs="+", metavar="FILE", help=".mpy files")
    parser.add_argument(
        "--validate",
        action="store_true",
        help="only check the files (format.md 14); exit status 1 and one line per problem if any",
    )
    parser.add_argument(
        "--compat",
        action="store_true",
        help="say which MicroPython releases and firmware arches can import each file, and why a board "
        "may print 'incompatible .mpy file' (from the header, arch flags and relocations)",
    )
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--bytecode", action="store_true", help="also list the instructions of bytecode raw codes")
    parser.add_argument(
        "--static-qstrs",
        metavar="N",
        type=int,
        default=None,
        help="number of static qstrs of the firmware, to range-check static references",
    )
    parser.add_argument(
        "--mpy-dir",
        metavar="DIR",
        default=None,
        help="MicroPython tree whose static qstrs and opcodes name things (default: $MPY_DIR or the cached "
        "default tree, never downloaded; without one, numbers are shown)",
    )
    parser.add_argument("-v", "--verbose", action="count", default=0, help="show tracebacks on errors")
    parser.set_defaults(run=run)


@dataclass(frozen=True)
class Names:
    """What a MicroPython tree tells about a file: static qstr strings and opcode names."""

    static: tuple[str, ...] = ()  # static id N is static[N - 1]
    opcodes: OpcodeNames | None = None

    def static_label(self, static_id: int | None) -> str:
        """`static #N (name)`, or `static #N` when the tree does not know N."""
        if static_id is not None and 1 <= static_id <= len(self.static):
            return f"static #{static_id} ({self.static[static_id - 1]})"
        return f"static #{static_id}"


NO_NAMES = Names()


def tree_names(mpy_dir: str | None) -> Names:
    """Names from `mpy_dir` (or $MPY_DIR, or the cached default tree); none if unavailable.

    Never downloads: inspecting a file must not wait for the network.
    """
    from ..errors import NatmodError
    from ..mpy.opnames import load_opcode_names
    from ..mpydir import resolve_mpy_dir
    from ..qstr import load_static_qstrs

    try:
        tree = resolve_mpy_dir(mpy_dir, fetch=False)
        static = tuple(load_static_qstrs(tree).names)
    except (NatmodError, OSError):
        return NO_NAMES
    return Names(static=static, opcodes=load_opcode_names(str(tree)))


def _qstr_label(mpy: MpyFile, index: int, names: Names = NO_NAMES) -> str:
    """A qstr index as text: the inline string, `static #N (name)`, or `?N` when out of range."""
    if 0 <= index < len(mpy.qstrs):
        entry = mpy.qstrs[index]
        return names.static_label(entry.static_id) if entry.is_static else entry.text
    return f"?{index}"


def _describe_relocs(rc: RawCode, word_size: int | None, lines: list[str], pad: str) -> None:
    """One line per relocation entry: where, how many words, and the destination."""
    lines.append(f"{pad}relocations ({len(rc.relocs)} entries):")
    for entry in rc.relocs:
        image = "rodata" if entry.base else "text"
        if entry.count > 1:
            where = f"{image} words {entry.word}..{entry.word + entry.count - 1}"
        else:
            where = f"{image} word {entry.word}"
        if word_size:
            where += f" (byte 0x{entry.word * word_size:x})"
        if not entry.has_location:
            where += " [continued, no location]"
        lines.append(f"{pad}  {where:<36} += {entry.dest_name}")


def _describe_bytecode(
    mpy: MpyFile, rc: RawCode, show_code: bool, lines: list[str], pad: str, names: Names = NO_NAMES
) -> None:
    """The prelude (name, arguments, state size) and optionally the instructions."""
    try:
        fun = decode_function(rc.code, mpy.label, rc.code_offset)
    except MpyError as exc:
        lines.append(f"{pad}cannot decode: {exc}")
        return
    pre = fun.prelude
    name = _qstr_label(mpy, pre.names[0], names) if pre.names else "?"
    args = ", ".join(_qstr_label(mpy, i, names) for i in pre.names[1:])
    lines.append(
        f"{pad}name {name!r}, args ({args}), n_state {pre.n_state}, {len(pre.line_info)} bytes of "
        f"line info, {pre.n_cell} closure bytes, {len(fun.instrs)} instructions"
    )
    if not show_code:
        return
    for ins in fun.instrs:
        text = f"{pad}  {ins.offset:5d}  {ins.op:02x}"
        if names.opcodes is not None:
            text += f" {names.opcodes.name(ins.op)}"
        if ins.fmt == FMT_QSTR:
            text += f" qstr {ins.arg} ({_qstr_label(mpy, ins.arg or 0, names)})"
        elif ins.fmt == FMT_JUMP:
            text += f" jump {ins.arg:+d} -> {ins.target}"
        elif ins.arg is not None:
            text += f" {ins.arg}"
        if ins.extra is not None:
            text += f" extra 0x{ins.extra:02x}"
        lines.append(text)


def _describe_raw_code(
    mpy: MpyFile, rc: RawCode, index: list[int], depth: int, show_code: bool, names: Names = NO_NAMES
) -> list[str]:
    """Lines for one raw code and (indented) its children."""
    pad = "  " * (depth + 1)
    lines = [
        f"{pad}raw code {index[0]} at 0x{rc.offset:x}: {rc.kind_name}, {len(rc.code)} bytes, "
        f"{len(rc.children)} children"
    ]
    index[0] += 1
    inner = pad + "  "
    if rc.scope_flags is not None:
        names = ", ".join(scope_flag_names(rc.scope_flags)) or "none"
        lines.append(f"{inner}scope flags 0x{rc.scope_flags:x} ({names})")
    if rc.kind == KIND_VIPER:
        lines.append(f"{inner}rodata {len(rc.rodata)} bytes, bss {rc.bss_size} bytes")
        if rc.reloc_offset is not None:
            _describe_relocs(rc, mpy.word_size, lines, inner)
    elif rc.kind == KIND_NATIVE:
        lines.append(f"{inner}prelude offset {rc.prelude_offset}")
    elif rc.kind == KIND_ASM:
        lines.append(f"{inner}{rc.asm_n_pos_args} args, type signature 0x{rc.asm_type_sig:x}")
    elif rc.kind == KIND_BYTECODE:
        _describe_bytecode(mpy, rc, show_code, lines, inner, names)
    for child in rc.children:
        lines.extend(_describe_raw_code(mpy, child, index, depth + 1, show_code, names))
    return lines


def describe(mpy: MpyFile, show_code: bool = False, names: Names = NO_NAMES) -> str:
    """A readable multi-line dump of a parsed `.mpy` (`natmod_tool.mpy.reader.MpyFile`).

    `names` (see `tree_names`) spells static qstrs and opcodes by name.
    """
    if mpy.arch_number:
        arch = f"arch {mpy.arch_number} ({mpy.arch_name or 'unknown'}), sub-version {mpy.sub_version}"
    else:
        arch = "no native code"
    lines = [
        f"{mpy.label}: {mpy.size} bytes",
        f"  header: version {mpy.version}, feature byte 0x{mpy.feature_byte:02x} ({arch}), "
        f"small-int bits {mpy.small_int_bits}",
    ]
    if mpy.header.has_arch_flags:
        flags = [n for n, bit in ARCH_FLAG_BITS.items() if mpy.arch_flags & bit]
        lines.append(f"  arch flags: 0x{mpy.arch_flags:x} ({', '.join(flags) or 'none'})")
    lines.append(f"  qstrs ({len(mpy.qstrs)}):")
    for i, entry in enumerate(mpy.qstrs):
        text = names.static_label(entry.static_id) if entry.is_static else repr(entry.text)
        lines.append(f"    {i:3d}  {text}")
    lines.append(f"  objects ({len(mpy.objects)}):")
    for i, obj in enumerate(mpy.objects):
        lines.append(f"    {i:3d}  {obj.describe()}")
    lines.extend(_describe_raw_code(mpy, mpy.raw_code, [0], 0, show_code, names))
    if mpy.trailing:
        lines.append(f"  {len(mpy.trailing)} trailing bytes after the raw code")
    return "\n".join(lines)


def _obj_json(obj: ConstObject) -> Any:
    """A constant object as JSON."""
    if isinstance(obj.value, tuple):
        value: Any = [_obj_json(item) for item in obj.value]
    elif obj.value is None:
        value = None
    else:
        value = obj.value.decode("utf-8", errors="backslashreplace")
    return {"type": obj.type_name, "value": value}


def _raw_code_json(rc: RawCode) -> dict[str, Any]:
    """A raw code and its children as JSON; binary fields as hex."""
    out: dict[str, Any] = {
        "kind": rc.kind_name,
        "offset": rc.offset,
        "code_offset": rc.code_offset,
        "code_size": len(rc.code),
        "code": rc.code.hex(),
    }
    if rc.scope_flags is not None:
        out["scope_flags"] = rc.scope_flags
    if rc.kind == KIND_VIPER:
        out["rodata"] = rc.rodata.hex()
        out["bss_size"] = rc.bss_size
        out["relocations"] = [
            {
                "base": "rodata" if e.base else "text",
                "word": e.word,
                "count": e.count,
                "dest": e.dest,
                "dest_name": e.dest_name,
                "has_location": e.has_location,
            }
            for e in rc.relocs
        ]
    if rc.kind == KIND_NATIVE:
        out["prelude_offset"] = rc.prelude_offset
    if rc.kind == KIND_ASM:
        out["n_pos_args"] = rc.asm_n_pos_args
        out["type_sig"] = rc.asm_type_sig
    out["children"] = [_raw_code_json(child) for child in rc.children]
    return out


def to_json(mpy: MpyFile, problems: list[str]) -> dict[str, Any]:
    """Everything `describe` shows, plus the validation problems, as a JSON-able dict."""
    return {
        "file": mpy.label,
        "size": mpy.size,
        "version": mpy.version,
        "feature_byte": mpy.feature_byte,
        "arch_number": mpy.arch_number,
        "arch": mpy.arch_name,
        "sub_version": mpy.sub_version,
        "arch_flags": mpy.arch_flags if mpy.header.has_arch_flags else None,
        "small_int_bits": mpy.small_int_bits,
        "qstrs": [{"static_id": q.static_id} if q.is_static else {"inline": q.text} for q in mpy.qstrs],
        "objects": [_obj_json(obj) for obj in mpy.objects],
        "offsets": {
            "qstr_table": mpy.qstr_table_offset,
            "obj_table": mpy.obj_table_offset,
            "raw_code": mpy.raw_code_offset,
            "end": mpy.end_offset,
        },
        "raw_code": _raw_code_json(mpy.raw_code),
        "problems": problems,
    }


def run(args: argparse.Namespace) -> int:
    """Dump or validate each file; exit status 1 when `--validate` found problems."""
    if args.compat:
        return run_compat(args)
    status = 0
    documents = []
    names = NO_NAMES if args.json or args.validate else tree_names(args.mpy_dir)
    for name in args.files:
        with open(name, "rb") as handle:
            mpy = read_mpy(handle.read(), name)
        problems = validate(mpy, args.static_qstrs)
        if args.json:
            documents.append(to_json(mpy, problems))
        elif args.validate:
            for problem in problems:
                print(f"{name}: {problem}")
            if not problems:
                print(f"{name}: OK")
        else:
            print(describe(mpy, show_code=args.bytecode, names=names))
            verdict = "OK" if not problems else f"{len(problems)} problem(s)"
            print(f"  validation: {verdict}")
            for problem in problems:
                print(f"    {problem}")
        if problems and args.validate:
            status = 1
    if args.json:
        json.dump(documents[0] if len(documents) == 1 else documents, sys.stdout, indent=2)
        print()
    return status


def run_compat(args: argparse.Namespace) -> int:
    """`inspect --compat`: the loader's verdict per file (natmod_tool.mpy.compat)."""
    from ..mpy import compat

    documents = []
    for name in args.files:
        with open(name, "rb") as handle:
            data = handle.read()
        try:
            mpy = read_mpy(data, name)
        except MpyError:
            if len(data) > 1 and data[0] == MPY_MAGIC and data[1] != MPY_VERSION:
                mpy = None  # another .mpy version: the header alone decides
            else:
                raise
        try:
            verdict = compat.check(data, mpy)
        except ValueError as exc:
            raise MpyError(f"{name}: {exc}") from None
        if args.json:
            documents.append({"file": name, **verdict.as_dict()})
        else:
            print(compat.describe(name, verdict))
    if args.json:
        json.dump(documents[0] if len(documents) == 1 else documents, sys.stdout, indent=2)
        print()
    return 0
