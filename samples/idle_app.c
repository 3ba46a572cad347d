/* idle_app: sleeps 30 times 20 ms (usleep: nanosleep, restarted through
 * restart_syscall when a tracer interrupts it), prints "ok" and exits 7.
 * A program that is almost always blocked in a system call when dwtrace
 * attaches and hijacks its thread for a remote call: test_kill_injected.py
 * kills dwtrace in the middle of that. */
#include <stdio.h>
#include <unistd.h>

int main(void)
{
	for (int i = 0; i < 30; i++)
		usleep(20000);
	puts("ok");
	return 7;
}
