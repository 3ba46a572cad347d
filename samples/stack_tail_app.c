/* stack_tail_app: call stacks through tail calls and inlined calls, at the
 * entry of st_target(), the traced function.
 *
 *   main -> st_caller -> st_wrap (always inlined) -> st_hop1 -> st_hop2
 *        -> st_target
 *
 * At -O2, st_hop1() ends in a jump to st_hop2() and st_hop2() in a jump to
 * st_target() (tail calls): neither leaves a frame on the stack, and only
 * DWARF's call sites (DW_TAG_call_site with DW_AT_call_tail_call) say they
 * were on the way, as gdb shows them (tail call frames).  st_wrap() is
 * inlined into st_caller() at every level.  The functions are noinline and
 * noclone, so that every call site names the function it calls; each one
 * calls one function only, so the chain of tail calls is unique.  Prints
 * "r=N" and nothing else. */
#include <stdio.h>

#define NOINLINE __attribute__((noinline, noclone))

static volatile int sink;

NOINLINE int st_target(int x)
{
	sink = x;
	return x + 1;
}

NOINLINE int st_hop2(int x)
{
	return st_target(x * 2);
}

NOINLINE int st_hop1(int x)
{
	return st_hop2(x + 3);
}

static inline __attribute__((always_inline)) int st_wrap(int x)
{
	int r = st_hop1(x + sink);
	return r * 2;
}

NOINLINE int st_caller(int x)
{
	int r = st_wrap(x);
	return r + sink;
}

int main(void)
{
	int r = st_caller(1);
	r += st_caller(2);
	printf("r=%d\n", r);
	return 0;
}
