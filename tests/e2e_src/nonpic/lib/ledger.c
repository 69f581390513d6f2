// A plain C library built WITHOUT -fpic (as picolibc is): every global below is
// addressed absolutely, with lui + %lo pairs, which the linker turns into auipc pairs.
// One of each kind of data: read-only table, small and large BSS, small and large
// initialised data, static and global, a pointer table and a function-pointer table.
#include "ledger.h"

static const int primes[8] = {2, 3, 5, 7, 11, 13, 17, 19};  // .rodata
static int calls;                                             // .sbss (static)
int ledger_history[16];                                       // .bss
int ledger_scale = 3;                                         // .sdata
static long totals[6] = {100, 200, 300, 400, 500, 600};       // .data (static)
const char *const ledger_names[3] = {"zero", "one", "two"};   // pointers, relocated at load

static int twice(int x) {
    return 2 * x;
}

static int negate(int x) {
    return -x;
}

int (*const ledger_ops[2])(int) = {twice, negate};

int ledger_step(int i) {
    calls += 1;
    ledger_history[calls & 15] = primes[i & 7] * ledger_scale;
    totals[i % 6] += ledger_history[calls & 15];
    return ledger_history[calls & 15];
}

int ledger_calls(void) {
    return calls;
}

long ledger_total(int i) {
    return totals[i % 6];
}
