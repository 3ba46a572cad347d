/* Calling a function of the traced process in one of its threads, as gdb
 * does to run an IFUNC resolver (gdb/elfread.c, elf_gnu_ifunc_resolve_addr). */
#ifndef DWTRACE_REMOTE_CALL_H
#define DWTRACE_REMOTE_CALL_H

#include <stddef.h>
#include <stdint.h>

#include "target.h"

/* Runs fn(arg0) (fn takes one integer argument and returns an integer) in
 * thread th, which is in a ptrace stop, as is every other thread of t.  The
 * thread's registers (the whole XSAVE state included) and the code dwtrace
 * writes for the return (at target_stub_pc(): code that never runs again)
 * are restored on every path; fn returns into an rt_sigreturn from a frame
 * below the thread's stack, so that the thread resumes unharmed even when
 * dwtrace dies (SIGKILL included) before restoring it.  A fault of fn ends the call and is
 * discarded; signals sent to the thread meanwhile are raised again for it
 * after the restore; a call that takes over a second is stopped.  Returns 0
 * and *result, or -ESRCH (the thread went away), -EFAULT (memory, or fn
 * faulted), -ETIMEDOUT, -EBUSY (a call is under way already). */
int remote_call(struct target *t, struct thread *th, uint64_t fn, uint64_t arg0, uint64_t *result);

/* remote_call() of fn(args[0], ..., args[nargs - 1]): 1 to
 * ARCH_CALL_MAX_ARGS integer arguments (-EINVAL otherwise), with the same
 * safety, stopped after timeout_ns (0: remote_call's second).  A call
 * stopped in the middle may leave a lock of fn's held: give functions that
 * take locks (pthread_create) a long timeout.  The other threads of t may
 * run meanwhile (the return code is written where the program never runs
 * again): src/inject/loader.c lets them, so that a lock one of them holds
 * cannot block fn. */
int remote_call_args(struct target *t, struct thread *th, uint64_t fn, const uint64_t *args, size_t nargs,
		     uint64_t timeout_ns, uint64_t *result);

/* For dwtrace's emergency path (async-signal-safe: ptrace, waitpid,
 * nanosleep, pwrite): stops the thread left in the middle of remote_call()
 * and puts its registers, vector state and the program's code back. */
void remote_call_abandon(void);

/* For dw_session_set_ifunc_caller: arg is the struct target whose leader
 * (stopped, with every thread) runs resolver(AT_HWCAP). */
int remote_call_ifunc_resolver(void *arg, uint64_t resolver, uint64_t *result);

#endif
