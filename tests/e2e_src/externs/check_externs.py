# externs.c: symbols at the fixed addresses of the EXTERNS= file.
import externs

print(hex(externs.marker()))
if externs.FIRMWARE:
    print(externs.floor_div(-7, 2), externs.floor_div(7, -2), externs.floor_div(9, 3))
    print(externs.bytearray_type() is bytearray, externs.bytearray_type()(b"ab"))
