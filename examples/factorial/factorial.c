// factorial: the smallest useful native module.
//
// A native module is ordinary C compiled against MicroPython's dynamic runtime
// header.  Everything the module needs from the firmware (creating ints,
// raising errors, registering names) goes through the macros of
// py/dynruntime.h, which call into the firmware's function table.
#include "py/dynruntime.h"

// Plain C: no MicroPython types here.
static mp_int_t compute_factorial(mp_int_t n) {
    mp_int_t product = 1;
    while (n > 1) {
        product *= n;
        n -= 1;
    }
    return product;
}

// The Python-visible wrapper: convert the argument, compute, convert back.
static mp_obj_t factorial(mp_obj_t n_in) {
    mp_int_t n = mp_obj_get_int(n_in);
    if (n < 0) {
        mp_raise_ValueError(MP_ERROR_TEXT("factorial() of a negative number"));
    }
    return mp_obj_new_int(compute_factorial(n));
}
// A constant function object (it lives in read-only data).
static MP_DEFINE_CONST_FUN_OBJ_1(factorial_obj, factorial);

// The entry point: the loader calls mpy_init once, when the module is imported.
mp_obj_t mpy_init(mp_obj_fun_bc_t *self, size_t n_args, size_t n_kw, mp_obj_t *args) {
    // Switch to the module's globals dict (must come first).
    MP_DYNRUNTIME_INIT_ENTRY

    // factorial.factorial = <the function object>
    mp_store_global(MP_QSTR_factorial, MP_OBJ_FROM_PTR(&factorial_obj));

    // Restore the caller's globals and return None.
    MP_DYNRUNTIME_INIT_EXIT
}
