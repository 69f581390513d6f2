// Module code (built with -fpic as usual) over the non-PIC library lib/ledger.c.
#include "py/dynruntime.h"
#include "lib/ledger.h"

static mp_obj_t step(mp_obj_t i) {
    return mp_obj_new_int(ledger_step(mp_obj_get_int(i)));
}
static MP_DEFINE_CONST_FUN_OBJ_1(step_obj, step);

static mp_obj_t calls(void) {
    return mp_obj_new_int(ledger_calls());
}
static MP_DEFINE_CONST_FUN_OBJ_0(calls_obj, calls);

static mp_obj_t total(mp_obj_t i) {
    return mp_obj_new_int(ledger_total(mp_obj_get_int(i)));
}
static MP_DEFINE_CONST_FUN_OBJ_1(total_obj, total);

static mp_obj_t set_scale(mp_obj_t s) {
    ledger_scale = mp_obj_get_int(s);
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_1(set_scale_obj, set_scale);

static mp_obj_t name(mp_obj_t i) {
    static const uint8_t lengths[3] = {4, 3, 3};  // a strlen() loop would become a libc call
    mp_int_t n = mp_obj_get_int(i) % 3;
    return mp_obj_new_str(ledger_names[n], lengths[n]);
}
static MP_DEFINE_CONST_FUN_OBJ_1(name_obj, name);

static mp_obj_t apply(mp_obj_t op, mp_obj_t x) {
    return mp_obj_new_int(ledger_ops[mp_obj_get_int(op) & 1](mp_obj_get_int(x)));
}
static MP_DEFINE_CONST_FUN_OBJ_2(apply_obj, apply);

mp_obj_t mpy_init(mp_obj_fun_bc_t *self, size_t n_args, size_t n_kw, mp_obj_t *args) {
    MP_DYNRUNTIME_INIT_ENTRY
    mp_store_global(MP_QSTR_step, MP_OBJ_FROM_PTR(&step_obj));
    mp_store_global(MP_QSTR_calls, MP_OBJ_FROM_PTR(&calls_obj));
    mp_store_global(MP_QSTR_total, MP_OBJ_FROM_PTR(&total_obj));
    mp_store_global(MP_QSTR_set_scale, MP_OBJ_FROM_PTR(&set_scale_obj));
    mp_store_global(MP_QSTR_name, MP_OBJ_FROM_PTR(&name_obj));
    mp_store_global(MP_QSTR_apply, MP_OBJ_FROM_PTR(&apply_obj));
    MP_DYNRUNTIME_INIT_EXIT
}
