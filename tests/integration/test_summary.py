#!/usr/bin/env python3
"""test_summary.py O0|O2: -c / -C / --histogram, the per-function summary.

- `-c -e my_traced_function -- sample_app N`: the summary's calls equal the
  calls sample_app printed (N lines), no event is written, the program's
  output and status are those of an untraced run.
- `-C --format json --histogram` over sample_app (many calls of one
  function) and stack_app (traced calls nested in traced calls, an inlined
  copy): per function, calls, total_ns, min_ns, max_ns, avg_ns and
  nested_hits equal a Python computation over the same run's events
  (durations from the exits' duration_ns; nested hits: the thread's events
  between a call's entry and its exit), p50_ns and p99_ns are within 1/128
  of the nearest-rank percentiles of those durations, the histogram's
  counts are Python's log2 bucketing of them; entry-only events count as
  hits; summary_end's totals are the rows' sums.
- inline_app: weigh's calls (its clone's included) and its inlined copies'
  hits add up to the "weigh" lines the program printed.
- longjmp_app prints its functions' entries and exits: -c's calls and
  unfinished (left by longjmp) per function equal those counts.
- `-c` on a started sample_app that sleeps between calls, stopped by SIGINT
  or SIGTERM after 5 calls: the summary is written (at least the calls the program
  printed before the signal, at most all of them), the program runs to its
  end with its untraced output.
- `-c -p PID --duration 0.5` on a running spin_app: a summary with calls;
  spin_app's own check ("ok iterations=N") passes afterwards, N >= calls.
- --histogram without -c, -c with --lttng: exit 2, one error line, before
  the program starts.
"""

import math
import os
import re
import signal
import subprocess
import sys
import time
from fractions import Fraction

import harness
import tracing
from harness import fail

APP_CALLS = 300
HEADER = re.compile(r"^\s+calls\s+unfinished\s+total\s+avg\s+min\s+p50\s+p99\s+max\s+function$")
ROW = re.compile(r"^\s*(\d+)\s+(\d+)\s+(.*?)  (\S+)( \((?:entry only|inlined)\))? \[([^\]]+)\]$")
TOTAL = re.compile(r"^\s*(\d+)\s+(\d+)  total \(\d+ functions?")
OVERHEAD = re.compile(r"^tracing overhead inside these durations, measured from this run "
                      r"\((agent|ptrace) engine: [^)]*\): at most (.*)$")
INCOMPLETE = re.compile(r"^incomplete: (\d+) events? (?:was|were) dropped by the engine; counts are lower than "
                        r"the program's$")


def text_summary(text, where):
    """The rows of a text summary: {function: (calls, unfinished)}; fails
    unless every line is part of the summary."""
    lines = [l for l in text.splitlines() if l.strip()]
    # Only dropped events put a line above the table (test_dropped).
    if lines and INCOMPLETE.match(lines[0]):
        lines = lines[1:]
    if not lines or not HEADER.match(lines[0]):
        fail("%s: the output does not start with the summary's header:\n%s" % (where, text[-3000:]))
    rows = {}
    for line in lines[1:]:
        m = ROW.match(line)
        if m:
            rows[m.group(4)] = (int(m.group(1)), int(m.group(2)))
        elif not TOTAL.match(line) and not OVERHEAD.match(line):
            fail("%s: a line that is not the summary's: %r\n%s" % (where, line, text[-3000:]))
    return rows


def app_lines(stdout):
    return [l for l in stdout.splitlines() if l.startswith("my_traced_function(")]


def test_count(opt):
    app = harness.sample(opt, "sample_app")
    where = "-c sample_app (%s)" % opt
    plain, traced, out = harness.check_unharmed([app, str(APP_CALLS)], ["-c", "-e", "my_traced_function"])
    printed = len(app_lines(plain.stdout))
    if printed != APP_CALLS:
        fail("%s: sample_app printed %d calls untraced, expected %d" % (where, printed, APP_CALLS))
    rows = text_summary(harness.read_text(out), where)
    if rows.get("my_traced_function") != (len(app_lines(traced.stdout)), 0):
        fail("%s: summary %r, the program printed %d calls" % (where, rows, len(app_lines(traced.stdout))))
    tracing.check_summary(traced.stderr, where)
    # The overhead: the only function's typical bare call, with no nested
    # part (nothing traced is called inside it); nothing was dropped.
    text = harness.read_text(out)
    m = [OVERHEAD.match(l) for l in text.splitlines() if OVERHEAD.match(l)]
    if len(m) != 1 or not m[0].group(2).endswith(
            "per call (the median of my_traced_function's calls with no traced call inside, which includes "
            "my_traced_function's own time)") or (harness.engine() and m[0].group(1) != harness.engine()):
        fail("%s: expected one overhead line naming my_traced_function's median, with no nested part\n%s"
             % (where, text))
    if "incomplete" in text:
        fail("%s: the summary says events were dropped, none were\n%s" % (where, text))


def nearest_rank(sorted_values, q):
    """The value of rank ceil(q * n) (q a Fraction), 1-based."""
    rank = max(1, math.ceil(q * len(sorted_values)))
    return sorted_values[rank - 1]


def within(got, want):
    return abs(got - want) <= want // 128


def log2_bucket(v):
    return 0 if v == 0 else v.bit_length()


def expected_rows(events, where):
    """{(function, module, kind): dict} computed from the events."""
    rows = {}
    stacks = {}
    for i, ev in enumerate(events):
        if ev["type"] in ("summary", "summary_end"):
            continue
        key_tid = (ev["pid"], ev["tid"])
        stack = stacks.setdefault(key_tid, [])
        # Every event is a hit inside each call in flight in its thread.
        for frame in stack:
            frame["nested"] += 1
        if ev["type"] == "entry" and not ev.get("inlined"):
            stack.append({"function": ev["function"], "nested": 0})
            continue
        kind = "inlined" if ev.get("inlined") else "point" if ev["type"] == "probe" else "call"
        r = rows.setdefault((ev["function"], ev["module"], kind),
                            {"durations": [], "hits": 0, "nested": 0, "bare": []})
        if ev["type"] != "exit":
            r["hits"] += 1
            continue
        # The exit is its own call's hit, not a nested one.
        frame = stack.pop()
        frame["nested"] -= 1
        if frame["function"] != ev["function"]:
            fail("%s: event #%d: exit of %s, the open call is %s" % (where, i, ev["function"], frame["function"]))
        r["durations"].append(ev["duration_ns"])
        r["nested"] += frame["nested"]
        if not frame["nested"]:
            r["bare"].append(ev["duration_ns"])
    return rows


def check_json_summary(events, where):
    summaries = [ev for ev in events if ev["type"] == "summary"]
    ends = [ev for ev in events if ev["type"] == "summary_end"]
    if not summaries or len(ends) != 1 or events[-1] is not ends[0]:
        fail("%s: expected summary lines and one summary_end last, got %d and %d"
             % (where, len(summaries), len(ends)))
    first = events.index(summaries[0])
    if any(ev["type"] not in ("summary", "summary_end") for ev in events[first:]):
        fail("%s: events after the summary" % where)
    want = expected_rows(events, where)
    got = {(s["function"], s["module"], s["kind"]): s for s in summaries}
    if set(got) != set(want):
        fail("%s: summary rows %s, the events have %s" % (where, sorted(got), sorted(want)))
    for key, w in want.items():
        s = got[key]
        d = sorted(w["durations"])
        wk = "%s, %s" % (where, key[0])
        if s["calls"] != len(d) or s["hits"] != w["hits"] or s["nested_hits"] != w["nested"]:
            fail("%s: calls/hits/nested_hits %s/%s/%s, the events give %d/%d/%d"
                 % (wk, s["calls"], s["hits"], s["nested_hits"], len(d), w["hits"], w["nested"]))
        if not d:
            if any(s[k] is not None for k in ("total_ns", "min_ns", "max_ns", "p50_ns", "p99_ns")):
                fail("%s: durations in a row with no calls: %s" % (wk, s))
            continue
        exact = {"total_ns": sum(d), "min_ns": d[0], "max_ns": d[-1], "avg_ns": sum(d) // len(d)}
        for k, v in exact.items():
            if s[k] != v:
                fail("%s: %s %s, the events' durations give %s" % (wk, k, s[k], v))
        for k, q in (("p50_ns", Fraction(1, 2)), ("p99_ns", Fraction(99, 100))):
            if not within(s[k], nearest_rank(d, q)):
                fail("%s: %s %s, the nearest-rank value is %s (more than 1/128 off)"
                     % (wk, k, s[k], nearest_rank(d, q)))
        buckets = {}
        for v in d:
            buckets[log2_bucket(v)] = buckets.get(log2_bucket(v), 0) + 1
        hist = {(h["lo"], h["hi"]): h["count"] for h in s["histogram"]}
        want_hist = {((1 << (k - 1)) if k else 0, 1 << k): c for k, c in buckets.items()}
        if hist != want_hist:
            fail("%s: histogram %s, Python's log2 buckets %s" % (wk, hist, want_hist))
    end = ends[0]
    for k, field in (("calls", "calls"), ("hits", "hits"), ("unfinished", "unfinished"),
                     ("nested_hits", "nested_hits")):
        if end[k] != sum(s[field] for s in summaries):
            fail("%s: summary_end %s %s is not the rows' sum" % (where, k, end[k]))
    if end["functions"] != len(summaries):
        fail("%s: summary_end functions %s, %d rows" % (where, end["functions"], len(summaries)))
    check_overhead(want, end, where)
    return got


def check_overhead(want, end, where):
    """summary_end's overhead: per call, the smallest median of a
    function's calls with no hit inside (named); per nested hit only when
    there were nested hits; the engine; nothing dropped."""
    bare = {k[0]: nearest_rank(sorted(w["bare"]), Fraction(1, 2)) for k, w in want.items() if w["bare"]}
    if not bare:
        fail("%s: the oracle saw no call without a hit inside" % where)
    f, p50 = end["overhead_per_call_function"], end["overhead_per_call_ns"]
    if f not in bare or not within(p50, bare[f]):
        fail("%s: overhead_per_call %s of %s, the events' medians of calls with no hit inside are %s"
             % (where, p50, f, bare))
    # No other function's median is smaller (beyond the 1/128 bound).
    if any(v * 129 < p50 * 128 for v in bare.values()):
        fail("%s: overhead_per_call %s of %s, a smaller median in %s" % (where, p50, f, bare))
    if (end["overhead_per_nested_hit_ns"] is None) != (end["nested_hits"] == 0):
        fail("%s: overhead_per_nested_hit_ns %s with %d nested hits"
             % (where, end["overhead_per_nested_hit_ns"], end["nested_hits"]))
    if end["dropped"] != 0 or end["engine"] not in ((harness.engine(),) if harness.engine() else
                                                    ("agent", "ptrace")):
        fail("%s: summary_end engine %s dropped %s" % (where, end["engine"], end["dropped"]))


def test_json(opt):
    app = harness.sample(opt, "sample_app")
    where = "-C json sample_app (%s)" % opt
    plain, traced, out = harness.check_unharmed([app, str(APP_CALLS)],
                                                 ["-C", "--format", "json", "--histogram",
                                                  "-e", "my_traced_function"])
    events = harness.read_events(out)
    got = check_json_summary(events, where)
    calls = got[("my_traced_function", "libmylib.so", "call")]["calls"]
    if calls != len(app_lines(traced.stdout)):
        fail("%s: %d calls, the program printed %d" % (where, calls, len(app_lines(traced.stdout))))

    app = harness.sample(opt, "stack_app")
    where = "-C json stack_app (%s)" % opt
    plain, traced, out = harness.check_unharmed([app], ["-C", "--format", "json", "--histogram", "-e", "st_*",
                                                        "-e", "lib_*", "-e", "app_*"])
    events = harness.read_events(out)
    got = check_json_summary(events, where)
    # The oracle must have seen nesting: app_level1 has lib_level2, lib_level3
    # and st_leaf inside it (entries and exits).
    if got[("app_level1", "stack_app", "call")]["nested_hits"] < 6:
        fail("%s: app_level1's nested hits %s, expected its three nested calls' hits"
             % (where, got[("app_level1", "stack_app", "call")]))


def test_inline(opt):
    """Inlined copies (entry only, at -O2) count as hits; a clone's calls
    join its function's row: weigh's calls and hits are the program's
    "weigh" lines."""
    app = harness.sample(opt, "inline_app")
    where = "-C json inline_app (%s)" % opt
    plain, traced, out = harness.check_unharmed([app, "4"], ["-C", "--format", "json", "--histogram",
                                                             "-e", "weigh", "-e", "scale",
                                                             "-e", "area"])
    got = check_json_summary(harness.read_events(out), where)
    printed = len([l for l in traced.stdout.splitlines() if l.startswith("weigh item=")])
    counted = sum(s["calls"] + s["hits"] for k, s in got.items() if k[0] == "weigh")
    if counted != printed or not printed:
        fail("%s: weigh counted %d times (calls and hits), the program printed %d calls" % (where, counted, printed))
    if opt != "O0" and not got.get(("weigh", "inline_app", "inlined"), {}).get("hits"):
        fail("%s: no hits of weigh's inlined copies: %s" % (where, sorted(got)))


def test_unfinished(opt):
    """longjmp_app's functions print "entry F DEPTH" and "exit F DEPTH
    VALUE": per function, calls are its exit lines, unfinished the entries
    without one (left by longjmp)."""
    app = harness.sample(opt, "longjmp_app")
    where = "-c longjmp_app (%s)" % opt
    plain, traced, out = harness.check_unharmed([app], ["-c", "-e", "lj_outer", "-e", "lj_inner"])
    rows = text_summary(harness.read_text(out), where)
    for f in ("lj_outer", "lj_inner"):
        entries = len([l for l in traced.stdout.splitlines() if l.startswith("entry %s " % f)])
        exits = len([l for l in traced.stdout.splitlines() if l.startswith("exit %s " % f)])
        if rows.get(f) != (exits, entries - exits) or exits == entries:
            fail("%s: %s: summary (calls, unfinished) %r, the program printed %d entries and %d exits"
                 % (where, f, rows.get(f), entries, exits))


def test_stop_signal(opt, sig):
    """Stopped by sig (SIGINT: dwtrace waits for the program; SIGTERM:
    it ends now, the program runs on): the summary is written."""
    app = harness.sample(opt, "sample_app")
    cmd = [app, "60", "-d", "20000"]
    where = "-c, %s (%s)" % (signal.Signals(sig).name, opt)
    plain = harness.run_untraced(cmd)
    out = os.path.join(harness.tempdir(), "stopped.txt")
    run = tracing.Running([harness.dwtrace(), "-c", "-o", out, "-e", "my_traced_function", "--"] + cmd)
    try:
        tracing.wait_for(lambda: len(app_lines("\n".join(run.stdout.lines))) >= 5, "5 calls", 30)
        seen = len(app_lines("\n".join(run.stdout.lines)))
        run.proc.send_signal(sig)
        status = run.wait(60, where)
        # The program's stdout is the same pipe: it closes when the program ends.
        stdout = run.stdout.text(30)
        if status != 0 or stdout != plain.stdout:
            fail("%s: status %s, output %s the untraced one\n%s"
                 % (where, status, "equal to" if stdout == plain.stdout else "unlike", run.describe()))
        rows = text_summary(harness.read_text(out), where)
        calls = rows.get("my_traced_function", (0, 0))[0]
        if not seen <= calls <= 60:
            fail("%s: %d calls in the summary, the program printed %d before the signal (60 in all)"
                 % (where, calls, seen))
        tracing.check_summary(run.stderr.text(), where)
    finally:
        tracing.kill_all()


def test_attach_duration(opt):
    app = harness.sample(opt, "spin_app")
    where = "-c -p --duration (%s)" % opt
    spin = tracing.Running([app, "120"])
    try:
        spin.stdout.wait_for(r"^ready$", 30, where)
        out = os.path.join(harness.tempdir(), "attach.txt")
        result = harness.run_dwtrace(["-c", "-o", out, "-e", "spin_step", "-p", str(spin.pid), "--duration",
                                      "0.5"])
        rows = text_summary(harness.read_text(out), where)
        calls, unfinished = rows.get("spin_step", (0, 0))
        if calls <= 0 or unfinished > 4:
            fail("%s: summary %r: expected calls of spin_step, at most one unfinished per worker\n%s"
                 % (where, rows, harness.describe(result)))
        tracing.check_summary(result.stderr, where, tail="detached")
        tracing.send(spin.pid, signal.SIGUSR1)
        if spin.wait(30, where) != 0:
            fail("%s: spin_app failed its own check\n%s" % (where, spin.describe()))
        m = spin.stdout.wait_for(r"^ok iterations=(\d+)$", 5, where)
        if calls > int(m.group(1)):
            fail("%s: %d calls in the summary, spin_app made %s" % (where, calls, m.group(1)))
    finally:
        tracing.kill_all()


def test_errors(opt):
    app = harness.sample(opt, "sample_app")
    for args, word in ((["--histogram"], "--histogram"), (["-c", "--lttng"], "--lttng"),
                       (["-C", "--ctf", harness.tempdir()], "--ctf")):
        result = harness.run([harness.dwtrace()] + args + ["-e", "my_traced_function", "--", app, "1"])
        lines = harness.stderr_lines(result)
        if result.returncode != 2 or len(lines) != 1 or word not in lines[0] or result.stdout:
            fail("%s: expected exit 2 with one error line naming %s before the program starts\n%s"
                 % (args, word, harness.describe(result)))


def test_dropped(opt):
    """dwtrace SIGSTOPped for 3 s while 4 threads of an attached spin_app
    call spin_step (the agent drops what its full rings cannot take): the
    summary's first line says how many events were lost, the number of the
    warning on stderr, and spin_app's own check passes."""
    app = harness.sample(opt, "spin_app")
    where = "-c, dwtrace stopped (%s)" % opt
    spin = tracing.Running([app, "300"])
    try:
        spin.stdout.wait_for(r"^ready$", 30, where)
        out = os.path.join(harness.tempdir(), "dropped.txt")
        d = tracing.Running([harness.dwtrace(), "--engine", "agent", "-c", "-o", out, "-e", "spin_step",
                             "-p", str(spin.pid)])
        # Not a timing assertion: time for the agent to be in before the stop.
        time.sleep(2)
        tracing.send(d.pid, signal.SIGSTOP)
        time.sleep(3)
        tracing.send(d.pid, signal.SIGCONT)
        time.sleep(0.5)
        tracing.send(d.pid, signal.SIGINT)
        if d.wait(60, where) != 0:
            fail("%s: dwtrace failed\n%s" % (where, d.describe()))
        err = d.stderr.text()
        w = re.search(r"^dwtrace: warning: (\d+) events? w(?:as|ere) dropped", err, re.M)
        if not w:
            fail("%s: no warning of dropped events on stderr\n%s" % (where, err))
        text = harness.read_text(out)
        first = text.splitlines()[0] if text else ""
        m = INCOMPLETE.match(first)
        if not m or m.group(1) != w.group(1):
            fail("%s: the summary's first line %r, stderr says %s events were dropped\n%s"
                 % (where, first, w.group(1), text))
        if not text_summary(text, where).get("spin_step", (0, 0))[0]:
            fail("%s: no calls of spin_step in the summary\n%s" % (where, text))
        tracing.send(spin.pid, signal.SIGUSR1)
        if spin.wait(30, where) != 0:
            fail("%s: spin_app failed its own check\n%s" % (where, spin.describe()))
    finally:
        tracing.kill_all()


def main(opt):
    if harness.engine() != "ptrace":
        test_dropped(opt)
    test_errors(opt)
    test_count(opt)
    test_json(opt)
    test_inline(opt)
    test_unfinished(opt)
    test_stop_signal(opt, signal.SIGINT)
    test_stop_signal(opt, signal.SIGTERM)
    test_attach_duration(opt)


if __name__ == "__main__":
    harness.main(main, harness.opt_level(sys.argv))
