/* The agent in the traced process: finding it, reading and writing its
 * memory, and the checks before loading it (loader_inject.c loads it). */
#define _GNU_SOURCE
#include "loader.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "dw_session.h"
#include "loader_internal.h"
#include "own_lib.h"
#include "xalloc.h"

int agent_library_path(char *buf, size_t size)
{
	return own_lib_path(DWT_AGENT_SONAME, buf, size);
}

/* name without a trailing " (deleted)" equals want, or "/memfd:" want. */
static bool name_is(const char *name, const char *want)
{
	static const char deleted[] = " (deleted)";
	const char *base = strrchr(name, '/');
	size_t len, wlen = strlen(want);

	base = base ? base + 1 : name;
	if (!strncmp(base, "memfd:", 6))
		base += 6;
	len = strlen(base);
	if (len > sizeof(deleted) - 1 && !strcmp(base + len - (sizeof(deleted) - 1), deleted))
		len -= sizeof(deleted) - 1;
	return len == wlen && !strncmp(base, want, wlen);
}

bool loader_maps_name_is(const char *name, const char *soname)
{
	return name_is(name, soname);
}

bool agent_maps_name_is_agent(const char *name)
{
	return name_is(name, DWT_AGENT_SONAME);
}

static bool is_libc(const char *name, const char *arg)
{
	(void)arg;
	return *name == '/' && name_is(name, "libc.so.6");
}

int loader_find_mapping(pid_t pid, bool (*match)(const char *name, const char *arg), const char *arg,
			struct loader_mapping *out)
{
	char path[64], line[4096 + 128];
	FILE *f;
	int rc = -ENOENT;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long lo, hi, off;
		int name_at = 0;
		char *name;

		if (sscanf(line, "%llx-%llx %*s %llx %*s %*s %n", &lo, &hi, &off, &name_at) < 3 || !name_at)
			continue;
		name = line + name_at;
		name[strcspn(name, "\n")] = '\0';
		/* The ELF header is at file offset 0: that mapping's start is
		 * the load base of a shared object. */
		if (off != 0 || !match(name, arg))
			continue;
		out->start = lo;
		out->end = hi;
		snprintf(out->name, sizeof(out->name), "%s", name);
		rc = 0;
		break;
	}
	fclose(f);
	return rc;
}

int loader_symbol(pid_t pid, const struct loader_mapping *m, const char *const *names, uint64_t *addrs, size_t n,
		  char **why)
{
	char path[96];
	struct dw_session *s;
	char *err = NULL;
	uint64_t lo, hi;
	int rc;

	/* map_files reads the very file mapped, where the program sees it:
	 * a deleted file, a memfd, a file of another mount namespace. */
	snprintf(path, sizeof(path), "/proc/%d/map_files/%" PRIx64 "-%" PRIx64, (int)pid, m->start, m->end);
	rc = dw_session_open_file(path, &s, &err);
	if (rc) {
		*why = xasprintf("cannot read %s of process %d: %s", m->name, (int)pid, err);
		free(err);
		return rc;
	}
	/* Offline, a shared object is placed at some base of libdwfl's: the
	 * symbol's offset from the module's start is its offset from the load
	 * base (a shared object's first PT_LOAD is at address 0). */
	dw_module_range(dw_session_module(s, 0), &lo, &hi);
	for (size_t i = 0; i < n; i++) {
		uint64_t a;

		const char *alt = strchr(names[i], '|');
		char *first = xstrndup(names[i], alt ? (size_t)(alt - names[i]) : strlen(names[i]));

		rc = dw_session_find_symbol(s, NULL, first, &a);
		if (rc && alt)
			rc = dw_session_find_symbol(s, NULL, alt + 1, &a);
		free(first);
		if (rc) {
			*why = xasprintf("%s of process %d has no symbol %.*s", m->name, (int)pid,
					 (int)strcspn(names[i], "|"), names[i]);
			break;
		}
		addrs[i] = m->start + (a - lo);
	}
	dw_session_close(s);
	return rc;
}

int agent_read(const struct target *t, uint64_t addr, void *buf, size_t size)
{
	struct iovec local = {buf, size}, remote = {(void *)(uintptr_t)addr, size};
	ssize_t n = process_vm_readv(t->pid, &local, 1, &remote, 1, 0);

	if (n < 0)
		return -errno;
	return (size_t)n == size ? 0 : -EFAULT;
}

int agent_write(const struct target *t, uint64_t addr, const void *buf, size_t size)
{
	struct iovec local = {(void *)buf, size}, remote = {(void *)(uintptr_t)addr, size};
	ssize_t n = process_vm_writev(t->pid, &local, 1, &remote, 1, 0);

	if (n < 0)
		return -errno;
	return (size_t)n == size ? 0 : -EFAULT;
}

int agent_ctl_read(const struct target *t, struct agent_handle *h)
{
	return agent_read(t, h->ctl, &h->agent, sizeof(h->agent));
}

int agent_ctl_write(const struct target *t, const struct agent_handle *h, size_t off, const void *buf, size_t size)
{
	if (off > sizeof(struct dwt_agent) || size > sizeof(struct dwt_agent) - off)
		return -EINVAL;
	return agent_write(t, h->ctl + off, buf, size);
}

int loader_check_ctl(struct agent_handle *h)
{
	if (h->agent.magic != DWT_MAGIC || h->agent.abi != DWT_ABI)
		return -EPROTO;
	if (h->agent.status < 0)
		return h->agent.status < -4095 ? -EIO : h->agent.status;
	return h->agent.status == 0 ? -EAGAIN : 0;
}

int agent_find(struct target *t, struct agent_handle *h)
{
	const struct loader_lib lib = {DWT_AGENT_SONAME, DWT_AGENT_SYMBOL, NULL, NULL};
	struct loader_found found;
	char *why = NULL;
	int rc;

	memset(h, 0, sizeof(*h));
	rc = library_find(t, &lib, &found, &why);
	free(why);
	if (rc)
		return rc;
	h->base = found.base;
	h->ctl = found.ctl;
	snprintf(h->file, sizeof(h->file), "%s", found.file);
	h->memfd = strstr(found.file, "/memfd:") == found.file;
	rc = agent_ctl_read(t, h);
	return rc ? rc : loader_check_ctl(h);
}

pid_t agent_live_reader(pid_t pid)
{
	struct target t;
	struct agent_handle h;
	pid_t reader;

	memset(&t, 0, sizeof(t));
	t.pid = pid;
	if (agent_find(&t, &h) != 0 || !h.agent.active)
		return 0;
	reader = h.agent.reader_pid;
	if (reader <= 0 || reader == getpid() || (kill(reader, 0) != 0 && errno == ESRCH))
		return 0;
	return reader;
}

int library_find(struct target *t, const struct loader_lib *lib, struct loader_found *out, char **why)
{
	const char *const sym[] = {lib->symbol};
	struct loader_mapping m;
	int rc;

	*why = NULL;
	memset(out, 0, sizeof(*out));
	rc = loader_find_mapping(t->pid, loader_maps_name_is, lib->soname, &m);
	if (rc)
		return rc;
	rc = loader_symbol(t->pid, &m, sym, &out->ctl, 1, why);
	if (rc)
		return rc == -ENOENT ? -EPROTO : rc;
	out->base = m.start;
	snprintf(out->file, sizeof(out->file), "%s", m.name);
	return 0;
}

char *loader_describe_find(const struct target *t, const struct agent_handle *h, int rc)
{
	if (rc == -EPROTO && h->agent.magic == DWT_MAGIC)
		return xasprintf("process %d has a dwtrace agent of ABI %u loaded (%s), this dwtrace speaks ABI %d: "
				 "use the dwtrace that loaded it, or restart the program",
				 (int)t->pid, h->agent.abi, h->file, DWT_ABI);
	if (rc == -EPROTO)
		return xasprintf("process %d maps a %s that is not a dwtrace agent (no %s, or a wrong magic)",
				 (int)t->pid, DWT_AGENT_SONAME, DWT_AGENT_SYMBOL);
	if (h->agent.magic == DWT_MAGIC && h->agent.status < 0)
		return xasprintf("the dwtrace agent in process %d failed to initialize: %s", (int)t->pid,
				 strerror(h->agent.status < -4095 ? EIO : -h->agent.status));
	if (rc == -EAGAIN)
		return xasprintf("the dwtrace agent in process %d is still initializing", (int)t->pid);
	return xasprintf("cannot read the dwtrace agent of process %d: %s", (int)t->pid, strerror(-rc));
}

/* The value of field "name:" of /proc/PID/status (a number), -1 when absent. */
static long status_field(pid_t pid, const char *name)
{
	char path[64], line[256];
	size_t len = strlen(name);
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, name, len) && line[len] == ':') {
			v = strtol(line + len + 1, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

/* AT_BASE of pid (the dynamic linker's load address; 0: static), or -1. */
static long long at_base(pid_t pid)
{
	char path[64];
	uint64_t av[2];
	long long base = -1;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/auxv", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	base = 0;
	while (read(fd, av, sizeof(av)) == (ssize_t)sizeof(av) && av[0] != 0)
		if (av[0] == 7 /* AT_BASE */)
			base = (long long)av[1];
	close(fd);
	return base;
}

int loader_check_target(struct target *t, struct loader_libc *libc, char **why)
{
	/* A separate debug file's .symtab names versioned definitions with
	 * their version (libc6-dbg): dlopen@@GLIBC_2.34 is glibc >= 2.34's. */
	static const char *const names[LIBC_NSYMS] = {
		"dlopen|dlopen@@GLIBC_2.34", "pthread_create|pthread_create@@GLIBC_2.34",
		"pthread_attr_init|pthread_attr_init@@GLIBC_2.2.5",
		"pthread_attr_setdetachstate|pthread_attr_setdetachstate@@GLIBC_2.2.5"};
	struct loader_mapping m;
	long seccomp;
	int rc;

	if (t->goroutine_stacks) {
		*why = xasprintf("process %d is a Go program: the agent is not loaded into Go programs", (int)t->pid);
		return -ENOTSUP;
	}
	seccomp = status_field(t->pid, "Seccomp");
	if (seccomp != 0) {
		*why = seccomp > 0 ? xasprintf("process %d runs under seccomp (mode %ld): the agent is not loaded "
					       "(the filter may deny what loading it needs)",
					       (int)t->pid, seccomp)
				   : xasprintf("cannot read the seccomp mode of process %d", (int)t->pid);
		return seccomp > 0 ? -EPERM : -ESRCH;
	}
	if (at_base(t->pid) == 0) {
		*why = xasprintf("process %d (%s) is a static executable: it has no dynamic linker to load the agent",
				 (int)t->pid, t->name ? t->name : "?");
		return -ENOEXEC;
	}
	rc = loader_find_mapping(t->pid, is_libc, NULL, &m);
	if (rc) {
		*why = xasprintf("process %d (%s) does not use libc.so.6: the agent needs glibc's dlopen", (int)t->pid,
				 t->name ? t->name : "?");
		return rc == -ENOENT ? -ENOEXEC : rc;
	}
	rc = loader_symbol(t->pid, &m, names, libc->sym, LIBC_NSYMS, why);
	if (rc == -ENOENT) {
		free(*why);
		*why = xasprintf("the libc.so.6 of process %d has no dlopen (glibc older than 2.34): the agent "
				 "cannot be loaded",
				 (int)t->pid);
		return -ENOSYS;
	}
	return rc;
}
