// natmod-tool test runtime: semihosting trap on RISC-V.  The `ebreak` must sit between
// `slli x0, x0, 0x1f` and `srai x0, x0, 7`, all three uncompressed and in one page (the
// debugger reads the neighbours to tell a semihosting call from a breakpoint), so the
// sequence lives in its own aligned function.  Operation in a0, argument in a1, result
// in a0.
#include "semihost.h"

__attribute__((naked, noinline, aligned(16))) uintptr_t semihost_call(uintptr_t op, uintptr_t arg) {
    __asm__ volatile (
        ".option push\n"
        ".option norvc\n"
        "slli x0, x0, 0x1f\n"
        "ebreak\n"
        "srai x0, x0, 7\n"
        ".option pop\n"
        "ret\n"
        );
}

void semihost_exit(int status) {
    #if __riscv_xlen == 32
    // RV32 is like AArch32: the reason in a1, no status code.
    uintptr_t arg = status == 0 ? SEMIHOST_ADP_APPLICATION_EXIT : SEMIHOST_ADP_RUNTIME_ERROR;
    #else
    // RV64 is like AArch64: a block {reason, status}.
    static uintptr_t block[2];
    block[0] = SEMIHOST_ADP_APPLICATION_EXIT;
    block[1] = (uintptr_t)status;
    uintptr_t arg = (uintptr_t)block;
    #endif
    for (;;) {
        semihost_call(SEMIHOST_EXIT, arg);
    }
}
