/* Inlined copies and compiler clones (issue 13): every traced function
 * prints the arguments it received, one line per call, so that a tracer's
 * events can be compared with the program's own account.
 *
 * At -O2/-O3: weigh() is inlined into tally() and report() and also called
 * out of line through a function pointer; scale() becomes scale.constprop.N
 * (its factor is always 3); area() becomes area.isra.N (only one member of
 * its struct argument is used); classify() is split by partial inlining into
 * an inlined test and classify.part.N, entered only by calls that pass the
 * test (each call prints "classify call", the part "classify v=").  At -O0
 * nothing is inlined or cloned (the control).  Usage: inline_app [N] (N
 * rounds, default 3). */
#include <stdio.h>
#include <stdlib.h>

struct box {
	long w, h, d;
	double density;
};

static volatile int sink;

static inline int weigh(int item, int grams)
{
	printf("weigh item=%d grams=%d\n", item, grams);
	return item * 1000 + grams;
}

/* Through a pointer: weigh has an out-of-line copy too. */
static int (*volatile weigh_ptr)(int, int) = weigh;

__attribute__((noinline)) static int tally(int n)
{
	int total = 0;

	for (int i = 0; i < n; i++)
		total += weigh(i, 10 * i + 1);
	return total;
}

__attribute__((noinline)) static int report(int k)
{
	return weigh(k + 100, k * 7);
}

__attribute__((noinline)) static long scale(long x, int factor)
{
	printf("scale x=%ld factor=%d\n", x, factor);
	sink += (int)x;
	return x * factor + sink;
}

__attribute__((noinline)) static long area(struct box b)
{
	printf("area w=%ld\n", b.w);
	sink += (int)b.w;
	return b.w * 2 + sink;
}

static int classify(int v)
{
	if (__builtin_expect(v < 0, 1))
		return -1;
	printf("classify v=%d\n", v);
	for (int i = 0; i < v % 5; i++) {
		sink += i * v;
		if (sink % 7 == 3)
			fprintf(stderr, "classify: %d %d\n", v, i);
		if (sink % 11 == 3)
			fprintf(stderr, "classify: %d %d %d\n", v, i, sink);
		if (sink % 13 == 3)
			fprintf(stderr, "classify: %d %d %d %d\n", v, i, sink, v * i);
	}
	sink ^= v * 31;
	return sink & 0xff;
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 3;
	long acc = 0, ret;

	for (int r = 0; r < rounds; r++) {
		struct box b = {r + 4, r * 5, argc + r, r * 0.5};
		struct box c = {r * 3, argc, r, 2.0 + r};
		acc += tally(r + 1);
		acc += report(r);
		acc += weigh_ptr(r + 200, r + 300);
		/* The clones' results, for their exit events. */
		ret = scale(r * 11, 3);
		printf("scale ret=%ld\n", ret);
		acc += ret;
		ret = scale(r * 13 + 5, 3);
		printf("scale ret=%ld\n", ret);
		acc += ret;
		ret = area(b);
		printf("area ret=%ld\n", ret);
		acc += ret;
		ret = area(c);
		printf("area ret=%ld\n", ret);
		acc += ret;
		/* classify's head returns early for v < 0 without a print
		 * of its own: each call is printed here. */
		printf("classify call v=%d\n", r * 3 + 1);
		acc += classify(r * 3 + 1);
		printf("classify call v=%d\n", r - 2);
		acc += classify(r - 2);
		printf("classify call v=%d\n", r * argc);
		acc += classify(r * argc);
	}
	printf("done acc=%ld\n", acc);
	return 0;
}
