# Runs in MicroPython with stress.mpy on sys.path (tests/test_clang_vectors.py).
import stress

# run(3): 78 + 27 (3**3) + 41 + 1 call * 1000 + 2 * 100000
print(stress.run(3))
# run(4): 78 + 16 (4**2) + 53 + 2000 + 400000
print(stress.run(4))
# run(9): 78 + 729 (9**3, into a[1]) - 1 (no case) + 3000 + 600000
print(stress.run(9))
