// natmod-tool test runtime: the host services the interpreter needs.
//
// Three implementations: host_posix.c (x86/x64, a Linux process), host_semihost.c
// (ARM and RISC-V boards under qemu, through semihosting calls) and host_simcall.c
// (the lx106 on qemu's xtensa sim machine, through simulator calls).  main.c and files.c
// only use these, so the interpreter glue is the same on every CPU.
#ifndef NATMOD_RT_H
#define NATMOD_RT_H

#include <stddef.h>
#include <stdint.h>

// Write to the run's output (buffered; flushed by natmod_rt_flush and at exit).
void natmod_rt_stdout(const char *str, size_t len);
void natmod_rt_flush(void);

// End the run with `status` (0 ok, non-zero failure); never returns.
__attribute__((noreturn)) void natmod_rt_exit(int status);

// Print "natmod-testrt: FATAL: <what>" and end the run with status 1 (faults, traps).
__attribute__((noreturn)) void natmod_rt_fatal(const char *what);

// Host files, read-only.  A handle is >= 0; -1 means "cannot open".
intptr_t natmod_rt_open(const char *path);
long natmod_rt_length(intptr_t handle);             // bytes in the file, -1 on error
long natmod_rt_read(intptr_t handle, void *buf, size_t len); // bytes read, -1 on error
void natmod_rt_close(intptr_t handle);

// What `path` names: 0 nothing (or unreadable), 1 a file, 2 a folder.
int natmod_rt_path_kind(const char *path);

// The interpreter: run argv[1] with argv[2..] first on sys.path, in a GC heap of
// heap_size bytes at heap, with stack_size bytes of C stack below the caller's frame.
// Returns the exit status.
int natmod_rt_main(int argc, char **argv, void *heap, size_t heap_size, size_t stack_size);

// Append the decimal or hex form of `value` to a message buffer (no printf needed in
// fault handlers).
char *natmod_rt_append_hex(char *out, uintptr_t value);

#endif
