// Byte sum modulo 2**16.
#include "checksums.h"

uint16_t checksums_sum16(const uint8_t *data, size_t len) {
    uint16_t sum = 0;
    for (size_t i = 0; i < len; i++) {
        sum += data[i];
    }
    return sum;
}
