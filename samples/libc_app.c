/* libc_app: calls glibc's IFUNC string functions (strlen, memcpy, memcmp,
 * strcpy, strchr, strncmp, stpcpy, strstr, strncat) with known arguments and prints, for each
 * call, what it passed and what it got: "call NAME ARG=VALUE... ret=VALUE".
 * Those lines are the oracle of tests/integration/test_libc_ifunc.py.
 *
 * Built with -fno-builtin (samples/CMakeLists.txt): without it gcc folds
 * strlen("hello") to 5 and inlines small memcpy/strcpy at -O2, and the calls
 * never reach libc.  With --wait it first prints "ready" and waits for a
 * line on stdin (for dwtrace -p), then makes the calls again and again for
 * as many lines as it reads, one round per line.
 */
#include <stdio.h>
#include <string.h>

static void round_of_calls(void)
{
	char hello[] = "hello";
	char word[] = "dwtrace";
	char dst[32];
	char src[] = "memcpy!";
	const char *p;
	size_t n;
	int c;

	n = strlen(hello);
	printf("call strlen s=%s ret=%zu\n", hello, n);
	n = strlen(word);
	printf("call strlen s=%s ret=%zu\n", word, n);

	p = memcpy(dst, src, sizeof(src));
	printf("call memcpy dst=%p src=%p n=%zu ret=%p\n", (void *)dst, (void *)src, sizeof(src), (void *)p);

	c = memcmp(hello, "help", 4);
	printf("call memcmp s1=%p n=4 ret=%d\n", (void *)hello, c);

	p = strcpy(dst, word);
	printf("call strcpy dst=%p src=%s ret=%p\n", (void *)dst, word, (void *)p);

	p = stpcpy(dst, hello);
	printf("call stpcpy dst=%p src=%s ret=%p\n", (void *)dst, hello, (void *)p);

	p = strchr(word, 't');
	printf("call strchr s=%s c=%d ret=%s\n", word, 't', p);

	c = strncmp(word, "dwarf", 3);
	printf("call strncmp s1=%s s2=%s n=3 ret=%d\n", word, "dwarf", c);

	/* libc calls these two itself through no GOT slot (no IRELATIVE). */
	p = strstr(word, "race");
	printf("call strstr s1=%s s2=%s ret=%s\n", word, "race", p);

	strcpy(dst, "ab");
	p = strncat(dst, "cdef", 2);
	printf("call strncat dst=%p src=%s n=2 ret=%p result=%s\n", (void *)dst, "cdef", (void *)p, dst);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	char line[64];

	if (argc > 1 && !strcmp(argv[1], "--wait")) {
		printf("ready\n");
		fflush(stdout);
		while (fgets(line, sizeof(line), stdin))
			round_of_calls();
		return 0;
	}
	round_of_calls();
	return 0;
}
