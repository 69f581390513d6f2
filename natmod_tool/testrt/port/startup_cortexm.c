// natmod-tool test runtime: Cortex-M reset and fault handling (M0, M3, M4F, M7).
//
// Reset copies .data from flash, clears .bss, turns the FPU on where the build uses
// one (CPACR: full access to CP10/CP11), then runs main().  Every fault vector goes
// to one handler that names the exception and the faulting PC and ends the run with
// status 1: a natmod with a bad instruction or a wild jump must end the test, not
// hang it.
#include <stdint.h>
#include <string.h>

#include "natmod_rt.h"

extern char _natmod_stack_top[], _sidata[], _sdata[], _edata[], _sbss[], _ebss[];
int main(void);

#define SCB_CPACR (*(volatile uint32_t *)0xE000ED88u)
#define SCB_CFSR (*(volatile uint32_t *)0xE000ED28u)
#define SCB_HFSR (*(volatile uint32_t *)0xE000ED2Cu)
#define SCB_SHCSR (*(volatile uint32_t *)0xE000ED24u)

__attribute__((noreturn)) void natmod_rt_reset(void) {
    memcpy(_sdata, _sidata, (size_t)(_edata - _sdata));
    memset(_sbss, 0, (size_t)(_ebss - _sbss));
    #if defined(__ARM_FP)
    SCB_CPACR |= 0xFu << 20;
    __asm__ volatile ("dsb\n isb" ::: "memory");
    #endif
    #if defined(__ARM_ARCH_7M__) || defined(__ARM_ARCH_7EM__)
    // separate MemManage, BusFault and UsageFault exceptions: clearer messages
    SCB_SHCSR |= 7u << 16;
    #endif
    main();
    natmod_rt_exit(0);
}

static const char *exception_name(uint32_t number) {
    switch (number) {
        case 2:
            return "NMI";
        case 3:
            return "HardFault";
        case 4:
            return "MemManage fault";
        case 5:
            return "BusFault";
        case 6:
            return "UsageFault";
        default:
            return "unexpected exception";
    }
}

// Called with the exception frame the core pushed: r0-r3, r12, lr, pc, xpsr.
__attribute__((noreturn, used)) void natmod_rt_fault(const uint32_t *frame, uint32_t ipsr) {
    char msg[160];
    char *p = msg;
    const char *name = exception_name(ipsr & 0x1ff);
    p = stpcpy(p, name);
    p = stpcpy(p, " (bad instruction or address, e.g. in a native module) at pc=");
    p = natmod_rt_append_hex(p, frame[6]);
    p = stpcpy(p, " lr=");
    p = natmod_rt_append_hex(p, frame[5]);
    #if defined(__ARM_ARCH_7M__) || defined(__ARM_ARCH_7EM__)
    p = stpcpy(p, " cfsr=");
    p = natmod_rt_append_hex(p, SCB_CFSR);
    #endif
    natmod_rt_fatal(msg);
}

// Pass the frame (on the main stack: the runtime never uses the process stack).
__attribute__((naked)) static void fault_entry(void) {
    __asm__ volatile (
        "mov r0, sp\n"
        "mrs r1, ipsr\n"
        "ldr r2, =natmod_rt_fault\n"
        "bx r2\n"
        ".ltorg\n"
        );
}

typedef void (*vector_t)(void);

__attribute__((section(".isr_vector"), used)) const vector_t natmod_rt_vectors[16] = {
    (vector_t)(uintptr_t)_natmod_stack_top,
    natmod_rt_reset,
    fault_entry, // NMI
    fault_entry, // HardFault
    fault_entry, // MemManage
    fault_entry, // BusFault
    fault_entry, // UsageFault
    0, 0, 0, 0,
    fault_entry, // SVCall
    fault_entry, // DebugMonitor
    0,
    fault_entry, // PendSV
    fault_entry, // SysTick
};
