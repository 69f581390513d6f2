# Runs in MicroPython with the built cppclass.mpy on sys.path.
import cppclass

print("table_max:", cppclass.table_max())
print("max_of:", cppclass.max_of(-3, 8), cppclass.max_of(10, 2))

avg = cppclass.Averager(10)
for sample in (1, 2, 3):
    avg.add(sample)
print("mean of 3:", avg.mean(), "count:", avg.count())
for sample in (4, 5, 6):
    avg.add(sample)
print("mean of last 4:", avg.mean(), "count:", avg.count())

plain = cppclass.Averager()
print("empty mean:", plain.mean())
plain.add(7)
print("one sample:", plain.mean())
print(type(avg).__name__)
