/* What the agent's files share inside libdwtrace-agent.so (all hidden). */
#ifndef DWTRACE_AGENT_INTERNAL_H
#define DWTRACE_AGENT_INTERNAL_H

#include <signal.h>
#include <stdint.h>

#include "agent_abi.h"

#define AGENT_HIDDEN __attribute__((visibility("hidden")))

/* The control object; exported as dwtrace_agent (an alias), used by the
 * agent under this hidden name so that accesses are rip-relative, not
 * through the GOT. */
extern struct dwt_agent agent AGENT_HIDDEN;

/* The process id, for process_vm_readv on ourselves: set at init and in a
 * fork child. */
extern int32_t agent_pid AGENT_HIDDEN;

/* The kernel's struct sigaction for rt_sigaction (not glibc's). */
struct kernel_sigaction {
	void *handler;
	unsigned long flags;
	void *restorer;
	uint64_t mask;
};

/* Tells agent_trap.c the program's SIGTRAP action before the agent's
 * (to chain to) and the agent's as the kernel holds it (to put back;
 * NULL before it is installed);
 * agent_init.c installs the handler, through glibc for its restorer. */
void agent_trap_adopt(const struct kernel_sigaction *program,
		      const struct kernel_sigaction *agent_act) AGENT_HIDDEN;

/* Called by the watchdog every period: once the program has trap sites,
 * puts the agent's SIGTRAP handler back when the program replaced it
 * (the int3s stay in its code; another handler would resume mid-
 * instruction), chaining to the program's new action. */
void agent_trap_rearm(void) AGENT_HIDDEN;

/* Records a hit of site (an index already checked against nsites_max)
 * from the registers in f; the caller checked active and DWT_SITE_LIVE.
 * Never faults on the program's memory, never blocks beyond wait_us. */
void agent_record(uint32_t site, const struct dwt_frame *f) AGENT_HIDDEN;

/* The entry point of stubs (agent_hit.c), exported. */
__attribute__((visibility("default"))) void dwt_hit(uint32_t site, struct dwt_frame *f);

/* The SIGTRAP handler (agent_trap.c). */
void agent_trap_handler(int sig, siginfo_t *si, void *uc) AGENT_HIDDEN;

/* The vDSO's clock_gettime, or 0 (then a system call); found at init by
 * agent_find_vdso() (agent_vdso.c). */
extern long (*agent_vdso_clock_gettime)(long clock, void *ts) AGENT_HIDDEN;
void agent_find_vdso(void) AGENT_HIDDEN;

/* The XSAVE components saved around the in-process LTTng emitter
 * (XCR0 & x87|SSE|AVX|opmask|ZMM_Hi256|Hi16_ZMM; 0 without XSAVE: no
 * emission), the bytes their area needs, and whether XSAVEC (compacted,
 * skipping components in their initial state) is there; set at init. */
extern uint64_t agent_xsave_mask AGENT_HIDDEN;
extern uint32_t agent_xsave_size AGENT_HIDDEN;
extern uint32_t agent_xsavec AGENT_HIDDEN;

/* In a fork child: forget the parent's threads' rings (agent_hit.c). */
void agent_forget_rings(void) AGENT_HIDDEN;
/* Gives the program back the SIGTRAP action the agent chains to. */
void agent_trap_disarm(void) AGENT_HIDDEN;
long dwt_arm_traps(uint64_t on) AGENT_HIDDEN;

/* Copies n bytes (no libc: safe in a fork child and on the hot path). */
static inline void agent_copy(uint8_t *dst, const uint8_t *src, uint64_t n)
{
	while (n--)
		*dst++ = *src++;
}

#endif
