# The Python half of the mixed module.
#
# This file is compiled with mpy-cross and merged into mixed.mpy after the C
# part, so the C functions _fletcher16 and _clamp are already defined when this
# code runs at import time.


def checksum(data):
    """Fletcher-16 checksum of a str or bytes, as four hex digits."""
    if isinstance(data, str):
        data = data.encode()
    return f"{_fletcher16(data):04x}"  # noqa: F821 (defined by mixed.c)


class Gauge:
    """A value that always stays within [low, high]."""

    def __init__(self, low, high):
        self.low = low
        self.high = high
        self.value = low

    def add(self, amount):
        self.value = _clamp(self.value + amount, self.low, self.high)  # noqa: F821
        return self.value


# Computed at import time, using the C part.
EMPTY_CHECKSUM = checksum(b"")
