/* dwtrace's own death: restoring the traced processes from the handler of a
 * fatal signal (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT). */
#ifndef DWTRACE_EMERGENCY_H
#define DWTRACE_EMERGENCY_H

#include <stdbool.h>

#include "sink.h"
#include "tracer.h"

/* From now on a fatal signal of dwtrace's own restores every process of tr
 * (and first, which may not be in tr's list yet: it is being armed), detaches,
 * prints one line on stderr and lets dwtrace die of that signal.  Sets up an
 * alternate signal stack once.  tr and first must live until
 * emergency_disarm(). */
void emergency_arm(struct tracer *tr, struct process *first);

/* Back to the default actions (before tr is freed). */
void emergency_disarm(void);

/* Test-only: with DWTRACE_TEST_CRASH_AFTER=N in the environment, a sink in
 * front of real (taking it over) that makes dwtrace fault for real at entry
 * event N+1 (DWTRACE_TEST_CRASH_KIND=overflow: by overflowing its stack,
 * otherwise by writing to a PROT_NONE page).  Without it, real itself. */
struct sink *emergency_test_sink(struct sink *real);

/* Test-only: with DWTRACE_TEST_KILL_INJECTED=what in the environment
 * ("syscall": a remote system call, scratch.c; "call": a remote function
 * call, remote_call.c), dwtrace sends itself SIGKILL here, right after the
 * registers of the thread that runs the injected code are set. */
void emergency_test_kill(const char *what);

/* Test-only: with DWTRACE_TEST_SIGRETURN=1 in the environment, remote
 * system calls and calls let their stub's rt_sigreturn run, as when
 * dwtrace has died, and report an error when the thread's registers then
 * differ from the saved ones. */
bool emergency_test_sigreturn(void);

#endif
