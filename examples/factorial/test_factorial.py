# Runs in MicroPython with the built factorial.mpy on sys.path.
import factorial

for n in (0, 1, 5, 10, 12):
    print(f"factorial({n}) = {factorial.factorial(n)}")

assert factorial.factorial(10) == 3628800

try:
    factorial.factorial(-1)
except ValueError as e:
    print("ValueError:", e)
