// Adler-32 over a buffer: two running sums modulo ADLER_BASE.  The modulo is a
// division, which armv6m has no instruction for: the compiler calls libgcc's
// __aeabi_uidivmod, hence LINK_RUNTIME in the build.
#include "adler32.h"

// the most bytes summed before the 32-bit sums must be reduced (they cannot
// overflow before then)
#define ADLER_NMAX 5552

#ifdef ADLER_NO_MODULO
// For toolchains whose libgcc lacks the unsigned modulo helper (Debian's
// gcc-xtensa-lx106 has no __umodsi3): reduce after every byte, by subtraction.
uint32_t adler32_update(uint32_t adler, const uint8_t *data, size_t len) {
    uint32_t a = adler & 0xffff;
    uint32_t b = adler >> 16;
    while (len--) {
        a += *data++;
        if (a >= ADLER_BASE) {
            a -= ADLER_BASE;
        }
        b += a;
        if (b >= ADLER_BASE) {
            b -= ADLER_BASE;
        }
    }
    return (b << 16) | a;
}
#else
uint32_t adler32_update(uint32_t adler, const uint8_t *data, size_t len) {
    uint32_t a = adler & 0xffff;
    uint32_t b = adler >> 16;
    while (len > 0) {
        size_t n = len < ADLER_NMAX ? len : ADLER_NMAX;
        len -= n;
        while (n--) {
            a += *data++;
            b += a;
        }
        a %= ADLER_BASE;
        b %= ADLER_BASE;
    }
    return (b << 16) | a;
}
#endif
