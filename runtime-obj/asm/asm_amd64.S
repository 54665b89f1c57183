/*
 * asm_amd64.S: the parts of the runtime that cannot be written in Rust.
 *
 * - runtime_rt0_go: aligns the OS stack, lets Rust carve g0 and set up TLS, then calls the
 *   bootstrap stages in Go's order. It never returns.
 * - runtime_gogo / runtime_mcall / runtime_goexit: the goroutine context switch. A Gobuf holds
 *   exactly the System V callee-saved state: rsp, the resume pc, rbp, rbx, r12-r15, the MXCSR
 *   control bits and the x87 control word. Everything else is caller-saved, so a switch that
 *   happens at a call boundary needs nothing more.
 * - runtime_clone: a new thread for an M, starting in runtime_mstart_m on the M's g0 stack.
 * - runtime_async_preempt: where a preempted goroutine's signal handler returns to; it saves
 *   every register and the extended state, yields, and restores them all.
 * - runtime_sigreturn: the signal restorer; rt_printf: the variadic entry of the printf family.
 * - mainPC, the init/fini array markers and the .comment naming rtlink.
 *
 * The struct offsets below must match runtime2.rs; runtime_asm_offsets publishes them and
 * runtime_check compares each with the Rust layout at start-up, so a mismatch is a throw, not a
 * silent corruption.
 */
#define TLS_G		0x38	/* %fs:TLS_G holds the current g (see tls.rs) */
#define TLS_RESUME	0x30	/* %fs:TLS_RESUME: where runtime_async_preempt jumps back to */
#define G_STACK_LO	0
#define G_STACK_HI	8
#define G_M		32
#define G_SCHED		40
#define BUF_SP		0
#define BUF_PC		8
#define BUF_BP		16
#define BUF_RBX		24
#define BUF_R12		32
#define BUF_R13		40
#define BUF_R14		48
#define BUF_R15		56
#define BUF_MXCSR	64
#define BUF_FCW		68
#define M_G0		0
#define M_PROCID	40

/* runtime_rt0_go(argc %rdi, argv %rsi): never returns. */
	.section .text.runtime_rt0_go,"ax",@progbits
	.globl runtime_rt0_go
	.type runtime_rt0_go,@function
runtime_rt0_go:
	movq	%rdi, %r12		/* argc: callee-saved across the stage calls */
	movq	%rsi, %r13		/* argv */
	andq	$~15, %rsp		/* 16-byte alignment for the calls below */
#ifdef RTLINK_PIE
	leaq	__ehdr_start(%rip), %rdi	/* static-PIE: relocate before any global is read */
	call	runtime_relocate
	movq	%r12, %rdi
	movq	%r13, %rsi
#endif
	xorl	%ebp, %ebp		/* terminate the frame-pointer chain */
	movq	%rsp, %rdx		/* g0.stack.hi */
	call	runtime_rt0_go1		/* carve g0, CPU check, TLS, bind g0/m0 */
	call	runtime_check
	movq	%r12, %rdi
	movq	%r13, %rsi
	call	runtime_args
	call	runtime_osinit
	call	runtime_schedinit
	movq	mainPC(%rip), %rdi	/* the first goroutine starts at *mainPC */
	xorl	%esi, %esi
	call	runtime_newproc
	call	runtime_mstart
	ud2				/* mstart never returns */
	.size runtime_rt0_go, .-runtime_rt0_go

/* runtime_gogo(buf *Gobuf): restore the context in buf and jump to its pc. */
	.section .text.runtime_gogo,"ax",@progbits
	.globl runtime_gogo
	.type runtime_gogo,@function
runtime_gogo:
	movq	BUF_SP(%rdi), %rsp
	movq	BUF_BP(%rdi), %rbp
	movq	BUF_RBX(%rdi), %rbx
	movq	BUF_R12(%rdi), %r12
	movq	BUF_R13(%rdi), %r13
	movq	BUF_R14(%rdi), %r14
	movq	BUF_R15(%rdi), %r15
	ldmxcsr	BUF_MXCSR(%rdi)
	fldcw	BUF_FCW(%rdi)
	jmp	*BUF_PC(%rdi)
	.size runtime_gogo, .-runtime_gogo

/*
 * runtime_mcall(fn func(*G)): save the caller's context in g.sched so that gogo resumes it as
 * if mcall had returned, switch to g0's stack and call fn(g). fn must not return.
 */
	.section .text.runtime_mcall,"ax",@progbits
	.globl runtime_mcall
	.type runtime_mcall,@function
runtime_mcall:
	movq	%rdi, %r8		/* fn */
	movq	%fs:TLS_G, %rax		/* g */
	movq	0(%rsp), %rcx		/* the caller's resume pc */
	leaq	8(%rsp), %rdx		/* the caller's sp after the return */
	movq	%rdx, G_SCHED+BUF_SP(%rax)
	movq	%rcx, G_SCHED+BUF_PC(%rax)
	movq	%rbp, G_SCHED+BUF_BP(%rax)
	movq	%rbx, G_SCHED+BUF_RBX(%rax)
	movq	%r12, G_SCHED+BUF_R12(%rax)
	movq	%r13, G_SCHED+BUF_R13(%rax)
	movq	%r14, G_SCHED+BUF_R14(%rax)
	movq	%r15, G_SCHED+BUF_R15(%rax)
	stmxcsr	G_SCHED+BUF_MXCSR(%rax)
	fnstcw	G_SCHED+BUF_FCW(%rax)
	movq	G_M(%rax), %rsi
	movq	M_G0(%rsi), %rsi	/* g0 */
	cmpq	%rsi, %rax
	je	1f			/* mcall on g0 is a runtime bug */
	movq	%rsi, %fs:TLS_G		/* g = g0 */
	movq	G_SCHED+BUF_SP(%rsi), %rsp
	xorl	%ebp, %ebp
	movq	%rax, %rdi
	call	*%r8
	ud2				/* fn returned */
1:	call	runtime_badmcall
	ud2
	.size runtime_mcall, .-runtime_mcall

/*
 * runtime_goexit: the bottom frame of every goroutine. newproc points a new g's pc here with
 * r12 = arg and r13 = fn on an aligned, empty stack; when fn returns the goroutine ends.
 */
	.section .text.runtime_goexit,"ax",@progbits
	.globl runtime_goexit
	.type runtime_goexit,@function
runtime_goexit:
	movq	%r12, %rdi
	call	*%r13
	call	runtime_goexit1
	ud2
	.size runtime_goexit, .-runtime_goexit

/*
 * runtime_clone(flags, stk, mp, g0, tls): clone(2) a thread of this process and return its id
 * (or -errno) in the parent. The child starts on stk (16-byte aligned) with %fs = tls
 * (CLONE_SETTLS), makes g0 its current g and calls runtime_mstart_m(mp), which never returns.
 * mp->procid receives the thread id (CLONE_PARENT_SETTID) and is zeroed when the thread ends
 * (CLONE_CHILD_CLEARTID).
 */
	.section .text.runtime_clone,"ax",@progbits
	.globl runtime_clone
	.type runtime_clone,@function
runtime_clone:
	pushq	%r12
	pushq	%r13
	movq	%rdx, %r12		/* mp: callee-saved, so the child has it too */
	movq	%rcx, %r13		/* g0 */
	leaq	M_PROCID(%rdx), %rdx	/* parent_tid */
	movq	%rdx, %r10		/* child_tid: the same word */
	movl	$56, %eax		/* clone; flags in %rdi, stk in %rsi, tls in %r8 */
	syscall
	testq	%rax, %rax
	jz	1f
	popq	%r13			/* the parent (or an error) */
	popq	%r12
	ret
1:	xorl	%ebp, %ebp		/* the child, on stk: a fresh frame chain */
	movq	%r13, %fs:TLS_G
	movq	%r12, %rdi
	call	runtime_mstart_m
	ud2
	.size runtime_clone, .-runtime_clone

/*
 * runtime_async_preempt: the SIGURG handler (signal.rs) makes the interrupted goroutine
 * "call" this at an arbitrary instruction: on entry %rsp = the interrupted sp - 136 (the 128-byte
 * red zone skipped) and (%rsp) = the interrupted pc. Every general register and the flags are
 * pushed, the XSAVE state (all components the OS enabled; runtime_xsave_size bytes, 64-byte
 * aligned, the whole header zeroed first as XRSTOR requires) is saved below them, and
 * runtime_async_preempt2 yields; when the goroutine runs again (perhaps on another thread)
 * everything is restored and it jumps back through %fs:TLS_RESUME, so no register is clobbered.
 */
	.section .text.runtime_async_preempt,"ax",@progbits
	.globl runtime_async_preempt
	.type runtime_async_preempt,@function
runtime_async_preempt:
	pushfq
	pushq	%rax
	pushq	%rbx
	pushq	%rcx
	pushq	%rdx
	pushq	%rsi
	pushq	%rdi
	pushq	%rbp
	pushq	%r8
	pushq	%r9
	pushq	%r10
	pushq	%r11
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	movq	%rsp, %rbx		/* the register frame; rbx is saved */
	subq	runtime_xsave_size(%rip), %rsp
	andq	$~63, %rsp
	xorl	%eax, %eax
	movq	%rax, 512(%rsp)		/* the whole 64-byte XSAVE header must start zeroed: */
	movq	%rax, 520(%rsp)		/* XSAVE sets only the XSTATE_BV bits of the components */
	movq	%rax, 528(%rsp)		/* it saves, and XRSTOR faults on any other bit set */
	movq	%rax, 536(%rsp)		/* there or on anything in bytes 8..63, so stale stack */
	movq	%rax, 544(%rsp)		/* data there is a crash on resumption */
	movq	%rax, 552(%rsp)
	movq	%rax, 560(%rsp)
	movq	%rax, 568(%rsp)
	movl	$-1, %eax
	movl	$-1, %edx
	xsave64	(%rsp)
	call	runtime_async_preempt2
	movl	$-1, %eax
	movl	$-1, %edx
	xrstor64 (%rsp)
	movq	%rbx, %rsp
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%r11
	popq	%r10
	popq	%r9
	popq	%r8
	popq	%rbp
	popq	%rdi
	popq	%rsi
	popq	%rdx
	popq	%rcx
	popq	%rbx
	movq	16(%rsp), %rax		/* the interrupted pc, above rax and the flags */
	movq	%rax, %fs:TLS_RESUME
	popq	%rax
	popfq
	leaq	136(%rsp), %rsp		/* the interrupted sp; lea leaves the flags alone */
	jmp	*%fs:TLS_RESUME
	.size runtime_async_preempt, .-runtime_async_preempt

/* runtime_sigreturn: sa_restorer for every handler the runtime installs. */
	.section .text.runtime_sigreturn,"ax",@progbits
	.globl runtime_sigreturn
	.type runtime_sigreturn,@function
runtime_sigreturn:
	movl	$15, %eax		/* rt_sigreturn */
	syscall
	ud2
	.size runtime_sigreturn, .-runtime_sigreturn

/*
 * rt_printf(fmt, ...): builds a System V va_list over the register arguments and the caller's
 * stack arguments and hands it to rt_vprintf. Only integer and pointer arguments exist in the
 * supported conversions, so fp_offset starts past the vector save area (176).
 */
	.section .text.rt_printf,"ax",@progbits
	.globl rt_printf
	.type rt_printf,@function
rt_printf:
	pushq	%rbp
	movq	%rsp, %rbp
	subq	$80, %rsp		/* 48-byte register save area + 24-byte va_list, aligned */
	movq	%rdi, 0(%rsp)
	movq	%rsi, 8(%rsp)
	movq	%rdx, 16(%rsp)
	movq	%rcx, 24(%rsp)
	movq	%r8, 32(%rsp)
	movq	%r9, 40(%rsp)
	movl	$8, 48(%rsp)		/* gp_offset: fmt is taken */
	movl	$176, 52(%rsp)		/* fp_offset: no vector registers */
	leaq	16(%rbp), %rax
	movq	%rax, 56(%rsp)		/* overflow_arg_area */
	movq	%rsp, 64(%rsp)		/* reg_save_area */
	leaq	48(%rsp), %rsi
	call	rt_vprintf
	leave
	ret
	.size rt_printf, .-rt_printf

/* The offsets above, for runtime_check. Order: see runtime2.rs AsmOffsets. */
	.section .rodata.runtime_asm_offsets,"a",@progbits
	.globl runtime_asm_offsets
	.type runtime_asm_offsets,@object
runtime_asm_offsets:
	.byte TLS_G, G_STACK_LO, G_STACK_HI, G_M, G_SCHED, BUF_SP, BUF_PC, BUF_BP, BUF_RBX
	.byte BUF_R12, BUF_R13, BUF_R14, BUF_R15, BUF_MXCSR, BUF_FCW, M_G0, M_PROCID
	.size runtime_asm_offsets, .-runtime_asm_offsets

/*
 * mainPC: read-only, holds the address the first goroutine starts at (Go: runtime·mainPC).
 * A static-PIE relocates it at start, so there it lives in .data.rel.ro, which the runtime
 * then makes read-only (PT_GNU_RELRO).
 */
#ifdef RTLINK_PIE
	.section .data.rel.ro.mainPC,"aw",@progbits
#else
	.section .rodata.mainPC,"a",@progbits
#endif
	.balign 8
	.globl mainPC
	.type mainPC,@object
mainPC:
	.quad runtime_main
	.size mainPC, 8

/*
 * runtime_goamd64: the microarchitecture level the program's code was compiled for. Weak, so
 * that `rtlink build --amd64 vN` can supply a strong definition in an object of its own.
 */
	.section .rodata.runtime_goamd64,"a",@progbits
	.weak runtime_goamd64
	.type runtime_goamd64,@object
runtime_goamd64:
	.byte 1
	.size runtime_goamd64, 1

/*
 * Markers around the init/fini arrays, so the runtime finds the arrays without any symbol the
 * linker has to provide. Their section names place them with or without a linker script:
 * - preinit: the begin marker is a `.preinit_array` of the first input (the runtime object),
 *   so it comes before every other file's; mold keeps `.preinit_array.rtlink_end` as its own
 *   output section, which it orders by name right after `.preinit_array`.
 * - init/fini: mold sorts an array's input sections by the number after the last dot (none is
 *   65536, compilers emit 0..65535), so priority 0 begins and 100000 ends; the linker script
 *   names both markers explicitly and sorts only suffixes that start with a digit between them.
 */
	.macro MARK sect, type, sym, slots=0
	.section \sect,"aw",\type
	.balign 8
	.globl \sym
	.type \sym,@object
\sym:
	.rept \slots
	.quad runtime_nop
	.endr
	.size \sym, 8 * \slots
	.endm

/*
 * In a static-PIE each array's begin marker holds one entry, a function that does nothing: GNU
 * ld warns about an empty .init_array (and the others) when it writes a dynamic section, and a
 * successful link must be quiet. The ET_EXEC build keeps them empty.
 */
#ifdef RTLINK_PIE
#define BEGIN_SLOTS 1
	.section .text.runtime_nop,"ax",@progbits
	.type runtime_nop,@function
runtime_nop:
	ret
	.size runtime_nop, .-runtime_nop
#else
#define BEGIN_SLOTS 0
#endif
	MARK .preinit_array, @preinit_array, runtime_preinit_array_start, BEGIN_SLOTS
	MARK .preinit_array.rtlink_end, @preinit_array, runtime_preinit_array_end
	MARK .init_array.rtlink_begin.0, @init_array, runtime_init_array_start, BEGIN_SLOTS
	MARK .init_array.rtlink_end.100000, @init_array, runtime_init_array_end
	MARK .fini_array.rtlink_begin.0, @fini_array, runtime_fini_array_start, BEGIN_SLOTS
	MARK .fini_array.rtlink_end.100000, @fini_array, runtime_fini_array_end

/* The program's .comment names the rtlink that linked it (RTLINK_IDENT: the build script). */
	.ident RTLINK_IDENT

	.section .note.GNU-stack,"",@progbits
