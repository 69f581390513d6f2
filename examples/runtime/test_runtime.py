# Runs in MicroPython with the built runtime.mpy on sys.path.
import runtime

print(
    "fib_mod:",
    runtime.fib_mod(10, 1000),
    runtime.fib_mod(90, 1000000007),
    runtime.fib_mod(5, 1),
    runtime.fib_mod(7, -5),
)
print("gcd:", runtime.gcd(1071, 462), runtime.gcd(-48, 18), runtime.gcd(7, 0))
print("mulmod:", runtime.mulmod(123456789, 987654321, 1000000007), runtime.mulmod(-7, 3, 5))

try:
    runtime.fib_mod(3, 0)
except ValueError as e:
    print("ValueError:", e)
