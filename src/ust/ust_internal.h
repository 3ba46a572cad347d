/* libdwtrace-ust.so's parts: ust_init.c (finding the agent, the control
 * thread, fork handling) and ust_emit.c (the hit path). */
#ifndef DWTRACE_UST_INTERNAL_H
#define DWTRACE_UST_INTERNAL_H

#include <stdint.h>

#include "agent_abi.h"
#include "ust_abi.h"

/* The exported control object (DWT_UST_SYMBOL). */
extern struct dwt_ust ust_control;

/* The hit path (struct dwt_agent.ust_emit): see agent_abi.h. */
void dwt_ust_emit(uint32_t slot, const void *record, uint32_t size, uint64_t duration_ns, uint64_t ip,
		  void *scratch, uint32_t scratch_size);

#endif
