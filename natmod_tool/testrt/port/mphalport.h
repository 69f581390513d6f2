// natmod-tool test runtime: HAL hooks.  Scripts run to completion without input, so
// there is no interrupt character and no stdin.
static inline void mp_hal_set_interrupt_char(int c) {
    (void)c;
}

// No pins: a pin type of our own keeps py/mphal.h from pulling in extmod/virtpin.h.
#define mp_hal_pin_obj_t void *
