// natmod-tool test runtime: the one core fact py/persistentcode.h asks the Xtensa
// toolchain for.  Debian's lx106 compiler ships no core-isa.h; the lx106 (ESP8266)
// uses the call0 ABI, no register windows, so the loader accepts arch "xtensa".
#ifndef NATMOD_RT_XTENSA_CORE_ISA_H
#define NATMOD_RT_XTENSA_CORE_ISA_H
#define XCHAL_HAVE_WINDOWED 0
#endif
