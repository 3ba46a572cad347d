/* The emitter's hit path: on the program's hitting thread, called by the
 * agent (src/agent/agent_hit.c) with the record of a DWT_SITE_UST hit,
 * vector state saved by the agent.  The record is parsed, the event's
 * field scalars computed from it (probes/ust_value.c) and the event
 * written into the program's own LTTng ring buffers (probes/ust_lttng.c).
 * No allocation, no lock but lttng-ust's RCU read side; the images, digits,
 * scalars and the parsed record in the agent's scratch, the writer's filter
 * stack (~3 KiB) on the thread's stack. */
#include <stddef.h>

#include "record.h"
#include "ust_internal.h"
#include "ust_lttng.h"
#include "ust_value.h"

/* What the hit path keeps in the agent's scratch (the thread's ring after
 * the record, DWT_UST_SCRATCH bytes), not on the program's stack. */
struct emit_scratch {
	struct capture_record r;
	struct ust_scalar sc[UST_LTTNG_MAX_FIELDS];
	uint8_t buf[16384] __attribute__((aligned(16)));
};
_Static_assert(sizeof(struct emit_scratch) <= DWT_UST_SCRATCH, "the emitter's scratch outgrew DWT_UST_SCRATCH");

void dwt_ust_emit(uint32_t slot, const void *record, uint32_t size, uint64_t duration_ns, uint64_t ip,
		  void *scratch, uint32_t scratch_size)
{
	struct emit_scratch *x = scratch;
	const struct dwt_ust_event_desc *ev;
	const void *blob;
	size_t blob_size;

	/* Nothing enabled this event: as cheap as a compiled-in tracepoint
	 * whose tracepoint is off. */
	if (!ust_lttng_enabled(slot))
		return;
	if (scratch_size < sizeof(*x) || ((uintptr_t)scratch & 15))
		return;
	ev = ust_lttng_source(slot, &blob, &blob_size);
	if (!ev || ev->nfields > UST_LTTNG_MAX_FIELDS || record_parse(record, size, -1, &x->r) < 0)
		return;
	ust_scalars_from_record(blob, blob_size, ev, &x->r, duration_ns, x->sc, x->buf, sizeof(x->buf));
	ust_lttng_fire(slot, x->sc, ip);
	__atomic_fetch_add(&ust_control.emitted, 1, __ATOMIC_RELAXED);
}
