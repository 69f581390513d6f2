// 32-bit FNV-1a: xor each byte in, then multiply by the FNV prime.
#include "checksums.h"

#define FNV1A_PRIME (0x01000193u)

uint32_t checksums_fnv1a(uint32_t hash, const uint8_t *data, size_t len) {
    for (size_t i = 0; i < len; i++) {
        hash ^= data[i];
        hash *= FNV1A_PRIME;
    }
    return hash;
}
