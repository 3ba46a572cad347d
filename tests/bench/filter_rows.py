#!/usr/bin/env python3
"""The benchmark's --filter table (issue 14): what a call costs when a
--filter rejects every call, against the same run with no filter, for
--engine ptrace and --engine agent, in one run on one machine.

The loop is samples/bench_threads.c (1 thread), timed by its own clock
(start-up, attaching and tear-down left out), minus the untraced loop;
the filter is FILTER_REJECT_ALL, which no call of my_traced_function(42,
...) satisfies; events are written as JSON to a file.  With the agent engine the filter runs in the program
(src/agent/filter_run.c) and a rejected call writes no record at its
entry nor at its exit; with ptrace every call still stops the program
twice and dwtrace decides.  "filtered in the program" is dwtrace's own
count ("N calls filtered out in the program"), checked against the
calls made.

Used by tests/bench/run; alone: tests/bench/filter_rows.py [--quick]
(the build in $BENCH_BUILD, else ./build-bench as run makes it).
"""

import os
import re
import subprocess
import sys
import tempfile

# my_traced_function's first argument is 42 in every call of bench_threads.
FILTER_REJECT_ALL = "arg1 < 0"


class Failed(Exception):
    pass


def _traced(ctx, agent_rows, engine, calls, extra):
    """(loop_ns, events in the output, calls dwtrace says it filtered in
    the program, agent mapped?) of bench_threads 1 CALLS under dwtrace."""
    with tempfile.NamedTemporaryFile(suffix=".events") as out:
        # JSON: one line per event (text joins an entry and its exit).
        cmd = [ctx.dwtrace, "--engine", engine, "--format", "json", "-o", out.name] + list(extra) + [
            "-e", "my_traced_function", "--", ctx.bench_threads, "1", str(calls)]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
        if r.returncode != 0:
            raise Failed("dwtrace exited %d: %s" % (r.returncode, (r.stderr.strip().splitlines() or ["?"])[-1]))
        loop, agent = agent_rows._bench_output(r.stdout, r.stderr, 1, calls, "traced")
        with open(out.name, errors="replace") as f:
            events = sum(1 for line in f if "my_traced_function" in line)
    m = re.search(r"^dwtrace: (\d+) calls? filtered out in the program$", r.stderr, re.M)
    return loop, events, int(m.group(1)) if m else 0, agent


def filter_rows(ctx, agent_rows):
    """[(engine, calls, ns/call without filter, events, ns/call rejecting all,
    events, filtered in the program, why)]."""
    rows = []
    for engine in ("ptrace", "agent"):
        calls = ctx.n_ptrace if engine == "ptrace" else ctx.n_fast
        try:
            if engine == "agent":
                why = agent_rows.agent_available(ctx)
                if why:
                    raise Failed(why)
            plain = agent_rows.plain_loop(ctx, 1, calls)
            loop0, ev0, _, agent0 = _traced(ctx, agent_rows, engine, calls, ())
            loop1, ev1, filtered, agent1 = _traced(ctx, agent_rows, engine, calls,
                                                   ("--filter", FILTER_REJECT_ALL))
            if engine == "agent" and not (agent0 and agent1):
                raise Failed("the agent was not mapped into the program")
            rows.append((engine, calls, (loop0 - plain) / calls, ev0, (loop1 - plain) / calls, ev1, filtered, ""))
        except (Failed, agent_rows.Failed, subprocess.TimeoutExpired) as e:
            rows.append((engine, calls, None, None, None, None, None, "failed: %s" % e))
    return rows


def print_table(ctx, agent_rows):
    print()
    print("| --filter '%s' (rejects every call) | calls | ns/call, no filter | events | "
          "ns/call, filter | events | filtered in the program | filter / no filter |" % FILTER_REJECT_ALL)
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for engine, calls, ns0, ev0, ns1, ev1, filtered, why in filter_rows(ctx, agent_rows):
        if why:
            print("| --engine %s | %d | — | — | — | — | — | %s |" % (engine, calls, why))
            continue
        print("| --engine %s | %d | %.0f | %d / %d | %.0f | %d / 0 | %d / %d | %.2f |"
              % (engine, calls, ns0, ev0, 2 * calls, ns1, ev1, filtered,
                 calls if engine == "agent" else 0, ns1 / ns0 if ns0 > 0 else float("nan")))


def main():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    sys.path.insert(0, os.path.join(root, "tests", "integration"))
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    build = os.environ.get("BENCH_BUILD") or os.path.join(root, "build-bench")
    if not os.environ.get("BENCH_BUILD"):
        subprocess.run(["cmake", "-S", root, "-B", build, "-DCMAKE_BUILD_TYPE=Release"], check=True,
                       stdout=subprocess.DEVNULL)
        subprocess.run(["cmake", "--build", build, "-j2"], check=True, stdout=subprocess.DEVNULL)
    build = os.path.abspath(build)
    os.environ.setdefault("DWTRACE", os.path.join(build, "dwtrace"))
    os.environ.setdefault("SAMPLES", os.path.join(build, "samples"))
    import agent_rows
    quick = "--quick" in sys.argv[1:]
    ctx = agent_rows.Context(os.environ["DWTRACE"], os.environ["SAMPLES"], quick,
                             200_000 if quick else 2_000_000, 8_000 if quick else 40_000, [])
    print("dwtrace --filter benchmark%s, build %s" % (" (quick)" if quick else "", build))
    print_table(ctx, agent_rows)


if __name__ == "__main__":
    main()
