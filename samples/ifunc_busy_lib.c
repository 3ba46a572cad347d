/* libifunc_busy.so: an IFUNC whose resolver takes 0.4 s (a raw nanosleep:
 * no libc call, as the dynamic linker may run it before libc is bound) and
 * counts its runs.  Loaded by ifunc_busy_app with dlopen(RTLD_NOW), so the
 * dynamic linker runs the resolver while it relocates the library; a
 * tracer attaching then must not run the resolver again (busy_runs() would
 * say 2).  test_ifunc_safety.py. */
#include <time.h>

static int runs;

static int busy_a(int x)
{
	return 3 * x + 1;
}

static void pause_400ms(void)
{
	struct timespec t = {0, 400000000};
	long r;

	__asm__ volatile("syscall" : "=a"(r) : "a"(35L), "D"(&t), "S"(0L) : "rcx", "r11", "memory");
	(void)r;
}

static int (*busy_resolver(void))(int)
{
	runs++;
	pause_400ms();
	return busy_a;
}

int busy_fn(int x) __attribute__((ifunc("busy_resolver")));

int busy_runs(void)
{
	return runs;
}

int busy_call(int x)
{
	return busy_fn(x);
}
