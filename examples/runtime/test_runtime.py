# Runs in MicroPython with the built runtime.mpy on sys.path.
# Negative arguments matter: on 32-bit cores they catch the mp_obj_get_int() sign
# trap described in runtime.c (a zero-extended -5 gives fib_mod(7, -5) == 13).
import runtime

print(
    "fib_mod:",
    runtime.fib_mod(10, 1000),
    runtime.fib_mod(90, 1000000007),
    runtime.fib_mod(5, 1),
    runtime.fib_mod(7, -5),
    runtime.fib_mod(10, -7),
)
print("gcd:", runtime.gcd(1071, 462), runtime.gcd(-48, 18), runtime.gcd(7, 0))
print("mulmod:", runtime.mulmod(123456789, 987654321, 1000000007), runtime.mulmod(-7, 3, 5))
# products beyond 32 bits with negative factors: 64-bit arithmetic, C sign rules
print("mulmod neg:", runtime.mulmod(7, -3, 5), runtime.mulmod(-100000, 100000, 1000000007))
print("mulmod both neg:", runtime.mulmod(-123456, -654321, -1000003))

for args in ((3, 0), (-1, 5)):
    try:
        runtime.fib_mod(*args)
    except ValueError as e:
        print("ValueError:", e)
