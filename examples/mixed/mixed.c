// mixed: the C half of a module that also contains Python code (helpers.py).
//
// The C part defines the fast primitives with a leading underscore; the
// Python part, merged into the same .mpy, builds a friendlier API on top of
// them.  At import time the C entry point runs first, then the Python code,
// both in the same module globals, so helpers.py can use these names directly.
#include "py/dynruntime.h"

// _fletcher16(buf) -> Fletcher-16 checksum of any object with the buffer protocol
static mp_obj_t fletcher16(mp_obj_t buf_in) {
    mp_buffer_info_t info;
    mp_get_buffer_raise(buf_in, &info, MP_BUFFER_READ);
    const uint8_t *p = info.buf;
    uint32_t a = 0, b = 0;
    for (size_t i = 0; i < info.len; i++) {
        // Sums modulo 255 without a division: some targets (armv6m, xtensa)
        // have no divide instruction and would need LINK_RUNTIME for `%`.
        a += p[i];
        if (a >= 255) {
            a -= 255;
        }
        b += a;
        if (b >= 255) {
            b -= 255;
        }
    }
    return mp_obj_new_int((b << 8) | a);
}
static MP_DEFINE_CONST_FUN_OBJ_1(fletcher16_obj, fletcher16);

// _clamp(x, lo, hi) -> x limited to the range [lo, hi]
static mp_obj_t clamp(mp_obj_t x_in, mp_obj_t lo_in, mp_obj_t hi_in) {
    mp_int_t x = mp_obj_get_int(x_in);
    mp_int_t lo = mp_obj_get_int(lo_in);
    mp_int_t hi = mp_obj_get_int(hi_in);
    return mp_obj_new_int(x < lo ? lo : (x > hi ? hi : x));
}
static MP_DEFINE_CONST_FUN_OBJ_3(clamp_obj, clamp);

mp_obj_t mpy_init(mp_obj_fun_bc_t *self, size_t n_args, size_t n_kw, mp_obj_t *args) {
    MP_DYNRUNTIME_INIT_ENTRY

    mp_store_global(MP_QSTR__fletcher16, MP_OBJ_FROM_PTR(&fletcher16_obj));
    mp_store_global(MP_QSTR__clamp, MP_OBJ_FROM_PTR(&clamp_obj));

    MP_DYNRUNTIME_INIT_EXIT
}
