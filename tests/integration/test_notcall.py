#!/usr/bin/env python3
"""test_notcall.py O0|O2 CASE: probes on functions that are not entered or
not left like an ordinary call.  Each case runs a program alone and under
dwtrace (harness.check_unharmed: same stdout, same exit status) and checks
the events:

  start      -e _start on notcall_app: the entry point has argc at [rsp]
             and no return address; argc and argv print unchanged; one entry
             event, no exit.
  resolve    -e '_dl_runtime_resolve*' on notcall_app, linked -z lazy (checked
             with readelf) and run without LD_BIND_NOW: the lazy binding
             trampoline's stack is not a call frame.  The names come from nm
             on ld.so's separate debug file (libc6-dbg); at least one entry
             per lazily bound function main calls first (5 at least).
  restore_rt -e __restore_rt on signals_app: the signal trampoline is
             returned to, not called; one entry per signal handler that
             returned (the program's counts alrm + chld + usr1 + trap; its
             SIGSEGV handlers leave by siglongjmp), no exit.
  setjmp     -e _setjmp -e __sigsetjmp -e setjmp -e longjmp on longjmp_app:
             functions that return twice or never; dwtrace's stderr stays
             short (no warning flood), longjmp has entries (one per jump the
             program says it made) and no exit.
  undecodable  -e nc_odd on notcall_app: its extent holds a byte that is no
             instruction, so it gets entry events only (5) and a warning
             containing "entry events only".
  noreturn   -e nc_finish on notcall_app: marked noreturn in DWARF; one
             entry, no exit; the program's status 3 passes through.
  reentry    -e nc_loop on notcall_app: it jumps back to its own entry, yet
             each call is one entry and one exit with the printed value.
"""

import os
import re
import sys

import exits
import harness
from harness import fail

NC_ARGS = ["one", "two words", "", "--three"]
MAX_STDERR_LINES = 20


def env_without_bind_now():
    env = dict(os.environ)
    env.pop("LD_BIND_NOW", None)
    return env


def check_stderr_short(traced, where):
    lines = harness.stderr_lines(traced)
    if len(lines) >= MAX_STDERR_LINES:
        fail("%s: dwtrace wrote %d lines on stderr, expected fewer than %d; the first:\n%s"
             % (where, len(lines), MAX_STDERR_LINES, "\n".join(lines[:10])))


def case_start(opt, where):
    app = harness.sample(opt, "notcall_app")
    plain, traced, path = harness.check_unharmed([app] + NC_ARGS, ["-F", "json", "-e", "_start"])
    if "argc: %d\n" % (len(NC_ARGS) + 1) not in plain.stdout:
        fail("%s: notcall_app did not print its argc\n%s" % (where, harness.describe(plain)))
    exits.check_entries_only(harness.read_events(path), where, "_start", 1)
    check_stderr_short(traced, where)


def resolver_names():
    """The _dl_runtime_resolve* functions of ld.so, from nm on its debug file."""
    ldso = os.path.realpath("/lib64/ld-linux-x86-64.so.2")
    notes = harness.run_ok(["readelf", "-n", ldso]).stdout
    m = re.search(r"Build ID: ([0-9a-f]{2})([0-9a-f]+)", notes)
    if not m:
        fail("readelf -n %s shows no build ID" % ldso)
    debug = "/usr/lib/debug/.build-id/%s/%s.debug" % (m.group(1), m.group(2))
    if not os.path.isfile(debug):
        fail("%s (ld.so's debug file) is missing: install libc6-dbg" % debug)
    names = set(re.findall(r"\s(_dl_runtime_resolve\w*)$", harness.run_ok(["nm", debug]).stdout,
                           re.M))
    if not names:
        fail("nm %s finds no _dl_runtime_resolve* function" % debug)
    return names


def case_resolve(opt, where):
    app = harness.sample(opt, "notcall_app")
    dynamic = harness.run_ok(["readelf", "-dW", app]).stdout
    if re.search(r"\(BIND_NOW\)|\(FLAGS\).*\bNOW\b|\(FLAGS_1\).*\bNOW\b", dynamic):
        fail("%s: %s is not lazily bound:\n%s" % (where, app, dynamic))
    names = resolver_names()
    plain, traced, path = harness.check_unharmed(
        [app] + NC_ARGS, ["-F", "json", "-e", "_dl_runtime_resolve*"], env=env_without_bind_now())
    events = harness.read_events(path)
    entries = [ev for ev in events if ev["type"] == "entry"]
    if len(entries) < 5:
        fail("%s: %d entries of the resolver, expected one per lazily bound call (5 at least)"
             % (where, len(entries)))
    for ev in entries:
        if ev["function"] not in names:
            fail("%s: entry of %s, not one of ld.so's %s" % (where, ev["function"], sorted(names)))
    check_stderr_short(traced, where)


def case_restore_rt(opt, where):
    app = harness.sample(opt, "signals_app")
    plain, traced, path = harness.check_unharmed([app], ["-F", "json", "-e", "__restore_rt"])
    m = re.search(r"^alrm=(\d+) chld=(\d+) usr1=(\d+) trap=(\d+) segv=(\d+)", plain.stdout, re.M)
    if plain.returncode != 0 or not m:
        fail("%s: unexpected untraced run\n%s" % (where, harness.describe(plain)))
    returned = sum(int(m.group(i)) for i in range(1, 5))
    exits.check_entries_only(harness.read_events(path), where, "__restore_rt", returned)
    check_stderr_short(traced, where)


def case_setjmp(opt, where):
    app = harness.sample(opt, "longjmp_app")
    plain, traced, path = harness.check_unharmed(
        [app], ["-F", "json", "-e", "_setjmp", "-e", "__sigsetjmp", "-e", "setjmp", "-e", "longjmp"])
    check_stderr_short(traced, where)
    jumps = len(re.findall(r"^# (sig)?longjmp from", plain.stdout, re.M))
    events = harness.read_events(path)
    n_in = exits.count(events, "entry", "longjmp")
    if n_in < jumps or exits.count(events, "exit", "longjmp"):
        fail("%s: %d entries and %d exits of longjmp; the program jumped %d times and longjmp "
             "never returns" % (where, n_in, exits.count(events, "exit", "longjmp"), jumps))
    if exits.count(events, "entry", "__sigsetjmp") < jumps:
        fail("%s: %d entries of __sigsetjmp, fewer than the program's %d jumps"
             % (where, exits.count(events, "entry", "__sigsetjmp"), jumps))


def case_undecodable(opt, where):
    app = harness.sample(opt, "notcall_app")
    plain, traced, path = harness.check_unharmed([app] + NC_ARGS, ["-F", "json", "-e", "nc_odd"])
    calls = len(re.findall(r"^nc_odd\(-?\d+\) = -?\d+$", plain.stdout, re.M))
    exits.check_entries_only(harness.read_events(path), where, "nc_odd", calls)
    warnings = [l for l in harness.stderr_lines(traced) if "entry events only" in l]
    if len(warnings) != 1 or "nc_odd" not in warnings[0]:
        fail("%s: expected one warning naming nc_odd and saying 'entry events only'\n%s"
             % (where, harness.describe(traced)))
    check_stderr_short(traced, where)


def case_reentry(opt, where):
    """nc_loop jumps back to its own first instruction: each call is one
    entry and one exit with the value the program printed, however many
    times the entry breakpoint is passed."""
    app = harness.sample(opt, "notcall_app")
    plain, traced, path = harness.check_unharmed([app] + NC_ARGS, ["-F", "json", "-e", "nc_loop"])
    calls = [(int(n), int(r)) for n, r in re.findall(r"^nc_loop\((\d+), 0\) = (\d+)$", plain.stdout, re.M)]
    if len(calls) != 3:
        fail("%s: notcall_app printed %d nc_loop lines, expected 3\n%s" % (where, len(calls), harness.describe(plain)))
    events = [e for e in harness.read_events(path) if e["function"] == "nc_loop"]
    got = [(e["type"], e.get("retval")) for e in events]
    want = []
    for n, r in calls:
        want += [("entry", None), ("exit", r)]
    if got != want:
        fail("%s: nc_loop events %s, expected %s" % (where, got, want))
    exits.check_left(traced.stderr, where, 0)
    check_stderr_short(traced, where)


def case_noreturn(opt, where):
    app = harness.sample(opt, "notcall_app")
    plain, traced, path = harness.check_unharmed([app] + NC_ARGS, ["-F", "json", "-e", "nc_finish"])
    if plain.returncode != 3:
        fail("%s: notcall_app exits with %s untraced, expected 3" % (where, plain.returncode))
    exits.check_entries_only(harness.read_events(path), where, "nc_finish", 1)
    check_stderr_short(traced, where)


CASES = {
    "start": case_start,
    "resolve": case_resolve,
    "restore_rt": case_restore_rt,
    "setjmp": case_setjmp,
    "undecodable": case_undecodable,
    "noreturn": case_noreturn,
    "reentry": case_reentry,
}


def test(argv):
    opt = harness.opt_level(argv)
    if len(argv) != 3 or argv[2] not in CASES:
        fail("usage: %s O0|O2 %s" % (os.path.basename(argv[0]), "|".join(CASES)))
    where = "%s (%s)" % (argv[2], opt)
    CASES[argv[2]](opt, where)
    print("%s: ok" % where)


if __name__ == "__main__":
    harness.main(lambda: test(sys.argv))
