/* x86-64 facts of traps and returns that generic code asks for (arch.h). */
#include "arch.h"

#include <signal.h>

bool arch_siginfo_is_breakpoint(int si_signo, int si_code)
{
	/* int3 raises SIGTRAP as an exception (do_int3 -> do_trap with
	 * SI_KERNEL); kill/tgkill give SI_USER/SI_TKILL, a single-step
	 * TRAP_TRACE, a hardware breakpoint TRAP_HWBKPT. */
	return si_signo == SIGTRAP && si_code == SI_KERNEL;
}

uint64_t arch_regs_return_value(const struct arch_regs *r)
{
	return r->gp.rax;
}
