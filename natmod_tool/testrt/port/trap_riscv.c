// natmod-tool test runtime: what a RISC-V trap means, in one line, then end the run.
#include <string.h>

#include "natmod_rt.h"

static const char *cause_name(uintptr_t cause) {
    switch (cause) {
        case 0:
            return "instruction address misaligned";
        case 1:
            return "instruction access fault";
        case 2:
            return "illegal instruction";
        case 3:
            return "breakpoint";
        case 4:
            return "load address misaligned";
        case 5:
            return "load access fault";
        case 6:
            return "store address misaligned";
        case 7:
            return "store access fault";
        default:
            return "unexpected trap";
    }
}

__attribute__((noreturn)) void natmod_rt_trap(uintptr_t mcause, uintptr_t mepc, uintptr_t mtval) {
    char msg[160];
    char *p = stpcpy(msg, "trap: ");
    p = stpcpy(p, cause_name(mcause));
    p = stpcpy(p, " (bad instruction or address, e.g. in a native module) at pc=");
    p = natmod_rt_append_hex(p, mepc);
    p = stpcpy(p, " mtval=");
    p = natmod_rt_append_hex(p, mtval);
    p = stpcpy(p, " mcause=");
    natmod_rt_append_hex(p, mcause);
    natmod_rt_fatal(msg);
}
