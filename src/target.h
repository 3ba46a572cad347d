/* The traced process: starting it, its threads, and its memory. */
#ifndef DWTRACE_TARGET_H
#define DWTRACE_TARGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "call_stack.h"
#include "procfs.h"            /* proc_stat_field(), was declared here */
#include "u64_map.h"

struct process;

struct thread {
	struct process *proc;        /* the traced process it belongs to */
	pid_t tid;
	pid_t tgid;
	int pending_signal;          /* to deliver at the next resume */
	bool stopped;                /* in a ptrace stop dwtrace has not resumed */
	bool group_stopped;          /* stopped by a stop signal: resume with PTRACE_LISTEN */
	bool held;                   /* kept in a ptrace stop until its stopped process continues */
	void *unwind;                /* libunwind-ptrace's state for the thread (--stack) */
};

struct target {
	pid_t pid;                   /* the process dwtrace started */
	const char *name;            /* its file name, for messages */
	bool owned_name;
	uint64_t entry;              /* AT_ENTRY */
	int memfd;                   /* /proc/PID/mem */
	struct u64_map threads;      /* tid → struct thread */
	size_t nthreads_seen;
	bool exited;
	int exit_status;             /* wait status of the process leader */
	bool attached;               /* -p: not started by dwtrace */
	bool sigtrap_ignored_at_exec; /* the new image started with SIGTRAP ignored */
	/* A started program kept at its entry point while dwtrace loaded a
	 * library into it (src/inject/loader_inject.c): its other tasks are
	 * the libraries' own threads, so a later load may keep it there too. */
	bool held_at_entry;
	struct process *proc;        /* given to every thread added */
	/* A Go program: a thread may run on a goroutine stack of a few KiB
	 * with other memory right below it, so dwtrace writes nothing below
	 * a thread's stack pointer for its own system calls there. */
	bool goroutine_stacks;
};

/* Starts argv[0] (searched in PATH like execvp) stopped at its entry point,
 * with its shared libraries mapped.  Returns 0, or -1 after printing why. */
int target_spawn(struct target *t, char **argv);

/* Attaches to every thread of process pid and stops them all.  Returns 0,
 * or -1 after printing why (then nothing of the process is traced). */
int target_attach(struct target *t, pid_t pid);

/* Detaches from every thread without touching the process's memory (for
 * failures before dwtrace changed anything). */
void target_detach_untouched(struct target *t);

/* Notes, at an exec, whether the new image starts with SIGTRAP ignored:
 * the trap dwtrace puts at its entry point resets that (see
 * sigtrap_guard.h). */
void target_note_exec_signals(struct target *t);

/* Reads the command name of pid (/proc/PID/comm): 0 or -1. */
int target_read_comm(pid_t pid, char *buf, size_t size);

/* Reads AT_ENTRY of process pid from /proc: 0 or -1. */
int target_read_entry(pid_t pid, uint64_t *entry);

/* Where dwtrace may write the code it runs in a thread of t (remote
 * system calls and calls, which end in an rt_sigreturn): code the program
 * never runs again.  The dynamic linker's entry point (AT_BASE + its
 * e_entry), which ran once before the program's; for a static executable
 * (no AT_BASE) the program's entry point, which a program stopped there
 * has still to run (a window if dwtrace dies mid-call there).  Read anew
 * each time (an exec changes it); 0 when unknown. */
uint64_t target_stub_pc(struct target *t);

/* Frees what dwtrace holds of t (not the process). */
void target_release(struct target *t);

/* Kills a started program that has not run yet (dwtrace failed before it did). */
void target_kill_unstarted(struct target *t);

/* Seizes (PTRACE_SEIZE, PTRACE_INTERRUPT) every task of t->pid not traced
 * yet, again until a pass finds no new one, and waits until each is in a
 * ptrace stop (as target_attach does; a signal met on the way is kept in
 * pending_signal).  Returns 0, -ESRCH when the leader is gone, or -errno. */
int target_stop_all(struct target *t);

/* Detaches thread th (in a ptrace stop), giving it its pending signal, and
 * forgets it: the thread runs free, dwtrace having changed nothing.  A
 * thread that died meanwhile (another thread's exit_group) is collected,
 * so that the process's parent can collect the process. */
void target_detach_thread(struct target *t, struct thread *th);

/* target_detach_thread() for every thread of t. */
void target_detach_all(struct target *t);

/* target_detach_thread() for every thread of t but task keep (0: all). */
void target_detach_all_but(struct target *t, pid_t keep);

struct thread *target_thread(struct target *t, pid_t tid);
struct thread *target_add_thread(struct target *t, pid_t tid, pid_t tgid);
void target_drop_thread(struct target *t, pid_t tid);
/* A thread that is not in a ptrace stop, or NULL. */
struct thread *target_running_thread(struct target *t);
void target_drop_all_threads_but(struct target *t, pid_t keep);

/* Memory of the process: the count read (maybe short), or -1. */
ssize_t target_read(struct target *t, pid_t tid, uint64_t addr, void *buf, size_t size);
/* Writes memory, text pages included: 0, or -errno. */
int target_write(struct target *t, pid_t tid, uint64_t addr, const void *buf, size_t size);

/* waitpid() that goes on waiting when a signal for dwtrace interrupts it. */
pid_t wait_task(pid_t pid, int *status, int flags);

/* Monotonic and real-time clocks, in nanoseconds. */
uint64_t now_mono_ns(void);
uint64_t now_real_ns(void);

#endif
