/* libifunc.so: user IFUNCs (__attribute__((ifunc))) whose resolvers
 * misbehave when dwtrace runs them before the program has bound them
 * (linked with -z lazy, so no GOT slot binds them until the first call):
 *   faulty  - its resolver faults (a NULL write) until the program sets
 *             ifunc_armed, as a resolver reading a GOT entry not filled yet;
 *   slow    - its resolver creates the file named by $IFUNC_MARKER (so a
 *             test knows it runs), clears the upper half of ymm15 (as AVX
 *             code may) and works 0.6 s, under dwtrace's 1 s;
 *   stuck   - its resolver works 3 s, past dwtrace's limit.
 * Once armed, every resolver returns at once.  test_ifunc_safety.py. */
#include <fcntl.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

volatile int ifunc_armed;

static int add_one(int x)
{
	return x + 1;
}

static int add_two(int x)
{
	return x + 2;
}

static int add_three(int x)
{
	return x + 3;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void work(double seconds)
{
	double end = now() + seconds;

	while (now() < end)
		;
}

static int (*resolve_faulty(void))(int)
{
	if (!ifunc_armed)
		*(volatile int *)0 = 1;
	return add_one;
}

static int (*resolve_slow(void))(int)
{
	const char *marker = getenv("IFUNC_MARKER");

	if (!ifunc_armed) {
		if (marker) {
			int fd = open(marker, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
			if (fd >= 0)
				close(fd);
		}
		if (__builtin_cpu_supports("avx"))
			__asm__ volatile("vxorps %%ymm15, %%ymm15, %%ymm15" ::: "xmm15");
		work(0.6);
	}
	return add_two;
}

static int (*resolve_stuck(void))(int)
{
	if (!ifunc_armed)
		work(3.0);
	return add_three;
}

int faulty(int x) __attribute__((ifunc("resolve_faulty")));
int slow(int x) __attribute__((ifunc("resolve_slow")));
int stuck(int x) __attribute__((ifunc("resolve_stuck")));
