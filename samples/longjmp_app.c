/* longjmp_app: traced calls left without returning.  Runs, in this order:
 *
 *   1. lj_outer(6), whose lj_inner(2) longjmp()s back to main: lj_inner(1)
 *      and lj_inner(0) (the warm-up call) return, the other calls do not;
 *   2. lj_outer(4), whose lj_inner(4) longjmp()s at once;
 *   3. lj_outer(3), whose lj_inner(3) raises SIGUSR1; the handler calls
 *      lj_inner(2), which returns normally inside the handler, and then
 *      siglongjmp()s back to main out of the handler;
 *   4. lj_outer(2) and lj_inner(3) with no jumps: every call returns;
 *   5. 20 times lj_outer(3) with a longjmp at depth 3, then lj_outer(1).
 *
 * The functions of liblongjmp.so print the oracle lines ("entry F DEPTH",
 * "exit F DEPTH VALUE", see longjmp_lib.c); main prints lines that start with
 * "#".  Exits 0, or 1 when a jump did not happen as planned.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "longjmp_lib.h"

static jmp_buf env;
static sigjmp_buf sigenv;

static void jump_longjmp(void)
{
	longjmp(env, 1);
}

static void jump_raise(void)
{
	raise(SIGUSR1);
	fprintf(stderr, "longjmp_app: the SIGUSR1 handler returned\n");
	exit(1);
}

static void on_sigusr1(int sig)
{
	(void)sig;
	lj_set_jump(-1, NULL);
	printf("# in the SIGUSR1 handler: lj_inner(2) = %d\n", lj_inner(2));
	siglongjmp(sigenv, 1);
}

/* lj_outer(depth) with a longjmp() at jump_depth. */
static void outer_with_longjmp(int depth, int jump_depth)
{
	lj_set_jump(jump_depth, jump_longjmp);
	if (setjmp(env) == 0) {
		lj_outer(depth);
		fprintf(stderr, "longjmp_app: lj_outer(%d) returned instead of jumping\n", depth);
		exit(1);
	}
	printf("# longjmp from lj_inner(%d) under lj_outer(%d)\n", jump_depth, depth);
}

int main(void)
{
	struct sigaction sa = {.sa_handler = on_sigusr1};

	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGUSR1, &sa, NULL) != 0) {
		perror("longjmp_app: sigaction");
		return 1;
	}

	outer_with_longjmp(6, 2);
	outer_with_longjmp(4, 4);

	lj_set_jump(3, jump_raise);
	if (sigsetjmp(sigenv, 1) == 0) {
		lj_outer(3);
		fprintf(stderr, "longjmp_app: lj_outer(3) returned instead of jumping\n");
		return 1;
	}
	printf("# siglongjmp from the SIGUSR1 handler\n");

	lj_set_jump(-1, NULL);
	printf("# lj_outer(2) = %d\n", lj_outer(2));
	printf("# lj_inner(3) = %d\n", lj_inner(3));

	for (int i = 0; i < 20; i++)
		outer_with_longjmp(3, 3);
	lj_set_jump(-1, NULL);
	printf("# lj_outer(1) = %d\n", lj_outer(1));
	return 0;
}
