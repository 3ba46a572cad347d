/* dwtrace list: the functions dwtrace can probe, as prototypes with their
 * addresses and file offsets, to find what to probe.
 *
 *   dwtrace list FILE|LIBRARY [GLOB]     one ELF file; a bare library name
 *                                        (libc.so.6) is found as the dynamic
 *                                        linker finds it
 *   dwtrace list -p PID [GLOB]           every module mapped in PID, read
 *                                        from /proc (the process is not
 *                                        stopped nor touched)
 *   dwtrace list [GLOB] -- COMMAND ...   every module COMMAND has at its
 *                                        entry point; then it is killed,
 *                                        before main (the dynamic linker,
 *                                        library constructors and IFUNC
 *                                        resolvers have run)
 *   dwtrace list -v FILE SPEC            the variables available at each
 *   dwtrace list -v -p PID SPEC          address a probe spec names, with
 *   dwtrace list -v SPEC -- COMMAND ...  their types and where they live
 *                                        (as perf probe -V)
 */
#define _GNU_SOURCE
#include "list_cmd.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dw_demangle.h"
#include "dw_loc.h"
#include "dw_session.h"
#include "log.h"
#include "plan_describe.h"
#include "probe_point.h"
#include "probe_site.h"
#include "tracer.h"
#include "xalloc.h"

struct collected {
	struct dw_function **fns;
	size_t len, cap;
};

static int collect(struct dw_function *f, void *arg)
{
	struct collected *c = arg;
	xgrow(&c->fns, &c->cap, c->len + 1, sizeof(*c->fns));
	c->fns[c->len++] = f;
	return 0;
}

static int by_address(const void *a, const void *b)
{
	const struct dw_function *fa = *(struct dw_function *const *)a, *fb = *(struct dw_function *const *)b;
	return fa->elf_addr < fb->elf_addr ? -1 : fa->elf_addr > fb->elf_addr;
}

/* Prints the functions of m matching glob, under a "# PATH" header line
 * when header is set.  Returns how many, or -1 after printing why. */
static int list_module(struct dw_session *s, struct dw_module *m, const char *glob, bool header)
{
	struct collected c = {0};
	int n = dw_module_each_function(m, glob, dw_name_is_glob(glob), collect, &c);

	if (n < 0) {
		if (header) {
			/* A process maps more than code (locale files): not
			 * a module to list. */
			log_debug("dwarf", "%s", dw_session_error(s));
			return 0;
		}
		log_error("%s", dw_session_error(s));
		return -1;
	}
	if (n > 0 && header)
		printf("# %s\n", dw_module_path(m));
	if (c.len)
		qsort(c.fns, c.len, sizeof(*c.fns), by_address);
	for (size_t i = 0; i < c.len; i++) {
		char proto[1024];
		dw_function_prototype(c.fns[i], proto, sizeof(proto));
		printf("0x%" PRIx64 " 0x%" PRIx64 " %s\n", c.fns[i]->elf_addr, c.fns[i]->file_offset, proto);
	}
	free(c.fns);
	return n;
}

/* Whether path names a regular file that exists. */
static bool is_file(const char *path)
{
	return access(path, F_OK) == 0;
}

/* The path of shared library name (a file name without '/') in directory
 * list dirs (':'-separated), or NULL. */
static char *search_dirs(const char *name, const char *dirs)
{
	char *copy = xstrdup(dirs), *save = NULL;

	for (char *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		char *path = xasprintf("%s/%s", *d ? d : ".", name);
		if (is_file(path)) {
			free(copy);
			return path;
		}
		free(path);
	}
	free(copy);
	return NULL;
}

/* The path ldconfig's cache (ldconfig -p) gives for name on x86-64, or NULL. */
static char *search_ld_cache(const char *name)
{
	FILE *p = popen("/sbin/ldconfig -p 2>/dev/null", "re");
	char line[4200], *found = NULL;
	size_t len = strlen(name);

	if (!p)
		return NULL;
	/* "\tlibc.so.6 (libc6,x86-64) => /lib/x86_64-linux-gnu/libc.so.6" */
	while (fgets(line, sizeof(line), p)) {
		char *l = line + strspn(line, " \t"), *arrow = strstr(l, " => ");
		if (found || !arrow || strncmp(l, name, len) != 0 || l[len] != ' ' || !strstr(l, "x86-64"))
			continue;
		arrow[4 + strcspn(arrow + 4, "\n")] = '\0';
		if (is_file(arrow + 4))
			found = xstrdup(arrow + 4);
	}
	pclose(p);
	return found;
}

/* What FILE names: a path as given when it exists or has a '/', else a
 * library found as the dynamic linker finds one (ld.so(8): LD_LIBRARY_PATH,
 * the ldconfig cache, the default directories).  Returns a new string. */
static char *find_file(const char *file)
{
	const char *env = getenv("LD_LIBRARY_PATH");
	char *path;

	if (strchr(file, '/') || is_file(file))
		return xstrdup(file);
	if (env && (path = search_dirs(file, env)))
		return path;
	if ((path = search_ld_cache(file)))
		return path;
	if ((path = search_dirs(file, "/lib/x86_64-linux-gnu:/usr/lib/x86_64-linux-gnu:/lib64:/usr/lib64:/lib:/usr/lib")))
		return path;
	return xstrdup(file);
}

int list_functions(const char *file, const char *glob)
{
	struct dw_session *s;
	char *err = NULL, *path = find_file(file);
	struct dw_module *m;
	int n;

	if (dw_session_open_file(path, &s, &err) != 0) {
		if (!strchr(file, '/') && !is_file(path))
			log_error("no file or library '%s' (give a path, or a library name the dynamic linker "
				  "finds, e.g. libc.so.6)",
				  file);
		else
			log_error("%s", err);
		free(err);
		free(path);
		return 1;
	}
	m = dw_session_module(s, 0);
	n = list_module(s, m, glob, false);
	if (n == 0) {
		if (!dw_module_has_symtab(m) && !strcmp(glob, "*"))
			log_error("%s has no symbols (stripped) and exports no function: probe its code by file offset, "
				  "-e %s:0xOFFSET (readelf --debug-dump=frames shows where functions start)",
				  path, dw_module_name(m));
		else
			log_error("no function in %s matches '%s'", path, glob);
	} else if (n > 0 && !dw_module_has_dwarf(m)) {
		log_warning("no debug info for %s: parameters are unknown", path);
	}
	if (n > 0 && !dw_module_has_symtab(m))
		log_note("%s has no symbol table (stripped): these are its dynamic symbols", path);
	dw_session_close(s);
	free(path);
	if (n <= 0)
		return 1;
	return fflush(stdout) == 0 ? 0 : 1;
}

/* Lists every module of session s, grouped by module.  Returns the exit
 * status. */
static int list_session(struct dw_session *s, const char *what, const char *glob)
{
	size_t total = 0;

	for (size_t i = 0; i < dw_session_nmodules(s); i++) {
		int n = list_module(s, dw_session_module(s, i), glob, true);
		if (n < 0)
			return 1;
		total += (size_t)n;
	}
	if (!total) {
		log_error("no function in %s or its libraries matches '%s'", what, glob);
		return 1;
	}
	return fflush(stdout) == 0 ? 0 : 1;
}

int list_process(pid_t pid, const char *glob)
{
	struct dw_session *s;
	char *err = NULL, what[64];
	int rc;

	/* As -p says it; a pid that exists but is not readable is the
	 * session's error (permission). */
	if (pid <= 0 || (kill(pid, 0) != 0 && errno == ESRCH)) {
		log_error("no process with pid %d", (int)pid);
		return 1;
	}
	/* /proc/PID/maps and the files: the process is neither stopped nor
	 * attached to. */
	if (dw_session_open_pid(pid, &s, &err) != 0) {
		log_error("%s", err);
		free(err);
		return 1;
	}
	snprintf(what, sizeof(what), "process %d", (int)pid);
	rc = list_session(s, what, glob);
	dw_session_close(s);
	return rc;
}

int list_command(char **argv, const char *glob)
{
	struct process *p = process_new();
	struct dw_session *s;
	char *err = NULL;
	int rc = 1;

	if (target_spawn(&p->t, argv) != 0) {
		process_free(p);
		return 1;
	}
	/* Stopped at its entry point: every DT_NEEDED library is mapped. */
	if (dw_session_open_pid(p->t.pid, &s, &err) != 0) {
		log_error("%s", err);
		free(err);
	} else {
		rc = list_session(s, p->t.name, glob);
		dw_session_close(s);
	}
	target_kill_unstarted(&p->t);
	process_free(p);
	return rc;
}

/* ---- list -v: variables at an address --------------------------------- */

/* bias: load minus ELF addresses of the variable's module (fetch_plan_describe). */
static void print_var(const char *name, const struct dw_type *type, const struct fetch_plan *plan, uint64_t bias)
{
	char decl[512], where[512];

	dw_type_declare(type, name, decl, sizeof(decl));
	printf("\t%s\t%s\n", decl, fetch_plan_describe(plan, bias, where, sizeof(where)));
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

/* One address of a spec: a header line, then its parameters and the other
 * variables in scope (innermost block first). */
static void print_site(const struct probe_site *site)
{
	const struct dw_function *f = site->fn;
	const struct event_layout *l = site->layout;
	bool point = probe_site_is_point(site);
	uint64_t off = site->addr - f->addr;
	const struct dw_scope *sc = NULL;
	const char *file = l->file;
	int line = l->line;
	uint64_t bias = f->addr - f->elf_addr;

	if (f->has_dwarf && dw_scope_at(f->module, site->addr, &sc) == 0 && !file) {
		file = sc->file;
		line = sc->line;
	}
	printf("%s+0x%" PRIx64 " %s 0x%" PRIx64, f->name, off, dw_module_name(f->module), f->elf_addr + off);
	if (file)
		printf(" %s:%d", base_name(file), line);
	if (point)
		printf("\n");
	else if (l->from_locations || f->params_from_locations)
		printf(" (entry: parameters where their DWARF locations put them%s)\n",
		       f->params_pc != f->addr ? ", read past the prologue" : "");
	else
		printf(" (entry: parameters where the calling convention puts them)\n");
	if (l->raw) {
		printf("\t(no debug info: only the raw argument registers at the entry)\n");
		return;
	}
	for (size_t i = 0; i < l->nfields; i++)
		print_var(l->fields[i].name, l->fields[i].type, &l->fields[i].plan, bias);
	if (point) {
		for (size_t i = 0; i < l->nlocals; i++)
			print_var(l->locals[i].name, l->locals[i].type, &l->locals[i].plan, bias);
	} else if (sc) {
		for (size_t i = 0; i < sc->nlocals; i++)
			print_var(sc->locals[i].name, sc->locals[i].type, &sc->locals[i].plan, bias);
	}
	if (!l->nfields && !l->nlocals && !(sc && !point && sc->nlocals))
		printf("\t(no variables)\n");
}

/* The sites of spec in s (nothing placed: a dry run), printed.  Returns
 * the exit status. */
static int list_vars_session(struct dw_session *s, const char *what, const char *spec)
{
	struct probe_set set = {.dry_run = true};
	char *specs[1] = {(char *)spec};
	int rc = 1;

	if (probe_set_resolve(&set, s, specs, 1, what) != 0)
		goto out;
	if (!set.len) {
		log_error("probe '%s': its module is not loaded in %s", spec, what);
		goto out;
	}
	for (size_t i = 0; i < set.len; i++)
		print_site(set.sites[i]);
	rc = fflush(stdout) == 0 ? 0 : 1;
out:
	probe_set_free(&set);
	return rc;
}

int list_variables(const char *file, pid_t pid, char **argv, const char *spec)
{
	struct dw_session *s;
	struct process *p = NULL;
	char *err = NULL, *path = NULL, what[64];
	int rc = 1;

	if (argv) {
		p = process_new();
		if (target_spawn(&p->t, argv) != 0) {
			process_free(p);
			return 1;
		}
		pid = p->t.pid;
	} else if (pid > 0 && kill(pid, 0) != 0 && errno == ESRCH) {
		log_error("no process with pid %d", (int)pid);
		return 1;
	}
	if (pid > 0) {
		rc = dw_session_open_pid(pid, &s, &err);
		snprintf(what, sizeof(what), "process %d", (int)pid);
	} else {
		path = find_file(file);
		rc = dw_session_open_file(path, &s, &err);
		snprintf(what, sizeof(what), "%s", base_name(path));
	}
	if (rc != 0) {
		log_error("%s", err);
		free(err);
		rc = 1;
	} else {
		rc = list_vars_session(s, p ? p->t.name : what, spec);
		dw_session_close(s);
	}
	if (p) {
		target_kill_unstarted(&p->t);
		process_free(p);
	}
	free(path);
	return rc;
}
