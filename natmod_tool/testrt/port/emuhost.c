// natmod-tool test runtime: the host functions every emulated board shares, built on
// the two primitives of emuhost.h, so semihosting and simcall hosts differ only in how
// bytes reach the host and how the run ends.
#include <stdbool.h>
#include <string.h>

#include "emuhost.h"
#include "natmod_rt.h"

#ifndef NATMOD_RT_OUT_BUF
#define NATMOD_RT_OUT_BUF 256
#endif

static char out_buf[NATMOD_RT_OUT_BUF];
static size_t out_len;

void natmod_rt_flush(void) {
    if (out_len > 0) {
        emuhost_write(out_buf, out_len);
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
    emuhost_exit(status);
}

void natmod_rt_fatal(const char *what) {
    natmod_rt_flush();
    static const char prefix[] = "\nnatmod-testrt: FATAL: ";
    emuhost_write(prefix, sizeof(prefix) - 1);
    emuhost_write(what, strlen(what));
    emuhost_write("\n", 1);
    emuhost_exit(1);
}

// Neither interface has stat: a path that opens is a file, unless reading it fails, as
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

void emuhost_unescape(char *arg) {
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
