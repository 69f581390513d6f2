// natmod-tool test runtime: the Xtensa simulator calls (the `simcall` instruction,
// which qemu's xtensa machines serve when started with semihosting).  Call number in
// a2, arguments in a3..a5; the result comes back in a2 and the host errno in a3.  The
// file calls take host open(2) flags and lseek(2) whence values.
#ifndef NATMOD_RT_SIMCALL_XTENSA_H
#define NATMOD_RT_SIMCALL_XTENSA_H

#include <stdint.h>

enum {
    SIMCALL_EXIT = 1,
    SIMCALL_READ = 3,
    SIMCALL_WRITE = 4,
    SIMCALL_OPEN = 5,
    SIMCALL_CLOSE = 6,
    SIMCALL_LSEEK = 19,
    SIMCALL_ARGC = 1000,
    SIMCALL_ARGV_SIZE = 1001, // bytes for the pointer array (argc + 1) and the strings
    SIMCALL_ARGV = 1002,      // write the pointer array, then the strings, at a3
};

static inline intptr_t simcall(intptr_t nr, intptr_t a, intptr_t b, intptr_t c) {
    register intptr_t r2 __asm__("a2") = nr;
    register intptr_t r3 __asm__("a3") = a;
    register intptr_t r4 __asm__("a4") = b;
    register intptr_t r5 __asm__("a5") = c;
    __asm__ volatile ("simcall" : "+r" (r2), "+r" (r3) : "r" (r4), "r" (r5) : "memory");
    return r2;
}

#endif
