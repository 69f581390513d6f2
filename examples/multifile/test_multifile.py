# Runs in MicroPython with the built multifile.mpy on sys.path.
import multifile

print("total:", multifile.total([1, 2, 3, 4]), multifile.total((10, -5)))
print("largest:", multifile.largest([3, 9, -2, 7]))
print("words:", multifile.words("  native modules\tare  fun\n"))
print("count:", multifile.count("mississippi", "s"))

assert multifile.total([]) == 0
try:
    multifile.largest([])
except ValueError as e:
    print("ValueError:", e)
