// natmod-tool test runtime on a qemu board: output, files, arguments and exit through
// semihosting (qemu -semihosting-config enable=on,target=native,arg=...).
//
// Arguments arrive as one command line, the qemu arg= values joined by spaces; the
// Python side writes a space inside an argument as %20 and a percent sign as %25.
// The heap and stack bounds come from the board's linker script.
#include <stdbool.h>
#include <string.h>

#include "natmod_rt.h"
#include "semihost.h"

#ifndef NATMOD_RT_OUT_BUF
#define NATMOD_RT_OUT_BUF 256
#endif
#if NATMOD_RT_SMALL
#define MAX_ARGS 12
#define CMDLINE_MAX 768
#else
#define MAX_ARGS 32
#define CMDLINE_MAX 4096
#endif

extern char _natmod_heap_start[], _natmod_heap_end[], _natmod_stack_size[];

static char out_buf[NATMOD_RT_OUT_BUF];
static size_t out_len;
static intptr_t console = -1;

static void console_write(const char *data, size_t len) {
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

void natmod_rt_flush(void) {
    if (out_len > 0) {
        console_write(out_buf, out_len);
        out_len = 0;
    }
}

// Lines go out as they end: a run stopped by its timeout still shows how far it got.
void natmod_rt_stdout(const char *str, size_t len) {
    bool line_end = memchr(str, '\n', len) != NULL;
    while (len > 0) {
        size_t room = sizeof(out_buf) - out_len;
        size_t n = len < room ? len : room;
        memcpy(out_buf + out_len, str, n);
        out_len += n;
        str += n;
        len -= n;
        if (out_len == sizeof(out_buf)) {
            natmod_rt_flush();
        }
    }
    if (line_end) {
        natmod_rt_flush();
    }
}

void natmod_rt_exit(int status) {
    natmod_rt_flush();
    semihost_exit(status);
}

void natmod_rt_fatal(const char *what) {
    natmod_rt_flush();
    static const char prefix[] = "\nnatmod-testrt: FATAL: ";
    console_write(prefix, sizeof(prefix) - 1);
    console_write(what, strlen(what));
    console_write("\n", 1);
    semihost_exit(1);
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

// Semihosting has no stat: a path that opens is a file, unless reading it fails, as
// reading a folder does on the host (open(2) of a folder read-only succeeds).
int natmod_rt_path_kind(const char *path) {
    intptr_t handle = natmod_rt_open(path);
    if (handle < 0) {
        return 0;
    }
    char probe;
    long got = natmod_rt_read(handle, &probe, 1);
    natmod_rt_close(handle);
    return got < 0 ? 2 : 1;
}

static int hex_digit(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

// Split the command line at spaces in place and undo the %XX escapes.
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
        char *out = in;
        argv[argc++] = out;
        while (*in != '\0' && *in != ' ') {
            if (in[0] == '%' && hex_digit(in[1]) >= 0 && hex_digit(in[2]) >= 0) {
                *out++ = (char)(hex_digit(in[1]) * 16 + hex_digit(in[2]));
                in += 3;
            } else {
                *out++ = *in++;
            }
        }
        if (*in == ' ') {
            in++;
        }
        *out = '\0';
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

// Failed assert() in the interpreter (newlib and picolibc call this).
void __assert_func(const char *file, int line, const char *func, const char *expr) {
    (void)line;
    (void)func;
    char msg[160] = "assertion failed: ";
    strncat(msg, expr, 60);
    strcat(msg, " in ");
    strncat(msg, file, 60);
    natmod_rt_fatal(msg);
}
