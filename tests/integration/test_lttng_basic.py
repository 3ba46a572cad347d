#!/usr/bin/env python3
"""test_lttng_basic.py O0|O2: dwtrace --lttng against hand-written tracepoints.

1. A hand-written provider records a program that calls my_traced_function
   1000 times around its tracepoints; dwtrace --lttng --provider P -e
   my_traced_function records sample_app 1000.  babeltrace2 must print both
   traces the same, event by event and field by field (names, order,
   rendering), once the values that must differ are normalized (timestamps,
   cpu_id, pid, tid, duration_ns); the CTF metadata must declare the same
   field types (size, signedness, base; float exponent and mantissa).  The
   values must be those sample_app printed, and sample_app's output and exit
   status the same as untraced.  Both sessions add the contexts vpid, vtid,
   procname and ip, and enable lttng_ust_statedump:*.
   - Agent engine (the default): the program writes the events itself.  The
     oracle is handwritten_own_app (provider mylib_own, mylib_own_tp.h: no
     pid/tid fields) and dwtrace runs with --provider mylib_own.  Each event
     of dwtrace's has sample_app's contexts exactly as each of
     handwritten_own_app's has its own: vpid = the program's pid (found as
     dwtrace's child in /proc), vtid = the same (one thread), procname its
     comm, ip: at entry the first byte of my_traced_function in the process
     (libmylib.so's load bias from the statedump's bin_info + st_value from
     nm), at exit an address inside the function (hand-written: inside the
     executable, where the tracepoint is called).  The statedump of the
     program's vpid names sample_app's libmylib.so and a libc.so.6.
   - ptrace engine: dwtrace's process writes the events (README, "LTTng":
     the documented behaviour), with the traced pid and tid as the first
     payload fields: the oracle is handwritten_app (provider mylib, the same
     fields), vpid and procname are dwtrace's, vtid one of dwtrace's threads.
2. types_app under dwtrace --lttng -e 't_*': for a set of t_* functions
   (integers of each width and signedness, bool, char, enums, pointers,
   strings, float, double, long double, structures, a union, a char array,
   typedefs, stack arguments, a void function), the metadata declares the
   types of types_lib.h as dwtrace(1) maps them (structures and unions
   flattened into PARAM_MEMBER fields, long double as double, char arrays
   as fixed-length CTF strings, a NULL char * as "(null)"), and babeltrace2
   prints the values of types_app's own oracle lines.
3. mangle_app (tests/lttng): parameter names that are not CTF identifiers
   become dollar_sign, _lead and x_; a parameter named pid becomes _pid
   where dwtrace's own pid field is there to clash with (ptrace engine) and
   stays pid where the program writes the events (agent engine: no pid
   field).

Each part records in a session of its own, in a session daemon the test
starts (lttng_harness.Lttng).
"""

import os
import re
import sys

import harness
import lttng_harness as lh
from harness import fail

CALLS = 1000
FUNCTION = "my_traced_function"
APP_LINE = re.compile(r"^my_traced_function\(arg1=42, arg2=3735928559, arg3=3\.14159, "
                      r"arg4=0x12345678\) = (-?\d+)$")
# The payload babeltrace2 prints for every call, pid and tid aside.
ENTRY_ARGS = [("arg1", "42"), ("arg2", "3735928559"), ("arg3", "3.14159"),
              ("arg4", "0x12345678")]
IDS = [("pid", lh.S32), ("tid", lh.S32)]
ENTRY_TYPES = [("arg1", lh.S32), ("arg2", lh.U64), ("arg3", lh.DOUBLE), ("arg4", lh.POINTER)]
EXIT_TYPES = [("retval", lh.S32), ("duration_ns", lh.U64)]
NORMALIZED = ("pid", "tid", "duration_ns")
CONTEXTS = ["vpid", "vtid", "procname", "ip"]
STATEDUMP = "lttng_ust_statedump:*"


def provider():
    """The hand-written provider whose shape dwtrace's events must have."""
    return "mylib_own" if lh.program_writes() else "mylib"


def app_returns(result, who):
    """The return values the program printed, one line per call."""
    values = []
    for line in result.stdout.splitlines():
        m = APP_LINE.match(line)
        if not m:
            fail("unexpected line in %s's output: %r\n%s" % (who, line, harness.describe(result)))
        values.append(int(m.group(1)))
    if len(values) != CALLS:
        fail("%s printed %d calls, expected %d\n%s"
             % (who, len(values), CALLS, harness.describe(result)))
    return values


def check_calls(events, prov, returns, where):
    """CALLS entry/exit pairs of FUNCTION, alternating, with the arguments
    sample_app passes and the return values the program printed.  With
    payload pid and tid (ptrace engine's shape): they are equal and the same
    in every event; returns that pid (None without them)."""
    names = ["%s:%s_%s" % (prov, FUNCTION, t) for t in ("entry", "exit")]
    if len(events) != 2 * CALLS:
        counts = {}
        for ev in events:
            counts[ev.name] = counts.get(ev.name, 0) + 1
        fail("%s: %d events %s, expected %d entries and %d exits"
             % (where, len(events), counts, CALLS, CALLS))
    with_ids = not lh.program_writes()
    pids = set()
    for i, ev in enumerate(events):
        w = "%s, event #%d" % (where, i)
        if ev.name != names[i % 2]:
            fail("%s: %s, expected %s:\n  %s" % (w, ev.name, names[i % 2], ev.line))
        for f in NORMALIZED:
            v = ev.get(f)
            if v is not None and not lh.is_decimal(v):
                fail("%s: %s is not a decimal integer:\n  %s" % (w, f, ev.line))
        ids = []
        if with_ids:
            if ev.get("pid") is None or ev.get("tid") != ev.get("pid"):
                fail("%s: payload pid and tid must be the single-threaded program's pid:\n  %s"
                     % (w, ev.line))
            pids.add(int(ev.get("pid")))
            ids = [("pid", ev.get("pid")), ("tid", ev.get("pid"))]
        if i % 2 == 0:
            want = ids + ENTRY_ARGS
        else:
            want = ids + [("retval", str(returns[i // 2])), ("duration_ns", ev.get("duration_ns"))]
        if ev.payload != want:
            fail("%s: payload %s\nexpected %s\n  %s" % (w, ev.payload, want, ev.line))
    if not with_ids:
        return None
    if len(pids) != 1:
        fail("%s: events from several pids %s" % (where, sorted(pids)))
    return pids.pop()


def normalized(ev):
    return [(n, "N" if n in NORMALIZED else v) for n, v in ev.payload]


def session(lt, name, prov):
    """A session NAME with a channel that adds CONTEXTS, recording prov:*
    and the statedump; started.  Returns its output path."""
    trace = lt.create_session(name, channel="chan", events=["%s:*" % prov, STATEDUMP],
                              contexts=CONTEXTS)
    lt.lttng("start", name)
    return trace


def split(events, prov):
    """(prov's events, the statedump's events)."""
    return ([ev for ev in events if ev.name.startswith(prov + ":")],
            [ev for ev in events if ev.name.startswith("lttng_ust_statedump:")])


def check_contexts(events, pid, comm, ip_ok, where):
    """vpid = vtid = pid, procname comm, ip_ok(i, ip) for every event."""
    for i, ev in enumerate(events):
        w = "%s, event #%d" % (where, i)
        for ctx, want in (("vpid", str(pid)), ("vtid", str(pid)), ("procname", lh.bt_string(comm))):
            if ev.context(ctx) != want:
                fail("%s: context %s is %s, expected %s:\n  %s"
                     % (w, ctx, ev.context(ctx), want, ev.line))
        ip = ev.context("ip")
        if ip is None or not re.fullmatch(r"\d+|0x[0-9A-Fa-f]+", ip):
            fail("%s: no ip context:\n  %s" % (w, ev.line))
        problem = ip_ok(i, int(ip, 0))
        if problem:
            fail("%s: ip %s: %s\n  %s" % (w, ip, problem, ev.line))


def check_statedump(dump, pid, libmylib, where):
    """The bin_info events of pid name libmylib and a libc.so.6."""
    objects = lh.bin_info(dump, pid)
    paths = {os.path.realpath(p) for p in objects}
    if os.path.realpath(libmylib) not in paths or \
            not any(os.path.basename(p) == "libc.so.6" for p in objects):
        fail("%s: the statedump's bin_info events of vpid %d name %s, expected %s and a "
             "libc.so.6" % (where, pid, ", ".join(sorted(objects)) or "nothing",
                            os.path.realpath(libmylib)))
    return objects


def handwritten_trace(lt):
    """CALLS calls recorded with the hand-written provider."""
    prov = provider()
    app = lh.test_program("handwritten_own_app" if lh.program_writes() else "handwritten_app")
    where = "hand-written trace (%s)" % os.path.basename(app)
    trace = session(lt, "hw", prov)
    # LTTng-UST's constructor waits for the session daemon up to 3 s by
    # default; on a loaded machine the first events could come before.
    result = lt.run([app, str(CALLS)], extra_env={"LTTNG_UST_REGISTER_TIMEOUT": "30000"})
    if result.returncode != 0:
        fail("%s failed\n%s" % (app, harness.describe(result)))
    lt.lttng("stop", "hw")
    lt.lttng("destroy", "hw")
    returns = app_returns(result, os.path.basename(app))
    events, dump = split(lt.events(trace), prov)
    pid = check_calls(events, prov, returns, where)
    if pid is not None and pid != result.pid:
        fail("%s: payload pid %d, the program's pid is %d" % (where, pid, result.pid))
    for i, ev in enumerate(events[1::2]):
        if ev.get("duration_ns") != "0":
            fail("%s, exit #%d: duration_ns is not 0:\n  %s" % (where, i, ev.line))
    # The oracle's own contexts: what a compiled-in tracepoint gives.
    objects = check_statedump(dump, result.pid, harness.sample("O2", "libmylib.so"), where)
    exe = [v for p, v in objects.items() if os.path.realpath(p) == os.path.realpath(app)]
    if not exe:
        fail("%s: the statedump does not name the program %s" % (where, app))
    lo, hi = exe[0][0], exe[0][0] + exe[0][1]
    check_contexts(events, result.pid, os.path.basename(app)[:15],
                   lambda i, ip: None if lo <= ip < hi else
                   "not in the program's code [%#x, %#x)" % (lo, hi), where)
    return trace, events


def dwtrace_trace(lt, opt):
    """sample_app CALLS under dwtrace --lttng --provider P."""
    prov = provider()
    app = harness.sample(opt, "sample_app")
    where = "dwtrace --lttng --provider %s (%s)" % (prov, opt)
    plain = harness.run_ok([app, str(CALLS)])
    trace = session(lt, "dw", prov)
    result, child = lh.dwtrace_child(lt, ["--lttng", "--provider", prov, "-e", FUNCTION, "--",
                                    app, str(CALLS)])
    lt.lttng("stop", "dw")
    lt.lttng("destroy", "dw")
    if result.stdout != plain.stdout:
        fail("%s: sample_app's output differs from its untraced run\n%s"
             % (where, harness.describe(result)))
    warnings = lh.no_sessiond_warnings(result.stderr)
    if warnings:
        fail("%s: dwtrace says nothing is recorded, but a session daemon runs:\n  %s"
             % (where, "\n  ".join(warnings)))
    returns = app_returns(result, "sample_app under dwtrace")
    events, dump = split(lt.events(trace), prov)
    pid = check_calls(events, prov, returns, where)
    for i, ev in enumerate(events[1::2]):
        d = int(ev.get("duration_ns"))
        if not 0 < d < 10 ** 10:
            fail("%s, exit #%d: duration_ns %d is not a plausible duration:\n  %s"
                 % (where, i, d, ev.line))
    if lh.program_writes():
        libmylib = harness.sample(opt, "libmylib.so")
        objects = check_statedump(dump, child, libmylib, where)
        start, end = lh.function_range(objects, libmylib, FUNCTION, where)

        def ip_ok(i, ip):
            if i % 2 == 0 and ip != start:
                return "the entry's ip must be %s's first byte %#x" % (FUNCTION, start)
            if i % 2 == 1 and not start <= ip < end:
                return "the exit's ip must be inside %s [%#x, %#x)" % (FUNCTION, start, end)
            return None
        check_contexts(events, child, "sample_app", ip_ok, where)
        return trace, events

    # ptrace engine: dwtrace's process writes the events (documented).
    if pid != child:
        fail("%s: the payload pid %d is not sample_app's %d" % (where, pid, child))
    for i, ev in enumerate(events):
        if ev.context("vpid") != str(result.pid) or ev.context("procname") != '"dwtrace"':
            fail("%s, event #%d: contexts vpid %s, procname %s; expected dwtrace's pid %d "
                 "and name (the ptrace engine emits from dwtrace):\n  %s"
                 % (where, i, ev.context("vpid"), ev.context("procname"), result.pid, ev.line))
        vtid = ev.context("vtid")
        if vtid is None or not lh.is_decimal(vtid) or int(vtid) == pid:
            fail("%s, event #%d: context vtid is %s, expected one of dwtrace's threads, not "
                 "the traced thread:\n  %s" % (where, i, vtid, ev.line))
    return trace, events


def compare_traces(lt, hw_trace, hw_events, dw_trace, dw_events, opt):
    where = "hand-written vs dwtrace (%s)" % opt
    for i, (a, b) in enumerate(zip(hw_events, dw_events)):
        if a.name != b.name or normalized(a) != normalized(b):
            fail("%s: event #%d differs (normalized: %s)\n  hand-written: %s\n  dwtrace:      %s"
                 % (where, i, ", ".join(NORMALIZED), a.line, b.line))
        if a.host != b.host:
            fail("%s: event #%d: hostname %s vs %s" % (where, i, a.host, b.host))
        if [n for s in a.scopes[:-1] for n, _ in s] != [n for s in b.scopes[:-1] for n, _ in s]:
            fail("%s: event #%d: other context fields\n  hand-written: %s\n  dwtrace:      %s"
                 % (where, i, a.line, b.line))
    hw_meta, dw_meta = lt.metadata(hw_trace), lt.metadata(dw_trace)
    ids = [] if lh.program_writes() else IDS
    for suffix, types in (("entry", ENTRY_TYPES), ("exit", EXIT_TYPES)):
        name = "%s:%s_%s" % (provider(), FUNCTION, suffix)
        lh.check_fields_type(hw_meta, name, ids + types, "hand-written metadata")
        lh.check_fields_type(dw_meta, name, ids + types, "dwtrace's metadata (%s)" % opt)


# ---------------------------------------------------------------------------
# types_app

COLOR = lh.enum(lh.U32, ("RED", 0), ("GREEN", 5), ("BLUE", 6))
LEVEL = lh.enum(lh.S32, ("LEVEL_LOW", -1), ("LEVEL_MID", 0), ("LEVEL_HIGH", 1))
BOOL, CHAR = lh.U8, lh.S8  # x86-64: bool is 1 unsigned byte, char is signed
LONG_DOUBLE = lh.DOUBLE    # written as a double (dwtrace(1))
SMALL = lh.struct(("id", lh.S32), ("ratio", lh.FLOAT), ("value", lh.DOUBLE))
VEC2 = lh.struct(("x", lh.FLOAT), ("y", lh.FLOAT))
DPAIR = lh.struct(("a", lh.DOUBLE), ("b", lh.DOUBLE))
BIG = lh.struct(("a", lh.S64), ("b", lh.S64), ("c", lh.S64), ("d", lh.DOUBLE),
                ("name", lh.chars(8)))
NUM = lh.struct(("i", lh.S64), ("d", lh.DOUBLE))  # a union: flattened the same way
# function: (parameters, return type or None), from samples/types_lib.h.
# Structures and unions are flattened into PARAM_MEMBER fields (lh.flatten).
SIGNATURES = {
    "t_int_widths": ([("i8", lh.S8), ("u8", lh.U8), ("i16", lh.S16), ("u16", lh.U16),
                      ("i32", lh.S32), ("u32", lh.U32)], lh.S64),
    "t_int64s": ([("i64", lh.S64), ("u64", lh.U64)], lh.U64),
    "t_c_types": ([("flag", BOOL), ("c", CHAR), ("sc", lh.S8), ("uc", lh.U8), ("s", lh.S16),
                   ("ll", lh.S64)], lh.S32),
    "t_ret_bool": ([("x", lh.S32)], BOOL),
    "t_ret_char": ([("x", lh.S32)], CHAR),
    "t_ret_i8": ([("x", lh.S32)], lh.S8),
    "t_enums": ([("c", COLOR), ("l", LEVEL)], COLOR),
    "t_pointers": ([("vp", lh.POINTER), ("ip", lh.POINTER), ("cb", lh.POINTER),
                    ("np", lh.POINTER)], lh.S32),
    "t_ret_ptr": ([("p", lh.POINTER)], lh.POINTER),
    "t_string": ([("s", lh.STRING)], lh.U64),
    "t_ret_str": ([("which", lh.S32)], lh.STRING),
    "t_floats": ([("f", lh.FLOAT), ("d", lh.DOUBLE), ("ld", LONG_DOUBLE)], lh.DOUBLE),
    "t_ret_float": ([("x", lh.FLOAT)], lh.FLOAT),
    "t_ret_double": ([("x", lh.DOUBLE)], lh.DOUBLE),
    "t_ret_ldouble": ([("x", LONG_DOUBLE)], LONG_DOUBLE),
    "t_small": ([("s", SMALL), ("scale", lh.DOUBLE)], SMALL),
    "t_vec2": ([("v", VEC2)], VEC2),
    "t_dpair": ([("p", DPAIR)], DPAIR),
    "t_big": ([("b", BIG), ("k", lh.S32)], BIG),
    "t_union": ([("u", NUM)], NUM),
    "t_typedefs": ([("h", lh.U32), ("cvh", lh.U32), ("p", lh.POINTER)], lh.U32),
    "t_many_ints": ([("a%d" % i, lh.S64) for i in range(1, 9)], lh.S64),
    "t_void_fn": ([("x", lh.S32)], None),
}
# types_app's 1000-character string; its oracle line shows it cut at 256
# bytes (dwtrace's default -s), the test runs dwtrace with -s 4096.
LONG_TEXT = "".join(str(i % 10) for i in range(1000))
STRING_LIMIT = 4096


def render(t, v, where):
    """What babeltrace2 prints for a field of type t whose value the oracle
    line gives as v (decoded JSON)."""
    kind = t[0]
    if kind == "int" and t[3] == 16:
        if not (isinstance(v, str) and v.startswith("0x")):
            fail("%s: oracle value %r is not a pointer" % (where, v))
        return lh.bt_hex(int(v, 16))
    if kind == "int" and isinstance(v, bool):
        return "1" if v else "0"
    if kind == "int":
        if not isinstance(v, int):
            fail("%s: oracle value %r is not an integer" % (where, v))
        return str(v)
    if kind == "float":
        return lh.bt_float(v)
    if kind == "chars":
        return lh.bt_string(v)
    if kind == "string":
        if isinstance(v, str) and len(v) == 256 + 3 and v.endswith("..."):
            if not LONG_TEXT.startswith(v[:256]):
                fail("%s: a cut oracle string that is not types_app's long text: %r" % (where, v))
            v = LONG_TEXT
        return lh.bt_string(v)
    if kind == "enum":
        by_label = {label: low for label, low, _high in t[2]}
        if isinstance(v, str):
            if v not in by_label:
                fail("%s: oracle enumerator %r is not in %s" % (where, v, lh.describe_type(t)))
            return '( "%s" : container = %d )' % (v, by_label[v])
        labels = [label for label, low, high in t[2] if low <= v <= high]
        if labels:
            fail("%s: the oracle prints %d without its name %s" % (where, v, labels))
        return "( <unknown> : container = %d )" % v
    fail("test bug: no rendering for %r" % (t,))


def expected_fields(name, t, v, where):
    """[(field name, babeltrace2 text)] of a parameter (or retval) NAME of
    type t whose oracle value is v, structures flattened."""
    if t[0] != "struct":
        return [(name, render(t, v, where))]
    if not isinstance(v, dict) or list(v) != [m for m, _ in t[1]]:
        fail("%s: oracle value %r does not have the members %s" % (where, v, [m for m, _ in t[1]]))
    fields = []
    for member, mt in t[1]:
        fields += expected_fields("%s_%s" % (name, member), mt, v[member],
                                  "%s.%s" % (where, member))
    return fields


def check_types(lt, opt):
    where = "types_app (%s)" % opt
    trace = lt.create_session("types", events=["dwtrace:*"])
    lt.lttng("start", "types")
    result = lt.dwtrace(["--lttng", "-s", str(STRING_LIMIT), "-e", "t_*", "--",
                         harness.sample(opt, "types_app")])
    lt.lttng("stop", "types")
    lt.lttng("destroy", "types")
    oracle = [o for o in harness.oracle_lines(result) if o["function"] in SIGNATURES]
    events = lt.events(trace)

    for i, ev in enumerate(events):
        if not re.fullmatch(r"dwtrace:t_\w+_(entry|exit)", ev.name):
            fail("%s: event #%d is not one of dwtrace:t_*_entry/exit:\n  %s" % (where, i, ev.line))
    ids = []
    if not lh.program_writes():
        pids = {ev.get("pid") for ev in events}
        if len(pids) != 1 or not all(lh.is_decimal(ev.get("pid") or "") and
                                     ev.get("tid") == ev.get("pid") for ev in events):
            fail("%s: the events' payload pid and tid are not one process's: pids %s"
                 % (where, pids))
        pid = pids.pop()
        if int(pid) == result.pid:
            fail("%s: the payload pid %s is dwtrace's own" % (where, pid))
        ids = [("pid", pid), ("tid", pid)]

    selected = [ev for ev in events
                if ev.name.split(":", 1)[1].rsplit("_", 1)[0] in SIGNATURES]
    if len(selected) != len(oracle):
        want = {}
        for o in oracle:
            k = "dwtrace:%s_%s" % (o["function"], o["type"])
            want[k] = want.get(k, 0) + 1
        got = {}
        for ev in selected:
            got[ev.name] = got.get(ev.name, 0) + 1
        fail("%s: event counts differ from types_app's calls:\n  %s" % (where, "\n  ".join(
            "%s: oracle %d, trace %d" % (k, want.get(k, 0), got.get(k, 0))
            for k in sorted(set(want) | set(got)) if want.get(k, 0) != got.get(k, 0))))

    problems = []
    for i, (o, ev) in enumerate(zip(oracle, selected)):
        name = "dwtrace:%s_%s" % (o["function"], o["type"])
        w = "%s, call event #%d (%s)" % (where, i, name)
        if ev.name != name:
            fail("%s: the trace has %s here:\n  %s" % (w, ev.name, ev.line))
        params, rtype = SIGNATURES[o["function"]]
        want = list(ids)
        if o["type"] == "entry":
            for n, t in params:
                want += expected_fields(n, t, o["args"].get(n), "%s, %s" % (w, n))
        else:
            if rtype is not None:
                want += expected_fields("retval", rtype, o.get("retval"), "%s, retval" % w)
            d = ev.get("duration_ns")
            if d is None or not lh.is_decimal(d) or int(d) <= 0:
                problems.append("%s: duration_ns %s is not a positive integer" % (w, d))
            want.append(("duration_ns", d))
        if ev.fields() != [n for n, _ in want]:
            problems.append("%s: fields %s, expected %s\n    %s"
                            % (w, ev.fields(), [n for n, _ in want], ev.line))
            continue
        for (n, expected), (_, got) in zip(want, ev.payload):
            if expected != got:
                problems.append("%s: %s = %s, expected %s" % (w, n, got, expected))
    if problems:
        fail("%s: babeltrace2 shows other values than types_app's oracle lines:\n  %s"
             % (where, "\n  ".join(problems[:40])))

    meta = lt.metadata(trace)
    ids = [] if lh.program_writes() else IDS
    for function, (params, rtype) in SIGNATURES.items():
        lh.check_fields_type(meta, "dwtrace:%s_entry" % function,
                             ids + [f for n, t in params for f in lh.flatten(n, t)], where)
        lh.check_fields_type(meta, "dwtrace:%s_exit" % function,
                             ids + (lh.flatten("retval", rtype) if rtype else []) +
                             [("duration_ns", lh.U64)], where)


# ---------------------------------------------------------------------------
# Field names that are not CTF identifiers

MANGLE_LINE = re.compile(r"^mangle_fn\(dollar\$sign=(-?\d+), \$lead=(-?\d+), x\$=(\S+), "
                         r"pid=(-?\d+)\) = (-?\d+)$")


def check_mangling(lt):
    where = "mangled field names"
    trace = lt.create_session("mangle", events=["dwtrace:*"])
    lt.lttng("start", "mangle")
    result = lt.dwtrace(["--lttng", "-e", "mangle_fn", "--", lh.test_program("mangle_app")])
    lt.lttng("stop", "mangle")
    lt.lttng("destroy", "mangle")
    m = MANGLE_LINE.match(result.stdout.strip())
    if not m:
        fail("%s: unexpected output of mangle_app\n%s" % (where, harness.describe(result)))
    a, b, x, p, r = m.groups()
    events = lt.events(trace)
    names = [ev.name for ev in events]
    if names != ["dwtrace:mangle_fn_entry", "dwtrace:mangle_fn_exit"]:
        fail("%s: events %s, expected one entry and one exit of mangle_fn\n%s"
             % (where, names, "\n".join(ev.line for ev in events)))
    entry, exit_ = events
    ids, id_types = [], []
    if not lh.program_writes():
        pid = entry.get("pid")
        if pid is None or not lh.is_decimal(pid) or int(pid) == result.pid:
            fail("%s: payload pid %s is not the traced program's\n  %s" % (where, pid, entry.line))
        ids, id_types = [("pid", pid), ("tid", pid)], IDS
    pid_name = "pid" if lh.program_writes() else "_pid"
    want = ids + [("dollar_sign", a), ("_lead", b), ("x_", x), (pid_name, p)]
    if entry.payload != want:
        fail("%s: entry payload %s, expected %s\n  %s" % (where, entry.payload, want, entry.line))
    want = [n for n, _ in ids] + ["retval", "duration_ns"]
    if exit_.fields() != want or exit_.get("retval") != r:
        fail("%s: exit payload %s, expected fields %s with retval %s\n  %s"
             % (where, exit_.payload, want, r, exit_.line))
    lh.check_fields_type(lt.metadata(trace), "dwtrace:mangle_fn_entry",
                         id_types + [("dollar_sign", lh.S32), ("_lead", lh.S32),
                                     ("x_", lh.DOUBLE), (pid_name, lh.S32)], where)


def test(opt):
    with lh.Lttng() as lt:
        lt.start_sessiond()
        hw_trace, hw_events = handwritten_trace(lt)
        dw_trace, dw_events = dwtrace_trace(lt, opt)
        compare_traces(lt, hw_trace, hw_events, dw_trace, dw_events, opt)
        check_types(lt, opt)
        check_mangling(lt)


if __name__ == "__main__":
    harness.main(lambda: test(harness.opt_level(sys.argv)))
