/* liblongjmp.so: lj_outer() and the recursive lj_inner(), whose calls
 * longjmp_app abandons with longjmp() or siglongjmp().  Each function prints
 * oracle lines on stdout: "entry FUNCTION DEPTH" when it is called and
 * "exit FUNCTION DEPTH VALUE" just before it returns normally, so the lines
 * tell which calls a tracer must show with an exit event, and their values.
 */
#include <stdio.h>

#include "longjmp_lib.h"

static int jump_depth = -1;
static void (*jump_fn)(void);

void lj_set_jump(int depth, void (*jump)(void))
{
	jump_depth = depth;
	jump_fn = jump;
}

int lj_inner(int depth)
{
	int ret;

	printf("entry lj_inner %d\n", depth);
	if (depth == jump_depth)
		jump_fn();
	ret = depth <= 0 ? 1 : lj_inner(depth - 1) * 2 + depth;
	printf("exit lj_inner %d %d\n", depth, ret);
	return ret;
}

int lj_outer(int depth)
{
	int warm, ret;

	printf("entry lj_outer %d\n", depth);
	warm = lj_inner(1);
	ret = lj_inner(depth) + warm;
	printf("exit lj_outer %d %d\n", depth, ret);
	return ret;
}
