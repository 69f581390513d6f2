# Runs in MicroPython with the built floats.mpy on sys.path.
# Portable across arches: mp_float_t is double on some boards and float on others,
# and arches built with MICROPY_FLOAT_IMPL_NONE have no floats at all (SKIP there).
# No decimal literals in this file: a firmware without floats rejects them when it
# compiles the script, before the SKIP could be printed; float("...") parses at run time.
import floats

if not floats.HAS_FLOAT:
    print("SKIP")
    print("floats was built without float support for this arch (MICROPY_FLOAT_IMPL_NONE)")
else:
    F = float
    # the relative accuracy the module's float type can promise (single precision: ~7 digits)
    tol = F("1e-6") if floats.FLOAT_BITS == 32 else F("1e-12")
    print("float bits known:", floats.FLOAT_BITS in (32, 64))
    # values exact in single and double precision print the same everywhere
    print("mean:", floats.mean([1, 2, 3, 4]), floats.mean((F("0.5"), F("0.25"))))
    print("poly:", floats.poly(2, [1, 0, 3]), floats.poly(F("0.5"), (F("1.0"), F("-2.0"))))
    print("to_fixed:", floats.to_fixed(F("1.5"), 8), floats.to_fixed(F("-0.75"), 4), floats.to_fixed(F("3.14159"), 10))
    # inexact ones are compared within the precision
    got = floats.mean([F("0.1"), F("0.2"), F("0.3")])
    print("mean close:", abs(got - F("0.2")) < tol * F("0.2"))
    got = floats.poly(F("1.1"), [F("0.5"), F("-1.5"), F("2.0")])
    print("poly close:", abs(got - F("1.27")) < tol * F("1.27") * 4)
    try:
        floats.mean([])
    except ValueError as e:
        print("ValueError:", e)
