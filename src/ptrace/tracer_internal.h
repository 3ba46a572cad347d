/* Shared by the files of the tracer: tracer.c (the event loop), placement.c
 * (breakpoints and libraries), detach.c (leaving processes as they were). */
#ifndef DWTRACE_TRACER_INTERNAL_H
#define DWTRACE_TRACER_INTERNAL_H

#include "arch.h"
#include "tracer.h"

enum trace_event {
	TE_BREAKPOINT,   /* a task executed one of our traps: handle it, resume */
	TE_IMAGE_ENTRY,  /* a new program image reached its entry point: probe it */
	TE_SIGNAL,       /* signal-delivery stop: resume delivering the signal */
	TE_GROUP_STOP,   /* a stop signal stopped the task: PTRACE_LISTEN */
	TE_EVENT_STOP,   /* a new task's first stop or an interrupt: resume */
	TE_CLONE,        /* a new thread: note it, resume the parent */
	TE_FORK,         /* a new process: follow it, or strip our traps and let it go */
	TE_VFORK,        /* a child sharing the parent's memory */
	TE_EXEC,         /* a new program image: our traps are gone with the old one */
	TE_EXIT,         /* a task is gone */
	TE_OTHER_EVENT,  /* any other ptrace event: resume */
	TE_INTERRUPTED,  /* dwtrace was asked to stop: detach */
	TE_NO_TASKS,     /* nothing left to trace */
};

struct event {
	enum trace_event type;
	pid_t tid;
	int status;                  /* as waitpid() gave it */
	struct thread *th;
	struct arch_regs regs;       /* TE_BREAKPOINT, TE_IMAGE_ENTRY */
	struct breakpoint *bp;       /* TE_BREAKPOINT */
	int sig;                     /* TE_SIGNAL, TE_BREAKPOINT, TE_IMAGE_ENTRY: the signal */
};

struct thread *tracer_thread(struct tracer *tr, pid_t tid);
/* Whether thread tid, stopped by SIGTRAP just past bp's trap, stopped
 * because of that trap (not a SIGTRAP of the program's own arriving there). */
bool our_trap(const struct breakpoint *bp, pid_t tid);
void resume_thread(struct thread *th);

/* call_events.c */
/* The entry of site at ev's breakpoint: its event, and the call in flight. */
void call_entry(struct tracer *tr, struct event *ev, struct probe_site *site);
/* Probed functions whose code runs into the entry at ev's breakpoint
 * without a jump: their exit events, as tail calls (before that entry's). */
void call_arrivals(struct tracer *tr, struct event *ev);
/* ev's breakpoint may leave probed functions: their exit events. */
void call_exits(struct tracer *tr, struct event *ev);

/* placement.c */
int arm_process(struct tracer *tr, struct process *p, struct thread *th);
/* Places site's entry and exit breakpoints through th (stopped).  Returns
 * 0, or -1 after printing why it is left out. */
int place_probe(struct process *p, struct thread *th, struct probe_site *site);
void on_dlstate(struct tracer *tr, struct event *ev);
int process_mem_write(void *process, uint64_t addr, const void *buf, size_t size);

/* detach.c */
/* Takes every trap out of every traced process, brings threads back from
 * the scratch areas and detaches from every task. */
void detach_all(struct tracer *tr);
/* The same, async-signal-safe, for a fatal signal's handler: allocates,
 * frees and logs nothing (the contract is at the top of detach.c). */
void detach_all_emergency(struct tracer *tr);
void release_fork_child(struct tracer *tr, struct thread *parent, pid_t child);

#endif
