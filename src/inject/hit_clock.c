/* Hit timestamps to CLOCK_MONOTONIC ns (hit_clock.h). */
#define _GNU_SOURCE
#include "hit_clock.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "agent_abi.h"
#include "arch.h"

static int64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}


/* A (tsc, monotonic) pair taken as close together as the machine allows:
 * the tightest of a few tries. */
static void sample(uint64_t *tsc, int64_t *mono)
{
	uint64_t best = UINT64_MAX;

	*tsc = 0;
	*mono = 0;
	for (int i = 0; i < 5; i++) {
		uint64_t a = arch_cycle_counter();
		int64_t r = clock_ns(CLOCK_MONOTONIC);
		uint64_t b = arch_cycle_counter();
		if (b - a < best) {
			best = b - a;
			*tsc = a + (b - a) / 2;
			*mono = r;
		}
	}
}

static bool cpu_has_stable_tsc(void)
{
	FILE *f = fopen("/proc/cpuinfo", "re");
	char line[4096];
	bool constant = false, nonstop = false;

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "flags", 5))
			continue;
		constant = strstr(line, " constant_tsc") != NULL;
		nonstop = strstr(line, " nonstop_tsc") != NULL;
		break;
	}
	fclose(f);
	return constant && nonstop;
}

void hit_clock_init(struct hit_clock *c)
{
	memset(c, 0, sizeof(*c));
	c->kind = cpu_has_stable_tsc() ? DWT_CLOCK_TSC : DWT_CLOCK_MONOTONIC;
	if (c->kind == DWT_CLOCK_TSC) {
		uint64_t t1;
		int64_t r1;
		struct timespec pause = {0, 20 * 1000 * 1000};

		sample(&c->tsc0, &c->mono0);
		nanosleep(&pause, NULL);
		sample(&t1, &r1);
		c->ns_per_tick = t1 > c->tsc0 ? (long double)(r1 - c->mono0) / (long double)(t1 - c->tsc0) : 1.0L;
	}
	hit_clock_update(c);
}

void hit_clock_update(struct hit_clock *c)
{
	if (c->kind == DWT_CLOCK_TSC) {
		uint64_t t;
		int64_t r;

		sample(&t, &r);
		/* The longer the baseline, the smaller the error of the slope. */
		if (t > c->tsc0 + 1000000 && r > c->mono0)
			c->ns_per_tick = (long double)(r - c->mono0) / (long double)(t - c->tsc0);
	}
}

uint64_t hit_clock_mono_ns(const struct hit_clock *c, uint64_t raw)
{
	if (c->kind == DWT_CLOCK_TSC)
		return (uint64_t)(c->mono0 + (int64_t)((long double)(int64_t)(raw - c->tsc0) * c->ns_per_tick));
	return raw;
}
