# The Python part of the ported module (the Makefile's SRC listed it with the C
# files).  adler32 is defined by ported.c, which runs first at import time.


def verify(data, expected):
    """True when `data` has the Adler-32 checksum `expected`."""
    return adler32(data) == expected  # noqa: F821 (defined by ported.c)


def chunked(chunks):
    """The checksum of the concatenated chunks, computed piece by piece."""
    value = 1
    for chunk in chunks:
        value = adler32(chunk, value)  # noqa: F821
    return value
