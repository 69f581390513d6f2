// natmod-tool test runtime on qemu's Xtensa sim machine: output, files, arguments and
// exit through simulator calls (simcall_xtensa.h), the Xtensa counterpart of the ARM
// semihosting host_semihost.c uses.
//
// The calls are POSIX-like: output is write(1, ...), files are open/read/lseek/close
// on the host, the exit status goes to qemu's own exit status.  Arguments arrive one
// by one (qemu arg= values); the Python side escapes a space as %20 and a percent sign
// as %25 for every qemu target, so the escapes are undone here too.
#include <stdbool.h>
#include <string.h>

#include "natmod_rt.h"
#include "simcall_xtensa.h"

#define OUT_BUF 256
#define MAX_ARGS 32
#define ARGV_BYTES 4096

extern char _natmod_heap_start[], _natmod_heap_end[], _natmod_stack_size[];

static char out_buf[OUT_BUF];
static size_t out_len;

static void console_write(const char *data, size_t len) {
    while (len > 0) {
        intptr_t done = simcall(SIMCALL_WRITE, 1, (intptr_t)data, (intptr_t)len);
        if (done <= 0) {
            return;
        }
        data += done;
        len -= (size_t)done;
    }
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

__attribute__((noreturn)) static void sim_exit(int status) {
    for (;;) {
        simcall(SIMCALL_EXIT, status, 0, 0);
    }
}

void natmod_rt_exit(int status) {
    natmod_rt_flush();
    sim_exit(status);
}

void natmod_rt_fatal(const char *what) {
    natmod_rt_flush();
    static const char prefix[] = "\nnatmod-testrt: FATAL: ";
    console_write(prefix, sizeof(prefix) - 1);
    console_write(what, strlen(what));
    console_write("\n", 1);
    sim_exit(1);
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

// No stat call: a path that opens is a file, unless reading it fails, as reading a
// folder does on the host (open(2) of a folder read-only succeeds).
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

// Undo the %XX escapes of one argument, in place.
static void unescape(char *arg) {
    char *out = arg;
    for (char *in = arg; *in != '\0';) {
        if (in[0] == '%' && hex_digit(in[1]) >= 0 && hex_digit(in[2]) >= 0) {
            *out++ = (char)(hex_digit(in[1]) * 16 + hex_digit(in[2]));
            in += 3;
        } else {
            *out++ = *in++;
        }
    }
    *out = '\0';
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
        unescape(argv[i]);
    }
    size_t heap_size = (size_t)(_natmod_heap_end - _natmod_heap_start);
    natmod_rt_exit(natmod_rt_main((int)argc, argv, _natmod_heap_start, heap_size, (size_t)_natmod_stack_size));
}

// Failed assert() in the interpreter (picolibc calls this).
void __assert_func(const char *file, int line, const char *func, const char *expr) {
    (void)line;
    (void)func;
    char msg[160] = "assertion failed: ";
    strncat(msg, expr, 60);
    strcat(msg, " in ");
    strncat(msg, file, 60);
    natmod_rt_fatal(msg);
}
