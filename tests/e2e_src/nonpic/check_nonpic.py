# nonpic.c over lib/ledger.c, a library compiled without -fpic (RISC-V lui/%lo pairs).
# step: primes[i] * scale; total: 100 * (i + 1) plus the steps there; apply: twice, negate
import nonpic

print(nonpic.step(1), nonpic.step(2), nonpic.calls())
nonpic.set_scale(10)
print(nonpic.step(3), nonpic.total(3), nonpic.total(1), nonpic.calls())
print(nonpic.name(0), nonpic.name(2), nonpic.apply(0, 21), nonpic.apply(1, 5))
