/* Turning the agent's hit timestamps (struct dwt_agent.clock: TSC ticks or
 * CLOCK_MONOTONIC ns) into CLOCK_MONOTONIC ns, as records carry them (struct capture_record
 * ts_ns; the event stream adds the offset to wall-clock time). */
#ifndef DWTRACE_HIT_CLOCK_H
#define DWTRACE_HIT_CLOCK_H

#include <stdint.h>

struct hit_clock {
	uint32_t kind;             /* enum dwt_clock */
	/* TSC: a line through (tsc0, mono0) with slope ns_per_tick, refit
	 * from (tsc0, mono0) to the latest sample as time goes by. */
	uint64_t tsc0;
	int64_t mono0;
	long double ns_per_tick;
};

/* The clock the agent should use on this machine: TSC when the CPU says it
 * runs at a constant rate through sleep states (constant_tsc and
 * nonstop_tsc in /proc/cpuinfo), else the system call.  Starts it. */
void hit_clock_init(struct hit_clock *c);

/* Samples the clocks again (call once per drain; cheap). */
void hit_clock_update(struct hit_clock *c);

/* A raw hit timestamp as CLOCK_MONOTONIC ns. */
uint64_t hit_clock_mono_ns(const struct hit_clock *c, uint64_t raw);

#endif
