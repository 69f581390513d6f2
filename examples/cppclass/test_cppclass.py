# Runs in MicroPython with the built cppclass.mpy on sys.path.
import cppclass

print("table_max:", cppclass.table_max())
print("max_of:", cppclass.max_of(-3, 8), cppclass.max_of(10, 2))

w = cppclass.Window(10)
for sample in (1, 2, 3):
    w.add(sample)
print("3 samples: total", w.total(), "count", w.count(), "peak", w.peak())
for sample in (9, 5, 6):
    w.add(sample)
print("last 4: total", w.total(), "count", w.count(), "peak", w.peak())

plain = cppclass.Window()
print("empty:", plain.total(), plain.count())
plain.add(-7)
print("one sample:", plain.total())

# many instances: each C++ object lives on the MicroPython heap
windows = [cppclass.Window(i) for i in range(50)]
for win in windows:
    win.add(2)
print("sum of totals:", sum(win.total() for win in windows))
print(type(w).__name__)
