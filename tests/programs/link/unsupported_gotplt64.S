/* The large code model's way to a function: the GOT's address by R_X86_64_GOTPC64, then the
 * offset of the function's GOT slot from it by R_X86_64_GOTPLT64. tests/internal_link.rs
 * links it with the candidate, which must either reject the relocations by name or print
 * what GNU ld's link prints: "answer=77". */
	.text
	.globl answer
	.type answer, @function
answer:
	movl	$0x77, %eax
	ret
	.size answer, . - answer

	.globl main
	.type main, @function
main:
	pushq	%rbp
	movq	%rsp, %rbp
1:	leaq	1b(%rip), %rax
	movabsq	$_GLOBAL_OFFSET_TABLE_-1b, %rcx		/* R_X86_64_GOTPC64 */
	addq	%rcx, %rax
	movabsq	$answer@GOTPLT, %rcx			/* R_X86_64_GOTPLT64 */
	call	*(%rax,%rcx)
	movq	%rax, %rsi
	leaq	fmt(%rip), %rdi
	xorl	%eax, %eax
	call	rt_printf
	xorl	%eax, %eax
	popq	%rbp
	ret
	.size main, . - main

	.section .rodata
fmt:	.asciz "answer=%lx\n"

	.section .note.GNU-stack,"",@progbits
