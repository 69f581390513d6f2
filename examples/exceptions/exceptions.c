// exceptions: raising exceptions from C and catching them in C.
//
// Raising: mp_raise_ValueError() & co. never return; they unwind the C stack
// back to the nearest handler (a Python `try` or an nlr_push() below).
// Catching: nlr_push() registers a handler and returns 0; if something raises
// before the matching nlr_pop(), execution comes back out of nlr_push() a second
// time, returning non-zero, with the exception object in nlr.ret_val.
#include "py/dynruntime.h"

// In a native module nlr_push/nlr_pop are reached through the firmware's
// function table.  (Ports whose NLR is setjmp-based need a different
// sequence; every architecture natmods support has a native NLR.)
#if MICROPY_NLR_SETJMP
#error "this example expects a native (non-setjmp) NLR implementation"
#endif
#define ex_nlr_push(buf) (mp_fun_table.nlr_push(buf))
#define ex_nlr_pop() (mp_fun_table.nlr_pop())

// A custom exception class, exceptions.RangeError(ValueError), created at
// import time.  It must be writable, so it is a BSS global (not static: the
// portable choice, see examples/data/data.c).
mp_obj_full_type_t exceptions_range_error_type;

// check_range(x, lo, hi) -> x, or raise RangeError
static mp_obj_t check_range(mp_obj_t x_in, mp_obj_t lo_in, mp_obj_t hi_in) {
    mp_int_t x = mp_obj_get_int(x_in);
    if (x < mp_obj_get_int(lo_in) || x > mp_obj_get_int(hi_in)) {
        mp_raise_msg((const mp_obj_type_t *)&exceptions_range_error_type,
            MP_ERROR_TEXT("value out of range"));
    }
    return x_in;
}
static MP_DEFINE_CONST_FUN_OBJ_3(check_range_obj, check_range);

// checked_div(a, b) -> a // b for positive ints; ValueError / ZeroDivisionError
static mp_obj_t checked_div(mp_obj_t a_in, mp_obj_t b_in) {
    mp_int_t a = mp_obj_get_int(a_in);
    mp_int_t b = mp_obj_get_int(b_in);
    if (a < 0 || b < 0) {
        mp_raise_ValueError(MP_ERROR_TEXT("negative operand"));
    }
    if (b == 0) {
        // Exception types without a dynruntime.h macro are looked up by name.
        mp_raise_msg((const mp_obj_type_t *)mp_load_global(MP_QSTR_ZeroDivisionError),
            MP_ERROR_TEXT("divide by zero"));
    }
    // Let the firmware divide: no runtime helper needed on any target.
    return mp_binary_op(MP_BINARY_OP_FLOOR_DIVIDE, a_in, b_in);
}
static MP_DEFINE_CONST_FUN_OBJ_2(checked_div_obj, checked_div);

// fail_errno(n): raise OSError(n)
static mp_obj_t fail_errno(mp_obj_t n_in) {
    mp_raise_OSError(mp_obj_get_int(n_in));
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_1(fail_errno_obj, fail_errno);

// try_call(f, *args) -> (True, f(*args)) or (False, exception)
// Calls a Python callable and catches anything it raises.
static mp_obj_t try_call(size_t n_args, const mp_obj_t *args) {
    mp_obj_t pair[2];
    nlr_buf_t nlr;
    if (ex_nlr_push(&nlr) == 0) {
        pair[1] = mp_call_function_n_kw(args[0], n_args - 1, 0, args + 1);
        ex_nlr_pop();
        pair[0] = mp_const_true;
    } else {
        // Raised: nlr.ret_val is the exception instance (the handler is
        // already unregistered, so no nlr_pop here).
        pair[0] = mp_const_false;
        pair[1] = MP_OBJ_FROM_PTR(nlr.ret_val);
    }
    return mp_obj_new_tuple(2, pair);
}
static MP_DEFINE_CONST_FUN_OBJ_VAR(try_call_obj, 1, try_call);

// first_ok(callables) -> index of the first callable that returns without
// raising, or -1.  One handler per attempt; all errors are swallowed.
static mp_obj_t first_ok(mp_obj_t seq_in) {
    size_t n;
    mp_obj_t *items;
    mp_obj_get_array(seq_in, &n, &items);
    for (size_t i = 0; i < n; i++) {
        nlr_buf_t nlr;
        if (ex_nlr_push(&nlr) == 0) {
            mp_call_function_n_kw(items[i], 0, 0, NULL);
            ex_nlr_pop();
            return mp_obj_new_int(i);
        }
    }
    return mp_obj_new_int(-1);
}
static MP_DEFINE_CONST_FUN_OBJ_1(first_ok_obj, first_ok);

mp_obj_t mpy_init(mp_obj_fun_bc_t *self, size_t n_args, size_t n_kw, mp_obj_t *args) {
    MP_DYNRUNTIME_INIT_ENTRY

    mp_obj_exception_init(&exceptions_range_error_type, MP_QSTR_RangeError, &mp_type_ValueError);
    mp_store_global(MP_QSTR_RangeError, MP_OBJ_FROM_PTR(&exceptions_range_error_type));

    mp_store_global(MP_QSTR_check_range, MP_OBJ_FROM_PTR(&check_range_obj));
    mp_store_global(MP_QSTR_checked_div, MP_OBJ_FROM_PTR(&checked_div_obj));
    mp_store_global(MP_QSTR_fail_errno, MP_OBJ_FROM_PTR(&fail_errno_obj));
    mp_store_global(MP_QSTR_try_call, MP_OBJ_FROM_PTR(&try_call_obj));
    mp_store_global(MP_QSTR_first_ok, MP_OBJ_FROM_PTR(&first_ok_obj));

    MP_DYNRUNTIME_INIT_EXIT
}
