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

/* The vector registers saved around the in-process LTTng emitter
 * (agent_hit.c emit_ust), chosen at init from CPUID and XCR0: zmm0-31 and
 * k0-7 (kmovq with AVX512BW, else kmovw), ymm0-15, or xmm0-15; and
 * whether XGETBV with ECX 1 (XINUSE) is there. */
enum { AGENT_VSAVE_SSE = 0, AGENT_VSAVE_AVX = 1, AGENT_VSAVE_AVX512 = 2 };
extern uint32_t agent_vsave AGENT_HIDDEN;
extern uint32_t agent_kmovq AGENT_HIDDEN;
extern uint32_t agent_xinuse AGENT_HIDDEN;

/* In a fork child: forget the parent's threads' rings (agent_hit.c). */
void agent_forget_rings(void) AGENT_HIDDEN;
/* Gives the program back the SIGTRAP action the agent chains to. */
void agent_trap_disarm(void) AGENT_HIDDEN;
long dwt_arm_traps(uint64_t on) AGENT_HIDDEN;

/* The watchdog's clean-up once the reader of generation gen is gone
 * (SIGKILL included; active already 0): puts back each trap site's
 * original byte (struct dwt_site.orig[0], written by dwtrace before the
 * int3) over its int3, so that a pass-through probe no longer costs a
 * SIGTRAP per hit.  A one-byte store over an int3 is atomic for threads
 * running the code: each runs either the int3 (served as before: the
 * site and trap table entries stay, the handler stays armed for a SIGTRAP
 * raised just before) or the original instruction.  Jump sites stay (a
 * 5-byte store is not atomic; their pass-through costs a few ns).  Stops
 * when generation changes (a new dwtrace adopts what is left, patch.c
 * patch_adopt).  Raw system calls only.  Returns the bytes put back. */
uint32_t agent_untrap(uint32_t gen) AGENT_HIDDEN;

/* Copies n bytes (no libc: safe in a fork child and on the hot path). */
static inline void agent_copy(uint8_t *dst, const uint8_t *src, uint64_t n)
{
	while (n--)
		*dst++ = *src++;
}

#endif
