/* loc_probe_tool: the variables in scope at instructions inside a function,
 * located by dw_scope_at (dwarf/dw_scope.c), captured by a capture program
 * (probes/capture_prog.c, src/agent/capture_run.c) and decoded from the
 * record (probes/decode.c) -- the whole path of a probe inside a function,
 * without dwtrace's engines -- for tests/integration/test_dw_loc_gdb.py,
 * which compares what it prints with gdb stopped at the same addresses.
 *
 *   loc_probe_tool MODULE FUNCTION OFF[,OFF...] PROGRAM [ARGS...]
 *
 * Runs PROGRAM under ptrace, breaks at main (the libraries are loaded
 * then), puts an int3 at FUNCTION + each OFF of MODULE, and at the first
 * hit of each prints one line per variable:
 *   OFF <tab> FRAME <tab> NAME <tab> VALUE
 * FRAME being the inlined function the variable belongs to, else the
 * function; VALUE an integer (decimal), a pointer (0x...), a float
 * (%.17g), "<WHY>" when unavailable, or "<aggregate>".  The int3 is then
 * taken out and the program runs on.  Exits 0 when the program ran to its
 * end; 2 on misuse; 1 on failure, with a message. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#include "arch.h"
#include "capture_prog.h"
#include "capture_run.h"
#include "decode.h"
#include "dw_loc.h"
#include "dw_session.h"
#include "record.h"
#include "xalloc.h"

#define MAX_SITES 2048

struct site {
	uint64_t off, pc;
	long orig;
	bool armed;
};

static void die(const char *what)
{
	fprintf(stderr, "loc_probe_tool: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void put_int3(pid_t pid, uint64_t pc, long *orig)
{
	long w;

	errno = 0;
	w = ptrace(PTRACE_PEEKTEXT, pid, (void *)pc, NULL);
	if (errno)
		die("PTRACE_PEEKTEXT");
	*orig = w;
	if (ptrace(PTRACE_POKETEXT, pid, (void *)pc, (void *)((w & ~0xffL) | 0xcc)) != 0)
		die("PTRACE_POKETEXT");
}

/* Puts back the one byte the int3 replaced (the word holds other sites'). */
static void restore(pid_t pid, uint64_t pc, long orig)
{
	long w;

	errno = 0;
	w = ptrace(PTRACE_PEEKTEXT, pid, (void *)pc, NULL);
	if (errno)
		die("PTRACE_PEEKTEXT");
	if (ptrace(PTRACE_POKETEXT, pid, (void *)pc, (void *)((w & ~0xffL) | (orig & 0xff))) != 0)
		die("PTRACE_POKETEXT");
}

struct mem_ctx {
	int fd;
};

static long mem_read(void *ctx, uint64_t addr, void *buf, uint32_t len, int stack)
{
	struct mem_ctx *m = ctx;
	ssize_t n;

	(void)stack;
	n = pread(m->fd, buf, len, (off_t)addr);
	return n <= 0 ? -1 : (long)n;
}

static void print_value(uint64_t off, const char *frame, const char *name, const struct value *v)
{
	const struct dw_type *t = dw_type_strip(v->type);

	printf("%#llx\t%s\t%s\t", (unsigned long long)off, frame, name);
	if (!v->available) {
		printf("<%s>\n", v->why ? v->why : "unreadable");
		return;
	}
	switch (t ? t->kind : DW_KIND_UNKNOWN) {
	case DW_KIND_SINT:
	case DW_KIND_ENUM:
		printf("%lld\n", (long long)value_as_s64(v));
		break;
	case DW_KIND_UINT:
	case DW_KIND_BOOL:
		printf("%llu\n", (unsigned long long)value_as_u64(v));
		break;
	case DW_KIND_POINTER:
		printf("0x%llx\n", (unsigned long long)value_as_u64(v));
		break;
	case DW_KIND_FLOAT:
		printf("%.17Lg\n", value_as_float(v));
		break;
	default:
		printf("<aggregate>\n");
	}
}

static struct layout_field field_of(const struct dw_var *v)
{
	return (struct layout_field){.name = v->name, .type = v->type, .plan = v->plan};
}

/* One hit: the scope at pc, captured and decoded as a probe would. */
static void report(pid_t pid, struct dw_module *m, uint64_t off, uint64_t pc)
{
	static uint8_t buf[DWT_MAX_RECORD] __attribute__((aligned(8)));
	static struct capture_prog prog;
	const struct dw_scope *sc;
	struct event_layout l = {.function = "probe", .kind = LAYOUT_POINT, .from_locations = true};
	struct decode_opts o = {.string_limit = 64, .array_limit = 16};
	struct arch_regs ar;
	struct dwt_rec_hdr h = {.kind = DWT_REC_ENTRY};
	struct capture_record rec;
	struct value_source src;
	struct arena arena = {0};
	struct value *vals;
	struct mem_ctx mc;
	struct capture_mem mem = {&mc, mem_read};
	char path[64];
	uint32_t at = sizeof(h), n;
	size_t i;

	if (dw_scope_at(m, pc, &sc) != 0) {
		fprintf(stderr, "loc_probe_tool: no scope at %#llx\n", (unsigned long long)pc);
		exit(1);
	}
	l.nfields = sc->nparams;
	l.fields = xcalloc(sc->nparams + 1, sizeof(*l.fields));
	l.nlocals = sc->nlocals;
	l.locals = xcalloc(sc->nlocals + 1, sizeof(*l.locals));
	for (i = 0; i < sc->nparams; i++) {
		l.fields[i] = field_of(&sc->params[i]);
		l.entry_vregs |= arch_plan_reads_vregs(&l.fields[i].plan);
	}
	for (i = 0; i < sc->nlocals; i++) {
		l.locals[i] = field_of(&sc->locals[i]);
		l.entry_vregs |= arch_plan_reads_vregs(&l.locals[i].plan);
	}
	capture_prog_compile(&prog, &l, false, &o, false);
	if (arch_regs_fetch(pid, &ar, true) != 0)
		die("registers");
	arch_regs_set_pc(&ar, pc);
	if (arch_regs_to_record(&ar, &h.regs, (struct dwt_vregs *)(buf + at))) {
		h.flags |= DWT_REC_VREGS;
		at += sizeof(struct dwt_vregs);
	}
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
	mc.fd = open(path, O_RDONLY);
	if (mc.fd < 0)
		die(path);
	n = capture_run(prog.ops, prog.nops, &h.regs, &mem, buf + at, (uint32_t)(sizeof(buf) - at));
	close(mc.fd);
	h.size = at + n;
	memcpy(buf, &h, sizeof(h));
	if (record_parse(buf, h.size, (int)prog.nops, &rec) != 0) {
		fprintf(stderr, "loc_probe_tool: bad record\n");
		exit(1);
	}
	src = record_value_source(&rec);
	vals = decode_entry(&l, &src, &o, &arena);
	for (i = 0; i < sc->nparams; i++)
		print_value(off, sc->function, sc->params[i].name, &vals[i]);
	for (i = 0; i < sc->nlocals; i++)
		print_value(off, sc->locals[i].inlined_in ? sc->locals[i].inlined_in : sc->function, sc->locals[i].name,
			    &vals[sc->nparams + i]);
	fflush(stdout);
	arena_free(&arena);
	free(l.fields);
	free(l.locals);
}

struct find {
	struct dw_function *f;
};

static int take(struct dw_function *f, void *arg)
{
	((struct find *)arg)->f = f;
	return 1;
}

int main(int argc, char **argv)
{
	static struct site sites[MAX_SITES];
	size_t nsites = 0;
	struct dw_session *s = NULL;
	struct dw_module *m;
	struct find fd = {0};
	uint64_t main_addr;
	long main_orig;
	char *err = NULL, *list, *tok;
	int status;
	pid_t pid;
	struct arch_regs ar;

	if (argc < 5) {
		fprintf(stderr, "usage: loc_probe_tool MODULE FUNCTION OFF[,OFF...] PROGRAM [ARGS...]\n");
		return 2;
	}
	list = xstrdup(argv[3]);
	for (tok = strtok(list, ","); tok; tok = strtok(NULL, ",")) {
		if (nsites == MAX_SITES) {
			fprintf(stderr, "loc_probe_tool: more than %d offsets\n", MAX_SITES);
			return 2;
		}
		sites[nsites++] = (struct site){.off = strtoull(tok, NULL, 0)};
	}
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		/* As under gdb: the same addresses in both runs. */
		personality(ADDR_NO_RANDOMIZE);
		ptrace(PTRACE_TRACEME, 0, NULL, NULL);
		execv(argv[4], argv + 4);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFSTOPPED(status))
		die("exec stop");
	if (dw_session_open_pid(pid, &s, &err) != 0 || dw_session_find_symbol(s, NULL, "main", &main_addr) != 0) {
		fprintf(stderr, "loc_probe_tool: no main: %s\n", err ? err : dw_session_error(s));
		kill(pid, SIGKILL);
		return 1;
	}
	put_int3(pid, main_addr, &main_orig);
	if (ptrace(PTRACE_CONT, pid, NULL, NULL) != 0 || waitpid(pid, &status, 0) != pid || !WIFSTOPPED(status) ||
	    WSTOPSIG(status) != SIGTRAP)
		die("run to main");
	restore(pid, main_addr, main_orig);
	if (arch_regs_fetch(pid, &ar, false) != 0)
		die("registers");
	arch_regs_set_pc(&ar, main_addr);
	if (arch_regs_store(pid, &ar) != 0)
		die("registers");
	dw_session_refresh(s);
	m = dw_session_find_module(s, argv[1]);
	if (!m || dw_module_each_function(m, argv[2], false, take, &fd) < 1 || !fd.f) {
		fprintf(stderr, "loc_probe_tool: no function %s in %s\n", argv[2], argv[1]);
		kill(pid, SIGKILL);
		return 1;
	}
	for (size_t i = 0; i < nsites; i++) {
		sites[i].pc = fd.f->addr + sites[i].off;
		put_int3(pid, sites[i].pc, &sites[i].orig);
		sites[i].armed = true;
	}
	if (ptrace(PTRACE_CONT, pid, NULL, NULL) != 0)
		die("PTRACE_CONT");
	for (;;) {
		int sig = 0;

		if (waitpid(pid, &status, 0) != pid)
			die("waitpid");
		if (WIFEXITED(status) || WIFSIGNALED(status))
			break;
		sig = WSTOPSIG(status);
		if (sig == SIGTRAP && arch_regs_fetch(pid, &ar, false) == 0) {
			uint64_t pc = arch_regs_pc(&ar) - 1;
			for (size_t i = 0; i < nsites; i++) {
				if (!sites[i].armed || sites[i].pc != pc)
					continue;
				restore(pid, pc, sites[i].orig);
				sites[i].armed = false;
				arch_regs_set_pc(&ar, pc);
				if (arch_regs_store(pid, &ar) != 0)
					die("registers");
				report(pid, m, sites[i].off, pc);
				sig = 0;
			}
		}
		if (ptrace(PTRACE_CONT, pid, NULL, (void *)(long)sig) != 0)
			die("PTRACE_CONT");
	}
	dw_session_close(s);
	free(list);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}
