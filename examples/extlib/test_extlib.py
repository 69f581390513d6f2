# Runs in MicroPython with the built extlib.mpy on sys.path.
import extlib

print("crc32:", hex(extlib.crc32(b"123456789")), hex(extlib.crc32(b"")))
print("crc32 chunked:", hex(extlib.crc32(b"6789", extlib.crc32(b"12345"))))
print("fnv1a:", hex(extlib.fnv1a(b"")), hex(extlib.fnv1a(b"a")), hex(extlib.fnv1a(bytearray(b"foobar"))))

assert extlib.crc32(b"The quick brown fox jumps over the lazy dog") == 0x414FA339
