// natmod-tool test runtime on qemu's Xtensa sim machine: output, files, arguments and
// exit through simulator calls (simcall_xtensa.h), the Xtensa counterpart of the ARM
// semihosting host_semihost.c uses.
//
// The calls are POSIX-like: output is write(1, ...), files are open/read/lseek/close
// on the host, the exit status goes to qemu's own exit status.  Arguments arrive one
// by one (qemu arg= values); the Python side escapes a space as %20 and a percent sign
// as %25 for every qemu target, so the escapes are undone here too.
#include <string.h>

#include "emuhost.h"
#include "natmod_rt.h"
#include "simcall_xtensa.h"

#define MAX_ARGS 32
#define ARGV_BYTES 4096

extern char _natmod_heap_start[], _natmod_heap_end[], _natmod_stack_size[];

void emuhost_write(const char *data, size_t len) {
    while (len > 0) {
        intptr_t done = simcall(SIMCALL_WRITE, 1, (intptr_t)data, (intptr_t)len);
        if (done <= 0) {
            return;
        }
        data += done;
        len -= (size_t)done;
    }
}

void emuhost_exit(int status) {
    for (;;) {
        simcall(SIMCALL_EXIT, status, 0, 0);
    }
}

intptr_t natmod_rt_open(const char *path) {
    intptr_t fd = simcall(SIMCALL_OPEN, (intptr_t)path, 0 /* O_RDONLY */, 0);
    return fd < 0 ? -1 : fd;
}

long natmod_rt_length(intptr_t handle) {
    long end = (long)simcall(SIMCALL_LSEEK, handle, 0, 2 /* SEEK_END */);
    if (end < 0 || simcall(SIMCALL_LSEEK, handle, 0, 0 /* SEEK_SET */) != 0) {
        return -1;
    }
    return end;
}

long natmod_rt_read(intptr_t handle, void *buf, size_t len) {
    intptr_t got = simcall(SIMCALL_READ, handle, (intptr_t)buf, (intptr_t)len);
    return got < 0 ? -1 : (long)got;
}

void natmod_rt_close(intptr_t handle) {
    simcall(SIMCALL_CLOSE, handle, 0, 0);
}

int main(void) {
    static uint32_t argv_block[ARGV_BYTES / 4];
    intptr_t argc = simcall(SIMCALL_ARGC, 0, 0, 0);
    intptr_t size = simcall(SIMCALL_ARGV_SIZE, 0, 0, 0);
    char **argv = (char **)argv_block;
    if (argc < 0 || argc > MAX_ARGS || size < 0 || (size_t)size > sizeof(argv_block)) {
        natmod_rt_fatal("the command line is too long for the xtensa runtime's argument buffer");
    }
    simcall(SIMCALL_ARGV, (intptr_t)argv_block, 0, 0);
    for (intptr_t i = 0; i < argc; i++) {
        emuhost_unescape(argv[i]);
    }
    size_t heap_size = (size_t)(_natmod_heap_end - _natmod_heap_start);
    natmod_rt_exit(natmod_rt_main((int)argc, argv, _natmod_heap_start, heap_size, (size_t)_natmod_stack_size));
}
