/* natmod-tool test runtime: RISC-V reset and trap entry (qemu virt, -bios none, so
   the core starts here in machine mode at the start of RAM).

   Reset: stack, global pointer, trap vector, clear .bss, main().  Any trap (an illegal
   instruction or a bad address in a native module, ...) switches to a stack of its
   own and reports mcause/mepc/mtval through natmod_rt_trap, which ends the run. */

#if __riscv_xlen == 64
#define STORE sd
#define WORD 8
#else
#define STORE sw
#define WORD 4
#endif

    /* the CSR instructions: not in the natmods' -march, needed here only */
    .option arch, +zicsr

    .section .text.start, "ax"
    .globl _start
_start:
    la sp, _natmod_stack_top
    .option push
    .option norelax
    la gp, __global_pointer$
    .option pop
    la tp, _natmod_tls
    la t0, natmod_rt_trap_entry
    csrw mtvec, t0
    la t0, _sbss
    la t1, _ebss
1:
    bgeu t0, t1, 2f
    STORE zero, 0(t0)
    addi t0, t0, WORD
    j 1b
2:
    call main
    li a0, 0
    call natmod_rt_exit

    .section .text.trap, "ax"
    .balign 4
    .globl natmod_rt_trap_entry
natmod_rt_trap_entry:
    la sp, _natmod_trap_stack_top
    csrr a0, mcause
    csrr a1, mepc
    csrr a2, mtval
    call natmod_rt_trap
3:
    j 3b
