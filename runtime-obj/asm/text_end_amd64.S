/*
 * text_end_amd64.S: runtime_text_end, the first address past the runtime's code.
 *
 * The build script passes this object to `ld -r` after everything else, so its section is the
 * runtime object's last text section; every linker places the runtime object's text sections
 * in that order, before the user's (the script's .text.rt0 rule and hot/unlikely groups only
 * move code earlier). So a pc below runtime_text_end is runtime code (or a user's hot or cold
 * code placed early), which asynchronous preemption must never interrupt (signal.rs).
 */
	.section .text.runtime_text_end,"ax",@progbits
	.globl runtime_text_end
	.type runtime_text_end,@function
runtime_text_end:
	ud2
	.size runtime_text_end, .-runtime_text_end

	.section .note.GNU-stack,"",@progbits
