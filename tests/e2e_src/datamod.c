// Read-only tables and strings (rodata) next to writable zeroed globals (BSS).
#include "py/dynruntime.h"

const uint16_t squares[8] = {0, 1, 4, 9, 16, 25, 36, 49};
const char *const words[3] = {"alpha", "beta", "gamma"};
uint8_t scratch[64];
mp_int_t calls;

static mp_obj_t square(mp_obj_t i) {
    ++calls;
    return mp_obj_new_int(squares[mp_obj_get_int(i) & 7]);
}
static MP_DEFINE_CONST_FUN_OBJ_1(square_obj, square);

static mp_obj_t word(mp_obj_t i) {
    ++calls;
    const char *w = words[mp_obj_get_int(i) % 3];
    size_t n = 0;
    while (w[n]) {
        scratch[n] = w[n] - 32;  // upper-case copy in the BSS buffer
        ++n;
    }
    return mp_obj_new_str((const char *)scratch, n);
}
static MP_DEFINE_CONST_FUN_OBJ_1(word_obj, word);

static mp_obj_t count(void) {
    return mp_obj_new_int(calls);
}
static MP_DEFINE_CONST_FUN_OBJ_0(count_obj, count);

mp_obj_t mpy_init(mp_obj_fun_bc_t *self, size_t n_args, size_t n_kw, mp_obj_t *args) {
    MP_DYNRUNTIME_INIT_ENTRY
    mp_store_global(MP_QSTR_square, MP_OBJ_FROM_PTR(&square_obj));
    mp_store_global(MP_QSTR_word, MP_OBJ_FROM_PTR(&word_obj));
    mp_store_global(MP_QSTR_count, MP_OBJ_FROM_PTR(&count_obj));
    MP_DYNRUNTIME_INIT_EXIT
}
