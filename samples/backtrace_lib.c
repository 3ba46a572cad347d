/* libbtchain.so: the middle of backtrace_app's chain of calls
 * bt_1 -> bt_2 -> bt_3 -> bt_4 -> bt_5 -> bt_6 (bt_3 and bt_4 are here, the
 * others in the executable; bt_4 calls bt_5 through a pointer).  Each
 * function records the return address it sees and prints its result, so
 * that the program itself can tell whether a tracer changed its stack. */
#include <stdio.h>

#include "backtrace_lib.h"

void *bt_seen_ra[7];
static int (*bt_next)(int);

void bt_set_next(int (*next)(int))
{
	bt_next = next;
}

/* noinline and noclone keep every call a real call, and the addition after
 * each call keeps it from becoming a tail call at -O2. */
__attribute__((noinline, noclone)) int bt_4(int x)
{
	int r;

	bt_seen_ra[4] = __builtin_return_address(0);
	r = bt_next(x + 1) + 4;
	printf("bt_4(%d) = %d\n", x, r);
	return r;
}

__attribute__((noinline, noclone)) int bt_3(int x)
{
	int r;

	bt_seen_ra[3] = __builtin_return_address(0);
	r = bt_4(x + 1) + 3;
	printf("bt_3(%d) = %d\n", x, r);
	return r;
}
