/* The agent engine's side of --filter (engine_filter.h). */
#include "engine_filter.h"

#include <stdio.h>
#include <string.h>

#include "filter_agent.h"
#include "log.h"

/* Writes f into the agent's op area (whole op slots): its first slot's
 * index, or -1 when the area is full. */
static int64_t write_filter(struct agent_handle *h, struct ring_reader *rr, const struct filter_agent_prog *f)
{
	struct dwt_agent *a = &h->agent;
	uint32_t slots = (f->size + sizeof(struct dwt_cap_op) - 1) / sizeof(struct dwt_cap_op);
	uint8_t *at;

	if (a->nops + (uint64_t)slots > a->nops_max)
		return -1;
	at = ring_reader_ptr(rr, a->ops + (uint64_t)a->nops * sizeof(struct dwt_cap_op),
			     slots * sizeof(struct dwt_cap_op));
	if (!at)
		return -1;
	memcpy(at, f->bytes, f->size);
	a->nops += slots;
	return a->nops - slots;
}

int agent_filter_place(struct agent_handle *h, struct ring_reader *rr, const struct probe_site *site,
		       const struct capture_prog *entry, const struct decode_opts *o, bool verbose,
		       struct patch_request *rq)
{
	struct filter_agent_prog f;
	const char *why;
	int64_t at;

	if (!site->layout || !site->layout->filter)
		return 0;
	if (filter_agent_compile(site->layout->filter, entry, o, &f, &why) != 0) {
		if (verbose)
			log_note("probe '%s': its --filter %s: dwtrace evaluates it, after the program wrote the "
				 "record", site->fn->name, why);
		return 0;
	}
	at = write_filter(h, rr, &f);
	if (at >= 0) {
		rq->filter = (uint32_t)at;
		rq->filter_nops = f.nops;
		rq->filter_size = f.size;
		rq->filter_regs = f.regs_only;
		log_debug("agent", "probe '%s': its --filter runs in the program (%u ops%s)", site->fn->name, f.nops,
			  f.regs_only ? ", registers only" : "");
	}
	filter_agent_prog_free(&f);
	return at < 0 ? -1 : 0;
}

const char *agent_filter_ust_unsuitable(struct probe_site *const *sites, size_t n, const struct decode_opts *o)
{
	static char why[320];

	for (size_t i = 0; i < n; i++) {
		const struct probe_site *site = sites[i];
		struct capture_prog prog;
		struct filter_agent_prog f;
		const char *what;

		if (!site->layout || !site->layout->filter)
			continue;
		capture_prog_compile(&prog, site->layout, false, o, site->go);
		if (filter_agent_compile(site->layout->filter, &prog, o, &f, &what) == 0) {
			filter_agent_prog_free(&f);
			continue;
		}
		snprintf(why, sizeof(why), "--filter at probe '%s' %s, which the agent cannot evaluate, and with "
			 "--lttng/--ctf the program writes its events without dwtrace", site->fn->name, what);
		return why;
	}
	return NULL;
}
