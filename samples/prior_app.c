/* prior_app: a call in flight when a tracer attaches.  main prints
 * "waiting", then calls pr_wait() four times; each call blocks in read() on
 * stdin for one byte and returns it plus its call number.  A tracer that
 * attaches during the first call sees that call return (a return without an
 * entry, to be ignored) and the next three calls whole.  Prints
 * "pr_wait(N) = R" after each call and exits 0, or 1 at end of input.
 */
#include <stdio.h>
#include <unistd.h>

__attribute__((noinline)) int pr_wait(int n)
{
	unsigned char c;

	if (read(0, &c, 1) != 1)
		return -1;
	return c + n;
}

int main(void)
{
	printf("waiting\n");
	fflush(stdout);
	for (int n = 1; n <= 4; n++) {
		int r = pr_wait(n);

		if (r < 0)
			return 1;
		printf("pr_wait(%d) = %d\n", n, r);
		fflush(stdout);
	}
	return 0;
}
