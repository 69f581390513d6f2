// ported: a module laid out the way natmod Makefile projects are (see
// docs/porting.md, which shows the Makefile this SConscript replaces).
//
// The C library lives in lib/ with its header in lib/include/; this file is
// the MicroPython binding, ported_check.py the Python part.
#include "py/dynruntime.h"
#include "adler32.h"

// adler32(data[, start]) -> the Adler-32 checksum of a bytes-like object,
// continuing from `start` (default 1, the checksum of nothing)
static mp_obj_t adler32(size_t n_args, const mp_obj_t *args) {
    mp_buffer_info_t buf;
    mp_get_buffer_raise(args[0], &buf, MP_BUFFER_READ);
    uint32_t start = n_args > 1 ? (uint32_t)mp_obj_get_int_truncated(args[1]) : 1;
    return mp_obj_new_int_from_uint(adler32_update(start, buf.buf, buf.len));
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(adler32_obj, 1, 2, adler32);

mp_obj_t mpy_init(mp_obj_fun_bc_t *self, size_t n_args, size_t n_kw, mp_obj_t *args) {
    MP_DYNRUNTIME_INIT_ENTRY
    mp_store_global(MP_QSTR_adler32, MP_OBJ_FROM_PTR(&adler32_obj));
    mp_store_global(MP_QSTR_BASE, mp_obj_new_int(ADLER_BASE));
    mp_store_global(MP_QSTR_VERSION, mp_obj_new_int(ADLER_VERSION));
    MP_DYNRUNTIME_INIT_EXIT
}
