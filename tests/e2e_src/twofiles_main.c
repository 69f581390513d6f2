// Entry file of a two-file module: the functions live in twofiles_util.c.
#include "py/dynruntime.h"
#include "twofiles_util.h"

static mp_obj_t add(mp_obj_t a, mp_obj_t b) {
    return mp_obj_new_int(util_add(mp_obj_get_int(a), mp_obj_get_int(b)));
}
static MP_DEFINE_CONST_FUN_OBJ_2(add_obj, add);

static mp_obj_t triangle(mp_obj_t n) {
    return mp_obj_new_int(util_triangle(mp_obj_get_int(n)));
}
static MP_DEFINE_CONST_FUN_OBJ_1(triangle_obj, triangle);

mp_obj_t mpy_init(mp_obj_fun_bc_t *self, size_t n_args, size_t n_kw, mp_obj_t *args) {
    MP_DYNRUNTIME_INIT_ENTRY
    mp_store_global(MP_QSTR_add, MP_OBJ_FROM_PTR(&add_obj));
    mp_store_global(MP_QSTR_triangle, MP_OBJ_FROM_PTR(&triangle_obj));
    MP_DYNRUNTIME_INIT_EXIT
}
