/*
 * rt0_linux_amd64.S: the program's first instructions.
 *
 * The kernel enters a static executable at its ELF entry with %rsp pointing at argc, then
 * argv[], NULL, envp[], NULL, auxv[]. No register but %rsp holds anything we may rely on and
 * %fs is 0, so nothing here touches TLS. The chain mirrors Go's rt0_linux_amd64.s:
 * _rt0_amd64_linux -> _rt0_amd64 -> runtime_rt0_go. The linker script places .text.rt0 first
 * in the text segment, so the entry is the runtime's lowest address.
 */
	.section .text.rt0,"ax",@progbits

	.globl _rt0_amd64_linux
	.type _rt0_amd64_linux,@function
_rt0_amd64_linux:
	jmp	_rt0_amd64
	.size _rt0_amd64_linux, .-_rt0_amd64_linux

	.globl _rt0_amd64
	.type _rt0_amd64,@function
_rt0_amd64:
	movq	0(%rsp), %rdi		/* argc */
	leaq	8(%rsp), %rsi		/* argv */
	jmp	runtime_rt0_go
	.size _rt0_amd64, .-_rt0_amd64

	.section .note.GNU-stack,"",@progbits
