# Runs in MicroPython with the built heap.mpy on sys.path.
import gc

import heap

b = heap.squares(20)
print("squares:", type(b).__name__, len(b), list(b[:8]), b[16], b[19])

print("join:", heap.join(", ", ["native", "modules", "allocate"]))
print("join empty:", repr(heap.join("-", [])))

s = heap.Stack()
for i in range(100):
    s.push(i * 3)
gc.collect()  # the items array must survive a collection
print("capacity:", s.capacity())
print("pop:", s.pop(), s.pop(), s.pop())
total = 0
for _ in range(97):
    total += s.pop()
print("total:", total)
try:
    s.pop()
except IndexError as e:
    print("IndexError:", e)

# Many short-lived buffers: the collector reclaims them
for _ in range(200):
    heap.squares(1000)
gc.collect()
print("done")
