/* libstack.so: call stacks at the entry of st_leaf(), the traced leaf.
 *
 * stack_app reaches st_leaf() three ways:
 *   main -> app_level1 -> lib_level2 -> lib_level3 -> lib_step (inlined)
 *        -> st_leaf
 *   main -> app_sort -> qsort (libc's internal frames) -> lib_compare
 *        -> st_leaf
 *   main -> st_recurse(3) -> st_recurse(2) -> st_recurse(1) -> st_recurse(0)
 *        -> st_leaf
 * Every function but lib_step is noinline, and no call to st_leaf() or
 * between levels is a tail call (each result is used after the call), so
 * every level keeps a frame of its own at -O0 and at -O2 (built with
 * -fomit-frame-pointer: the unwinder needs the CFI).  lib_step() is always
 * inlined, at -O0 too, and shows as an inlined frame.  The exported functions
 * are interposable (-fPIC, default visibility), so gcc neither clones them nor
 * turns the recursion of st_recurse() into a loop. */
#include "stack_lib.h"

#define NOINLINE __attribute__((noinline, noclone))

static volatile int sink;

NOINLINE int st_leaf(int depth)
{
	sink = depth;
	return depth * 2 + 1;
}

static inline __attribute__((always_inline)) int lib_step(int depth)
{
	int r = st_leaf(depth + 1);
	sink = r;
	return r + 1;
}

NOINLINE int lib_level3(int depth)
{
	int r = lib_step(depth + 1);
	return r + sink;
}

NOINLINE int lib_level2(int depth)
{
	int r = lib_level3(depth + 1);
	return r - 1;
}

NOINLINE int lib_compare(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	int r = (x > y) - (x < y);

	st_leaf(x);
	return r;
}

NOINLINE int st_recurse(int n)
{
	int r;

	if (n <= 0)
		r = st_leaf(100);
	else
		r = st_recurse(n - 1);
	sink = n;
	return r + n;
}
