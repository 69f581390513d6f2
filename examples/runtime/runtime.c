// runtime: code that needs the compiler's runtime library (libgcc).
//
// Some C operations have no instruction on smaller cores, so the compiler
// emits calls to helper functions instead: 64-bit division and multiplication
// on 32-bit targets (__moddi3, __aeabi_ldivmod, __aeabi_lmul), 32-bit division
// on armv6m and xtensa (__aeabi_idivmod, __modsi3).  A native module cannot
// use the firmware's copies of these, so with LINK_RUNTIME=1 the build hands
// libgcc.a (and the C maths library) to the linker, which copies in just the
// helpers the module calls.  On x64 and rv64imc nothing is needed.
//
// Only helpers that are self-contained can be linked: a libgcc member that is
// not position-independent (e.g. __popcountdi2 on rv64imc, which loads its
// constants by absolute address) is rejected by the linker.
#include "py/dynruntime.h"

// A trap when widening: in a native module mp_obj_get_int() is a call through the
// firmware's function table that returns mp_uint_t (unsigned, 32 bits on 32-bit
// cores).  Assigned straight to an int64_t, -5 becomes 4294967291 there (zero
// extension); on 64-bit cores nothing goes wrong, so the bug hides on a PC.  Going
// through mp_int_t first makes the value signed at its own width, then the
// widening keeps the sign.  (Assigning to mp_int_t or a narrower int is fine.)
static inline mp_int_t get_int_signed(mp_obj_t obj) {
    return (mp_int_t)mp_obj_get_int(obj);
}

// The accumulator type of fib_mod and mulmod: 64 bits, so on 32-bit cores the `%`
// below becomes a libgcc call (__moddi3, __aeabi_ldivmod).  On xtensa, __moddi3
// comes from libgcc and calls 32-bit helpers that, like the 64-bit multiply
// (__muldi3), the ESP8266 boot ROM provides (natmod_tool/data/esp8266_rom.ld).
typedef int64_t acc_t;

// fib_mod(n, m) -> the n-th Fibonacci number modulo m (sign of the result as in C)
static mp_obj_t fib_mod(mp_obj_t n_in, mp_obj_t m_in) {
    mp_int_t n = mp_obj_get_int(n_in);
    acc_t m = get_int_signed(m_in);
    if (n < 0 || m == 0) {
        mp_raise_ValueError(MP_ERROR_TEXT("need n >= 0 and m != 0"));
    }
    acc_t a = 0, b = 1 % m;
    for (mp_int_t i = 0; i < n; i++) {
        acc_t next = (a + b) % m;
        a = b;
        b = next;
    }
    return mp_obj_new_int((mp_int_t)a);
}
static MP_DEFINE_CONST_FUN_OBJ_2(fib_mod_obj, fib_mod);

// gcd(a, b) -> greatest common divisor (signed 32-bit modulo in a loop)
static mp_obj_t gcd(mp_obj_t a_in, mp_obj_t b_in) {
    int32_t a = (int32_t)mp_obj_get_int(a_in);
    int32_t b = (int32_t)mp_obj_get_int(b_in);
    while (b != 0) {
        int32_t r = a % b;
        a = b;
        b = r;
    }
    return mp_obj_new_int(a < 0 ? -a : a);
}
static MP_DEFINE_CONST_FUN_OBJ_2(gcd_obj, gcd);

// mulmod(a, b, m) -> (a * b) % m with a 64-bit product (C sign rules)
static mp_obj_t mulmod(mp_obj_t a_in, mp_obj_t b_in, mp_obj_t m_in) {
    acc_t a = get_int_signed(a_in);
    acc_t b = get_int_signed(b_in);
    acc_t m = get_int_signed(m_in);
    if (m == 0) {
        mp_raise_ValueError(MP_ERROR_TEXT("need m != 0"));
    }
    return mp_obj_new_int((mp_int_t)((a * b) % m));
}
static MP_DEFINE_CONST_FUN_OBJ_3(mulmod_obj, mulmod);

mp_obj_t mpy_init(mp_obj_fun_bc_t *self, size_t n_args, size_t n_kw, mp_obj_t *args) {
    MP_DYNRUNTIME_INIT_ENTRY

    mp_store_global(MP_QSTR_fib_mod, MP_OBJ_FROM_PTR(&fib_mod_obj));
    mp_store_global(MP_QSTR_gcd, MP_OBJ_FROM_PTR(&gcd_obj));
    mp_store_global(MP_QSTR_mulmod, MP_OBJ_FROM_PTR(&mulmod_obj));

    MP_DYNRUNTIME_INIT_EXIT
}
