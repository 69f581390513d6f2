// natmod-tool test runtime: the ESP8266 boot ROM's integer routines, for qemu's sim
// machine, which has no ROM.
//
// Debian's lx106 libgcc leaves out the routines every ESP8266 firmware takes from the
// ROM, and xtensa natmods call them at their ROM addresses (natmod_tool/data/
// esp8266_rom.ld).  This file defines them for the interpreter and, through the jump
// table romtable.py writes at those addresses, for natmods.  Written from the
// routines' contracts (libgcc's documented semantics), bit by bit: the lx106 has a
// 32-bit multiply but no divide.  The ROM's float routines are not provided (xtensa
// natmods have no float type); the table sends them to natmod_rt_rom_missing.
#include <stdint.h>
#include <string.h>

#include "natmod_rt.h"

// libgcc has the 64-bit division core.
uint64_t __udivmoddi4(uint64_t num, uint64_t den, uint64_t *rem);
int64_t __divmoddi4(int64_t num, int64_t den, int64_t *rem);

uint32_t __udivsi3(uint32_t num, uint32_t den);
uint32_t __umodsi3(uint32_t num, uint32_t den);
int32_t __divsi3(int32_t num, int32_t den);
uint64_t __umulsidi3(uint32_t a, uint32_t b);
uint64_t __muldi3(uint64_t a, uint64_t b);
uint64_t __udivdi3(uint64_t num, uint64_t den);
uint64_t __umoddi3(uint64_t num, uint64_t den);
int64_t __divdi3(int64_t num, int64_t den);

// Long division, one quotient bit per step; the remainder through `rem`.
static uint32_t divide(uint32_t num, uint32_t den, uint32_t *rem) {
    if (den == 0) {
        natmod_rt_fatal("integer division by zero in a ROM division routine");
    }
    uint32_t quot = 0;
    uint32_t r = 0;
    for (int bit = 31; bit >= 0; bit--) {
        uint32_t carry = r >> 31; // r << 1 would not fit: it is certainly >= den
        r = (r << 1) | ((num >> bit) & 1u);
        if (carry || r >= den) {
            r -= den;
            quot |= 1u << bit;
        }
    }
    *rem = r;
    return quot;
}

uint32_t __udivsi3(uint32_t num, uint32_t den) {
    uint32_t rem;
    return divide(num, den, &rem);
}

uint32_t __umodsi3(uint32_t num, uint32_t den) {
    uint32_t rem;
    divide(num, den, &rem);
    return rem;
}

// C division truncates: the quotient is negative when exactly one operand is.
int32_t __divsi3(int32_t num, int32_t den) {
    uint32_t n = num < 0 ? 0u - (uint32_t)num : (uint32_t)num;
    uint32_t d = den < 0 ? 0u - (uint32_t)den : (uint32_t)den;
    uint32_t rem;
    uint32_t q = divide(n, d, &rem);
    return (int32_t)((num < 0) != (den < 0) ? 0u - q : q);
}

// 32 x 32 -> 64 from four 16 x 16 products (no multiply-high on the lx106).
uint64_t __umulsidi3(uint32_t a, uint32_t b) {
    uint32_t a_lo = a & 0xffffu, a_hi = a >> 16;
    uint32_t b_lo = b & 0xffffu, b_hi = b >> 16;
    uint32_t lo = a_lo * b_lo;
    uint32_t mid1 = a_hi * b_lo + (lo >> 16);
    uint32_t mid2 = a_lo * b_hi + (mid1 & 0xffffu);
    uint32_t low_word = (mid2 << 16) | (lo & 0xffffu);
    uint32_t high_word = a_hi * b_hi + (mid1 >> 16) + (mid2 >> 16);
    return ((uint64_t)high_word << 32) | low_word;
}

// The low 64 bits of a 64 x 64 product: the cross terms only reach the high word.
uint64_t __muldi3(uint64_t a, uint64_t b) {
    uint32_t a_lo = (uint32_t)a, a_hi = (uint32_t)(a >> 32);
    uint32_t b_lo = (uint32_t)b, b_hi = (uint32_t)(b >> 32);
    uint64_t product = __umulsidi3(a_lo, b_lo);
    uint32_t cross = a_lo * b_hi + a_hi * b_lo;
    return product + ((uint64_t)cross << 32);
}

uint64_t __udivdi3(uint64_t num, uint64_t den) {
    if (den == 0) {
        natmod_rt_fatal("integer division by zero in a ROM division routine");
    }
    return __udivmoddi4(num, den, 0);
}

uint64_t __umoddi3(uint64_t num, uint64_t den) {
    if (den == 0) {
        natmod_rt_fatal("integer division by zero in a ROM division routine");
    }
    uint64_t rem;
    __udivmoddi4(num, den, &rem);
    return rem;
}

int64_t __divdi3(int64_t num, int64_t den) {
    if (den == 0) {
        natmod_rt_fatal("integer division by zero in a ROM division routine");
    }
    int64_t rem;
    return __divmoddi4(num, den, &rem);
}

// Reached through the ROM table for a routine this file does not define.
extern const char *const natmod_rt_rom_names[];

__attribute__((noreturn, used)) void natmod_rt_rom_missing(uintptr_t index) {
    char msg[160];
    char *p = stpcpy(msg, "called the ESP8266 ROM routine ");
    p = stpcpy(p, natmod_rt_rom_names[index]);
    stpcpy(p, ", which the xtensa test runtime does not provide (qemu's sim machine has no ROM)");
    natmod_rt_fatal(msg);
}
