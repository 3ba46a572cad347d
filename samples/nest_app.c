/* nest_app [R]: calls that nest and recurse, for the tests of call ids and
 * nesting (test_output.py).  main calls nest_leaf(7), then R times
 * nest_outer(i), which calls nest_leaf(i), nest_mid(i) and nest_leaf(i) again;
 * nest_mid(n) calls nest_rec(n + 1), which recurses down to nest_rec(0),
 * which calls nest_leaf(0).  Each call takes the next id (1, 2, ... in the
 * order of the entries) and returns it; its depth is how many of these
 * calls are in flight at its entry (0: called by main).  Each call prints
 *   enter ID FUNCTION DEPTH N     at its entry
 *   leave ID FUNCTION DEPTH RET   before it returns RET (its id)
 * so that a test knows which calls nest, without the tracer.
 */
#include <stdio.h>
#include <stdlib.h>

static int next_id, depth;

/* The call's id and depth, printed; the depth counts it from now on. */
static int enter(const char *fn, int n, int *d)
{
	int id = ++next_id;

	*d = depth++;
	printf("enter %d %s %d %d\n", id, fn, *d, n);
	return id;
}

static int leave(const char *fn, int id, int d)
{
	depth--;
	printf("leave %d %s %d %d\n", id, fn, d, id);
	return id;
}

/* noipa: no clone and no inlining at -O2, so that each is probed as a call. */
__attribute__((noipa)) int nest_leaf(int n)
{
	int d, id = enter("nest_leaf", n, &d);

	return leave("nest_leaf", id, d);
}

/* Not a tail call: it prints after the recursive call returns. */
__attribute__((noipa)) int nest_rec(int n)
{
	int d, id = enter("nest_rec", n, &d);

	if (n > 0)
		nest_rec(n - 1);
	else
		nest_leaf(0);
	return leave("nest_rec", id, d);
}

__attribute__((noipa)) int nest_mid(int n)
{
	int d, id = enter("nest_mid", n, &d);

	nest_rec(n + 1);
	return leave("nest_mid", id, d);
}

__attribute__((noipa)) int nest_outer(int n)
{
	int d, id = enter("nest_outer", n, &d);

	nest_leaf(n);
	nest_mid(n);
	nest_leaf(n);
	return leave("nest_outer", id, d);
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 2;

	setvbuf(stdout, NULL, _IOLBF, 0);
	nest_leaf(7);
	for (int i = 0; i < rounds; i++)
		nest_outer(i);
	return 0;
}
