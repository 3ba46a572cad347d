/* regs_call(in, out, fn): calls fn with every general register, rflags,
 * ymm0-15 (xmm0-15 without AVX) and st(0) loaded from in, and stores what
 * they are after fn returns into out (test_patch_stub.c, struct regset:
 * gpr[16] in DWARF order at 0 -- out's rsp slot gets the stack pointer at
 * the call --, rflags at 128, fsw at 136, st0 at 144, ymm[16][32] at 160). */
	.intel_syntax noprefix
	.text
	.globl regs_call
	.type regs_call, @function
regs_call:
	push rbp
	push rbx
	push r12
	push r13
	push r14
	push r15
	sub rsp, 8
	mov [rip + g_out], rsi
	mov [rip + g_fn], rdx
	cmp dword ptr [rip + regs_have_avx], 0
	je 1f
	.irp i,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
	vmovdqu ymm\i, [rdi + 160 + 32 * \i]
	.endr
	jmp 2f
1:
	.irp i,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
	movdqu xmm\i, [rdi + 160 + 32 * \i]
	.endr
2:
	fld tbyte ptr [rdi + 144]
	push qword ptr [rdi + 128]
	popfq
	mov rax, [rdi + 0]
	mov rdx, [rdi + 8]
	mov rcx, [rdi + 16]
	mov rbx, [rdi + 24]
	mov rsi, [rdi + 32]
	mov rbp, [rdi + 48]
	mov r8, [rdi + 64]
	mov r9, [rdi + 72]
	mov r10, [rdi + 80]
	mov r11, [rdi + 88]
	mov r12, [rdi + 96]
	mov r13, [rdi + 104]
	mov r14, [rdi + 112]
	mov r15, [rdi + 120]
	mov rdi, [rdi + 40]
	mov [rip + g_sp], rsp
	call [rip + g_fn]
	mov [rip + g_tmp], rax
	mov rax, [rip + g_out]
	pushfq
	pop qword ptr [rax + 128]
	mov [rax + 8], rdx
	mov [rax + 16], rcx
	mov [rax + 24], rbx
	mov [rax + 32], rsi
	mov [rax + 40], rdi
	mov [rax + 48], rbp
	mov [rax + 64], r8
	mov [rax + 72], r9
	mov [rax + 80], r10
	mov [rax + 88], r11
	mov [rax + 96], r12
	mov [rax + 104], r13
	mov [rax + 112], r14
	mov [rax + 120], r15
	mov rcx, [rip + g_tmp]
	mov [rax + 0], rcx
	mov rcx, [rip + g_sp]
	mov [rax + 56], rcx
	cld
	fnstsw word ptr [rax + 136]
	fstp tbyte ptr [rax + 144]
	cmp dword ptr [rip + regs_have_avx], 0
	je 3f
	.irp i,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
	vmovdqu [rax + 160 + 32 * \i], ymm\i
	.endr
	vzeroupper
	jmp 4f
3:
	.irp i,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
	movdqu [rax + 160 + 32 * \i], xmm\i
	.endr
4:
	fnclex
	add rsp, 8
	pop r15
	pop r14
	pop r13
	pop r12
	pop rbx
	pop rbp
	ret
	.size regs_call, .-regs_call

	.bss
	.align 8
g_out:	.zero 8
g_fn:	.zero 8
g_sp:	.zero 8
g_tmp:	.zero 8
	.globl regs_have_avx
regs_have_avx:	.zero 4
	.section .note.GNU-stack,"",@progbits
