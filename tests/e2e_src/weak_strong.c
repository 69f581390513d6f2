// The strong definition of value(), and a weak helper also defined (weakly) in weak_other.c.
#include "py/dynruntime.h"

mp_int_t value(void) {
    return 2;
}

__attribute__((weak)) mp_int_t helper(void) {
    return 3;
}

mp_int_t twice(void) {
    return 2 * helper();
}
