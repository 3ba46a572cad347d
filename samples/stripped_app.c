/* stripped_app N: calls step() (a static function of the executable) and
 * my_traced_function() of libmylib.so N times each, printing every call after
 * it returns.  The build also keeps a copy of it and of libmylib.so stripped
 * of .symtab and DWARF (samples/OX/stripped/), to probe by file offset where
 * only .eh_frame (and .dynsym) say where functions are; the unstripped
 * build is the twin whose symbols a test reads to compute the offsets.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "mylib.h"

/* noipa: no clone (.constprop, .isra) and no inlining, at -O2 too. */
static __attribute__((noipa)) long step(long i)
{
	return i * 7 + 3;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 1;

	for (long i = 0; i < n; i++) {
		long r = step(i);
		int ret = my_traced_function((int)i, 0xdeadbeef, 2.5, (void *)0x10);

		printf("step(%ld) = %ld\n", i, r);
		printf("my_traced_function(%ld) = %d\n", i, ret);
	}
	return 0;
}
