/* libfork.so: fk_work(), called by fork_app's parent and child, and
 * fk_fork(), inside which the child is created, so that the child inherits
 * both the breakpoints and a call in progress. */
#include <unistd.h>

#include "fork_lib.h"

int fk_work(int who, int i)
{
	return who * 100 + i * i + 1;
}

int fk_fork(void)
{
	int pid = (int)fork();

	/* Code after the call keeps -O2 from making it a tail call: the child
	 * is to be born inside fk_fork. */
	__asm__ volatile("" ::: "memory");
	return pid;
}
