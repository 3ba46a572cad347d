/* libifunc_dl.so: only dlopen()ed (by ifunc_dl_app); its IFUNC's resolver
 * reads environ through the GOT, which is filled only when the dynamic
 * linker relocates the library -- after it announced the library to
 * debuggers (r_brk, RT_CONSISTENT).  A resolver run at the announcement
 * faults.  test_ifunc_safety.py. */
extern char **environ;

static int impl_a(int x)
{
	return x + 1;
}

static int impl_b(int x)
{
	return x + 2;
}

static int (*resolve_dlfn(void))(int)
{
	return environ[0] ? impl_a : impl_b;
}

int dlfn(int x) __attribute__((ifunc("resolve_dlfn")));

int call_dlfn(int x)
{
	return dlfn(x);
}
