/* The emitter's hit path: on the program's hitting thread, called by the
 * agent (src/agent/agent_hit.c) with the record of a DWT_SITE_UST hit,
 * vector state saved by the agent.  The record is parsed, the event's
 * field scalars computed from it (probes/ust_value.c) and the event
 * written into the program's own LTTng ring buffers (probes/ust_lttng.c).
 * No allocation, no lock but lttng-ust's RCU read side, a bounded stack:
 * ~16 KiB of images and digits, UST_LTTNG_MAX_FIELDS scalars, the parsed
 * record, and the writer's filter stack. */
#include <stddef.h>

#include "record.h"
#include "ust_internal.h"
#include "ust_lttng.h"
#include "ust_value.h"

#define EMIT_BUF 16384

void dwt_ust_emit(uint32_t slot, const void *record, uint32_t size, uint64_t duration_ns, uint64_t ip)
{
	struct ust_scalar sc[UST_LTTNG_MAX_FIELDS];
	uint8_t buf[EMIT_BUF] __attribute__((aligned(16)));
	struct capture_record r;
	const struct dwt_ust_event_desc *ev;
	const void *blob;
	size_t blob_size;

	/* Nothing enabled this event: as cheap as a compiled-in tracepoint
	 * whose tracepoint is off. */
	if (!ust_lttng_enabled(slot))
		return;
	ev = ust_lttng_source(slot, &blob, &blob_size);
	if (!ev || ev->nfields > UST_LTTNG_MAX_FIELDS || record_parse(record, size, -1, &r) < 0)
		return;
	ust_scalars_from_record(blob, blob_size, ev, &r, duration_ns, sc, buf, sizeof(buf));
	ust_lttng_fire(slot, sc, ip);
	__atomic_fetch_add(&ust_control.emitted, 1, __ATOMIC_RELAXED);
}
