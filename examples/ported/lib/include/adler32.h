// Adler-32 checksum (RFC 1950), a small self-contained C library kept in lib/.
#ifndef PORTED_ADLER32_H
#define PORTED_ADLER32_H

#include <stddef.h>
#include <stdint.h>

// the largest prime below 2**16
#define ADLER_BASE 65521u

// Continue the checksum `adler` (1 to start) over `len` bytes at `data`.
uint32_t adler32_update(uint32_t adler, const uint8_t *data, size_t len);

#endif
