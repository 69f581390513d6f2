// natmod-tool test runtime, hosted (x86, x64): a Linux process.
//
// The GC heap is an mmap'd PROT_EXEC region, because natmod code is loaded into GC
// heap memory and called.  A natmod that faults (SIGSEGV, SIGILL, SIGBUS, SIGFPE)
// ends the run with a one-line message and status 1, like the boards' fault handlers.
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "natmod_rt.h"

#define HEAP_SIZE (64u * 1024 * 1024)
#define STACK_SIZE (256u * 1024)

static char out_buf[4096];
static size_t out_len;

static void write_all(int fd, const char *data, size_t len) {
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n <= 0) {
            return;
        }
        data += n;
        len -= (size_t)n;
    }
}

void natmod_rt_flush(void) {
    write_all(1, out_buf, out_len);
    out_len = 0;
}

// Lines go out as they end: a run stopped by its timeout still shows how far it got.
void natmod_rt_stdout(const char *str, size_t len) {
    if (out_len + len > sizeof(out_buf)) {
        natmod_rt_flush();
        if (len > sizeof(out_buf)) {
            write_all(1, str, len);
            return;
        }
    }
    memcpy(out_buf + out_len, str, len);
    out_len += len;
    if (memchr(str, '\n', len) != NULL) {
        natmod_rt_flush();
    }
}

void natmod_rt_exit(int status) {
    natmod_rt_flush();
    _exit(status);
}

void natmod_rt_fatal(const char *what) {
    natmod_rt_flush();
    static const char prefix[] = "\nnatmod-testrt: FATAL: ";
    write_all(1, prefix, sizeof(prefix) - 1);
    write_all(1, what, strlen(what));
    write_all(1, "\n", 1);
    _exit(1);
}

intptr_t natmod_rt_open(const char *path) {
    int fd = open(path, O_RDONLY);
    return fd < 0 ? -1 : fd;
}

long natmod_rt_length(intptr_t handle) {
    struct stat st;
    return fstat((int)handle, &st) == 0 ? (long)st.st_size : -1;
}

long natmod_rt_read(intptr_t handle, void *buf, size_t len) {
    return (long)read((int)handle, buf, len);
}

void natmod_rt_close(intptr_t handle) {
    close((int)handle);
}

int natmod_rt_path_kind(const char *path) {
    struct stat st;
    if (stat(path, &st) != 0) {
        return 0;
    }
    return S_ISDIR(st.st_mode) ? 2 : 1;
}

static void on_fault(int sig, siginfo_t *info, void *context) {
    (void)context;
    char msg[96];
    const char *name = sig == SIGSEGV ? "SIGSEGV" : sig == SIGILL ? "SIGILL" : sig == SIGBUS ? "SIGBUS" : "SIGFPE";
    strcpy(msg, name);
    strcat(msg, " (a fault in native code?) at address ");
    natmod_rt_append_hex(msg + strlen(msg), (uintptr_t)info->si_addr);
    natmod_rt_fatal(msg);
}

int main(int argc, char **argv) {
    static const int signals[] = {SIGSEGV, SIGILL, SIGBUS, SIGFPE};
    static char alt_stack[64 * 1024];
    stack_t ss = {.ss_sp = alt_stack, .ss_size = sizeof(alt_stack), .ss_flags = 0};
    sigaltstack(&ss, NULL);
    for (size_t i = 0; i < sizeof(signals) / sizeof(signals[0]); i++) {
        struct sigaction sa;
        memset(&sa, 0, sizeof(sa));
        sa.sa_sigaction = on_fault;
        sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
        sigaction(signals[i], &sa, NULL);
    }
    void *heap = mmap(NULL, HEAP_SIZE, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (heap == MAP_FAILED) {
        natmod_rt_fatal("cannot map an executable heap (mmap PROT_EXEC refused)");
    }
    natmod_rt_exit(natmod_rt_main(argc, argv, heap, HEAP_SIZE, STACK_SIZE));
}
