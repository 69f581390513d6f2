// A second weak helper(): with two weak definitions the first loaded one is used.
#include "py/dynruntime.h"

__attribute__((weak)) mp_int_t helper(void) {
    return 4;
}
