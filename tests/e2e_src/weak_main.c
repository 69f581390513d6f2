// Calls value(), defined weakly here and strongly in weak_strong.c: the strong one wins.
#include "py/dynruntime.h"

__attribute__((weak)) mp_int_t value(void) {
    return 1;
}
mp_int_t twice(void);

static mp_obj_t get(void) {
    return mp_obj_new_int(value() * 100 + twice());
}
static MP_DEFINE_CONST_FUN_OBJ_0(get_obj, get);

mp_obj_t mpy_init(mp_obj_fun_bc_t *self, size_t n_args, size_t n_kw, mp_obj_t *args) {
    MP_DYNRUNTIME_INIT_ENTRY
    mp_store_global(MP_QSTR_get, MP_OBJ_FROM_PTR(&get_obj));
    MP_DYNRUNTIME_INIT_EXIT
}
