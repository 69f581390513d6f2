# Runs in MicroPython with the built data.mpy on sys.path.
import data

print("primes:", [data.prime(i) for i in range(data.N_PRIMES)])
print("colours:", data.colour_names())
print("orange:", data.colour("orange"), "teal:", data.colour("teal"), "pink:", data.colour("pink"))

# BSS starts zeroed
hist, counts = data.stats()
print("fresh:", hist, sorted(counts.items()))

for x in (1, 2, 3, 9, 10, 17, 100):
    data.record(x)
hist, counts = data.stats()
print("after:", hist, sorted(counts.items()))

data.reset()
hist, counts = data.stats()
print("reset:", hist, sorted(counts.items()))

try:
    data.prime(data.N_PRIMES)
except ValueError as e:
    print("ValueError:", e)
