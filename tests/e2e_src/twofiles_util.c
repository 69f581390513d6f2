// Second object of the two-file module: plain C helpers, one calling the other.
#include "twofiles_util.h"

mp_int_t util_add(mp_int_t a, mp_int_t b) {
    return a + b;
}

mp_int_t util_triangle(mp_int_t n) {
    mp_int_t total = 0;
    for (mp_int_t i = 1; i <= n; ++i) {
        total = util_add(total, i);
    }
    return total;
}
