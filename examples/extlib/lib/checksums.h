// checksums: a tiny stand-alone C library (no MicroPython headers).
//
// It stands for any existing C code you want to use from a native module: it
// is compiled on its own into a static archive (libchecksums.a) and linked
// into the module, which pulls in only the archive members it needs.
#ifndef CHECKSUMS_H
#define CHECKSUMS_H

#include <stddef.h>
#include <stdint.h>

// CRC-32 (IEEE 802.3, as used by zlib); start with crc = 0 and feed chunks.
uint32_t checksums_crc32(uint32_t crc, const uint8_t *data, size_t len);

// 32-bit FNV-1a hash; start with CHECKSUMS_FNV1A_INIT and feed chunks.
#define CHECKSUMS_FNV1A_INIT (0x811c9dc5u)
uint32_t checksums_fnv1a(uint32_t hash, const uint8_t *data, size_t len);

// Sum of all bytes modulo 2**16 (never used by the module: the linker leaves
// this archive member out).
uint16_t checksums_sum16(const uint8_t *data, size_t len);

#endif // CHECKSUMS_H
