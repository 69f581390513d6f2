// natmod-tool test runtime: semihosting trap on Cortex-M (Thumb `bkpt 0xab`, operation
// in r0, argument in r1, result in r0).
#include "semihost.h"

uintptr_t semihost_call(uintptr_t op, uintptr_t arg) {
    register uintptr_t r0 __asm__("r0") = op;
    register uintptr_t r1 __asm__("r1") = arg;
    __asm__ volatile ("bkpt 0xab" : "+r" (r0) : "r" (r1) : "memory");
    return r0;
}

// AArch32 SYS_EXIT takes the reason itself in r1 (no room for a status code).
void semihost_exit(int status) {
    for (;;) {
        semihost_call(SEMIHOST_EXIT, status == 0 ? SEMIHOST_ADP_APPLICATION_EXIT : SEMIHOST_ADP_RUNTIME_ERROR);
    }
}
