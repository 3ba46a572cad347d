#define _GNU_SOURCE
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "probe_point.h"
#include "probe_site.h"
#include "xalloc.h"

#ifndef DWTRACE_VERSION
#define DWTRACE_VERSION "0.0.0"
#endif

/* getopt_long values of long options with no short form that would clash
 * with one (-C is the summary with the events; --ctf has none). */
enum { OPT_CTF = 256 };

static void usage(FILE *out)
{
	fputs("Usage: dwtrace [OPTIONS] -e PROBE [-e PROBE]... [--] COMMAND [ARGS...]\n"
	      "       dwtrace [OPTIONS] -e PROBE [-e PROBE]... -p PID\n"
	      "       dwtrace list FILE|LIBRARY [GLOB]\n"
	      "       dwtrace list -p PID [GLOB]\n"
	      "       dwtrace list [GLOB] -- COMMAND [ARGS...]\n"
	      "       dwtrace list -v FILE|-p PID SPEC, dwtrace list -v SPEC -- COMMAND [ARGS...]\n"
	      "\n"
	      "Trace every call of the probed functions of COMMAND, or of the running process\n"
	      "PID: parameters by their DWARF names with typed values at entry, the return\n"
	      "value and the duration at exit.\n"
	      "\n"
	      "PROBE is one of\n"
	      "  FUNCTION             a name or glob, in the executable and its shared libraries\n"
	      "  MODULE:FUNCTION      in one ELF object (path or file name, e.g. libc.so.6:malloc)\n"
	      "  MODULE:0xOFFSET      that instruction of MODULE (its function's first byte:\n"
	      "                       the function's calls)\n"
	      "  [MODULE:]FUNCTION+OFF  the instruction OFF bytes into FUNCTION\n"
	      "  [MODULE:]FILE:LINE   every start of that source line (an event per hit, with\n"
	      "                       the parameters and locals there)\n"
	      "\n"
	      "Options:\n"
	      "  -e, --probe PROBE        add a probe (repeatable); '!GLOB' or '!MODULE:GLOB'\n"
	      "                           leaves out what the probes before it matched\n"
	      "  -x, --exclude GLOB       the same as -e '!GLOB'\n"
	      "  -v, --verbose            print each placed probe (module, function, address,\n"
	      "                           file offset) and each function left out, and why\n"
	      "      --list-probes        print that list and stop: nothing is traced (the\n"
	      "                           COMMAND is killed before it ran, PID left alone)\n"
	      "  -p, --pid PID            attach to the running process PID (all its threads)\n"
	      "  -f, --follow             follow fork/vfork children and exec\n"
	      "      --duration SECONDS   detach after SECONDS (fractions allowed)\n"
	      "      --engine ENGINE      auto (default), agent (in-process, or fail) or ptrace\n"
	      "  -o, --output FILE        write events to FILE ('-' for stdout; default stderr)\n"
	      "  -F, --format FORMAT      text (default) or json (JSON Lines)\n"
	      "      --lttng              emit LTTng-UST events PROVIDER:FUNCTION_entry/_exit\n"
	      "      --provider NAME      the LTTng provider name (default dwtrace)\n"
	      "      --ctf DIR            record the events in an LTTng session of dwtrace's own,\n"
	      "                           written as a CTF trace into DIR\n"
	      "  -s, --string-limit N     show at most N bytes of each string (default 256)\n"
	      "      --stack[=DEPTH]      the call stack at each entry, DEPTH frames (default 32)\n"
	      "      --filter EXPR        keep only the calls for which EXPR holds (LTTng's filter\n"
	      "                           grammar over parameters, retval, duration_ns, tid, pid,\n"
	      "                           depth: 'len > 100 && name == \"/etc/*\"')\n"
	      "  -c, --summary            a table per function at the end (calls, durations),\n"
	      "                           instead of the events\n"
	      "  -C                       the events, then that table\n"
	      "      --histogram          add a log2 latency histogram per function to the summary\n"
	      "  -t, -tt, -ttt            time of day in seconds, in microseconds (the default),\n"
	      "                           or seconds since the epoch\n"
	      "  -r                       time since the previous event instead\n"
	      "  -T                       durations on exit lines (the default)\n"
	      "  -q, --quiet              no notes and no summary line (errors and warnings stay)\n"
	      "      --color[=WHEN]       auto (default: on a terminal), always or never\n"
	      "      --json-int-strings   integers beyond 2^53 as JSON strings\n"
	      "  -h, --help               show this help and exit\n"
	      "  -V, --version            show the version and exit\n"
	      "\n"
	      "dwtrace list FILE [GLOB] prints the functions of FILE (matching GLOB) as\n"
	      "prototypes with their addresses and file offsets; dwtrace list -v, the\n"
	      "variables at each address of a PROBE and where they are.  See dwtrace(1).\n",
	      out);
}

static int parse_size(const char *arg, size_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(arg, &end, 10);
	if (errno || end == arg || *end || arg[0] == '-' || v > (1u << 30))
		return -1;
	*out = (size_t)v;
	return 0;
}

/* A MODULE:FUNCTION probe with either side empty is a usage error: ':malloc'
 * would otherwise wait for a module named "" and trace nothing.  Returns 0,
 * or -1 after printing why. */
const char *probe_spec_separator(const char *spec)
{
	const char *sep = NULL;

	/* MODULE:FILE:LINE: the module ends at the first ':'; FILE:LINE
	 * names none (probe_point.c). */
	if (probe_point_is_line(spec)) {
		sep = strchr(spec, ':');
		return sep == strrchr(spec, ':') ? NULL : sep;
	}

	for (const char *p = spec; *p; p++)
		if (*p == ':' && p[1] != ':' && (p == spec || p[-1] != ':'))
			sep = p;
	return sep;
}

static int check_probe_spec(const char *spec)
{
	const char *sep;

	if (probe_spec_is_exclusion(spec)) {
		const char *name;

		spec++;
		sep = probe_spec_separator(spec);
		name = sep ? sep + 1 : spec;
		if (!*spec) {
			log_error("exclusion '!' names no function (write -e '!GLOB' or -x GLOB after the -e it narrows)");
			return -1;
		}
		/* Functions are excluded by name; an offset names none. */
		if (strchr(spec, '!') || !strncmp(name, "0x", 2) || !strncmp(name, "0X", 2)) {
			log_error("exclusion '!%s' must be [MODULE:]GLOB, a function name or glob (not an offset, no "
				  "second '!')",
				  spec);
			return -1;
		}
	}
	sep = probe_spec_separator(spec);

	if (sep == spec) {
		log_error("probe '%s' has no module before the ':' (write MODULE:FUNCTION, e.g. libc.so.6:malloc, "
			  "or FUNCTION alone to search every module)",
			  spec);
		return -1;
	}
	if (sep && !sep[1]) {
		log_error("probe '%s' has no function after the ':' (write MODULE:FUNCTION or MODULE:0xOFFSET)", spec);
		return -1;
	}
	return 0;
}

/* dwtrace list -v FILE SPEC | -v -p PID SPEC | -v SPEC -- COMMAND [ARGS...] */
static int parse_list_vars(int argc, char **argv, struct options *o)
{
	static const char usage_line[] = "usage: dwtrace list -v FILE SPEC, dwtrace list -v -p PID SPEC, or dwtrace "
					 "list -v SPEC -- COMMAND [ARGS...]";
	size_t pid;

	o->list = true;
	if (argc >= 5 && !strcmp(argv[4], "--")) {
		o->list_vars_spec = argv[3];
		o->list_command = argv + 5;
	} else if (argc == 6 && (!strcmp(argv[3], "-p") || !strcmp(argv[3], "--pid"))) {
		if (parse_size(argv[4], &pid) != 0 || pid == 0 || pid > 4194304) {
			log_error("invalid process id '%s'", argv[4]);
			return -1;
		}
		o->list_pid = (int)pid;
		o->list_vars_spec = argv[5];
	} else if (argc == 5 && argv[3][0] != '-') {
		o->list_file = argv[3];
		o->list_vars_spec = argv[4];
	} else {
		log_error("%s", usage_line);
		return -1;
	}
	if (o->list_command && !o->list_command[0]) {
		log_error("%s", usage_line);
		return -1;
	}
	return 0;
}

/* dwtrace list FILE [GLOB] | -p PID [GLOB] | [GLOB] -- COMMAND [ARGS...] */
static int parse_list(int argc, char **argv, struct options *o)
{
	static const char usage_line[] =
		"usage: dwtrace list FILE [GLOB], dwtrace list -p PID [GLOB], or dwtrace list [GLOB] -- COMMAND [ARGS...]";
	int dashes = 0;

	if (argc >= 3 && !strcmp(argv[2], "-v"))
		return parse_list_vars(argc, argv, o);
	o->list = true;
	o->list_glob = "*";
	for (int i = 2; i < argc && !dashes; i++)
		if (!strcmp(argv[i], "--"))
			dashes = i;
	if (dashes) {
		if (dashes > 3 || dashes + 1 >= argc) {
			log_error("%s", usage_line);
			return -1;
		}
		if (dashes == 3)
			o->list_glob = argv[2];
		o->list_command = argv + dashes + 1;
		return 0;
	}
	if (argc >= 3 && (!strcmp(argv[2], "-p") || !strcmp(argv[2], "--pid"))) {
		size_t pid;
		if (argc < 4 || argc > 5) {
			log_error("%s", usage_line);
			return -1;
		}
		if (parse_size(argv[3], &pid) != 0 || pid == 0 || pid > 4194304) {
			log_error("invalid process id '%s'", argv[3]);
			return -1;
		}
		o->list_pid = (int)pid;
		if (argc == 5)
			o->list_glob = argv[4];
		return 0;
	}
	if (argc < 3 || argc > 4 || argv[2][0] == '-') {
		log_error("%s", usage_line);
		return -1;
	}
	o->list_file = argv[2];
	if (argc == 4)
		o->list_glob = argv[3];
	return 0;
}

int cli_parse(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{"probe", required_argument, NULL, 'e'},
		{"exclude", required_argument, NULL, 'x'},
		{"verbose", no_argument, NULL, 'v'},
		{"list-probes", no_argument, NULL, 'l'},
		{"output", required_argument, NULL, 'o'},
		{"format", required_argument, NULL, 'F'},
		{"string-limit", required_argument, NULL, 's'},
		{"pid", required_argument, NULL, 'p'},
		{"follow", no_argument, NULL, 'f'},
		{"duration", required_argument, NULL, 'D'},
		{"lttng", no_argument, NULL, 'L'},
		{"stack", optional_argument, NULL, 'S'},
		{"provider", required_argument, NULL, 'P'},
		{"ctf", required_argument, NULL, OPT_CTF},
		{"engine", required_argument, NULL, 'E'},
		{"summary", no_argument, NULL, 'c'},
		{"histogram", no_argument, NULL, 'H'},
		{"filter", required_argument, NULL, 'X'},
		{"quiet", no_argument, NULL, 'q'},
		{"color", optional_argument, NULL, 'K'},
		{"colour", optional_argument, NULL, 'K'},
		{"json-int-strings", no_argument, NULL, 'J'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	size_t cap = 0;
	int c;

	memset(o, 0, sizeof(*o));
	o->format = FORMAT_TEXT;
	o->string_limit = 256;
	o->provider = "dwtrace";

	if (argc >= 2 && !strcmp(argv[1], "list"))
		return parse_list(argc, argv, o);

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:e:x:o:F:s:p:fvhVcCtTrq", longopts, NULL)) != -1) {
		switch (c) {
		case 'e':
			if (!*optarg) {
				log_error("empty probe after -e");
				return -1;
			}
			if (check_probe_spec(optarg) != 0)
				return -1;
			xgrow(&o->probes, &cap, o->nprobes + 1, sizeof(*o->probes));
			o->probes[o->nprobes++] = optarg;
			break;
		case 'x': {
			char *spec;
			if (!*optarg) {
				log_error("empty function after -x (write -x GLOB)");
				return -1;
			}
			spec = xasprintf("!%s", optarg);
			xgrow(&o->owned, &o->owned_cap, o->nowned + 1, sizeof(*o->owned));
			o->owned[o->nowned++] = spec;
			if (check_probe_spec(spec) != 0)
				return -1;
			xgrow(&o->probes, &cap, o->nprobes + 1, sizeof(*o->probes));
			o->probes[o->nprobes++] = spec;
			break;
		}
		case 'v':
			o->verbose = true;
			break;
		case 'l':
			o->list_probes = true;
			break;
		case 'o':
			o->output = optarg;
			break;
		case 'F':
			if (!strcmp(optarg, "text")) {
				o->format = FORMAT_TEXT;
			} else if (!strcmp(optarg, "json")) {
				o->format = FORMAT_JSON;
			} else {
				log_error("unknown format '%s' (use text or json)", optarg);
				return -1;
			}
			break;
		case 's':
			if (parse_size(optarg, &o->string_limit) != 0) {
				log_error("invalid string limit '%s' (a number of bytes, at most 1073741824)", optarg);
				return -1;
			}
			break;
		case 'p': {
			size_t pid;
			if (parse_size(optarg, &pid) != 0 || pid == 0 || pid > 4194304) {
				log_error("invalid process id '%s'", optarg);
				return -1;
			}
			o->pid = (int)pid;
			break;
		}
		case 'f':
			o->follow = true;
			break;
		case 'E':
			if (!strcmp(optarg, "auto"))
				o->engine = ENGINE_AUTO;
			else if (!strcmp(optarg, "agent"))
				o->engine = ENGINE_AGENT;
			else if (!strcmp(optarg, "ptrace"))
				o->engine = ENGINE_PTRACE;
			else {
				log_error("unknown engine '%s' (auto, agent or ptrace)", optarg);
				return -1;
			}
			break;
		case 'D': {
			char *end;
			errno = 0;
			o->duration = strtod(optarg, &end);
			if (errno || end == optarg || *end || !(o->duration > 0) || o->duration > 1e9) {
				log_error("invalid duration '%s' (a positive number of seconds)", optarg);
				return -1;
			}
			break;
		}
		case 'L':
			o->format = FORMAT_LTTNG;
			break;
		case 'S':
			o->stack_depth = 32;
			if (optarg && (parse_size(optarg, &o->stack_depth) != 0 || !o->stack_depth ||
				       o->stack_depth > 1024)) {
				log_error("invalid stack depth '%s' (1 to 1024 frames)", optarg);
				return -1;
			}
			break;
		case 'P':
			if (!*optarg || strlen(optarg) > 100) {
				log_error("invalid provider name '%s'", optarg);
				return -1;
			}
			o->provider = optarg;
			break;
		case OPT_CTF:
			o->ctf_dir = optarg;
			o->format = FORMAT_LTTNG;
			break;
		case 'c':
			/* -C and -c together: -C, which has both */
			if (o->summary != SUMMARY_AND_EVENTS)
				o->summary = SUMMARY_ONLY;
			break;
		case 'C':
			o->summary = SUMMARY_AND_EVENTS;
			break;
		case 'H':
			o->histogram = true;
			break;
		case 'X':
			if (!*optarg) {
				log_error("empty --filter expression (e.g. --filter 'arg1 > 10 && retval != 0')");
				return -1;
			}
			if (o->filter) {
				/* One expression: a second would silently replace the first. */
				log_error("--filter given twice: combine them with && in one");
				return -1;
			}
			o->filter = optarg;
			break;
		case 't':
			if (o->timestamps < 3)
				o->timestamps++;
			break;
		case 'T':
			/* durations on exit lines: on by default (strace's -T) */
			break;
		case 'r':
			o->relative = true;
			break;
		case 'q':
			o->quiet = true;
			break;
		case 'K':
			if (!optarg || !strcmp(optarg, "always"))
				o->color = COLOR_ALWAYS;
			else if (!strcmp(optarg, "auto"))
				o->color = COLOR_AUTO;
			else if (!strcmp(optarg, "never"))
				o->color = COLOR_NEVER;
			else {
				log_error("invalid --color '%s' (auto, always or never)", optarg);
				return -1;
			}
			break;
		case 'J':
			o->json_int_strings = true;
			break;
		case 'h':
			usage(stdout);
			return 1;
		case 'V':
			printf("dwtrace %s\n", DWTRACE_VERSION);
			return 1;
		case ':':
			log_error("option '%s' needs an argument (see dwtrace --help)", argv[optind - 1]);
			return -1;
		default:
			if (optopt)
				log_error("unknown option '-%c' (see dwtrace --help)", optopt);
			else
				log_error("unknown option '%s' (see dwtrace --help)", argv[optind - 1]);
			return -1;
		}
	}
	if (o->summary != SUMMARY_NONE && o->format == FORMAT_LTTNG) {
		log_error("-c and -C do not go with --lttng or --ctf: the events are LTTng's there (summarize the "
			  "trace with babeltrace2)");
		return -1;
	}
	/* Both would be silently useless: a stack unwound at every entry
	 * (which also forces the ptrace engine) that no event shows, and
	 * integers as strings in text. */
	if (o->stack_depth && o->summary == SUMMARY_ONLY) {
		log_error("--stack shows stacks in events; -c writes none: use -C");
		return -1;
	}
	if (o->json_int_strings && o->format != FORMAT_JSON) {
		log_error("--json-int-strings writes JSON's large integers as strings: it needs --format json");
		return -1;
	}
	if (o->histogram && o->summary == SUMMARY_NONE) {
		log_error("--histogram is part of the summary: add -c (summary only) or -C (events and summary)");
		return -1;
	}
	if (o->pid && optind < argc) {
		log_error("give a command to start or -p PID to attach to, not both");
		return -1;
	}
	if (!o->pid && optind >= argc) {
		log_error("no command to trace (usage: dwtrace -e PROBE -- COMMAND [ARGS...], or -p PID)");
		return -1;
	}
	if (!o->nprobes) {
		log_error("no probe given (add -e FUNCTION; 'dwtrace list FILE' shows the functions)");
		return -1;
	}
	if (probe_spec_is_exclusion(o->probes[0])) {
		log_error("exclusion '%s' comes before any probe: it narrows the -e probes before it (write -e GLOB "
			  "first)",
			  o->probes[0]);
		return -1;
	}
	o->command = o->pid ? NULL : argv + optind;
	return 0;
}

void cli_free(struct options *o)
{
	free(o->probes);
	o->probes = NULL;
	for (size_t i = 0; i < o->nowned; i++)
		free(o->owned[i]);
	free(o->owned);
	o->owned = NULL;
}
