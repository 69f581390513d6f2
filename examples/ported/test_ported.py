# Runs in MicroPython with the built ported.mpy on sys.path.
import ported

print("empty:", ported.adler32(b""))
print("wikipedia:", hex(ported.adler32(b"Wikipedia")))
# 6144 bytes: more than one ADLER_NMAX (5552) run, yet small enough for the 16 KiB
# heap of the armv6m board (10 KiB in one piece does not fit there)
print("long:", ported.adler32(bytes(range(256)) * 24))
print("verify:", ported.verify(b"Wikipedia", 0x11E60398), ported.verify(b"wikipedia", 0x11E60398))
print("chunked:", ported.chunked([b"Wiki", b"", b"pedia"]) == ported.adler32(b"Wikipedia"))
print("BASE:", ported.BASE)
print("VERSION:", ported.VERSION)
