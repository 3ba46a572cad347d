#!/usr/bin/env python3
"""Frames left or read other than by a plain return (FASTPATH.md test list),
samples/unwind_paths.cc with every up_* function traced: a C++ throw through
3 traced frames, longjmp out of 5, siglongjmp from a handler, pthread_exit and
pthread_cancel from a traced frame, recursion 10 000 deep, backtrace() and
__builtin_return_address in a traced frame, a traced function called from a
SIGALRM handler, fork / vfork+exec / posix_spawn children, dlsym(RTLD_NEXT)
from a traced frame, char * arguments to unmapped and PROT_NONE memory.

The oracle is the program itself: its output (which names the frames it
unwinds, the exception it caught, ...) and exit status equal an untraced run,
and the events count the calls the program made, with their arguments and
results.

usage: test_fastpath_unwind.py O0|O2
"""

import collections
import sys

import harness
import tracing
from harness import fail

# (function, entries, exits) that the program makes in its main process; the
# frames left by throw/longjmp/siglongjmp/pthread_exit/cancel have no exit.
# up_main_work runs until 50 SIGALRMs arrived: any number >= 1.
COUNTS = {
    "up_throw3": (2, 1), "up_throw2": (2, 1), "up_throw1": (2, 1),
    "up_lj": (5, 0), "up_sig_wait": (1, 0), "up_thread_exit": (1, 0),
    "up_cancel_wait": (1, 0), "up_rec": (10001, 10001), "up_bt": (1, 1),
    "up_bt_caller": (1, 1), "up_in_handler": (50, 50), "up_dlsym": (1, 1),
    "up_str": (3, 3),
}


def test(opt):
    app = harness.sample(opt, "unwind_paths")
    plain, traced, path = harness.check_unharmed([app], ["-F", "json", "-e", "up_*"], timeout=120)
    where = "unwind_paths " + opt
    for line in ("throw: caught 'thrown in up_throw1'", "longjmp: setjmp returned 7",
                 "stack: backtrace: up_bt < up_bt_caller, main reached",
                 "stack: return address in up_bt_caller, backtrace agrees: yes",
                 "rtld_next: dlsym(RTLD_NEXT, \"getpid\") works",
                 "handler: up_in_handler called 50 times"):
        if line not in plain.stdout.splitlines():
            fail("%s: the untraced program did not print %r (the sample is broken)\n%s"
                 % (where, line, plain.stdout))
    events = harness.read_events(path)
    tracing.check_summary(traced.stderr, where, len(events))
    main_pid = min(ev["pid"] for ev in events)
    count = collections.Counter((ev["function"], ev["type"]) for ev in events if ev["pid"] == main_pid)
    for fn, (entries, exits) in COUNTS.items():
        got = (count[(fn, "entry")], count[(fn, "exit")])
        if got != (entries, exits):
            fail("%s: %s has %d entries and %d exits, the program made %d calls of which "
                 "%d returned" % (where, fn, got[0], got[1], entries, exits))
    if count[("up_main_work", "entry")] < 1 or count[("up_main_work", "entry")] != count[("up_main_work", "exit")]:
        fail("%s: up_main_work: %d entries, %d exits" % (where, count[("up_main_work", "entry")],
                                                        count[("up_main_work", "exit")]))
    # The children run up_child only without -f: the parent traces none of it.
    if any(ev["function"] == "up_child" for ev in events if ev["pid"] == main_pid):
        fail("%s: up_child events from the parent, which never calls it" % where)

    calls, _ = tracing.pair_calls([ev for ev in events if ev["pid"] == main_pid], where, nested=True)
    handler_args = []
    for entry, exit in calls:
        fn, args = entry["function"], entry["args"]
        w = "%s: %s%s" % (where, fn, args)
        if fn == "up_rec":
            tracing.check_retval(entry, exit, args["n"] * (args["n"] + 1) // 2, w)
        elif fn == "up_in_handler":
            handler_args.append(args["k"])
            tracing.check_retval(entry, exit, args["k"] + 1, w)
        elif fn == "up_main_work":
            tracing.check_retval(entry, exit, args["i"] * 2, w)
        elif fn == "up_bt_caller":
            tracing.check_retval(entry, exit, 2, w)
        elif fn == "up_str":
            tracing.check_retval(entry, exit, args["n"] * 2, w)
            # unmapped: unreadable; PROT_NONE: unreadable for the agent,
            # a page of zeros ("") for ptrace, which reads through it.
            allowed = (None,) if args["n"] in (7, 9) else (None, "")
            if args["s"] not in allowed:
                fail("%s: s is %r, expected one of %s" % (w, args["s"], allowed))
    if handler_args != list(range(50)):
        fail("%s: up_in_handler called with %s, expected 0..49 in order" % (where, handler_args))


if __name__ == "__main__":
    harness.main(test, harness.opt_level(sys.argv))
