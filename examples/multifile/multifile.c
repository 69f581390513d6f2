// multifile: one module built from several C files that share a header.
//
// This file only holds the entry point; the functions live in stats.c and
// text.c and are reached through the declarations in multifile.h.
#include "multifile.h"

mp_obj_t mpy_init(mp_obj_fun_bc_t *self, size_t n_args, size_t n_kw, mp_obj_t *args) {
    MP_DYNRUNTIME_INIT_ENTRY

    mp_store_global(MP_QSTR_total, MP_OBJ_FROM_PTR(&mf_total_obj));
    mp_store_global(MP_QSTR_largest, MP_OBJ_FROM_PTR(&mf_largest_obj));
    mp_store_global(MP_QSTR_words, MP_OBJ_FROM_PTR(&mf_words_obj));
    mp_store_global(MP_QSTR_count, MP_OBJ_FROM_PTR(&mf_count_obj));

    MP_DYNRUNTIME_INIT_EXIT
}
