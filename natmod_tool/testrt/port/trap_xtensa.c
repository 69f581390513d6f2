// natmod-tool test runtime: what an lx106 exception means, in one line, then end the run.
#include <string.h>

#include "natmod_rt.h"

// EXCCAUSE values of the Xtensa exception option.
static const char *cause_name(uintptr_t cause) {
    switch (cause) {
        case 0:
            return "illegal instruction";
        case 1:
            return "syscall";
        case 2:
            return "instruction fetch error";
        case 3:
            return "load/store error";
        case 6:
            return "integer divide by zero";
        case 8:
            return "privileged instruction";
        case 9:
            return "unaligned load or store";
        case 12:
        case 14:
            return "instruction fetch from a bad address";
        case 13:
        case 15:
            return "load or store at a bad address";
        case 20:
            return "instruction fetch prohibited";
        case 28:
            return "load prohibited";
        case 29:
            return "store prohibited";
        default:
            return "unexpected exception";
    }
}

static const char *const kind_name[] = {"exception", "double exception", "debug exception (break)", "NMI"};

// kind: 0 exception (user or kernel vector), 1 double, 2 debug, 3 NMI.
__attribute__((noreturn, used)) void natmod_rt_exception(uintptr_t kind, uintptr_t pc, uintptr_t cause,
    uintptr_t vaddr) {
    char msg[200];
    char *p = stpcpy(msg, kind_name[kind & 3]);
    p = stpcpy(p, ": ");
    p = stpcpy(p, kind < 2 ? cause_name(cause) : "no cause");
    p = stpcpy(p, " (bad instruction or address, e.g. in a native module) at pc=");
    p = natmod_rt_append_hex(p, pc);
    p = stpcpy(p, " excvaddr=");
    p = natmod_rt_append_hex(p, vaddr);
    p = stpcpy(p, " exccause=");
    natmod_rt_append_hex(p, cause);
    natmod_rt_fatal(msg);
}
