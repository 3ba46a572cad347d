/* points_app: calls libpoints.so's functions, whose loops and blocks probes
 * inside functions stop in (tests/integration/test_points.py), and prints
 * each result.  Argument: how many rounds (default 1). */
#include <stdio.h>
#include <stdlib.h>

#include "points_lib.h"

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 1;
	int v[] = {4, 7, 10, 13, 2};

	for (int i = 0; i < rounds; i++) {
		printf("sum=%ld\n", pt_sum(v, 5));
		printf("poly=%g\n", pt_poly(1.5, 3));
		printf("grid=%d\n", pt_grid(2, 9));
	}
	return 3;
}
