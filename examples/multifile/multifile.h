// Declarations shared by the C files of the multifile example.
//
// Functions and objects used across files must have external linkage (no
// `static`); the linker resolves the references between the object files.
#ifndef MULTIFILE_H
#define MULTIFILE_H

#include "py/dynruntime.h"

// stats.c: integer statistics over a list or tuple of ints.
mp_int_t mf_sum(size_t n, const mp_obj_t *items);
mp_int_t mf_max(size_t n, const mp_obj_t *items);

// text.c: small string helpers working on (pointer, length) pairs.
size_t mf_count_char(const char *s, size_t len, char c);
size_t mf_count_words(const char *s, size_t len);

// Function objects defined in stats.c and text.c, registered by multifile.c.
MP_DECLARE_CONST_FUN_OBJ_1(mf_total_obj);
MP_DECLARE_CONST_FUN_OBJ_1(mf_largest_obj);
MP_DECLARE_CONST_FUN_OBJ_1(mf_words_obj);
MP_DECLARE_CONST_FUN_OBJ_2(mf_count_obj);

#endif // MULTIFILE_H
