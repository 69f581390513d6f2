// natmod-tool test runtime: stands in for MicroPython's extmod/modplatform.h, which
// py/modsys.c includes but the default tree (py/ and shared/ only) does not ship.
// modsys.c needs nothing from it here: sys.implementation names the board through
// MICROPY_HW_BOARD_NAME (mpconfigport.h), and there is no `platform` module.
#ifndef NATMOD_RT_MODPLATFORM_H
#define NATMOD_RT_MODPLATFORM_H
#endif
