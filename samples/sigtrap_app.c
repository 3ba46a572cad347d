/* sigtrap_app: SIGTRAP dispositions and masks that a tracer's breakpoint
 * traps must leave alone.  The kernel resets SIGTRAP to SIG_DFL and unblocks
 * it when a trap hits a thread that blocks SIGTRAP or a program that ignores
 * it (force_sig_info_to_task).
 *
 * It calls st_work() (the function to probe) three times:
 *   1. as it started (run it with SIGTRAP ignored to test that case), then
 *      raise(SIGTRAP) and print "raised";
 *   2. with every signal blocked (sigfillset), then print whether SIGTRAP is
 *      still blocked;
 *   3. with the mask restored, then print "done".
 * Output: "st_work(N) = R" per call, "raised", "SIGTRAP blocked: 1", "done".
 * A SIGTRAP that is not ignored kills it at step 1: run it ignored. */
#include <signal.h>
#include <stdio.h>

__attribute__((noinline)) int st_work(int x)
{
	__asm__ volatile("" ::: "memory");
	return x * 2 + 1;
}

int main(void)
{
	sigset_t all, old, now;

	printf("st_work(1) = %d\n", st_work(1));
	fflush(stdout);
	raise(SIGTRAP);
	printf("raised\n");
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	printf("st_work(2) = %d\n", st_work(2));
	sigprocmask(SIG_SETMASK, NULL, &now);
	printf("SIGTRAP blocked: %d\n", sigismember(&now, SIGTRAP));
	sigprocmask(SIG_SETMASK, &old, NULL);
	printf("st_work(3) = %d\n", st_work(3));
	printf("done\n");
	return 0;
}
