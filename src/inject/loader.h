/* Getting the in-process agent (libdwtrace-agent.so) into the traced
 * process, finding it again on a later attach, and reading and writing its
 * memory (the control object, sites, ops, traps, rings).
 *
 * The agent is loaded by a thread of the program's own: one of its threads
 * (hijacked through ptrace, registers and vector state restored after) calls
 * pthread_create(&slot, &detached_attr, trampoline, path) and returns; the new
 * thread runs the trampoline "dlopen(path, RTLD_NOW)" while the program runs
 * free, so that no lock held by a stopped thread (malloc's, the dynamic
 * linker's, stdio's) can hang the load.  dwtrace then polls the agent's
 * struct dwt_agent.status (src/agent/agent_abi.h) through
 * process_vm_readv. */
#ifndef DWTRACE_INJECT_LOADER_H
#define DWTRACE_INJECT_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/agent_abi.h"
#include "target.h"

struct agent_handle {
	uint64_t base;               /* where the agent's ELF file is mapped (file offset 0) */
	uint64_t ctl;                /* address of its struct dwt_agent (DWT_AGENT_SYMBOL) */
	struct dwt_agent agent;      /* the control object as last read (agent_find, agent_ctl_read) */
	char file[256];              /* the mapping's name in /proc/PID/maps */
	bool loaded_now;             /* agent_load loaded it (false: it was there already) */
	bool memfd;                  /* it was delivered as a memfd (another mount namespace) */
};

/* agent_load_file() flags. */
#define AGENT_LOAD_MEMFD 1u          /* deliver the file as a memfd even when the path
				      * would do (tests of the other-namespace path) */

/* Where dwtrace's agent library is: next to the dwtrace executable, else in
 * ../lib/dwtrace/ (an installed dwtrace), as own_lib_path() finds it.
 * Returns 0 and the path in buf, or -ENOENT. */
int agent_library_path(char *buf, size_t size);

/* Finds an agent already loaded in process t->pid (an earlier dwtrace left
 * it): its file mapping in /proc/PID/maps (named libdwtrace-agent.so, also
 * as "/memfd:libdwtrace-agent.so (deleted)" or "... (deleted)"), the address
 * of DWT_AGENT_SYMBOL from that ELF file's symbol table (read through
 * /proc/PID/map_files, so deleted files, memfds and other mount namespaces
 * are read alike), and the struct dwt_agent there (process_vm_readv).
 * Threads may run or be stopped.  Returns 0 with *h filled, -ENOENT (no
 * agent mapped), -EPROTO (mapped, but its magic or abi is not ours: h->agent
 * holds what was read), -EAGAIN (mapped, still initializing: status 0), the
 * agent's own status when its initialization failed (h->agent.status < 0),
 * or another -errno (its file or memory cannot be read). */
int agent_find(struct target *t, struct agent_handle *h);

/* The pid of another dwtrace that reads the agent of process pid now (its
 * struct dwt_agent.active is set and its reader_pid is alive and is not this
 * process), else 0 (no agent, or one in pass-through, or its reader gone).
 * The process is not stopped or attached: the agent is read through
 * process_vm_readv (agent_find). */
pid_t agent_live_reader(pid_t pid);

/* Loads the agent into t (every thread in a ptrace stop, as target_spawn
 * leaves a started program at its entry point and target_attach an attached
 * one) unless agent_find finds it: one copy however often dwtrace attaches.
 * Refuses, with the reason, a static executable (-ENOEXEC), a program without
 * libc.so.6 (-ENOEXEC), a libc without dlopen or pthread_create in it (glibc
 * older than 2.34: -ENOSYS), a process under a seccomp filter (-EPERM: remote
 * system calls and the loader's own could be denied), a stopped process
 * (-EAGAIN), an agent of another ABI (-EPROTO).  A started program stopped at
 * its entry point with one thread stays stopped while the agent loads (it
 * holds no lock); otherwise the program's threads are detached and run
 * during the load, which may take up to 5 s (-ETIMEDOUT: a load that ends
 * later stays harmless, its agent inactive).  On return every thread of t is
 * in a ptrace stop again (those the agent created included), unless the
 * process went away (-ESRCH).  The program's threads having been detached
 * and seized again, t's struct thread objects are new: keep no pointer to
 * one across the call.  (A started program is at its entry point once
 * target_spawn returns: libc.so.6 is mapped and initialized there, so no
 * extra run is needed.)  Returns 0 with *h filled, or -errno with a
 * one-line reason in *why (malloc'd, to free). */
int agent_load(struct target *t, struct agent_handle *h, char **why);

/* agent_load() with the library at path (NULL: agent_library_path()) and
 * AGENT_LOAD_* flags. */
int agent_load_file(struct target *t, struct agent_handle *h, const char *path, unsigned flags, char **why);

/* A library dwtrace loads into the program as it loads the agent (the
 * in-process LTTng emitter): found in /proc/PID/maps by its soname, its
 * control object by symbol; ready(t, ctl, arg, final, why) reads the
 * control object at ctl and returns 1 (ready), 0 (still initializing; with
 * final set -- the loading thread has returned -- a failure instead) or
 * -errno of a failure with the reason in *why (malloc'd). */
struct loader_lib {
	const char *soname;
	const char *symbol;
	int (*ready)(const struct target *t, uint64_t ctl, void *arg, bool final, char **why);
	void *arg;
};

/* Where a loaded library is: its load base, control object and file. */
struct loader_found {
	uint64_t base, ctl;
	char file[256];
};

/* Finds lib in t without loading it: 0 with *out, -ENOENT (not mapped), or
 * -errno (its file cannot be read). */
int library_find(struct target *t, const struct loader_lib *lib, struct loader_found *out, char **why);

/* Loads the library at path into t as agent_load() loads the agent (same
 * checks, same thread, same states of t before and after) unless
 * library_find() finds it; waits up to 5 s for lib->ready.  0 with *out,
 * or -errno with a one-line reason in *why (malloc'd). */
int library_load(struct target *t, const struct loader_lib *lib, const char *path, struct loader_found *out,
		 char **why);

/* Memory of the agent's process (any address: control object, sites, ops,
 * traps, rings), through process_vm_readv/writev: the program may run.
 * Returns 0, or -errno (-EFAULT when fewer bytes than size moved). */
int agent_read(const struct target *t, uint64_t addr, void *buf, size_t size);
int agent_write(const struct target *t, uint64_t addr, const void *buf, size_t size);

/* Reads the control object anew into h->agent: 0 or -errno. */
int agent_ctl_read(const struct target *t, struct agent_handle *h);

/* Writes size bytes at byte offset off of the control object (a field:
 * offsetof(struct dwt_agent, active)): 0 or -errno. */
int agent_ctl_write(const struct target *t, const struct agent_handle *h, size_t off, const void *buf, size_t size);

/* Whether name (the path field of a /proc/PID/maps line) is the file of
 * the library soname: soname as the base name, maybe as a memfd or
 * deleted. */
bool loader_maps_name_is(const char *name, const char *soname);

/* Whether name (the path field of a /proc/PID/maps line) is the agent's
 * file: its soname as the base name, maybe as a memfd or deleted. */
bool agent_maps_name_is_agent(const char *name);

#endif
