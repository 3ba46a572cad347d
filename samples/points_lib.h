#ifndef POINTS_LIB_H
#define POINTS_LIB_H

/* libpoints.so (points_lib.c): functions with loops, nested blocks and
 * locals, for probes inside functions. */
long pt_sum(const int *v, int n);
double pt_poly(double x, int degree);
int pt_grid(int rows, int cols);

#endif
