/* A thread of dwtrace's inside the traced program (quiet_thread.h). */
#define _GNU_SOURCE
#include "quiet_thread.h"

#include <pthread.h>
#include <signal.h>

int quiet_thread_start(void *(*fn)(void *), size_t stack_size, const char *name)
{
	pthread_attr_t attr;
	pthread_t th;
	sigset_t all, old;
	int err;

	sigfillset(&all);
	if ((err = pthread_attr_init(&attr)))
		return -err;
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, stack_size);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	err = pthread_create(&th, &attr, fn, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	if (err)
		return -err;
	pthread_setname_np(th, name);
	return 0;
}
