/* mangle_app: calls mangle_fn(), whose parameter names are valid C (GNU C
 * allows '$' in identifiers) but not CTF identifiers, or clash with the
 * fields every dwtrace event has, once, and prints the call with its return
 * value:
 *
 *   mangle_fn(dollar$sign=7, $lead=-2, x$=0.5, pid=1000) = 1005
 *
 * dwtrace --lttng must name the fields dollar_sign, _lead, x_ (every
 * character outside [A-Za-z0-9_] becomes '_') and _pid (a parameter named
 * pid or tid gets a '_' in front).  Built with -g -O0.
 */
#include <stdio.h>

__attribute__((noinline, used)) int mangle_fn(int dollar$sign, int $lead, double x$, int pid)
{
	return dollar$sign + $lead + (int)x$ + pid;
}

int main(void)
{
	volatile int a = 7, b = -2, d = 1000;
	volatile double c = 0.5;
	int r = mangle_fn(a, b, c, d);

	printf("mangle_fn(dollar$sign=%d, $lead=%d, x$=%g, pid=%d) = %d\n", a, b, c, d, r);
	return 0;
}
