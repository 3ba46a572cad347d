/* notcall_app ARGS...: functions that are not entered or not left like an
 * ordinary call, for probes on them:
 *
 *   _start        the ELF entry point: jumped to by the kernel with argc at
 *                 [rsp], no return address; the program prints its argc and
 *                 argv, which must come out unchanged;
 *   _dl_runtime_resolve_*  the dynamic linker's lazy binding trampoline:
 *                 linked with -z lazy, the program makes its first call of
 *                 several libc functions through the PLT;
 *   nc_odd        an assembly function with an undecodable byte (0x06, not
 *                 an instruction in 64-bit mode) after its ret, within its
 *                 symbol's extent: a tracer cannot decode all of it;
 *   nc_loop       an assembly function that loops by jumping back to its
 *                 own first instruction: one call, several passes there;
 *   nc_finish     noreturn (DWARF DW_AT_noreturn): exits with status 3.
 *
 * Output: "argc: N", "argv[I]: S" per argument, "nc_odd(X) = R" for X in
 * -2..2, "nc_loop(N, 0) = R" for N in 1..3, one line per lazily bound call,
 * "finishing with status 3".  Exits 3.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int nc_odd(int x);

/* nc_odd(x) = x < 0 ? -1 : x + 1, followed by a byte that is no instruction. */
__asm__(".text\n"
	".globl nc_odd\n"
	".type nc_odd, @function\n"
	"nc_odd:\n"
	"	testl %edi, %edi\n"
	"	js 1f\n"
	"	leal 1(%rdi), %eax\n"
	"	ret\n"
	"	.byte 0x06\n"
	"1:	movl $-1, %eax\n"
	"	ret\n"
	".size nc_odd, . - nc_odd\n");

int nc_loop(int n, int acc);

/* nc_loop(n, acc) = acc + 10 * max(n, 1): each pass jumps back to the
 * function's own entry. */
__asm__(".text\n"
	".globl nc_loop\n"
	".type nc_loop, @function\n"
	"nc_loop:\n"
	"	addl $10, %esi\n"
	"	subl $1, %edi\n"
	"	jg nc_loop\n"
	"	movl %esi, %eax\n"
	"	ret\n"
	".size nc_loop, . - nc_loop\n");

__attribute__((noreturn, noinline)) void nc_finish(int status)
{
	printf("finishing with status %d\n", status);
	fflush(stdout);
	exit(status);
}

static int by_length(const void *a, const void *b)
{
	return (int)strlen(*(char *const *)a) - (int)strlen(*(char *const *)b);
}

int main(int argc, char **argv)
{
	char buf[64];
	char *words[] = {"three", "a", "go"};

	printf("argc: %d\n", argc);
	for (int i = 0; i < argc; i++)
		printf("argv[%d]: %s\n", i, argv[i]);
	for (int x = -2; x <= 2; x++)
		printf("nc_odd(%d) = %d\n", x, nc_odd(x));
	for (int n = 1; n <= 3; n++)
		printf("nc_loop(%d, 0) = %d\n", n, nc_loop(n, 0));

	/* First calls through the PLT: each one goes through the resolver. */
	printf("atoi: %d\n", atoi("1234"));
	snprintf(buf, sizeof(buf), "%s-%d", "snprintf", 7);
	puts(buf);
	qsort(words, 3, sizeof(words[0]), by_length);
	printf("qsort: %s %s %s\n", words[0], words[1], words[2]);
	printf("getppid differs from getpid: %s\n", getppid() != getpid() ? "yes" : "no");
	printf("strtoul: %lu\n", strtoul("0x10", NULL, 16));
	nc_finish(3);
}
