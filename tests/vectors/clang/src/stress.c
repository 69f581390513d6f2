// stress: the code shapes where clang's output differs most from gcc's, in one module.
// * a struct copy and a zeroed struct: clang calls __aeabi_memcpy / __aeabi_memclr4 on
//   ARM (gcc calls memcpy/memset), so these need natmod_scons' AEABI helper archive;
// * a const table of function pointers (data words against .text);
// * a switch dense enough for a jump or lookup table;
// * a global and a static (file-local) zero-initialised variable (BSS through the GOT,
//   and PC-relative / GOT-relative BSS).
#include "py/dynruntime.h"

typedef struct {
    int a[12];
    const char *s;
} big_t;

static const big_t stress_tmpl = {{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, "tmpl"};
big_t stress_store;
int stress_counter;
static int stress_static_counter;

static int stress_sq(int x) {
    return x * x;
}

static int stress_cube(int x) {
    return x * x * x;
}

static int (*const stress_ops[])(int) = {stress_sq, stress_cube};

static int stress_switch(int k) {
    switch (k) {
        case 0: return 11;
        case 1: return 23;
        case 2: return 37;
        case 3: return 41;
        case 4: return 53;
        case 5: return 67;
        case 6: return 71;
        case 7: return 89;
        default: return -1;
    }
}

// run(k): copy the template, bump one entry by k*k (even k) or k*k*k (odd k), store it,
// count the call; returns sum + switch(k) + calls * 1000 + 2 * calls * 100000
static mp_obj_t stress_run(mp_obj_t k_in) {
    int k = mp_obj_get_int(k_in);
    big_t local = stress_tmpl;
    big_t zero = {{0}};
    local.a[k & 7] += stress_ops[k & 1](k);
    stress_store = local;
    stress_counter += zero.a[k & 3] + 1;
    stress_static_counter += 2;
    int sum = 0;
    for (int i = 0; i < 12; i++) {
        sum += stress_store.a[i];
    }
    return mp_obj_new_int(sum + stress_switch(k) + stress_counter * 1000 + stress_static_counter * 100000);
}
static MP_DEFINE_CONST_FUN_OBJ_1(stress_run_obj, stress_run);

mp_obj_t mpy_init(mp_obj_fun_bc_t *self, size_t n_args, size_t n_kw, mp_obj_t *args) {
    MP_DYNRUNTIME_INIT_ENTRY
    mp_store_global(MP_QSTR_run, MP_OBJ_FROM_PTR(&stress_run_obj));
    MP_DYNRUNTIME_INIT_EXIT
}
