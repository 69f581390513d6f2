// natmod-tool test runtime: MicroPython configuration.
//
// One configuration for every CPU, so a test script behaves the same on each; the
// build passes the per-target facts as -D flags:
//   NATMOD_RT_FLOAT   0 none, 1 single, 2 double: must equal the float type natmods of
//                     this arch are compiled with (natmod_tool.arch float_impl), or
//                     mp_obj_get_float/mp_obj_new_float would pass the wrong type.
//   NATMOD_RT_HOSTED  1 for the x86/x64 build that runs as a Linux process.
//   NATMOD_RT_SMALL   1 for the 16 KiB RAM Cortex-M0 board: smaller caches and buffers.
//   NATMOD_RT_PLATFORM  the string sys.platform reports.
#include <stdint.h>
#include <sys/types.h>

// Core features plus what the examples' test scripts use (f-strings, sets, ...).
#define MICROPY_CONFIG_ROM_LEVEL (MICROPY_CONFIG_ROM_LEVEL_EXTRA_FEATURES)

// Loading natmods: the .mpy loader and its native-code path, without any of the
// code emitters (the arch the loader accepts comes from the compiler's macros in
// py/persistentcode.h).  Native code lands in GC heap memory, executable here.
#define MICROPY_PERSISTENT_CODE_LOAD (1)
#define MICROPY_PERSISTENT_CODE_LOAD_NATIVE (1)
#define MICROPY_ENABLE_COMPILER (1)
#define MICROPY_ENABLE_EXTERNAL_IMPORT (1)
#define MICROPY_MODULE_FROZEN (0)

// Memory: a GC heap given by main.c; MPZ long ints (the examples use 64-bit values).
#define MICROPY_ENABLE_GC (1)
#define MICROPY_LONGINT_IMPL (MICROPY_LONGINT_IMPL_MPZ)
#define MICROPY_STACK_CHECK (1)
#define MICROPY_ALLOC_PATH_MAX (256)

#if NATMOD_RT_FLOAT == 2
#define MICROPY_FLOAT_IMPL (MICROPY_FLOAT_IMPL_DOUBLE)
#elif NATMOD_RT_FLOAT == 1
#define MICROPY_FLOAT_IMPL (MICROPY_FLOAT_IMPL_FLOAT)
#else
#define MICROPY_FLOAT_IMPL (MICROPY_FLOAT_IMPL_NONE)
#endif

// Readable failures: line numbers in tracebacks, full error messages.
#define MICROPY_ENABLE_SOURCE_LINE (1)
#define MICROPY_ERROR_REPORTING (MICROPY_ERROR_REPORTING_DETAILED)
#define MICROPY_WARNINGS (1)

// Modules from py/: sys (path, argv, exit), gc, micropython, array, struct, ...
#define MICROPY_PY_SYS (1)
#define MICROPY_PY_SYS_PATH (1)
#define MICROPY_PY_SYS_ARGV (1)
#define MICROPY_PY_SYS_EXIT (1)
#define MICROPY_PY_SYS_PLATFORM NATMOD_RT_PLATFORM
#define MICROPY_PY_SYS_STDFILES (0)
#define MICROPY_PY_SYS_MAXSIZE (1)
#define MICROPY_PY_GC (1)
#define MICROPY_PY_MICROPYTHON (1)
#define MICROPY_PY_ARRAY (1)
#define MICROPY_PY_STRUCT (1)
#define MICROPY_PY_COLLECTIONS (1)
#define MICROPY_PY_ERRNO (1)

// Nothing from extmod/ (the default tree has none), so no io.open, no uctypes.
#define MICROPY_PY_IO (0)
#define MICROPY_PY_UCTYPES (0)

// Nothing that needs a REPL, a terminal, threads or a file system object.
#define MICROPY_HELPER_REPL (0)
#define MICROPY_PY_BUILTINS_INPUT (0)
#define MICROPY_PY_BUILTINS_HELP (0)
#define MICROPY_PY_THREAD (0)
#define MICROPY_VFS (0)
// "VFS" reader: the port provides mp_reader_new_file (files.c), on POSIX or semihosting.
#define MICROPY_READER_VFS (1)
#define MICROPY_KBD_EXCEPTION (0)
#define MICROPY_PY_SYS_STDIO_BUFFER (0)

#if NATMOD_RT_SMALL
#define MICROPY_QSTR_BYTES_IN_HASH (1)
#define MICROPY_ALLOC_PARSE_CHUNK_INIT (16)
#define MICROPY_OPT_COMPUTED_GOTO (0)
#define MICROPY_OPT_MAP_LOOKUP_CACHE (0)
#define MICROPY_PY_BUILTINS_COMPLEX (0)
#else
#define MICROPY_OPT_COMPUTED_GOTO (1)
#endif

// Everything the interpreter prints (results, tracebacks) goes to the one output.
void natmod_rt_stdout(const char *str, size_t len);
#define MP_PLAT_PRINT_STRN(str, len) natmod_rt_stdout(str, len)

#define MICROPY_HW_BOARD_NAME "natmod-tool test runtime"
#define MICROPY_HW_MCU_NAME NATMOD_RT_PLATFORM

typedef intptr_t mp_int_t;
typedef uintptr_t mp_uint_t;
typedef long mp_off_t;
// newlib and picolibc do not define SSIZE_MAX without POSIX headers
#define MP_SSIZE_MAX INTPTR_MAX

#define MP_STATE_PORT MP_STATE_VM

#if defined(__xtensa__)
// No gchelper assembler for the lx106: setjmp spills the callee-saved registers.
#define MICROPY_GCREGS_SETJMP (1)
#endif

#if defined(__thumb__)
// Cortex-M runs Thumb code only: a branch to loaded native code needs bit 0 set.
#define MICROPY_MAKE_POINTER_CALLABLE(p) ((void *)((uintptr_t)(p) | 1))
#endif

#include <alloca.h>
