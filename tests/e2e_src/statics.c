// Module state in file-local (static) variables and initialised writable data.
#include "py/dynruntime.h"

static mp_int_t counter;           // static BSS: reached PC-relatively
static char buffer[16];            // static BSS array
static mp_int_t table[4] = {10, 20, 30, 40};  // static initialised data
const char *label = "static";      // global initialised pointer (.data.rel.local)

static mp_obj_t bump(void) {
    return mp_obj_new_int(++counter);
}
static MP_DEFINE_CONST_FUN_OBJ_0(bump_obj, bump);

static mp_obj_t table_get(mp_obj_t i) {
    return mp_obj_new_int(table[mp_obj_get_int(i) & 3]);
}
static MP_DEFINE_CONST_FUN_OBJ_1(table_obj, table_get);

static mp_obj_t poke(mp_obj_t i, mp_obj_t v) {
    table[mp_obj_get_int(i) & 3] = mp_obj_get_int(v);
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_2(poke_obj, poke);

static mp_obj_t name(void) {
    return mp_obj_new_str(label, 6);
}
static MP_DEFINE_CONST_FUN_OBJ_0(name_obj, name);

static mp_obj_t fill(mp_obj_t n_in) {
    mp_int_t n = mp_obj_get_int(n_in) & 15;
    for (mp_int_t i = 0; i < n; ++i) {
        buffer[i] = 'a';
    }
    return mp_obj_new_str(buffer, n);
}
static MP_DEFINE_CONST_FUN_OBJ_1(fill_obj, fill);

mp_obj_t mpy_init(mp_obj_fun_bc_t *self, size_t n_args, size_t n_kw, mp_obj_t *args) {
    MP_DYNRUNTIME_INIT_ENTRY
    mp_store_global(MP_QSTR_bump, MP_OBJ_FROM_PTR(&bump_obj));
    mp_store_global(MP_QSTR_table, MP_OBJ_FROM_PTR(&table_obj));
    mp_store_global(MP_QSTR_poke, MP_OBJ_FROM_PTR(&poke_obj));
    mp_store_global(MP_QSTR_name, MP_OBJ_FROM_PTR(&name_obj));
    mp_store_global(MP_QSTR_fill, MP_OBJ_FROM_PTR(&fill_obj));
    MP_DYNRUNTIME_INIT_EXIT
}
