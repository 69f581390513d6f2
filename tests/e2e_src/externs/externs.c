// Symbols at fixed addresses, from the EXTERNS= file the test writes for each arch:
// `ext_marker` (an address only, read back as a number) and, on the qemu boards whose
// firmware sits at fixed addresses, a firmware function and a firmware object taken
// from the firmware's symbol table (the hosted runtimes are position independent).
// Fixed-address symbols are reached through the GOT: a call goes through a pointer.
#include "py/dynruntime.h"

extern const uint8_t ext_marker[];

static mp_obj_t marker(void) {
    return mp_obj_new_int_from_uint((uintptr_t)ext_marker);
}
static MP_DEFINE_CONST_FUN_OBJ_0(marker_obj, marker);

#if FIRMWARE_SYMBOLS
extern mp_int_t ext_floor_divide(mp_int_t num, mp_int_t denom);  // mp_small_int_floor_divide
extern const mp_obj_type_t ext_type_bytearray;                    // mp_type_bytearray

static mp_obj_t floor_div(mp_obj_t num, mp_obj_t denom) {
    mp_int_t (*volatile divide)(mp_int_t, mp_int_t) = &ext_floor_divide;
    return mp_obj_new_int(divide(mp_obj_get_int(num), mp_obj_get_int(denom)));
}
static MP_DEFINE_CONST_FUN_OBJ_2(floor_div_obj, floor_div);

static mp_obj_t bytearray_type(void) {
    return MP_OBJ_FROM_PTR(&ext_type_bytearray);
}
static MP_DEFINE_CONST_FUN_OBJ_0(bytearray_type_obj, bytearray_type);
#endif

mp_obj_t mpy_init(mp_obj_fun_bc_t *self, size_t n_args, size_t n_kw, mp_obj_t *args) {
    MP_DYNRUNTIME_INIT_ENTRY
    mp_store_global(MP_QSTR_marker, MP_OBJ_FROM_PTR(&marker_obj));
    mp_store_global(MP_QSTR_FIRMWARE, mp_obj_new_bool(FIRMWARE_SYMBOLS));
#if FIRMWARE_SYMBOLS
    mp_store_global(MP_QSTR_floor_div, MP_OBJ_FROM_PTR(&floor_div_obj));
    mp_store_global(MP_QSTR_bytearray_type, MP_OBJ_FROM_PTR(&bytearray_type_obj));
#endif
    MP_DYNRUNTIME_INIT_EXIT
}
