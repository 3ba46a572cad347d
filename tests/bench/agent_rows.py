"""The benchmark's rows for the two engines (issue 11, "Measured, not
asserted"), used by tests/bench/run:

- per call, entry + exit, my_traced_function's 4 arguments and its return
  value: --engine ptrace, --engine agent started and attached (-p); entry
  only; 1, 4 and 16 threads (samples/bench_threads.c, whose own clock times
  the calls only: start-up, attaching and tear-down are left out);
- the stop-the-world pause while dwtrace attaches and detaches with 1, 100,
  1000 and 10 000 probes, measured inside the program (samples/pause_app.c:
  the longest gap of a tight clock loop) -- the program's view, not
  dwtrace's;
- the pass-through cost per call once dwtrace is gone (SIGKILL);
- dwtrace --lttng attached to bench_threads (the program writes the events)
  and the compiled-in tracepoint it is compared with (tests/lttng/
  bench_threads_tp: the same loop with the provider mylib_own), measured the
  same way in sessions of the benchmark's own session daemon (lttng_rows).

"Armed" is seen from outside: the probed functions' first bytes in
/proc/PID/mem differ from the file (int3 or jmp), for both engines.  A row
that cannot run says why ("failed: ...").  The agent rows first check that
the agent is really there (bench_threads reports whether an object named
*dwtrace-agent* is mapped into it): a dwtrace that parses --engine agent but
runs the ptrace engine must not be reported as the agent.
"""

import os
import re
import signal
import subprocess
import tempfile
import time

import fastpath
import harness
import tracing

# The value every call of my_traced_function(42, 0xdeadbeef, 3.14159,
# 0x12345678) returns (samples/mylib.c).
RETVAL = 42 + 0xef + 3 + 0x8


class Failed(Exception):
    pass


class Context:
    def __init__(self, dwtrace, samples, quick, n_fast, n_ptrace, rows, lttng_bin=None):
        self.dwtrace = dwtrace
        self.bench_threads = os.path.join(samples, "O2", "bench_threads")
        # tests/lttng of the build: bench_threads with compiled-in tracepoints
        self.bench_threads_tp = os.path.join(lttng_bin or "", "bench_threads_tp")
        self.libmylib = os.path.join(samples, "O2", "libmylib.so")
        self.pause_app = os.path.join(samples, "O2", "pause_app")
        self.libmany10k = os.path.join(samples, "O2", "libmany10k.so")
        self.quick = quick
        self.n_fast = n_fast
        self.n_ptrace = n_ptrace
        self.rows = rows
        self.agent_why = None
        self.plain_loop = {}


def _last_line(text):
    lines = [l for l in text.strip().splitlines() if l.strip()]
    return lines[-1][:140] if lines else "?"


def _bench_output(stdout, stderr, threads, calls, where):
    """(loop_ns, agent mapped?) from bench_threads' output, checking its
    checksum (the program was not harmed)."""
    want = "checksum %d" % (threads * calls * RETVAL)
    if want not in stdout.splitlines():
        raise Failed("%s: bench_threads printed %r, expected %r" % (where, stdout.strip()[:80], want))
    m = re.search(r"^loop_ns (\d+)$", stderr, re.M)
    a = re.search(r"^agent (yes|no)$", stderr, re.M)
    if not m or not a:
        raise Failed("%s: no loop_ns/agent line from bench_threads: %s" % (where, _last_line(stderr)))
    return int(m.group(1)), a.group(1) == "yes"


def plain_loop(ctx, threads, calls):
    """The untraced loop time in ns, the best of 3 runs."""
    key = (threads, calls)
    if key not in ctx.plain_loop:
        best = None
        for _ in range(3):
            r = subprocess.run([ctx.bench_threads, str(threads), str(calls)], capture_output=True,
                               text=True, timeout=600)
            loop, _ = _bench_output(r.stdout, r.stderr, threads, calls, "untraced")
            best = loop if best is None else min(best, loop)
        ctx.plain_loop[key] = best
    return ctx.plain_loop[key]


def text_events(line):
    """Events in one line of dwtrace's text output: an entry joined with its
    exit ("f(x=1) \u2192 2 <0.000001>") is two; an entry left <unfinished ...>,
    a <... f resumed> exit, or any other line is one."""
    head = line.split(" \u2192 ")[0].split(" -> ")[0]
    joined = "(" in head and head != line and "resumed>" not in line
    return 2 if joined else 1


def traced_started(ctx, engine, threads, calls, extra=()):
    """Runs bench_threads under `dwtrace --engine ENGINE`; returns (loop_ns,
    events recorded, agent mapped?)."""
    with tempfile.NamedTemporaryFile(suffix=".events") as out:
        cmd = [ctx.dwtrace, "--engine", engine, "-o", out.name] + list(extra) + [
            "-e", "my_traced_function", "--", ctx.bench_threads, str(threads), str(calls)]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
        if r.returncode != 0:
            raise Failed("dwtrace exited %d: %s" % (r.returncode, _last_line(r.stderr)))
        loop, agent = _bench_output(r.stdout, r.stderr, threads, calls, "traced")
        with open(out.name, errors="replace") as f:
            events = sum(text_events(line) for line in f if "my_traced_function" in line)
    return loop, events, agent


def agent_available(ctx):
    """None when `dwtrace --engine agent` loads the agent, else why not."""
    if ctx.agent_why is None:
        try:
            _, _, agent = traced_started(ctx, "agent", 1, 1)
            ctx.agent_why = "" if agent else (
                "--engine agent ran, but no *dwtrace-agent* object was mapped into the program "
                "(the agent engine is not in this build)")
        except (Failed, subprocess.TimeoutExpired) as e:
            ctx.agent_why = str(e)
    return ctx.agent_why or None


def _row(ctx, name, expected_per_call, measure):
    """measure() -> (ns per call, events, expected events)."""
    try:
        ns, events, expected = measure()
        ctx.rows.append((name, ns, events, expected, ""))
    except (Failed, harness.Failure, subprocess.TimeoutExpired) as e:
        ctx.rows.append((name, None, None, expected_per_call, "failed: %s" % e))


def _per_call(ctx, engine, threads, calls, extra=()):
    if engine == "agent":
        why = agent_available(ctx)
        if why:
            raise Failed(why)
    loop, events, agent = traced_started(ctx, engine, threads, calls, extra)
    if engine == "agent" and not agent:
        raise Failed("the agent was not mapped into the program")
    return (loop - plain_loop(ctx, threads, calls)) / calls, events, 2 * threads * calls


def attach_armed(ctx, cmd, pid, code, where, timeout=120, env=None):
    """Starts cmd (a dwtrace -p; with env, else this process's environment),
    waits until code is patched in pid; returns (the running dwtrace, seconds
    from its start to armed)."""
    t0 = time.monotonic()
    d = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
    while set(code.patched(pid)) != set(code.functions):
        if d.poll() is not None:
            raise Failed("%s: dwtrace exited %d before arming: %s"
                         % (where, d.returncode, _last_line(d.stderr.read())))
        if time.monotonic() - t0 > timeout:
            d.kill()
            d.wait()
            raise Failed("%s: not armed within %d s" % (where, timeout))
        time.sleep(0.005)
    return d, time.monotonic() - t0


def _end(d, timeout=60):
    """Lets a dwtrace -p whose program has exited finish decoding what the
    program left in its rings (it ends by itself: "PROGRAM is gone"); SIGINT
    only if it does not.  (A SIGINT right after the program's exit ends
    dwtrace before it has drained the rings: ~1% of the events of the
    attached row were missing, with no drop counted.)"""
    try:
        d.wait(timeout)
    except subprocess.TimeoutExpired:
        d.send_signal(signal.SIGINT)
        d.wait(60)


def _attached(ctx, threads, calls):
    """bench_threads started alone, waiting for a file; dwtrace --engine agent
    -p attaches; once armed the calls run."""
    why = agent_available(ctx)
    if why:
        raise Failed(why)
    workdir = tempfile.mkdtemp()
    go, out = os.path.join(workdir, "go"), os.path.join(workdir, "events")
    prog = subprocess.Popen([ctx.bench_threads, str(threads), str(calls), "-w", go],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    d = None
    try:
        time.sleep(0.1)  # the library is mapped
        code = fastpath.Code(ctx.libmylib, ["my_traced_function"])
        d, _ = attach_armed(ctx, [ctx.dwtrace, "--engine", "agent", "-o", out, "-e", "my_traced_function",
                                  "-p", str(prog.pid)], prog.pid, code, "attached")
        open(go, "w").close()
        stdout, stderr = prog.communicate(timeout=600)
        _end(d)
        loop, agent = _bench_output(stdout, stderr, threads, calls, "attached")
        if not agent:
            raise Failed("the agent was not mapped into the program")
        with open(out, errors="replace") as f:
            events = sum(text_events(line) for line in f if "my_traced_function" in line)
        return (loop - plain_loop(ctx, threads, calls)) / calls, events, 2 * threads * calls
    finally:
        for p in (prog, d):
            if p and p.poll() is None:
                p.kill()
                p.wait()
        for f in (go, out):
            if os.path.exists(f):
                os.unlink(f)
        os.rmdir(workdir)


# ---------------------------------------------------------------------------
# dwtrace --lttng against the compiled-in tracepoint, measured the same way:
# one loop (samples/bench_threads.c), one clock (its loop_ns), one session
# set-up, the program started alone and released by its -w file.

LTTNG_SUBBUF = "4M"      # the subbuffer size of run's lttng_runs() channel
SYS_CLOCK_NANOSLEEP = 230  # x86-64: glibc 2.36's usleep()


def _at_wait(pid):
    """Whether bench_threads' main thread sleeps in its -w poll (usleep):
    its constructors, lttng-ust's registration included, are done."""
    try:
        with open("/proc/%d/syscall" % pid) as f:
            return f.read().split()[0] == str(SYS_CLOCK_NANOSLEEP)
    except (OSError, IndexError):
        return False


def _registered(lt, pid):
    """Whether `lttng list -u` of the bench's session daemon lists pid."""
    out = lt.lttng("list", "-u").stdout
    return re.search(r"^\s*PID: %d - " % pid, out, re.M) is not None


def _wait_for(cond, timeout, what, proc):
    t0 = time.monotonic()
    while not cond():
        if proc.poll() is not None:
            raise Failed("%s: the program exited %d first: %s"
                         % (what, proc.returncode, _last_line(proc.stderr.read())))
        if time.monotonic() - t0 > timeout:
            raise Failed("%s: not within %d s" % (what, timeout))
        time.sleep(0.01)


def _lttng_loop(ctx, lt, name, program, events, calls, dwtrace, perf=None):
    """One run of PROGRAM 1 CALLS -w GO with LTTNG_UST_ALLOW_BLOCKING=1 in a
    session of lt's daemon (a blocking channel with LTTNG_SUBBUF subbuffers
    enabling EVENTS, started before the program).  With dwtrace, dwtrace
    --engine agent --lttng -p attaches and arms once the program waits.  The
    calls start when the program waits, is registered with the session
    daemon and (dwtrace) is armed; with perf, `perf record -o PERF -p` runs
    around them.  Returns (loop_ns, events babeltrace2 prints for EVENTS'
    provider, '' or babeltrace2's first line about discarded events)."""
    provider = events.split(":")[0]
    session = "%s-%d" % (name, calls)
    tracedir = lt.path("trace-" + session)
    workdir = tempfile.mkdtemp()
    go = os.path.join(workdir, "go")
    lt.lttng("create", session, "--output=" + tracedir)
    prog = d = rec = None
    try:
        lt.lttng("enable-channel", "-u", "--session=" + session, "--blocking-timeout=inf",
                 "--subbuf-size=" + LTTNG_SUBBUF, "chan")
        lt.lttng("enable-event", "-u", "--session=" + session, "-c", "chan", events)
        lt.lttng("start", session)
        prog = subprocess.Popen([program, "1", str(calls), "-w", go], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True,
                                env=dict(lt.env, LTTNG_UST_ALLOW_BLOCKING="1"))
        _wait_for(lambda: _at_wait(prog.pid), 30, "%s: waiting for the go file" % name, prog)
        if dwtrace:
            code = fastpath.Code(ctx.libmylib, ["my_traced_function"])
            d, _ = attach_armed(ctx, [ctx.dwtrace, "--engine", "agent", "--lttng", "-e",
                                      "my_traced_function", "-p", str(prog.pid)], prog.pid, code,
                                name, env=lt.env)
        _wait_for(lambda: _registered(lt, prog.pid), 30,
                  "%s: registered with the session daemon" % name, prog)
        if perf:
            rec = subprocess.Popen(["perf", "record", "-q", "-o", perf, "-p", str(prog.pid)],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(0.5)  # perf has opened its events
        open(go, "w").close()
        stdout, stderr = prog.communicate(timeout=600)
        if rec:
            rec.send_signal(signal.SIGINT)
            rec.wait(60)
        if d:
            _end(d)
        loop, agent = _bench_output(stdout, stderr, 1, calls, name)
        if dwtrace and not agent:
            raise Failed("the agent was not mapped into the program")
        lt.lttng("stop", session, timeout=300)
    finally:
        for p in (prog, d, rec):
            if p and p.poll() is None:
                p.kill()
                p.wait()
        lt.lttng("destroy", session, timeout=300)
        if os.path.exists(go):
            os.unlink(go)
        os.rmdir(workdir)
    bt = subprocess.run(["babeltrace2", tracedir], capture_output=True, text=True, env=lt.env,
                        timeout=600)
    if bt.returncode != 0:
        raise Failed("babeltrace2 %s exited %d: %s" % (tracedir, bt.returncode, _last_line(bt.stderr)))
    pattern = re.compile(r"^\[[^\]]*\] \([^)]*\) \S+ %s:my_traced_function_(entry|exit): "
                         % re.escape(provider))
    recorded = sum(1 for line in bt.stdout.splitlines() if pattern.match(line))
    lost = [l.strip() for l in bt.stderr.splitlines() if re.search(r"discarded", l, re.I)]
    return loop, recorded, lost[0][:100] if lost else ""


LTTNG_REPEAT = 3  # runs of each size per row, interleaved; the fastest counts


class _LttngRow:
    def __init__(self, name, program, events, dwtrace):
        self.name, self.program, self.events, self.dwtrace = name, program, events, dwtrace
        self.loops = {}      # calls -> [loop_ns of each run]
        self.recorded = None  # the fewest events of the runs of N calls
        self.lost = ""       # the first shortfall seen, in any run
        self.why = ""        # why the row failed

    def run(self, ctx, lt, calls):
        loop, recorded, discarded = _lttng_loop(ctx, lt, self.name, self.program, self.events, calls,
                                                self.dwtrace)
        self.loops.setdefault(calls, []).append(loop)
        if calls == ctx.n_fast:
            self.recorded = recorded if self.recorded is None else min(self.recorded, recorded)
        if (recorded != 2 * calls or discarded) and not self.lost:
            self.lost = "LOST %d of %d events in a run%s" % (
                2 * calls - recorded, 2 * calls, "; babeltrace2: " + discarded if discarded else "")


def lttng_rows(ctx, lt):
    """The compiled-in tracepoint (tests/lttng/bench_threads_tp, provider
    mylib_own) and dwtrace --lttng attached to bench_threads, both timed by
    the loop's own clock in sessions of lt's daemon.  Each row runs N and N/4
    calls LTTNG_REPEAT times, the two rows' runs interleaved so that a
    neighbour's load hits both alike; ns per call = (fastest N loop -
    fastest N/4 loop - the untraced loops' difference) / (3N/4).  Events:
    the fewest babeltrace2 counted in a run of N (2 per call expected); a
    shortfall or discarded events in any run are the row's note.  Appends
    both rows to ctx.rows and returns the tracepoint's ns per call (None
    when its row failed), the reference of the "x static tracepoint"
    column."""
    calls = ctx.n_fast
    small = calls // 4
    rows = [_LttngRow("LTTng-UST tracepoint, compiled in (bench_threads_tp), entry+exit",
                      ctx.bench_threads_tp, "mylib_own:*", False),
            _LttngRow("dwtrace --lttng, agent engine, attached (-p), entry+exit", ctx.bench_threads,
                      "dwtrace:*", True)]
    for r in rows:
        if r.dwtrace:
            r.why = agent_available(ctx) or ""
        elif not os.path.isfile(r.program):
            r.why = "%s was not built" % r.program
    for _ in range(LTTNG_REPEAT):
        for r in rows:
            if r.why:
                continue
            try:
                r.run(ctx, lt, small)
                r.run(ctx, lt, calls)
            except (Failed, harness.Failure, subprocess.TimeoutExpired) as e:
                r.why = str(e)
    static = None
    for r in rows:
        if r.why:
            ctx.rows.append((r.name, None, None, 2, "failed: %s" % r.why))
            continue
        plain = plain_loop(ctx, 1, calls) - plain_loop(ctx, 1, small)
        ns = ((min(r.loops[calls]) - min(r.loops[small])) - plain) / (calls - small)
        ctx.rows.append((r.name, ns, r.recorded, 2 * calls, r.lost))
        if not r.dwtrace:
            static = ns
    return static


def per_call_rows(ctx):
    """Rows of the per-call table, appended to ctx.rows."""
    _row(ctx, "dwtrace --engine ptrace, entry+exit (bench_threads, 1 thread)", 2,
         lambda: _per_call(ctx, "ptrace", 1, ctx.n_ptrace))
    _row(ctx, "dwtrace --engine agent, started, entry+exit", 2,
         lambda: _per_call(ctx, "agent", 1, ctx.n_fast))
    _row(ctx, "dwtrace --engine agent, attached (-p), entry+exit", 2,
         lambda: _attached(ctx, 1, ctx.n_fast))
    _row(ctx, "dwtrace --engine agent, entry only", 1, lambda: _entry_only(ctx))


# dwtrace's CLI has no entry-only probe: -e always probes the exits too.  When
# it gains one, put the dwtrace arguments that ask for it here.
ENTRY_ONLY_ARGS = None


def _entry_only(ctx):
    if ENTRY_ONLY_ARGS is None:
        raise Failed("no entry-only probe spec in dwtrace's CLI (-e probes entry and exit)")
    ns, events, expected = _per_call(ctx, "agent", 1, ctx.n_fast, ENTRY_ONLY_ARGS)
    return ns, events, expected // 2


def thread_rows(ctx):
    """[(threads, calls per thread, untraced loop ns, traced loop ns or None,
    events, expected, why)] for the agent, started, 1/4/16 threads; the total
    number of calls is the same in each."""
    rows = []
    for threads in (1, 4, 16):
        calls = ctx.n_fast // threads
        try:
            why = agent_available(ctx)
            if why:
                raise Failed(why)
            plain = plain_loop(ctx, threads, calls)
            loop, events, agent = traced_started(ctx, "agent", threads, calls)
            if not agent:
                raise Failed("the agent was not mapped into the program")
            rows.append((threads, calls, plain, loop, events, 2 * threads * calls, ""))
        except (Failed, subprocess.TimeoutExpired) as e:
            rows.append((threads, calls, None, None, None, 2 * threads * calls, "failed: %s" % e))
    return rows


def _max_gap(gaps, start, end):
    """The longest gap that overlaps [start, end] (a thread preempted just
    before dwtrace started and then stopped by it makes one gap)."""
    return max((length for t, length in gaps if t <= end and t + length >= start), default=0)


def pause_rows(ctx):
    """[(engine, probes, seconds to armed, attach pause s, detach pause s,
    quiet max gap s, why)]: the longest time pause_app's loop did not run
    while dwtrace attached (from its start until every probe was armed) and
    detached (from SIGINT until it exited)."""
    sets = [("mg_0000", 1, "mg_0000"), ("mg_00??", 100, "mg_0099"), ("mg_0???", 1000, "mg_0999"),
            ("mg_*", 10000, "mg_9999")]
    code = {n: fastpath.Code(ctx.libmany10k, ["mg_0000", last]) for _, n, last in sets}
    rows = []
    for engine in ("ptrace", "agent"):
        why = agent_available(ctx) if engine == "agent" else None
        for glob, n, _ in sets:
            if why:
                rows.append((engine, n, None, None, None, None, "failed: %s" % why))
                continue
            if engine == "ptrace" and n == 10000 and ctx.quick:
                rows.append((engine, n, None, None, None, None, "left out by --quick (about 15 s)"))
                continue
            prog = tracing.Running([ctx.pause_app])
            d = None
            try:
                prog.stdout.wait_for(r"^ready", 10, "pause_app")
                q0 = time.monotonic_ns()
                time.sleep(0.5)
                q1 = time.monotonic_ns()
                time.sleep(0.05)
                t0 = time.monotonic_ns()
                d, armed = attach_armed(ctx, [ctx.dwtrace, "--engine", engine, "-o", os.devnull,
                                              "-e", glob, "-p", str(prog.pid)], prog.pid, code[n],
                                        "%s, %d probes" % (engine, n))
                t1 = time.monotonic_ns()
                time.sleep(0.3)
                t2 = time.monotonic_ns()
                d.send_signal(signal.SIGINT)
                d.wait(120)
                t3 = time.monotonic_ns()
                time.sleep(0.05)
                prog.proc.send_signal(signal.SIGTERM)
                prog.wait(10, "pause_app")
                gaps = [(int(m.group(1)), int(m.group(2))) for m in
                        (re.match(r"^gap (\d+) (\d+)$", l) for l in prog.stdout.text().splitlines()) if m]
                quiet = _max_gap(gaps, q0, q1)
                rows.append((engine, n, armed, _max_gap(gaps, t0, t1) / 1e9, _max_gap(gaps, t2, t3) / 1e9,
                             quiet / 1e9, ""))
            except (Failed, harness.Failure, subprocess.TimeoutExpired) as e:
                rows.append((engine, n, None, None, None, None, "failed: %s" % e))
            finally:
                prog.kill()
                if d and d.poll() is None:
                    d.kill()
                    d.wait()
    return rows


def pass_through_row(ctx):
    """(ns per call after dwtrace was SIGKILLed, untraced ns per call, why):
    bench_threads waits for a file; dwtrace --engine agent -p arms; SIGKILL;
    one second for the agent's watchdog; then the calls run."""
    calls = ctx.n_fast
    try:
        why = agent_available(ctx)
        if why:
            raise Failed(why)
        workdir = tempfile.mkdtemp()
        go = os.path.join(workdir, "go")
        prog = subprocess.Popen([ctx.bench_threads, "1", str(calls), "-w", go],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            time.sleep(0.1)
            code = fastpath.Code(ctx.libmylib, ["my_traced_function"])
            d, _ = attach_armed(ctx, [ctx.dwtrace, "--engine", "agent", "-o", os.devnull, "-e",
                                      "my_traced_function", "-p", str(prog.pid)], prog.pid, code,
                                "pass-through")
            d.kill()
            d.wait()
            time.sleep(1)
            if not code.patched(prog.pid):
                raise Failed("the probe was removed when dwtrace died: nothing to measure")
            open(go, "w").close()
            stdout, stderr = prog.communicate(timeout=600)
            if prog.returncode != 0:
                raise Failed("bench_threads exited %d after dwtrace was killed" % prog.returncode)
            loop, agent = _bench_output(stdout, stderr, 1, calls, "pass-through")
            if not agent:
                raise Failed("the agent was not mapped into the program")
        finally:
            if prog.poll() is None:
                prog.kill()
                prog.wait()
            if os.path.exists(go):
                os.unlink(go)
            os.rmdir(workdir)
        return loop / calls, plain_loop(ctx, 1, calls) / calls, ""
    except (Failed, harness.Failure, subprocess.TimeoutExpired) as e:
        return None, None, "failed: %s" % e


def print_tables(ctx, static_ns):
    """Runs the thread, pause and pass-through measurements and prints their
    tables (the per-call rows are in run's main table)."""
    print()
    print("| agent, started, threads | calls/thread | untraced loop | traced loop | "
          "ns/call (x min(threads, cpus)) | x static tracepoint | events recorded / expected |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    cpus = os.cpu_count() or 1
    for threads, calls, plain, loop, events, expected, why in thread_rows(ctx):
        if why:
            print("| %d | %d | — | — | — | — | %s |" % (threads, calls, why))
            continue
        ns = (loop - plain) * min(threads, cpus) / (threads * calls)
        print("| %d | %d | %.1f ms | %.1f ms | %.0f | %s | %d / %d |"
              % (threads, calls, plain / 1e6, loop / 1e6, ns,
                 "%.2f" % (ns / static_ns) if static_ns else "", events, expected))
    print()
    print("| stop-the-world pause (pause_app) | probes | dwtrace start to armed | "
          "longest pause, attach | longest pause, detach | longest gap, 0.5 s untraced |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for engine, n, armed, attach, detach, quiet, why in pause_rows(ctx):
        if why:
            print("| --engine %s | %d | — | — | — | %s |" % (engine, n, why))
            continue
        print("| --engine %s | %d | %.0f ms | %.1f ms | %.1f ms | %.1f ms |"
              % (engine, n, armed * 1e3, attach * 1e3, detach * 1e3, quiet * 1e3))
    ns, plain, why = pass_through_row(ctx)
    print()
    if why:
        print("Pass-through after dwtrace was SIGKILLed (agent): %s" % why)
    else:
        print("Pass-through after dwtrace was SIGKILLed (agent): %.1f ns per call, untraced %.1f ns "
              "(+%.1f ns)" % (ns, plain, ns - plain))
