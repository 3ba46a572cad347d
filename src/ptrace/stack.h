/* Call stacks at function entry: unwound with libunwind-ptrace, then
 * symbolized with libdw (never interleaved). */
#ifndef DWTRACE_STACK_H
#define DWTRACE_STACK_H

#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "event_layout.h"

struct process;
struct thread;
struct arch_regs;

/* Unwinds thread th of p, stopped at pc with registers regs, into at most
 * depth return addresses (pcs[0] = pc), then symbolizes them.  The frames
 * live in arena.
 * Returns NULL only when depth is 0. */
const struct stack_trace *stack_capture(struct process *p, struct thread *th, const struct arch_regs *regs,
					uint64_t pc, size_t depth, struct arena *arena);

/* Unwinds thread th of p, stopped at pc with registers regs, into at most
 * depth return addresses (pcs[0] = pc), without symbolizing.  Returns how
 * many; *stopped says why unwinding ended early (NULL when it did not). */
size_t stack_unwind(struct process *p, struct thread *th, const struct arch_regs *regs, uint64_t pc, uint64_t *pcs,
		    size_t depth, const char **stopped);

/* Forgets the symbols cached for p (its image changed, or it is freed). */
void stack_forget_symbols(struct process *p);

/* Frees what stack_capture keeps for thread th (when it goes away). */
void stack_thread_gone(struct thread *th);

#endif
