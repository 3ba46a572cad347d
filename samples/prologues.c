/* prologues: one function per kind of entry and exit an entry/exit patcher
 * must handle or refuse (FASTPATH.md, "Tests that show it works"), each
 * called with known arguments; the program prints every call with its
 * result, "NAME(ARGS) = RESULT", which is the oracle of the events.
 *
 *   pl_endbr       C, starts with endbr64 (the file is built -fcf-protection)
 *   pl_riprel      a rip-relative load (mov pl_bias(%rip), %eax: 6 bytes)
 *                  covering the first 5 bytes
 *   pl_jcc         test + js rel8 in the first 4 bytes
 *   pl_loop        a loop head at entry+2 (xor %eax,%eax is 2 bytes, then
 *                  the loop jumps back to entry+2): a jump cannot cover it
 *   pl_ret1        a 1-byte function (ret only) followed at once by
 *                  pl_after_ret1 (no padding in between)
 *   pl_switch      a switch compiled to a jump table (an indirect jmp)
 *   pl_pop3        epilogue pop %rbx; pop %rbp; pop %r12; ret (5 bytes)
 *   pl_leaf_ret    a leaf whose ret is itself a branch target
 *
 * The assembly functions are naked C functions, so that their DWARF still
 * describes their parameters; none has endbr64 (nocf_check).
 */
#include <stdio.h>

int pl_bias = 1000;

/* The naked functions' parameters are used by their assembly only. */
#define ASM_ARG __attribute__((unused))

__attribute__((noinline, noipa)) int pl_endbr(int a, int b)
{
	return a * b + 1;
}

/* a + pl_bias */
__attribute__((naked, noinline, nocf_check)) int pl_riprel(ASM_ARG int a)
{
	__asm__("mov pl_bias(%rip), %eax\n\t"
		"add %edi, %eax\n\t"
		"ret");
}

/* a < 0 ? -a : a + 1 */
__attribute__((naked, noinline, nocf_check)) int pl_jcc(ASM_ARG int a)
{
	__asm__("test %edi, %edi\n\t"
		"js 1f\n\t"
		"lea 1(%rdi), %eax\n\t"
		"ret\n"
		"1:\n\t"
		"mov %edi, %eax\n\t"
		"neg %eax\n\t"
		"ret");
}

/* a * n for n >= 1 (a do-while loop whose head is entry+2) */
__attribute__((naked, noinline, nocf_check)) int pl_loop(ASM_ARG int a, ASM_ARG int n)
{
	__asm__("xor %eax, %eax\n"
		"1:\n\t"
		"add %edi, %eax\n\t"
		"dec %esi\n\t"
		"jg 1b\n\t"
		"ret");
}

/* pl_ret1: ret, size 1; pl_after_ret1(a): a + 7, right behind it. */
void pl_ret1(void);
int pl_after_ret1(int a);
__asm__(".text\n"
	".globl pl_ret1\n"
	".type pl_ret1, @function\n"
	"pl_ret1:\n\t"
	"ret\n"
	".size pl_ret1, 1\n"
	".globl pl_after_ret1\n"
	".type pl_after_ret1, @function\n"
	"pl_after_ret1:\n\t"
	"lea 7(%rdi), %eax\n\t"
	"ret\n"
	".size pl_after_ret1, . - pl_after_ret1\n");

/* Different work per case, so that the compiler emits a jump table (an
 * indirect jmp through .rodata) rather than a table of values. */
__attribute__((noinline, noipa)) int pl_switch(int k, int x)
{
	switch (k) {
	case 0: return x + 1;
	case 1: return x * 3;
	case 2: return x - 7;
	case 3: return x ^ 0x55;
	case 4: return x << 2;
	case 5: return x / 3;
	case 6: return x % 5;
	case 7: return ~x;
	case 8: return x * x;
	default: return -1;
	}
}

/* (a + b) * c with rbx, rbp, r12 saved and restored: 5-byte epilogue */
__attribute__((naked, noinline, nocf_check)) int pl_pop3(ASM_ARG int a, ASM_ARG int b, ASM_ARG int c)
{
	__asm__("push %r12\n\t"
		"push %rbp\n\t"
		"push %rbx\n\t"
		"mov %edi, %ebx\n\t"
		"mov %esi, %ebp\n\t"
		"mov %edx, %r12d\n\t"
		"lea (%rbx,%rbp), %eax\n\t"
		"imul %r12d, %eax\n\t"
		"pop %rbx\n\t"
		"pop %rbp\n\t"
		"pop %r12\n\t"
		"ret");
}

/* |a|: the ret is the target of the jns */
__attribute__((naked, noinline, nocf_check)) int pl_leaf_ret(ASM_ARG int a)
{
	__asm__("mov %edi, %eax\n\t"
		"test %edi, %edi\n\t"
		"jns 1f\n\t"
		"neg %eax\n"
		"1:\n\t"
		"ret");
}

int main(void)
{
	/* volatile: the arguments are not known to the compiler at -O2 */
	volatile int a = 6, b = 7, m = -3, n = 5;

	printf("pl_endbr(%d, %d) = %d\n", a, b, pl_endbr(a, b));
	printf("pl_riprel(%d) = %d\n", a, pl_riprel(a));
	printf("pl_jcc(%d) = %d\n", n, pl_jcc(n));
	printf("pl_jcc(%d) = %d\n", m, pl_jcc(m));
	printf("pl_loop(%d, %d) = %d\n", b, n, pl_loop(b, n));
	pl_ret1();
	printf("pl_ret1()\n");
	printf("pl_after_ret1(%d) = %d\n", a, pl_after_ret1(a));
	for (int k = 0; k < 10; k++) {
		volatile int kk = k;
		printf("pl_switch(%d, %d) = %d\n", kk, b, pl_switch(kk, b));
	}
	printf("pl_pop3(%d, %d, %d) = %d\n", a, b, n, pl_pop3(a, b, n));
	printf("pl_leaf_ret(%d) = %d\n", m, pl_leaf_ret(m));
	printf("pl_leaf_ret(%d) = %d\n", n, pl_leaf_ret(n));
	return 0;
}
