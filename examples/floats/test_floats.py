# Runs in MicroPython with the built floats.mpy on sys.path.
import floats

print("has float:", floats.HAS_FLOAT, floats.FLOAT_BITS)
print("mean:", floats.mean([1, 2, 3, 4]), floats.mean((0.5, 0.25)))
print("poly:", floats.poly(2, [1, 0, 3]), floats.poly(0.5, (1.0, -2.0)))
print("to_fixed:", floats.to_fixed(1.5, 8), floats.to_fixed(-0.75, 4), floats.to_fixed(3.14159, 10))

assert abs(floats.mean([0.1, 0.2, 0.3]) - 0.2) < 1e-9
try:
    floats.mean([])
except ValueError as e:
    print("ValueError:", e)
