/* shared_tail_app: exits of functions that run on in another function's
 * code.  st_f jumps into the middle of st_g and st_f2 runs off its end into
 * st_g2 (shared_tail.S); each is called directly and through the others
 * (st_f's callback calls st_g and st_f2 while st_f is in flight), and libc's
 * mempcpy, whose implementation jumps into memmove's body, on a real call,
 * with memmove called directly too, and strcasecmp, whose implementations
 * run into strcasecmp_l's.  st_far jumps into more of st_big's
 * code than dwtrace follows.  Prints every call and its result (the
 * oracle); the addresses mempcpy got and returned go to stderr (they differ
 * from run to run). */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <strings.h>

long st_g(long a, long b);
long st_f(long a, long b, long (*cb)(long));
long st_g2(long a);
long st_f2(long a);
long st_big(long a);
long st_far(long a);

static long cb_g(long a)
{
	long r = st_g(a, 1);

	printf("st_g(%ld, 1) = %ld\n", a, r);
	return r;
}

static long cb_f2(long a)
{
	long r = st_f2(a);

	printf("st_f2(%ld) = %ld\n", a, r);
	return r;
}

int main(void)
{
	/* Through pointers, so that the compiler calls libc's functions. */
	void *(*volatile mempcpy_fn)(void *, const void *, size_t) = mempcpy;
	void *(*volatile memmove_fn)(void *, const void *, size_t) = memmove;
	int (*volatile strcasecmp_fn)(const char *, const char *) = strcasecmp;
	static char src[64] = "shared tails", dst[64];
	char *end;

	printf("st_g(5, 2) = %ld\n", st_g(5, 2));
	printf("st_g(-2000, 1) = %ld\n", st_g(-2000, 1));
	printf("st_f(4, 10) = %ld\n", st_f(4, 10, NULL));
	printf("st_f(-20, 3) = %ld\n", st_f(-20, 3, cb_g));
	printf("st_f(6, 1) = %ld\n", st_f(6, 1, cb_f2));
	printf("st_f2(3) = %ld\n", st_f2(3));
	printf("st_g2(3) = %ld\n", st_g2(3));
	printf("st_big(4) = %ld\n", st_big(4));
	printf("st_far(4) = %ld\n", st_far(4));
	memmove_fn(dst, src, 6);
	end = mempcpy_fn(dst, src, 12);
	fprintf(stderr, "mempcpy(%p, %p, 12) returned %p\n", (void *)dst, (void *)src, (void *)end);
	printf("mempcpy(dst, src, 12) = dst + %ld: %s\n", (long)(end - dst), dst);
	printf("strcasecmp(Shared, SHARP) = %d\n", strcasecmp_fn("Shared", "SHARP"));
	return 0;
}
