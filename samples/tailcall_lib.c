/* libtailcall.so: return probes across tail calls and several return paths.
 *
 * At -O2, tc_outer() ends in a jump to tc_inner() (a tail call): both calls
 * return through the one return address tc_outer's caller pushed.  tc_multi()
 * returns from three different places.  A tracer must give each call exactly
 * one exit event with its own return value. */
#include "tailcall_lib.h"

int tc_inner(int x)
{
	return x * 3 + 1;
}

int tc_outer(int x)
{
	return tc_inner(x + 1);
}

int tc_multi(int x)
{
	if (x < 0)
		return -1;
	if (x == 0)
		return 100;
	return x * 2;
}
