/* Functions that share code, as glibc's assembly does (mempcpy sets rax and
 * jumps into memmove's body; __strcasecmp_evex runs off its end into
 * __strcasecmp_l_evex).  Used by shared_tail_app.c; the same at every -O.
 *
 *   long st_g(long a, long b)     |a + 1000 + b|
 *   long st_f(long a, long b, long (*cb)(long))
 *                                 calls cb(a) when cb is not NULL, then
 *                                 |3a + b|: it jumps into st_g's middle
 *   long st_g2(long a)            2a
 *   long st_f2(long a)            2(a + 7): it runs off its end into st_g2
 *   long st_big(long a)           a + 1, through 17000 nops
 *   long st_far(long a)           2a + 1: it jumps into st_big's middle, more
 *                                 code than dwtrace follows (16384
 *                                 instructions): a tail call for it
 */
	.text

	.globl	st_g
	.type	st_g, @function
st_g:
	.cfi_startproc
	leaq	1000(%rdi), %rax
.Lg_tail:			/* st_f comes in here */
	addq	%rsi, %rax
	testq	%rax, %rax
	jns	1f
	negq	%rax
	ret
1:	ret
	.cfi_endproc
	.size	st_g, .-st_g

	.globl	st_f
	.type	st_f, @function
st_f:
	.cfi_startproc
	pushq	%rdi
	.cfi_adjust_cfa_offset 8
	pushq	%rsi
	.cfi_adjust_cfa_offset 8
	subq	$8, %rsp
	.cfi_adjust_cfa_offset 8
	testq	%rdx, %rdx
	jz	1f
	call	*%rdx
1:	addq	$8, %rsp
	.cfi_adjust_cfa_offset -8
	popq	%rsi
	.cfi_adjust_cfa_offset -8
	popq	%rdi
	.cfi_adjust_cfa_offset -8
	leaq	(%rdi,%rdi,2), %rax
	jmp	.Lg_tail
	.cfi_endproc
	.size	st_f, .-st_f

	.globl	st_f2
	.type	st_f2, @function
st_f2:
	.cfi_startproc
	addq	$7, %rdi
	.cfi_endproc
	.size	st_f2, .-st_f2
	/* no return: on into st_g2 */

	.globl	st_g2
	.type	st_g2, @function
st_g2:
	.cfi_startproc
	leaq	(%rdi,%rdi), %rax
	ret
	.cfi_endproc
	.size	st_g2, .-st_g2

	.globl	st_big
	.type	st_big, @function
st_big:
	.cfi_startproc
	movq	%rdi, %rax
.Lbig_middle:			/* st_far comes in here */
	.rept	17000
	nop
	.endr
	addq	$1, %rax
	ret
	.cfi_endproc
	.size	st_big, .-st_big

	.globl	st_far
	.type	st_far, @function
st_far:
	.cfi_startproc
	leaq	(%rdi,%rdi), %rax
	jmp	.Lbig_middle
	.cfi_endproc
	.size	st_far, .-st_far

	.section .note.GNU-stack,"",@progbits
