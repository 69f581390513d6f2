/* natmod-tool test runtime: lx106 vectors, reset and exception entry (qemu xtensa
   sim machine, call0 ABI).

   The vectors sit at VECBASE = 0x40000000 (instram0, which also holds the ESP8266
   ROM routine addresses natmods call, see romtable.py): debug +0x10, NMI +0x20,
   kernel +0x30, user +0x50, double +0x70.  Each jumps to an entry that switches to
   a stack of its own and reports the cause and PC through natmod_rt_exception,
   which ends the run.

   qemu's lx106 leaves reset at 0x50000000 (sysrom0), too far for a `j` and with no
   memory below it for an L32R literal: the reset stub builds the address 0x40000080
   from immediates and jumps there, to a `j natmod_rt_reset` (0x80 is the lx106's
   own reset offset).  natmod_rt_reset (also the ELF entry): vectors, PS (user vector
   mode, interrupts off), stack, clear .bss, main(). */

    .section .natmod_reset, "ax"
    .begin no-transform
    movi a0, 0x400
    slli a0, a0, 20         /* 0x40000000 */
    movi a2, 0x80
    add a0, a0, a2
    jx a0
    .end no-transform

    .section .natmod_vectors, "ax"
    .begin no-transform
    .org 0x10
    j natmod_rt_exc_debug
    .org 0x20
    j natmod_rt_exc_nmi
    .org 0x30
    j natmod_rt_exc_kernel
    .org 0x50
    j natmod_rt_exc_user
    .org 0x70
    j natmod_rt_exc_double
    .org 0x80
    j natmod_rt_reset
    .end no-transform

    .section .text.natmod_entry, "ax"
    .literal_position
    .align 4
    .global natmod_rt_reset
    .type natmod_rt_reset, @function
natmod_rt_reset:
    movi a2, _natmod_vectors
    wsr a2, vecbase
    movi a2, 0x2f           /* PS: INTLEVEL 15, UM 1, EXCM 0 */
    wsr a2, ps
    rsync
    movi a1, _natmod_stack_top
    movi a2, _sbss
    movi a3, _ebss
    movi a4, 0
1:
    bgeu a2, a3, 2f
    s32i a4, a2, 0
    addi a2, a2, 4
    j 1b
2:
    movi a0, main
    callx0 a0
    movi a2, 0
    movi a0, natmod_rt_exit
    callx0 a0
3:
    j 3b

/* a2 = kind (natmod_rt_exception), a3 = pc of the faulting instruction */
    .align 4
natmod_rt_exc_user:
natmod_rt_exc_kernel:
    movi a2, 0
    rsr a3, epc1
    j 4f
    .align 4
natmod_rt_exc_double:
    movi a2, 1
    rsr a3, depc
    j 4f
    .align 4
natmod_rt_exc_debug:
    movi a2, 2
    rsr a3, epc2
    j 4f
    .align 4
natmod_rt_exc_nmi:
    movi a2, 3
    rsr a3, epc3
4:
    movi a1, _natmod_trap_stack_top
    rsr a4, exccause
    rsr a5, excvaddr
    movi a0, natmod_rt_exception
    callx0 a0
5:
    j 5b
