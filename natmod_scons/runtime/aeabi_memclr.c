// ARM run-time ABI zeroing helpers (clang calls them for `= {0}` and zeroed structs), on
// the firmware's memset (mp_fun_table).
void *memset(void *dest, int c, __SIZE_TYPE__ n);

void __aeabi_memclr(void *dest, __SIZE_TYPE__ n) {
    memset(dest, 0, n);
}

void __aeabi_memclr4(void *dest, __SIZE_TYPE__ n) {
    memset(dest, 0, n);
}

void __aeabi_memclr8(void *dest, __SIZE_TYPE__ n) {
    memset(dest, 0, n);
}
