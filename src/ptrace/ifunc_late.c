/* Late binding of IFUNCs (ifunc_late.h).
 *
 * The resolver probe is kept after its implementation was probed: the
 * dynamic linker calls the resolver again for every other slot it binds
 * (another library's lazy PLT slot, dlsym), which is harmless, and taking
 * a breakpoint out while another thread may run its out-of-line copy, or
 * its exits shared with other probes, is not.  Later hits only cost a stop
 * each, at binding time, never in the program's calls of the function.
 */
#define _GNU_SOURCE
#include "ifunc_late.h"

#include <inttypes.h>
#include <stdlib.h>

#include "call_stack.h"
#include "log.h"
#include "xalloc.h"

/* Implementations seen returned at the current breakpoint, placed by
 * ifunc_late_place before the thread resumes (one stop at a time). */
struct returned {
	struct probe_site *site;
	uint64_t impl;
};

static struct returned *pending;
static size_t npending, pending_cap;

void ifunc_late_entry(struct tracer *tr, struct event *ev, struct probe_site *site)
{
	struct thread *th = ev->th;
	uint64_t sp = arch_regs_sp(&ev->regs);

	if (site->ifunc_done || site->entry_only)
		return;
	/* The call returns where the stack pointer is back at its return
	 * address (call_exits); calls whose stack it reuses were left. */
	struct call_stack *calls = event_stream_calls(&tr->es, th->tid);

	tr->es.lost_returns += call_drop_below(calls, sp, 1);
	call_push(calls, &(struct call_frame){.sp = sp, .site = site});
}

void ifunc_late_returned(struct event *ev, struct probe_site *site)
{
	if (site->ifunc_done)
		return;
	xgrow(&pending, &pending_cap, npending + 1, sizeof(*pending));
	pending[npending++] = (struct returned){site, arch_regs_return_value(&ev->regs)};
}

void ifunc_late_place(struct tracer *tr, struct event *ev)
{
	struct process *p = ev->th->proc;

	(void)tr;
	for (size_t i = 0; i < npending; i++) {
		struct probe_site *rsite = pending[i].site, *site;
		const struct dw_function *r = rsite->fn;
		struct dw_function *f;

		if (rsite->ifunc_done || rsite->gone)
			continue;
		rsite->ifunc_done = true;
		f = dw_ifunc_late_bound(rsite->fn, pending[i].impl);
		if (!f) {
			log_warning("IFUNC %s in %s left out: its resolver returned 0x%" PRIx64
				    ", no function of %s; probe its implementation by name",
				    r->name, dw_module_name(r->module), pending[i].impl, dw_module_name(r->module));
			continue;
		}
		site = probe_set_add_late(&p->probes, f);
		if (!site) {
			if (p->probes.verbose)
				log_note("IFUNC %s in %s: its resolver chose %s, probed already", r->name,
					 dw_module_name(r->module), f->impl);
			continue;
		}
		if (p->probes.verbose)
			log_note("IFUNC %s in %s: its resolver chose %s: probing it", r->name, dw_module_name(r->module),
				 f->impl);
		/* Sinks describe it at its first event, as a dlopen's probes. */
		place_probe(p, ev->th, site);
	}
	npending = 0;
}
