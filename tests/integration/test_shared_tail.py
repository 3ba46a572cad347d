#!/usr/bin/env python3
"""test_shared_tail.py O0|O2: exits of functions that run on in another
function's code (shared_tail_app, shared_tail.S).

st_f jumps into the middle of st_g (not its entry): that is no tail call,
st_f's call ends at the return reached in st_g's code and shows the value
there.  st_f2 runs off its end into st_g2: alone it shows st_g2's result as
its own; with st_g2 probed too it ends as a tail call to st_g2 (as a jump to
a probed function's entry does), followed by st_g2's own call.  st_g and
st_g2 called directly (also while an st_f call is in flight, from its
callback) end only their own calls.  glibc's mempcpy jumps into memmove's
body: each mempcpy exit has a return value, dest + n, and the call the
program makes returns what it printed (on stderr, with the addresses);
memmove's own calls end no mempcpy call.  strcasecmp's implementations run
into strcasecmp_l's: alone, its exit shows the value the program printed;
with strcasecmp_l probed too, it may end as a tail call to strcasecmp_l, whose
exit then shows that value (raw: an int in eax).  st_far jumps into more of st_big's
code than dwtrace follows (the bound): its exit stays a tail call to
st_big+OFFSET, where OFFSET is the jump's target (from objdump).

Every value comes from the program's prints; the program's output and exit
status must be those of an untraced run.
"""

import re
import subprocess
import sys

import exits
import harness
from harness import fail

LINE = re.compile(r"^(st_\w+)\(([-\d, ]+)\) = (-?\d+)$")
MEMPCPY = re.compile(r"^mempcpy\((0x[0-9a-f]+), (0x[0-9a-f]+), (\d+)\) returned (0x[0-9a-f]+)$", re.M)
TAIL = "tail"


def results(stdout, where):
    """{(function, args...): result} from the program's lines."""
    got = {}
    for line in stdout.splitlines():
        m = LINE.match(line)
        if m:
            got[(m.group(1),) + tuple(int(a) for a in m.group(2).split(","))] = int(m.group(3))
    if len(got) != 11:
        fail("%s: shared_tail_app printed %d st_* results, expected 11:\n%s" % (where, len(got), stdout))
    return got


def far_target(app):
    """Where st_far jumps, as "st_big+0xN" (objdump)."""
    dis = subprocess.run(["objdump", "-d", "--no-show-raw-insn", app], capture_output=True, text=True,
                         timeout=60).stdout
    body = dis.split("<st_far>:", 1)[1].split("\n\n", 1)[0] if "<st_far>:" in dis else ""
    m = re.search(r"\bjmp\s+[0-9a-f]+ <(st_big\+0x[0-9a-f]+)>", body)
    if not m:
        fail("objdump -d %s shows no jump of st_far into st_big:\n%s" % (app, body))
    return m.group(1)


def expected_events(r, probed, far):
    """The events of the calls main makes (shared_tail_app.c), in order,
    for the probed functions: (type, function, args | retval | (TAIL, to))."""
    ev = []

    def call(fn, args, inner=()):
        if fn in probed:
            ev.append(("entry", fn, list(args)))
        for step in inner:
            step()
        if fn in probed:
            ev.append(("exit", fn, r[(fn,) + tuple(args)]))

    def f2(a):
        if "st_f2" in probed and "st_g2" in probed:
            ev.append(("entry", "st_f2", [a]))
            ev.append(("exit", "st_f2", (TAIL, "st_g2")))
            ev.append(("entry", "st_g2", [a + 7]))
            ev.append(("exit", "st_g2", r[("st_f2", a)]))
        elif "st_g2" in probed:
            # st_g2's entry is reached without a call of it.
            ev.append(("entry", "st_g2", [a + 7]))
            ev.append(("exit", "st_g2", r[("st_f2", a)]))
        else:
            call("st_f2", [a])

    call("st_g", [5, 2])
    call("st_g", [-2000, 1])
    call("st_f", [4, 10])
    call("st_f", [-20, 3], [lambda: call("st_g", [-20, 1])])
    call("st_f", [6, 1], [lambda: f2(6)])
    f2(3)
    call("st_g2", [3])
    call("st_big", [4])
    if "st_far" in probed:
        ev += [("entry", "st_far", [4]), ("exit", "st_far", (TAIL, far))]
    return ev


def event_value(ev, where):
    if ev["type"] == "entry":
        # st_f's third argument (the callback) is not printed by the program.
        return [v for v in ev["args"].values()][:2 if ev["function"] == "st_f" else None]
    if "tail_call" in ev:
        if "retval" in ev:
            fail("%s: a tail call's exit event has a retval: %s" % (where, ev))
        return (TAIL, ev["tail_call"])
    if "retval" not in ev:
        fail("%s: an exit event without retval or tail_call: %s" % (where, ev))
    return ev["retval"]


def check_st(app, r, far, patterns, probed, where):
    plain, traced, path = harness.check_unharmed([app], ["--format", "json"] + patterns)
    events = harness.read_events(path)
    got = []
    for i, ev in enumerate(events):
        harness.check_event_fields(ev, "%s, event #%d" % (where, i))
        got.append((ev["type"], ev["function"], event_value(ev, where)))
    expected = expected_events(r, probed, far)
    harness.check_sequence(where, expected, got)
    exits.check_left(traced.stderr, where, 0)
    return len(events)


def check_text(app, r, where):
    """st_f's exits in text show the values, never a tail call."""
    plain, traced, path = harness.check_unharmed([app], ["-e", "st_f"])
    lines = [l for l in harness.text_event_lines(harness.read_text(path)) if " → " in l]
    want = [r[("st_f", 4, 10)], r[("st_f", -20, 3)], r[("st_f", 6, 1)]]
    vals = [re.search(r" st_f → (-?\d+) <\d+\.\d{9}>$", l) for l in lines]
    if not all(vals) or [int(m.group(1)) for m in vals] != want:
        fail("%s: expected st_f exit lines with %s, got:\n%s" % (where, want, "\n".join(lines)))


def pointer(v):
    return int(v, 16) if isinstance(v, str) else v


def check_mempcpy(app, patterns, where):
    plain, traced, path = harness.check_unharmed([app], ["--format", "json"] + patterns)
    m = MEMPCPY.search(traced.stderr)
    if not m:
        fail("%s: shared_tail_app did not print its mempcpy call on stderr\n%s"
             % (where, harness.describe(traced)))
    dst, src, n, ret = (int(g, 0) for g in m.groups())
    if ret != dst + n:
        fail("%s: the program's own mempcpy returned %#x for dest %#x, n %d" % (where, ret, dst, n))
    events = [ev for ev in harness.read_events(path) if ev["function"] == "mempcpy"]
    calls, dropped = exits.pair_with_drops(events, where)
    if dropped or not calls:
        fail("%s: %d mempcpy calls got no exit event (of %d)" % (where, dropped, len(calls) + dropped))
    mine = []
    for entry, exit_ in calls:
        if "tail_call" in exit_ or "retval" not in exit_:
            fail("%s: a mempcpy exit without its return value: %s" % (where, exit_))
        args = [pointer(v) for v in entry["args"].values()]
        if pointer(exit_["retval"]) != args[0] + args[2]:
            fail("%s: mempcpy%s returned %s, not dest + n" % (where, tuple(entry["args"].values()),
                                                               exit_["retval"]))
        if args[0] == dst:
            mine.append((args, pointer(exit_["retval"])))
    # memmove(dst, src, 6) before it must not show up as a mempcpy call.
    if mine != [([dst, src, n], ret)]:
        fail("%s: expected one mempcpy(%#x, %#x, %d) = %#x, got %s" % (where, dst, src, n, ret, mine))
    exits.check_left(traced.stderr, where, 0)
    return len(events)


def int32(v):
    v &= 0xffffffff
    return v - (1 << 32) if v & 0x80000000 else v


def check_strcasecmp(app, printed, where):
    plain, traced, path = harness.check_unharmed([app], ["--format", "json", "-e", "strcasecmp"])
    got = [(ev["type"], ev.get("retval", ev.get("tail_call"))) for ev in harness.read_events(path)]
    if got != [("entry", None), ("exit", printed)]:
        fail("%s: expected strcasecmp's entry and its exit = %d, got %s" % (where, printed, got))
    plain, traced, path = harness.check_unharmed(
        [app], ["--format", "json", "-e", "strcasecmp", "-e", "strcasecmp_l"])
    got = [(ev["type"], ev["function"], ev.get("tail_call"), ev.get("retval"))
           for ev in harness.read_events(path)]
    direct = [("entry", "strcasecmp", None, None), ("exit", "strcasecmp", None, printed)]
    tail = [("entry", "strcasecmp", None, None), ("exit", "strcasecmp", "strcasecmp_l", None),
            ("entry", "strcasecmp_l", None, None)]
    if got != direct and not (len(got) == 4 and got[:3] == tail and got[3][:3] == ("exit", "strcasecmp_l", None)
                              and isinstance(got[3][3], int) and int32(got[3][3]) == printed):
        fail("%s: with strcasecmp_l probed too, expected %s or %s + its exit = %d, got %s"
             % (where, direct, tail, printed, got))
    exits.check_left(traced.stderr, where, 0)


def main():
    opt = harness.opt_level(sys.argv)
    where = "shared_tail (%s)" % opt
    app = harness.sample(opt, "shared_tail_app")
    plain_out = harness.run_ok([app]).stdout
    r = results(plain_out, where)
    far = far_target(app)
    n = 0
    n += check_st(app, r, far, ["-e", "st_*"], {"st_f", "st_g", "st_f2", "st_g2", "st_big", "st_far"},
                  where + ", st_*")
    n += check_st(app, r, far, ["-e", "st_f", "-e", "st_f2"], {"st_f", "st_f2"}, where + ", st_f st_f2")
    n += check_st(app, r, far, ["-e", "st_g", "-e", "st_g2"], {"st_g", "st_g2"}, where + ", st_g st_g2")
    check_text(app, r, where)
    n += check_mempcpy(app, ["-e", "mempcpy"], where + ", mempcpy")
    n += check_mempcpy(app, ["-e", "mempcpy", "-e", "memmove"], where + ", mempcpy memmove")
    m = re.search(r"^strcasecmp\(Shared, SHARP\) = (-?\d+)$", plain_out, re.M)
    if not m:
        fail("%s: shared_tail_app printed no strcasecmp result:\n%s" % (where, plain_out))
    check_strcasecmp(app, int(m.group(1)), where + ", strcasecmp")
    print("%s: ok, %d events" % (where, n))


if __name__ == "__main__":
    harness.main(main)
