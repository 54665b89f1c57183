/* R_X86_64_GOTPCREL, which a linker may not relax: assembled with -Wa,-mrelax-relocations=no,
 * so these GOT loads and the call through the GOT get the plain type, and the linker must
 * make real GOT entries. reloc_data[0] + reloc_fn() + reloc_data[2]. */
	.text
	.globl reloc_gotpcrel
	.type reloc_gotpcrel, @function
reloc_gotpcrel:
	pushq	%rbp
	movq	%rsp, %rbp
	pushq	%rbx
	subq	$8, %rsp
	movq	reloc_data@GOTPCREL(%rip), %rbx
	call	*reloc_fn@GOTPCREL(%rip)
	addq	(%rbx), %rax
	movq	reloc_data@GOTPCREL(%rip), %r8
	addq	16(%r8), %rax
	addq	$8, %rsp
	popq	%rbx
	popq	%rbp
	ret
	.size reloc_gotpcrel, . - reloc_gotpcrel

	.section .note.GNU-stack,"",@progbits
