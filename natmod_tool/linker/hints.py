"""What an undefined symbol usually means, as data: one table the linker's messages come from.

Why a table: the same few mistakes make most first links fail (a `%` on a core
without a divider, `printf`, `malloc`, a C++ runtime hook), and each has one way out.
The linker only classifies a name here; each front end (CLI, SCons) words the fix in
its own terms (`-l` or `LINK_RUNTIME=1`), see `linker/undefined.py`.

Kinds:

* `RUNTIME`: a compiler support routine (libgcc: division, 64-bit shifts, soft
  float).  The fix is the compiler's libgcc (SCons: `LINK_RUNTIME=1`).
* `MATHS`: a C `<math.h>` function.  The fix is a maths library (SCons:
  `LINK_RUNTIME=1`, which links libm, and only libm's maths, never its stdio).
* `LIBC`: a C library function natmods cannot have; the text says what to use.
* `UNSUPPORTED`: needs a C/C++ runtime or thread-local storage; the text says how
  to avoid it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

RUNTIME = "runtime"
MATHS = "maths"
LIBC = "libc"
UNSUPPORTED = "unsupported"


@dataclass(frozen=True)
class Hint:
    """The kind of a missing name and, for LIBC/UNSUPPORTED, what to do instead."""

    kind: str
    text: str


_NO_LIBC = "natmods have no C library"

#: C library functions: what a natmod uses instead (MicroPython's own API or a builtin)
LIBC_HINTS: dict[str, str] = {
    **dict.fromkeys(
        ("printf", "vprintf", "puts", "putchar", "fputs", "fputc", "putc", "fprintf", "vfprintf", "fwrite"),
        f"{_NO_LIBC}: use mp_printf(&mp_plat_print, ...)",
    ),
    **dict.fromkeys(
        ("stdout", "stderr", "_impure_ptr", "_impure_data", "__stdout", "__stderr"),
        f"{_NO_LIBC} and no stdout: use mp_printf(&mp_plat_print, ...)",
    ),
    **dict.fromkeys(
        ("sprintf", "snprintf", "vsnprintf", "vsprintf"),
        f"{_NO_LIBC}: build text with vstr_t and vstr_printf (or mp_obj_new_str from a buffer)",
    ),
    "malloc": f"{_NO_LIBC}: use m_malloc(n) (or m_new(type, n)), freed by the garbage collector",
    "calloc": f"{_NO_LIBC}: use m_malloc0(n) (or m_new0(type, n))",
    "realloc": f"{_NO_LIBC}: use m_realloc(ptr, n)",
    "free": f"{_NO_LIBC}: use m_free(ptr), or let the garbage collector reclaim it",
    **dict.fromkeys(
        ("strlen", "strnlen"),
        f"{_NO_LIBC}: use __builtin_strlen for a constant, mp_obj_str_get_data() for a Python str, or a loop",
    ),
    **dict.fromkeys(
        ("strcmp", "strncmp", "memcmp"),
        f"{_NO_LIBC}: compare with __builtin_memcmp on a constant length, or a loop",
    ),
    **dict.fromkeys(
        ("strcpy", "strncpy", "strcat", "strncat", "strdup", "strchr", "strrchr", "strstr"),
        f"{_NO_LIBC}: use memcpy (natmods have memcpy/memset/memmove) or a loop",
    ),
    **dict.fromkeys(
        ("atoi", "atol", "strtol", "strtoul", "strtod", "strtof", "atof"),
        f"{_NO_LIBC}: parse in Python and pass numbers in, or use mp_obj_get_int/mp_obj_get_float",
    ),
    **dict.fromkeys(
        ("abort", "exit", "_exit"),
        f'{_NO_LIBC}: raise an exception instead, e.g. mp_raise_ValueError(MP_ERROR_TEXT("..."))',
    ),
    **dict.fromkeys(
        ("__assert_func", "__assert_fail", "__assert", "__assert2"),
        f"assert() needs the C library ({_NO_LIBC}): compile with NDEBUG or raise an exception",
    ),
    **dict.fromkeys(("rand", "srand", "random"), f"{_NO_LIBC}: write a small PRNG or take random numbers from Python"),
    "qsort": f"{_NO_LIBC}: write the sort, or sort in Python",
    **dict.fromkeys(("time", "clock", "gettimeofday"), f"{_NO_LIBC}: pass the time in from Python (time module)"),
}

#: names that mean a C/C++ runtime or thread-local storage natmods do not have
UNSUPPORTED_HINTS: dict[str, str] = {
    "__cxa_atexit": "a static object has a destructor, which needs a C++ runtime; make it trivially destructible",
    "atexit": f"exit-time handlers need a C runtime; {_NO_LIBC}",
    "__dso_handle": "a static object has a destructor, which needs a C++ runtime; make it trivially destructible",
    "__cxa_pure_virtual": "a pure virtual function is called through a vtable; compile with the natmod C++ flags",
    "__gxx_personality_v0": "C++ exceptions need a runtime; compile with -fno-exceptions",
    "_Unwind_Resume": "C++ exceptions need a runtime; compile with -fno-exceptions",
    "__cxa_guard_acquire": "thread-safe statics need a runtime; compile with -fno-threadsafe-statics",
    "__errno": "the C library's errno: link a definition of `int *__errno(void)` (the SCons LINK_RUNTIME does)",
    "errno": "the C library's thread-local errno (glibc, picolibc) cannot be linked into a natmod",
    "_dl_x86_cpu_features": "glibc's libm picks its code at load time (IFUNC) and cannot be linked into a natmod",
}

_MATH_BASE = (
    "acos asin atan atan2 cos sin tan acosh asinh atanh cosh sinh tanh exp exp2 expm1 exp10 pow10 "
    "frexp ldexp log log10 log1p log2 logb modf scalbn scalbln ilogb cbrt fabs hypot pow sqrt "
    "erf erfc lgamma lgamma_r tgamma gamma ceil floor nearbyint rint lrint llrint round lround llround "
    "trunc fmod remainder remquo copysign nan nextafter nexttoward fdim fmax fmin fma sincos "
    "significand drem finite isnan isinf j0 j1 jn y0 y1 yn"
).split()

#: `<math.h>` functions with their float and long double forms, and the classification
#: helpers the `<math.h>` macros expand to (newlib's `isnan` -> `__isnanf`, ...)
MATH_FUNCTIONS: frozenset[str] = frozenset(
    [name + suffix for name in _MATH_BASE for suffix in ("", "f", "l")]
    + [
        f"__{name}{suffix}"
        for name in ("fpclassify", "isnan", "isinf", "signbit", "finite", "isfinite", "isnormal")
        for suffix in ("", "f", "l", "d")
    ]
)

#: libgcc's routine names: `__<op><mode><arity>` (`__udivsi3`, `__adddf3`, `__extendsfdf2`),
#: the conversions (`__fixunssfsi`, `__floatsidf`), the EABI helpers (`__aeabi_*`) and
#: the GNU prefixed ones (`__gnu_*`, `__riscv_save_*`)
_COMPILER_SUPPORT = re.compile(
    r"__[a-z][a-z_]*[a-z][0-9]|__fix(uns)?[sdxth]f[sdt]i|__float(un|uns)?[sdt]i[sdxth]f"
    r"|__aeabi_\w+|__gnu_\w+|__riscv_(save|restore)_\w+"
)

_TLS = re.compile(r"__emutls_\w+|_*tls_get_addr")


def classify(name: str) -> Hint | None:
    """The hint for an undefined name, or None when it is just a name nobody defines."""
    if name in UNSUPPORTED_HINTS:
        return Hint(UNSUPPORTED, UNSUPPORTED_HINTS[name])
    if _TLS.fullmatch(name):
        return Hint(UNSUPPORTED, "thread-local storage is not supported in natmods")
    if name in LIBC_HINTS:
        return Hint(LIBC, LIBC_HINTS[name])
    if name in MATH_FUNCTIONS:
        return Hint(MATHS, "C maths function")
    if _COMPILER_SUPPORT.fullmatch(name):
        return Hint(RUNTIME, "compiler support routine")
    return None


def is_maths(name: str) -> bool:
    """True for the names a maths library (`math_libs`) may be searched for."""
    return name in MATH_FUNCTIONS
