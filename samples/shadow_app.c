/* shadow_app: a static function named like one the C library exports
 * (warn, in <err.h>, not included here).  A bare name means the exported
 * one; dwtrace warns that the program's own is probed as
 * shadow_app:warn.  Prints one line per call, "warn(I) = R", then the sum;
 * argv[1] calls (default 3).  Exits 0. */
#include <stdio.h>
#include <stdlib.h>

static __attribute__((noinline, noclone)) int warn(int level)
{
	int r = level * 3 + 1;

	printf("warn(%d) = %d\n", level, r);
	return r;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 3, sum = 0;

	for (int i = 0; i < n; i++)
		sum += warn(i);
	printf("sum %d\n", sum);
	return 0;
}
