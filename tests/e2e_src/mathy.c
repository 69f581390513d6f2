// sqrtf, sinf and pow from the toolchain's maths library (LINK_RUNTIME=1); integer
// results, so the module also runs where MicroPython has no floats (rv32imc, rv64imc).
#include "py/dynruntime.h"
#include <math.h>

static mp_obj_t calc(mp_obj_t x_in) {
    float f = (float)mp_obj_get_int(x_in);
    mp_obj_t items[3] = {
        mp_obj_new_int((mp_int_t)(sqrtf(f) * 1000.0f)),
        mp_obj_new_int((mp_int_t)(sinf(f / 10.0f) * 1000.0f)),
        mp_obj_new_int((mp_int_t)pow((double)f, 1.5)),
    };
    return mp_obj_new_tuple(3, items);
}
static MP_DEFINE_CONST_FUN_OBJ_1(calc_obj, calc);

mp_obj_t mpy_init(mp_obj_fun_bc_t *self, size_t n_args, size_t n_kw, mp_obj_t *args) {
    MP_DYNRUNTIME_INIT_ENTRY
    mp_store_global(MP_QSTR_calc, MP_OBJ_FROM_PTR(&calc_obj));
    MP_DYNRUNTIME_INIT_EXIT
}
