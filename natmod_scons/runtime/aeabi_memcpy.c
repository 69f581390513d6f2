// ARM run-time ABI copy helpers (clang calls them for struct copies), on the firmware's
// memmove: a natmod reaches it through mp_fun_table, and memmove serves every memcpy.
// The 4/8 variants only promise aligned pointers, which plain memmove does not need.
void *memmove(void *dest, const void *src, __SIZE_TYPE__ n);

void __aeabi_memcpy(void *dest, const void *src, __SIZE_TYPE__ n) {
    memmove(dest, src, n);
}

void __aeabi_memcpy4(void *dest, const void *src, __SIZE_TYPE__ n) {
    memmove(dest, src, n);
}

void __aeabi_memcpy8(void *dest, const void *src, __SIZE_TYPE__ n) {
    memmove(dest, src, n);
}
