# Runs in MicroPython with the built mixed.mpy on sys.path.
import mixed

print("checksum:", mixed.checksum("abcde"), mixed.checksum(b"abcdefgh"))
print("empty:", mixed.EMPTY_CHECKSUM)

g = mixed.Gauge(0, 10)
print("gauge:", g.add(4), g.add(4), g.add(4), g.add(-20))

assert mixed._fletcher16(bytearray(b"abcdef")) == 0x2057
assert mixed.checksum("abcde") == "c8f0"
