// C half of a module whose other half is mixed_part.py.
#include "py/dynruntime.h"

static mp_obj_t fast_sum(mp_obj_t n_in) {
    mp_int_t n = mp_obj_get_int(n_in), total = 0;
    for (mp_int_t i = 0; i < n; ++i) {
        total += i;
    }
    return mp_obj_new_int(total);
}
static MP_DEFINE_CONST_FUN_OBJ_1(fast_sum_obj, fast_sum);

mp_obj_t mpy_init(mp_obj_fun_bc_t *self, size_t n_args, size_t n_kw, mp_obj_t *args) {
    MP_DYNRUNTIME_INIT_ENTRY
    mp_store_global(MP_QSTR_fast_sum, MP_OBJ_FROM_PTR(&fast_sum_obj));
    MP_DYNRUNTIME_INIT_EXIT
}
