// The non-PIC library's interface (lib/ledger.c), used by the PIC module code.
#ifndef LEDGER_H
#define LEDGER_H

extern int ledger_scale;
extern const char *const ledger_names[3];
extern int (*const ledger_ops[2])(int);

int ledger_step(int i);
int ledger_calls(void);
long ledger_total(int i);

#endif
