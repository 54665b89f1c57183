/* One function per x86-64 relocation type a static link must apply (relocs_main.c calls them
 * and prints what they return). Each reads or calls through its relocation something whose
 * value is known, so a relocation applied wrongly changes the output (or faults) instead of
 * going unnoticed. Assembled with gas's defaults, so GOT loads are GOTPCRELX/REX_GOTPCRELX
 * (relocs_gotpcrel.S has the unrelaxable R_X86_64_GOTPCREL). Types, in order: 64, PC64, PC32,
 * PLT32, 32, 32S, GOTPCRELX, REX_GOTPCRELX, TPOFF32, GOTTPOFF, TLSGD, TLSLD, DTPOFF32,
 * DTPOFF64, SIZE32, SIZE64. */

	.data
	.align 8
	.globl reloc_data
	.type reloc_data, @object
reloc_data:
	.quad 0x1111, 0x2222, 0x3333
	.size reloc_data, . - reloc_data
abs64:	.quad reloc_data + 8			/* R_X86_64_64 */
size32:	.long reloc_data@SIZE			/* R_X86_64_SIZE32 */
	.long 0
size64:	.quad reloc_data@SIZE + 100		/* R_X86_64_SIZE64 */
	.globl reloc_tls_index_b
reloc_tls_index_b:				/* a tls_index for __tls_get_addr: module 1 */
	.quad 1
	.quad tls_b@dtpoff			/* R_X86_64_DTPOFF64 */

	.section .rodata
	.align 8
pc64:	.quad reloc_data + 16 - .		/* R_X86_64_PC64 (another section, so gas cannot resolve it) */

	.section .tdata,"awT",@progbits
	.align 8
tls_a:	.quad 0x7001
	.globl tls_b
	.type tls_b, @object
tls_b:	.quad 0x7002
	.size tls_b, 8
	.section .tbss,"awT",@nobits
	.align 8
tls_z:	.zero 8

	.text

#define FUNC(name) .globl name; .type name, @function; name:
#define END(name) .size name, . - name

FUNC(reloc_fn)
	movl	$0x55, %eax
	ret
END(reloc_fn)

FUNC(reloc_fn2)
	movl	$0x66, %eax
	ret
END(reloc_fn2)

/* R_X86_64_64: a pointer in .data to reloc_data[1]. */
FUNC(reloc_abs64)
	movq	abs64(%rip), %rax
	movq	(%rax), %rax
	ret
END(reloc_abs64)

/* R_X86_64_PC64: an offset from the word itself to reloc_data[2]. */
FUNC(reloc_pc64)
	leaq	pc64(%rip), %rax
	addq	(%rax), %rax
	movq	(%rax), %rax
	ret
END(reloc_pc64)

/* R_X86_64_PC32 with an addend: reloc_data[1]. */
FUNC(reloc_pc32)
	leaq	reloc_data+8(%rip), %rax
	movq	(%rax), %rax
	ret
END(reloc_pc32)

/* R_X86_64_PLT32: a call. */
FUNC(reloc_plt32)
	pushq	%rbp
	movq	%rsp, %rbp
	call	reloc_fn@PLT
	addq	$0x100, %rax
	popq	%rbp
	ret
END(reloc_plt32)

/* R_X86_64_32: the address as a zero-extended immediate; reads reloc_data[2]. */
FUNC(reloc_abs32)
	movl	$reloc_data, %eax
	movq	16(%rax), %rax
	ret
END(reloc_abs32)

/* R_X86_64_32S: a sign-extended immediate and a displacement; reloc_data[0] + reloc_data[1]. */
FUNC(reloc_abs32s)
	movq	$reloc_data, %rcx
	movq	(%rcx), %rax
	movl	$1, %edx
	addq	reloc_data(,%rdx,8), %rax
	ret
END(reloc_abs32s)

/* R_X86_64_GOTPCRELX: call through the GOT, plus a 32-bit load of the low half of an
 * address from the GOT (reads reloc_data[2]). */
FUNC(reloc_gotpcrelx_call)
	pushq	%rbp
	movq	%rsp, %rbp
	call	*reloc_fn@GOTPCREL(%rip)
	movl	reloc_data@GOTPCREL(%rip), %ecx
	addq	16(%rcx), %rax
	popq	%rbp
	ret
END(reloc_gotpcrelx_call)

/* R_X86_64_GOTPCRELX: a tail call through the GOT. */
FUNC(reloc_gotpcrelx_jmp)
	jmp	*reloc_fn2@GOTPCREL(%rip)
END(reloc_gotpcrelx_jmp)

/* R_X86_64_REX_GOTPCRELX: loads into %rax and %r9, an add and a compare with the GOT entry.
 * reloc_data[0] + reloc_data[1] + reloc_data[2], plus 0x10000 if the compare saw the same
 * address lea computes. */
FUNC(reloc_rex_gotpcrelx)
	movq	reloc_data@GOTPCREL(%rip), %rax
	movq	(%rax), %rax
	movq	reloc_data@GOTPCREL(%rip), %r9
	addq	8(%r9), %rax
	movl	$16, %ecx
	addq	reloc_data@GOTPCREL(%rip), %rcx
	addq	(%rcx), %rax
	leaq	reloc_data(%rip), %rdx
	cmpq	reloc_data@GOTPCREL(%rip), %rdx
	jne	1f
	addq	$0x10000, %rax
1:	ret
END(reloc_rex_gotpcrelx)

/* R_X86_64_TPOFF32: local-exec, tls_a and tls_z (zero). */
FUNC(reloc_tpoff32)
	movq	%fs:tls_a@tpoff, %rax
	addq	%fs:tls_z@tpoff, %rax
	ret
END(reloc_tpoff32)

/* R_X86_64_GOTTPOFF: initial-exec, the mov form into %rax and %r10 and the add form into
 * %rcx and %r11 (a REX.R register changes the relaxed encoding). 4 * tls_b. */
FUNC(reloc_gottpoff)
	movq	tls_b@gottpoff(%rip), %rax
	movq	%fs:(%rax), %rax
	movq	tls_b@gottpoff(%rip), %r10
	addq	%fs:(%r10), %rax
	movq	%fs:0, %rcx
	addq	tls_b@gottpoff(%rip), %rcx
	addq	(%rcx), %rax
	movq	%fs:0, %r11
	addq	tls_b@gottpoff(%rip), %r11
	addq	(%r11), %rax
	ret
END(reloc_gottpoff)

/* R_X86_64_TLSGD: the general-dynamic sequence for tls_b, as gcc -fPIC emits it. */
FUNC(reloc_tlsgd)
	pushq	%rbp
	movq	%rsp, %rbp
	.byte	0x66
	leaq	tls_b@tlsgd(%rip), %rdi
	.byte	0x66, 0x66
	rex64
	call	__tls_get_addr@PLT
	movq	(%rax), %rax
	popq	%rbp
	ret
END(reloc_tlsgd)

/* R_X86_64_TLSLD then R_X86_64_DTPOFF32 (a load and two leas): tls_a + tls_b + tls_z. */
FUNC(reloc_tlsld)
	pushq	%rbp
	movq	%rsp, %rbp
	leaq	tls_a@tlsld(%rip), %rdi
	call	__tls_get_addr@PLT
	movq	tls_a@dtpoff(%rax), %rcx
	leaq	tls_b@dtpoff(%rax), %rdx
	addq	(%rdx), %rcx
	leaq	tls_z@dtpoff(%rax), %rdx
	addq	(%rdx), %rcx
	movq	%rcx, %rax
	popq	%rbp
	ret
END(reloc_tlsld)

/* R_X86_64_DTPOFF64: tls_b through reloc_tls_index_b, by a plain call to __tls_get_addr
 * (no sequence a linker would rewrite). */
FUNC(reloc_dtpoff64)
	pushq	%rbp
	movq	%rsp, %rbp
	leaq	reloc_tls_index_b(%rip), %rdi
	call	__tls_get_addr
	movq	(%rax), %rax
	popq	%rbp
	ret
END(reloc_dtpoff64)

/* R_X86_64_SIZE32 (in .data and as an immediate) and R_X86_64_SIZE64: 24, 24, 124. */
FUNC(reloc_size)
	movl	size32(%rip), %eax
	movl	$reloc_data@SIZE, %ecx
	imulq	$1000, %rcx, %rcx
	addq	%rcx, %rax
	movq	size64(%rip), %rcx
	imulq	$1000000, %rcx, %rcx
	addq	%rcx, %rax
	ret
END(reloc_size)

	.section .note.GNU-stack,"",@progbits
