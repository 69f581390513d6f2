// ARM run-time ABI fill helpers, on the firmware's memset (mp_fun_table).  Note the
// argument order: the AEABI puts the length before the value, memset after it.
void *memset(void *dest, int c, __SIZE_TYPE__ n);

void __aeabi_memset(void *dest, __SIZE_TYPE__ n, int c) {
    memset(dest, c, n);
}

void __aeabi_memset4(void *dest, __SIZE_TYPE__ n, int c) {
    memset(dest, c, n);
}

void __aeabi_memset8(void *dest, __SIZE_TYPE__ n, int c) {
    memset(dest, c, n);
}
