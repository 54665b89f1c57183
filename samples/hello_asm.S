/* hello_asm.S: main in GNU as. The runtime calls main(argc, argv, envp) on the main
 * goroutine's 16-byte aligned stack, like any C main. */
	.section .rodata
msg:	.ascii "hello from assembly\n"
	.set msglen, . - msg

	.text
	.globl main
	.type main, @function
main:
	pushq	%rbp			/* keeps the stack 16-byte aligned for the call */
	movq	%rsp, %rbp
	movl	$1, %edi		/* rt_write(1, msg, msglen) */
	leaq	msg(%rip), %rsi
	movl	$msglen, %edx
	call	rt_write
	xorl	%eax, %eax		/* return 0 */
	popq	%rbp
	ret
	.size main, .-main

	.section .note.GNU-stack,"",@progbits
