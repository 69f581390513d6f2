# Python half of the mixed module: uses the C function defined by the native part.
def slow_sum(n):
    return sum(range(n))


def check(n):
    return fast_sum(n) == slow_sum(n)  # noqa: F821 (fast_sum comes from the C part)
