// floats: floating-point arguments, arithmetic and results.
//
// mp_float_t is the firmware's float type: double on x86/x64 and armv7emdp,
// float on the other ARM targets.  Targets built with
// MICROPY_FLOAT_IMPL_NONE (xtensa, rv32imc, rv64imc by default) have no
// float objects at all; there the module only reports HAS_FLOAT = False.
// Float arithmetic on cores without an FPU (armv6m, armv7m) compiles to calls
// of libgcc helpers such as __aeabi_fmul, hence LINK_RUNTIME in SConscript.
#include "py/dynruntime.h"

#if MICROPY_FLOAT_IMPL != MICROPY_FLOAT_IMPL_NONE

// mean(seq) -> arithmetic mean of a list or tuple of numbers
static mp_obj_t mean(mp_obj_t seq_in) {
    size_t n;
    mp_obj_t *items;
    mp_obj_get_array(seq_in, &n, &items);
    if (n == 0) {
        mp_raise_ValueError(MP_ERROR_TEXT("mean() of an empty sequence"));
    }
    // Start from the first item rather than from 0.0: a 0.0 constant would be a
    // literal in the code, 8-byte aligned on armv7emdp (the linker warns).
    mp_float_t sum = mp_obj_get_float(items[0]);
    for (size_t i = 1; i < n; i++) {
        sum += mp_obj_get_float(items[i]);
    }
    return mp_obj_new_float(sum / (mp_float_t)n);
}
static MP_DEFINE_CONST_FUN_OBJ_1(mean_obj, mean);

// poly(x, coeffs) -> c0 + c1*x + c2*x**2 + ... (Horner's scheme)
static mp_obj_t poly(mp_obj_t x_in, mp_obj_t coeffs_in) {
    mp_float_t x = mp_obj_get_float(x_in);
    size_t n;
    mp_obj_t *coeffs;
    mp_obj_get_array(coeffs_in, &n, &coeffs);
    if (n == 0) {
        mp_raise_ValueError(MP_ERROR_TEXT("poly() needs at least one coefficient"));
    }
    mp_float_t acc = mp_obj_get_float(coeffs[--n]);
    while (n > 0) {
        acc = acc * x + mp_obj_get_float(coeffs[--n]);
    }
    return mp_obj_new_float(acc);
}
static MP_DEFINE_CONST_FUN_OBJ_2(poly_obj, poly);

// to_fixed(x, frac_bits) -> int(x * 2**frac_bits), rounded to nearest
static mp_obj_t to_fixed(mp_obj_t x_in, mp_obj_t bits_in) {
    mp_float_t x = mp_obj_get_float(x_in);
    mp_int_t bits = mp_obj_get_int(bits_in);
    if (bits < 0 || bits > 16) {
        mp_raise_ValueError(MP_ERROR_TEXT("frac_bits must be 0..16"));
    }
    mp_float_t scaled = x * (mp_float_t)(1 << bits);
    mp_int_t result = (mp_int_t)(scaled < 0 ? scaled - (mp_float_t)0.5 : scaled + (mp_float_t)0.5);
    return mp_obj_new_int(result);
}
static MP_DEFINE_CONST_FUN_OBJ_2(to_fixed_obj, to_fixed);

#endif // MICROPY_FLOAT_IMPL != MICROPY_FLOAT_IMPL_NONE

mp_obj_t mpy_init(mp_obj_fun_bc_t *self, size_t n_args, size_t n_kw, mp_obj_t *args) {
    MP_DYNRUNTIME_INIT_ENTRY

    #if MICROPY_FLOAT_IMPL != MICROPY_FLOAT_IMPL_NONE
    mp_store_global(MP_QSTR_HAS_FLOAT, mp_const_true);
    mp_store_global(MP_QSTR_FLOAT_BITS, mp_obj_new_int(8 * sizeof(mp_float_t)));
    mp_store_global(MP_QSTR_mean, MP_OBJ_FROM_PTR(&mean_obj));
    mp_store_global(MP_QSTR_poly, MP_OBJ_FROM_PTR(&poly_obj));
    mp_store_global(MP_QSTR_to_fixed, MP_OBJ_FROM_PTR(&to_fixed_obj));
    #else
    mp_store_global(MP_QSTR_HAS_FLOAT, mp_const_false);
    #endif

    MP_DYNRUNTIME_INIT_EXIT
}
