// Integer statistics: the C helpers and their Python wrappers.
#include "multifile.h"

mp_int_t mf_sum(size_t n, const mp_obj_t *items) {
    mp_int_t total = 0;
    for (size_t i = 0; i < n; i++) {
        total += mp_obj_get_int(items[i]);
    }
    return total;
}

mp_int_t mf_max(size_t n, const mp_obj_t *items) {
    mp_int_t best = mp_obj_get_int(items[0]);
    for (size_t i = 1; i < n; i++) {
        mp_int_t v = mp_obj_get_int(items[i]);
        if (v > best) {
            best = v;
        }
    }
    return best;
}

// total(seq) -> sum of the ints in a list or tuple
static mp_obj_t total(mp_obj_t seq_in) {
    size_t n;
    mp_obj_t *items;
    mp_obj_get_array(seq_in, &n, &items);
    return mp_obj_new_int(mf_sum(n, items));
}
MP_DEFINE_CONST_FUN_OBJ_1(mf_total_obj, total);

// largest(seq) -> the largest int of a non-empty list or tuple
static mp_obj_t largest(mp_obj_t seq_in) {
    size_t n;
    mp_obj_t *items;
    mp_obj_get_array(seq_in, &n, &items);
    if (n == 0) {
        mp_raise_ValueError(MP_ERROR_TEXT("largest() of an empty sequence"));
    }
    return mp_obj_new_int(mf_max(n, items));
}
MP_DEFINE_CONST_FUN_OBJ_1(mf_largest_obj, largest);
