# Runs in MicroPython with the built ported.mpy on sys.path.
import ported

print("empty:", ported.adler32(b""))
print("wikipedia:", hex(ported.adler32(b"Wikipedia")))
print("long:", ported.adler32(bytes(range(256)) * 40))
print("verify:", ported.verify(b"Wikipedia", 0x11E60398), ported.verify(b"wikipedia", 0x11E60398))
print("chunked:", ported.chunked([b"Wiki", b"", b"pedia"]) == ported.adler32(b"Wikipedia"))
print("BASE:", ported.BASE)
print("VERSION:", ported.VERSION)
