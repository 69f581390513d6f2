// natmod-tool test runtime: what an emulated board's host interface (ARM/RISC-V
// semihosting in host_semihost.c, Xtensa simulator calls in host_simcall.c) gives the
// part both share (emuhost.c): buffered output, exit, fatal reports, path kinds and
// the %XX escapes of the arguments.
#ifndef NATMOD_RT_EMUHOST_H
#define NATMOD_RT_EMUHOST_H

#include <stddef.h>

// Write raw bytes to the console (no buffering).
void emuhost_write(const char *data, size_t len);

// End the emulator with `status` (as far as the interface can carry it).
__attribute__((noreturn)) void emuhost_exit(int status);

// Undo the %XX escapes of one argument, in place (the Python side writes a space as
// %20 and a percent sign as %25 for every qemu target).
void emuhost_unescape(char *arg);

#endif
