# statics.c: static BSS, static initialised data and a global initialised pointer.
import statics as s

print(s.bump(), s.bump(), s.table(2), s.poke(2, 7), s.table(2), s.name(), s.fill(3))
