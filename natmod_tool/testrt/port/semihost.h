// natmod-tool test runtime: the semihosting calls (ARM "Semihosting for AArch32 and
// AArch64", also used by RISC-V).  One trap per call: semihost_call(op, arg) where
// arg is a register value or the address of a parameter block of words.
#ifndef NATMOD_RT_SEMIHOST_H
#define NATMOD_RT_SEMIHOST_H

#include <stdint.h>

enum {
    SEMIHOST_OPEN = 0x01,
    SEMIHOST_CLOSE = 0x02,
    SEMIHOST_WRITEC = 0x03,
    SEMIHOST_WRITE = 0x05,
    SEMIHOST_READ = 0x06,
    SEMIHOST_FLEN = 0x0c,
    SEMIHOST_GET_CMDLINE = 0x15,
    SEMIHOST_EXIT = 0x18,
};

// SYS_EXIT reasons: "application exit" ends qemu with status 0 (or, where the call
// takes a block, the given code); "run time error" ends it with status 1.
#define SEMIHOST_ADP_APPLICATION_EXIT 0x20026u
#define SEMIHOST_ADP_RUNTIME_ERROR 0x20023u

// Implemented per CPU (semihost_arm.c, semihost_riscv.c).
uintptr_t semihost_call(uintptr_t op, uintptr_t arg);
__attribute__((noreturn)) void semihost_exit(int status);

#endif
