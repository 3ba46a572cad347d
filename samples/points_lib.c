/* libpoints.so: loops, nested blocks and locals for probes inside functions
 * (FILE:LINE, FUNC+OFF, MODULE:0xOFFSET).  Each function prints what it
 * computes in its loop, so a probe's values can be checked against the
 * program's own output as well as against gdb at the same address.  The
 * lines tests probe are marked "PT:NAME"; tests find them by that mark. */
#include "points_lib.h"

#include <stdio.h>

__attribute__((noinline)) long pt_sum(const int *v, int n)
{
	long acc = 0;

	for (int i = 0; i < n; i++) {
		int x = v[i];
		if (x % 2) {
			int odd = x * 3;
			acc += odd; /* PT:ODD */
		} else {
			acc += x; /* PT:EVEN */
		}
		printf("pt_sum i=%d x=%d acc=%ld\n", i, x, acc);
	}
	return acc;
}

__attribute__((noinline)) double pt_poly(double x, int degree)
{
	double r = 1.0, p = 1.0;

	for (int k = 1; k <= degree; k++) {
		p *= x; /* PT:POLY */
		r += p / k;
		printf("pt_poly k=%d p=%g r=%g\n", k, p, r);
	}
	return r;
}

__attribute__((noinline)) int pt_grid(int rows, int cols)
{
	int total = 0;

	for (int r = 0; r < rows; r++) {
		int row_sum = 0;
		for (int c = 0; c < cols; c++) {
			int cell = r * 10 + c;
			row_sum += cell; /* PT:CELL */
		}
		total += row_sum;
		printf("pt_grid r=%d row_sum=%d total=%d\n", r, row_sum, total);
	}
	return total;
}
