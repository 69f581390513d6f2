# mathy.c: sqrtf, sinf and pow through LINK_RUNTIME=1, integer results:
# sqrt(16) = 4, sin(1.6) = 0.9996, 16 ** 1.5 = 64; sqrt(9) = 3, sin(0.9) = 0.7833, 9 ** 1.5 = 27
import mathy

print(mathy.calc(16), mathy.calc(9))
