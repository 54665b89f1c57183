# The floor: the least a static x86-64 Linux program can do to print hello, world: one write
# and one exit_group, no runtime, no libc. Every other row of the benchmark is measured
# against this one in the same run.
	.section .rodata
msg:	.ascii "hello, world\n"
	.set len, . - msg

	.text
	.globl _start
_start:
	mov	$1, %eax		# write(1, msg, len)
	mov	$1, %edi
	lea	msg(%rip), %rsi
	mov	$len, %edx
	syscall
	mov	$231, %eax		# exit_group(0)
	xor	%edi, %edi
	syscall

	.section .note.GNU-stack,"",@progbits
