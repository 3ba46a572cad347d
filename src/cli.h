/* Command line. */
#ifndef DWTRACE_CLI_H
#define DWTRACE_CLI_H

#include <stdbool.h>
#include <stddef.h>

enum output_format { FORMAT_TEXT, FORMAT_JSON, FORMAT_LTTNG };

/* --engine: who captures the hits. */
enum engine_choice {
	ENGINE_AUTO,    /* the agent where it can load, else ptrace (said in one line) */
	ENGINE_PTRACE,  /* a ptrace stop per hit */
	ENGINE_AGENT,   /* the in-process agent, or fail */
};

/* -c / -C: the per-function summary at the end. */
enum summary_mode {
	SUMMARY_NONE,
	SUMMARY_ONLY,        /* -c, --summary: the summary instead of the events */
	SUMMARY_AND_EVENTS,  /* -C: the events, then the summary */
};

/* --color=WHEN */
enum color_mode { COLOR_AUTO, COLOR_ALWAYS, COLOR_NEVER };

struct options {
	char **probes;          /* -e specs */
	size_t nprobes;
	const char *output;     /* NULL: stderr, "-": stdout */
	enum output_format format;
	size_t string_limit;
	char **command;         /* NULL-terminated argv of the program to start */
	int pid;                /* -p: the process to attach to, 0 when starting one */
	double duration;        /* --duration: seconds, 0 for no limit */
	bool follow;            /* -f: follow fork/vfork children and exec */
	const char *provider;   /* --provider: LTTng provider name */
	const char *ctf_dir;    /* --ctf: own LTTng session writing there */
	size_t stack_depth;     /* --stack[=DEPTH]: frames at each entry, 0 for none */
	/* dwtrace list FILE [GLOB] */
	bool list;
	const char *list_file;
	const char *list_glob;
	int list_pid;           /* dwtrace list -p PID */
	char **list_command;    /* dwtrace list -- COMMAND: NULL-terminated argv */
	char **owned;           /* specs made here (-x GLOB as "!GLOB"), freed by cli_free */
	size_t nowned, owned_cap;
	bool verbose;           /* -v: the placed probes and the functions left out */
	bool list_probes;       /* --list-probes: that list, then stop without tracing */
	enum engine_choice engine; /* --engine */
	/* dwtrace list -v: the variables at the addresses of this probe spec
	 * (list_file, list_pid or list_command say where). */
	const char *list_vars_spec;
	/* The everyday workflow (issue 14). */
	enum summary_mode summary; /* -c, -C */
	bool histogram;         /* --histogram: a log2 latency histogram per function in the summary */
	const char *filter;     /* --filter EXPR (probes/filter.h), NULL for none */
	unsigned timestamps;    /* -t given this many times (0: the default, as -tt) */
	bool relative;          /* -r: time since the previous event instead of the clock */
	bool quiet;             /* -q: no notes, no summary line (errors and warnings stay) */
	enum color_mode color;  /* --color */
	bool json_int_strings;  /* --json-int-strings */
};

/* Parses argv.  Returns 0 to go on, 1 when it printed help or the version
 * (exit 0), -1 after printing a one-line error (exit 2). */
int cli_parse(int argc, char **argv, struct options *o);
void cli_free(struct options *o);

/* The ':' that ends the MODULE of a MODULE:FUNCTION probe spec (one that is
 * not part of a C++ '::'), or NULL when the spec names no module. */
const char *probe_spec_separator(const char *spec);

#endif
