# Runs in MicroPython with the built exceptions.mpy on sys.path.
import exceptions as ex

print("in range:", ex.check_range(5, 0, 10))
try:
    ex.check_range(11, 0, 10)
except ex.RangeError as e:
    print("RangeError:", e, isinstance(e, ValueError))

print("div:", ex.checked_div(17, 5))
for a, b in ((-1, 2), (1, 0)):
    try:
        ex.checked_div(a, b)
    except (ValueError, ZeroDivisionError) as e:
        print(type(e).__name__ + ":", e)

try:
    ex.fail_errno(2)
except OSError as e:
    print("OSError:", e.errno)


def boom(msg):
    raise KeyError(msg)


print("try_call ok:", ex.try_call(lambda a, b: a * b, 6, 7))
ok, err = ex.try_call(boom, "missing")
print("try_call err:", ok, type(err).__name__, err.args)
ok, err = ex.try_call(ex.check_range, 50, 0, 10)
print("try_call native err:", ok, type(err).__name__)

print("first_ok:", ex.first_ok([lambda: 1 // 0, lambda: boom("x"), lambda: None]))
print("first_ok none:", ex.first_ok([lambda: 1 // 0]))

# the handlers above were all popped: a plain raise still reaches Python
try:
    ex.checked_div(1, 0)
except ZeroDivisionError:
    print("still caught in Python")
