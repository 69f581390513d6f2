// extlib: a native module that wraps an external C library.
//
// The library in lib/ knows nothing about MicroPython; SConscript builds it
// into a static archive with the module's compiler and flags, and the linker
// pulls the archive members this file needs (crc32.o, fnv1a.o) into the .mpy.
#include "py/dynruntime.h"

#include "lib/checksums.h"

// crc32(data, crc=0) -> CRC-32 of a bytes-like object
static mp_obj_t crc32(size_t n_args, const mp_obj_t *args) {
    mp_buffer_info_t info;
    mp_get_buffer_raise(args[0], &info, MP_BUFFER_READ);
    uint32_t crc = n_args > 1 ? (uint32_t)mp_obj_get_int_truncated(args[1]) : 0;
    return mp_obj_new_int_from_uint(checksums_crc32(crc, info.buf, info.len));
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(crc32_obj, 1, 2, crc32);

// fnv1a(data) -> 32-bit FNV-1a hash of a bytes-like object
static mp_obj_t fnv1a(mp_obj_t data_in) {
    mp_buffer_info_t info;
    mp_get_buffer_raise(data_in, &info, MP_BUFFER_READ);
    return mp_obj_new_int_from_uint(checksums_fnv1a(CHECKSUMS_FNV1A_INIT, info.buf, info.len));
}
static MP_DEFINE_CONST_FUN_OBJ_1(fnv1a_obj, fnv1a);

mp_obj_t mpy_init(mp_obj_fun_bc_t *self, size_t n_args, size_t n_kw, mp_obj_t *args) {
    MP_DYNRUNTIME_INIT_ENTRY

    mp_store_global(MP_QSTR_crc32, MP_OBJ_FROM_PTR(&crc32_obj));
    mp_store_global(MP_QSTR_fnv1a, MP_OBJ_FROM_PTR(&fnv1a_obj));

    MP_DYNRUNTIME_INIT_EXIT
}
