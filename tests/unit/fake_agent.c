/* A stand-in for libdwtrace-agent.so in the loader's tests: it exports the
 * control object (struct dwt_agent named DWT_AGENT_SYMBOL) and its
 * constructor fills it as the real agent does once ready, after starting a
 * thread of its own (as the real one starts its watchdog).  For the tests of
 * failures, the target's environment may ask for another status
 * (DWT_FAKE_STATUS) or ABI (DWT_FAKE_ABI). */
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "agent/agent_abi.h"

__attribute__((visibility("default"))) struct dwt_agent dwtrace_agent;

static void *idle(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

__attribute__((constructor)) static void fake_agent_init(void)
{
	const char *status = getenv("DWT_FAKE_STATUS");
	const char *abi = getenv("DWT_FAKE_ABI");
	pthread_attr_t attr;
	pthread_t tid;

	dwtrace_agent.magic = DWT_MAGIC;
	dwtrace_agent.abi = abi ? (uint32_t)atoi(abi) : DWT_ABI;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_create(&tid, &attr, idle, NULL);
	pthread_attr_destroy(&attr);
	__atomic_store_n(&dwtrace_agent.status, status ? atoi(status) : 1, __ATOMIC_RELEASE);
}
