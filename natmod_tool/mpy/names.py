"""Human names for `.mpy` numbers: relocation destinations and `mp_fun_table` slots.

Used by `inspect` so that a relocation reads `slot 50 (memset)` rather than `dest 59`.
The slot list is the firmware interface of format.md 8.1 (87 entries); it is data about the
format, not something the linker or the merge step needs.
"""

from __future__ import annotations

from .format import DEST_NAMES, DEST_SLOT0, KIND_NAMES, SCOPE_FLAG_NAMES

__all__ = ["FUN_TABLE_SLOTS", "dest_name", "kind_name", "scope_flag_names"]

#: `mp_fun_table` entries in slot order (format.md 8.1); a trailing `_` of the firmware names
#: (memset_, setjmp_, ...) is left out, object slots carry their C symbol name
FUN_TABLE_SLOTS: tuple[str, ...] = (
    # 0..49: native-emitter entries
    "const_none",
    "const_false",
    "const_true",
    "native_from_obj",
    "native_to_obj",
    "swap_globals",
    "load_name",
    "load_global",
    "load_build_class",
    "load_attr",
    "load_method",
    "load_super_method",
    "store_name",
    "store_global",
    "store_attr",
    "obj_subscr",
    "obj_is_true",
    "unary_op",
    "binary_op",
    "new_tuple",
    "new_list",
    "new_dict",
    "new_set",
    "set_store",
    "list_append",
    "dict_store",
    "make_function_from_proto_fun",
    "call_function_n_kw",
    "call_method_n_kw",
    "call_method_n_kw_var",
    "getiter",
    "iternext",
    "nlr_push",
    "nlr_pop",
    "raise",
    "import_name",
    "import_from",
    "import_all",
    "new_slice",
    "unpack_sequence",
    "unpack_ex",
    "delete_name",
    "delete_global",
    "new_closure",
    "arg_check_num_sig",
    "setup_code_state_native",
    "small_int_floor_divide",
    "small_int_modulo",
    "yield_from",
    "setjmp",
    # 50..86: added for dynamic native modules
    "memset",
    "memmove",
    "realloc",
    "printf",
    "vprintf",
    "raise_msg",
    "obj_get_type",
    "obj_new_str",
    "obj_new_bytes",
    "obj_new_bytearray_by_ref",
    "obj_new_float_from_f",
    "obj_new_float_from_d",
    "obj_get_float_to_f",
    "obj_get_float_to_d",
    "load_method_maybe",
    "get_buffer",
    "get_stream_raise",
    "arg_parse_all",
    "arg_parse_all_kw_array",
    "binary_get_size",
    "binary_get_val_array",
    "binary_set_val_array",
    "plat_print",
    "mp_type_type",
    "mp_type_str",
    "mp_type_list",
    "mp_type_dict",
    "mp_type_fun_builtin_0",
    "mp_type_fun_builtin_1",
    "mp_type_fun_builtin_2",
    "mp_type_fun_builtin_3",
    "mp_type_fun_builtin_var",
    "mp_type_Exception",
    "mp_stream_read_obj",
    "mp_stream_readinto_obj",
    "mp_stream_unbuffered_readline_obj",
    "mp_stream_write_obj",
)


def dest_name(dest: int) -> str:
    """`text`, `qstr table`, `slot 50 (memset)`, ... for a relocation destination code."""
    if dest in DEST_NAMES:
        return DEST_NAMES[dest]
    if dest >= DEST_SLOT0:
        slot = dest - DEST_SLOT0
        if slot < len(FUN_TABLE_SLOTS):
            return f"slot {slot} ({FUN_TABLE_SLOTS[slot]})"
        return f"slot {slot} (beyond the {len(FUN_TABLE_SLOTS)}-entry table)"
    return f"invalid destination {dest}"


def kind_name(kind: int) -> str:
    """Name of a raw-code kind field (low two bits of the kind/length varuint)."""
    return KIND_NAMES.get(kind, f"kind {kind}")


def scope_flag_names(flags: int) -> list[str]:
    """Names of the set scope-flag bits; unknown bits as hex."""
    names = []
    for bit in range(flags.bit_length()):
        mask = 1 << bit
        if flags & mask:
            names.append(SCOPE_FLAG_NAMES.get(mask, f"0x{mask:x}"))
    return names
