/* libifunc_late.so: only dlopen()ed (by ifunc_late_app).  late_fn is a
 * user IFUNC whose resolver counts its runs (late_resolver_runs): run by
 * the dynamic linker only, the count is what the program prints with or
 * without dwtrace.  late_call calls late_fn through the library's PLT
 * (bound at relocation with RTLD_NOW, at the first call with RTLD_LAZY:
 * the library is linked -z lazy).  test_ifunc_late.py. */
static int resolver_runs;
/* Read by the resolver with a PC-relative load: no GOT entry involved. */
static volatile int choose_scaled = 1;

static int late_plain(int x)
{
	return x + 1;
}

static int late_scaled(int x)
{
	return 3 * x + 1;
}

static int (*resolve_late_fn(void))(int)
{
	resolver_runs++;
	return choose_scaled ? late_scaled : late_plain;
}

int late_fn(int x) __attribute__((ifunc("resolve_late_fn")));

int late_call(int x)
{
	return late_fn(x) + 1000;
}

int late_resolver_runs(void)
{
	return resolver_runs;
}
