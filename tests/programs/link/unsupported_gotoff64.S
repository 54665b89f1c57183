/* The large code model's way to data: the GOT's address by R_X86_64_GOTPC64, then data at an
 * offset from it by R_X86_64_GOTOFF64. tests/internal_link.rs links it with the candidate,
 * which must either reject the relocations by name or print what GNU ld's link prints:
 * "value=4242". */
	.text
	.globl main
	.type main, @function
main:
	pushq	%rbp
	movq	%rsp, %rbp
1:	leaq	1b(%rip), %rax
	movabsq	$_GLOBAL_OFFSET_TABLE_-1b, %rcx		/* R_X86_64_GOTPC64 */
	addq	%rcx, %rax
	movabsq	$value@GOTOFF, %rcx			/* R_X86_64_GOTOFF64 */
	movq	(%rax,%rcx), %rsi
	leaq	fmt(%rip), %rdi
	xorl	%eax, %eax
	call	rt_printf
	xorl	%eax, %eax
	popq	%rbp
	ret
	.size main, . - main

	.section .rodata
fmt:	.asciz "value=%lx\n"

	.data
	.align 8
value:	.quad 0x4242

	.section .note.GNU-stack,"",@progbits
