// Shared declarations of the two-file module.
#ifndef TWOFILES_UTIL_H
#define TWOFILES_UTIL_H
#include "py/dynruntime.h"
mp_int_t util_add(mp_int_t a, mp_int_t b);
mp_int_t util_triangle(mp_int_t n);
#endif
