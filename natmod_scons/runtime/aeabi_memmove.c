// ARM run-time ABI overlapping-copy helpers, on the firmware's memmove (mp_fun_table).
void *memmove(void *dest, const void *src, __SIZE_TYPE__ n);

void __aeabi_memmove(void *dest, const void *src, __SIZE_TYPE__ n) {
    memmove(dest, src, n);
}

void __aeabi_memmove4(void *dest, const void *src, __SIZE_TYPE__ n) {
    memmove(dest, src, n);
}

void __aeabi_memmove8(void *dest, const void *src, __SIZE_TYPE__ n) {
    memmove(dest, src, n);
}
