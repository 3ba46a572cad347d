/* Calling a function of the traced process in one of its threads, as gdb
 * does to run an IFUNC resolver (gdb/elfread.c, elf_gnu_ifunc_resolve_addr). */
#ifndef DWTRACE_REMOTE_CALL_H
#define DWTRACE_REMOTE_CALL_H

#include <stdint.h>

#include "target.h"

/* Runs fn(arg0) (fn takes one integer argument and returns an integer) in
 * thread th, which is in a ptrace stop, as is every other thread of t.  The
 * thread's registers (vector state included) and the code dwtrace writes
 * for the return (at the program's entry point, which runs once) are
 * restored on every path; signals that arrive meanwhile are kept for the
 * thread; a call that takes over a second is stopped.  Returns 0 and
 * *result, or -ESRCH (the thread went away), -EFAULT (memory, or fn
 * faulted), -ETIMEDOUT. */
int remote_call(struct target *t, struct thread *th, uint64_t fn, uint64_t arg0, uint64_t *result);

/* For dw_session_set_ifunc_caller: arg is the struct target whose leader
 * (stopped, with every thread) runs resolver(AT_HWCAP). */
int remote_call_ifunc_resolver(void *arg, uint64_t resolver, uint64_t *result);

#endif
