// natmod-tool test runtime on a qemu board: output, files, arguments and exit through
// semihosting (qemu -semihosting-config enable=on,target=native,arg=...).
//
// Arguments arrive as one command line, the qemu arg= values joined by spaces; the
// Python side writes a space inside an argument as %20 and a percent sign as %25.
// The heap and stack bounds come from the board's linker script.
#include <string.h>

#include "emuhost.h"
#include "natmod_rt.h"
#include "semihost.h"

#if NATMOD_RT_SMALL
#define MAX_ARGS 12
#define CMDLINE_MAX 768
#else
#define MAX_ARGS 32
#define CMDLINE_MAX 4096
#endif

extern char _natmod_heap_start[], _natmod_heap_end[], _natmod_stack_size[];

static intptr_t console = -1;

void emuhost_write(const char *data, size_t len) {
    if (console < 0) {
        static const char tt[] = ":tt";
        uintptr_t block[3] = {(uintptr_t)tt, 4 /* "w" */, sizeof(tt) - 1};
        console = (intptr_t)semihost_call(SEMIHOST_OPEN, (uintptr_t)block);
    }
    if (console < 0) {
        // no console handle: fall back to one character per call
        for (size_t i = 0; i < len; i++) {
            semihost_call(SEMIHOST_WRITEC, (uintptr_t)&data[i]);
        }
        return;
    }
    uintptr_t block[3] = {(uintptr_t)console, (uintptr_t)data, len};
    semihost_call(SEMIHOST_WRITE, (uintptr_t)block);
}

void emuhost_exit(int status) {
    semihost_exit(status);
}

intptr_t natmod_rt_open(const char *path) {
    uintptr_t block[3] = {(uintptr_t)path, 1 /* "rb" */, strlen(path)};
    return (intptr_t)semihost_call(SEMIHOST_OPEN, (uintptr_t)block);
}

long natmod_rt_length(intptr_t handle) {
    uintptr_t block[1] = {(uintptr_t)handle};
    return (long)(intptr_t)semihost_call(SEMIHOST_FLEN, (uintptr_t)block);
}

long natmod_rt_read(intptr_t handle, void *buf, size_t len) {
    uintptr_t block[3] = {(uintptr_t)handle, (uintptr_t)buf, len};
    intptr_t not_read = (intptr_t)semihost_call(SEMIHOST_READ, (uintptr_t)block);
    if (not_read < 0 || (size_t)not_read > len) {
        return -1;
    }
    return (long)(len - (size_t)not_read);
}

void natmod_rt_close(intptr_t handle) {
    uintptr_t block[1] = {(uintptr_t)handle};
    semihost_call(SEMIHOST_CLOSE, (uintptr_t)block);
}

// Split the command line at spaces in place, then undo each argument's %XX escapes
// (an escaped argument holds no space).
static int split_args(char *line, char **argv) {
    int argc = 0;
    char *in = line;
    while (*in != '\0' && argc < MAX_ARGS) {
        while (*in == ' ') {
            in++;
        }
        if (*in == '\0') {
            break;
        }
        argv[argc++] = in;
        while (*in != '\0' && *in != ' ') {
            in++;
        }
        if (*in == ' ') {
            *in++ = '\0';
        }
        emuhost_unescape(argv[argc - 1]);
    }
    return argc;
}

int main(void) {
    static char line[CMDLINE_MAX];
    static char *argv[MAX_ARGS + 1];
    uintptr_t block[2] = {(uintptr_t)line, sizeof(line) - 1};
    int argc = 0;
    if (semihost_call(SEMIHOST_GET_CMDLINE, (uintptr_t)block) == 0) {
        line[block[1] < sizeof(line) ? block[1] : sizeof(line) - 1] = '\0';
        argc = split_args(line, argv);
    }
    size_t heap_size = (size_t)(_natmod_heap_end - _natmod_heap_start);
    natmod_rt_exit(natmod_rt_main(argc, argv, _natmod_heap_start, heap_size, (size_t)_natmod_stack_size));
}
