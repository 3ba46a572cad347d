/* ifunc_libm_app now|lazy N: dlopen()s libm.so.6 (RTLD_NOW or RTLD_LAZY),
 * finds cos, an IFUNC of libm, by dlsym and calls it N times, printing
 * each call ("cos(X)=R", %a: exact).  test_ifunc_late.py. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	int calls = argc > 2 ? atoi(argv[2]) : 3;
	void *h = dlopen("libm.so.6", argc > 1 && !strcmp(argv[1], "lazy") ? RTLD_LAZY : RTLD_NOW);
	double (*c)(double);

	if (!h) {
		printf("dlopen: %s\n", dlerror());
		return 3;
	}
	c = (double (*)(double))dlsym(h, "cos");
	for (int i = 0; i < calls; i++) {
		double x = 0.25 * i + 0.5;
		printf("cos(%a)=%a\n", x, c(x));
	}
	dlclose(h);
	return 5;
}
