# Runs in MicroPython with the built floats.mpy on sys.path.
# Portable across arches: mp_float_t is double on some boards and float on others,
# and arches built with MICROPY_FLOAT_IMPL_NONE have no floats at all (SKIP there).
import floats

if not floats.HAS_FLOAT:
    print("SKIP")
    print("floats was built without float support for this arch (MICROPY_FLOAT_IMPL_NONE)")
else:
    # the relative accuracy the module's float type can promise (single precision: ~7 digits)
    tol = 1e-6 if floats.FLOAT_BITS == 32 else 1e-12
    print("float bits known:", floats.FLOAT_BITS in (32, 64))
    # values exact in single and double precision print the same everywhere
    print("mean:", floats.mean([1, 2, 3, 4]), floats.mean((0.5, 0.25)))
    print("poly:", floats.poly(2, [1, 0, 3]), floats.poly(0.5, (1.0, -2.0)))
    print("to_fixed:", floats.to_fixed(1.5, 8), floats.to_fixed(-0.75, 4), floats.to_fixed(3.14159, 10))
    # inexact ones are compared within the precision
    print("mean close:", abs(floats.mean([0.1, 0.2, 0.3]) - 0.2) < tol * 0.2)
    print("poly close:", abs(floats.poly(1.1, [0.5, -1.5, 2.0]) - 1.27) < tol * 1.27 * 4)
    try:
        floats.mean([])
    except ValueError as e:
        print("ValueError:", e)
