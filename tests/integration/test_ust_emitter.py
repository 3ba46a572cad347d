#!/usr/bin/env python3
"""test_ust_emitter.py: the in-process LTTng emitter (libdwtrace-ust.so) end
to end, without dwtrace or the agent: tests/lttng/ust_emit_tool plays both
(a stand-in agent region and mailbox, a hand-built description blob of
dwtest:f_entry and dwtest:f_exit, hand-built records with the values this
test chooses) while a session of the test's own session daemon records.

1. Mailbox: the blob registers (slots 1 and 2); sent again, the same slots;
   f_entry with other fields: slot 0 and the error "event dwtest:f_entry was
   registered earlier with other fields; use another --provider"; a corrupt
   blob and one larger than the mailbox: -EINVAL (-22) with a reason.
2. Events: babeltrace2 shows every event with the values the records hold
   (int32 from rdi, hex uint64 from rsi, double from xmm0, a char * string
   from the record's blob, an enumeration, a char[8] from the stack, the
   return value from rax, duration_ns as passed), the CTF metadata declares
   the types of the description, and the contexts are the tool's own
   (vpid = its pid, procname, vtid = its thread, ip = the address passed).
3. A filter on payload fields and $ctx.procname keeps exactly the matching
   events.
"""

import os
import re

import harness
import lttng_harness as lh
from harness import fail

CALLS = 100
PROVIDER = "dwtest"
A, B, C, S, E, T, RET, DURATION, IP = (-42, 0xDEADBEEFCAFE1234, 2.5, "hello dwtrace", 1, "abc", 7,
                                       123456, 0x401000)


def tool():
    return lh.test_program("ust_emit_tool")


def emitter():
    path = os.path.join(os.path.dirname(harness.dwtrace()), "libdwtrace-ust.so")
    if not os.path.isfile(path):
        fail("%s is not built" % path)
    return path


def run_tool(lt, *args):
    result = lt.run([tool(), emitter(), PROVIDER] + [str(a) for a in args])
    if result.returncode != 0:
        fail("ust_emit_tool failed\n" + harness.describe(result))
    return result


def check_mailbox(lt):
    out = run_tool(lt, "check").stdout
    expect = [
        r"^register 0 slots 1 2$",
        r"^again 0 slots 1 2$",
        r"^other -17 slots 0 2 error event dwtest:f_entry was registered earlier with other fields; "
        r"use another --provider$",
        r"^corrupt -22 error \S.*$",
        r"^huge -22 error \S.*$",
    ]
    lines = out.splitlines()
    if len(lines) != len(expect) or not all(re.match(e, l) for e, l in zip(expect, lines)):
        fail("mailbox requests: got\n%s\nexpected lines matching\n%s" % (out, "\n".join(expect)))


def values(a):
    return [str(x) for x in (CALLS, a, hex(B), C, S, E, T, RET, DURATION, hex(IP))]


def check_events(lt):
    trace = lt.create_session("emit", channel="chan", events=["%s:*" % PROVIDER],
                              contexts=("vpid", "vtid", "procname", "ip"))
    lt.lttng("start", "emit")
    result = run_tool(lt, *values(A))
    lt.lttng("stop", "emit")
    lt.lttng("destroy", "emit")
    if not re.search(r"^emitted %d$" % (2 * CALLS), result.stdout, re.MULTILINE):
        fail("dwtrace_ust.emitted is not %d\n%s" % (2 * CALLS, harness.describe(result)))
    events = lt.events(trace)
    if len(events) != 2 * CALLS:
        fail("%d events, expected %d:\n%s" % (len(events), 2 * CALLS, "\n".join(map(str, events[:6]))))
    entry = [("a", str(A)), ("b", "0x%X" % B), ("c", "2.5"), ("s", '"%s"' % S),
             ("e", '( "GREEN" : container = %d )' % E), ("t", '"%s"' % T)]
    exit_ = [("retval", str(RET)), ("duration_ns", str(DURATION))]
    for i, ev in enumerate(events):
        want_name, want, ip = (("%s:f_entry" % PROVIDER, entry, IP) if i % 2 == 0
                               else ("%s:f_exit" % PROVIDER, exit_, IP + 1))
        if ev.name != want_name:
            fail("event #%d is %s, expected %s:\n  %s" % (i, ev.name, want_name, ev.line))
        got = [(n, v) for n, v in ev.payload]
        if [(n, v.lower()) for n, v in got] != [(n, v.lower()) for n, v in want]:
            fail("event #%d: payload %s, expected %s:\n  %s" % (i, got, want, ev.line))
        ctx = {k: ev.context(k) for k in ("vpid", "vtid", "procname", "ip")}
        if (ctx["vpid"] != str(result.pid) or ctx["vtid"] != str(result.pid) or
                ctx["procname"] != '"ust_emit_tool"' or int(ctx["ip"], 0) != ip):
            fail("event #%d: contexts %s, expected vpid = vtid = %d, procname ust_emit_tool, "
                 "ip %#x:\n  %s" % (i, ctx, result.pid, ip, ev.line))
    meta = lt.metadata(trace)
    want_types = {
        "%s:f_entry" % PROVIDER: [("a", lh.S32), ("b", ("int", 64, False, 16)), ("c", lh.DOUBLE),
                                  ("s", lh.STRING), ("t", lh.chars(8))],
        "%s:f_exit" % PROVIDER: [("retval", lh.S64), ("duration_ns", lh.U64)],
    }
    for name, fields in want_types.items():
        if name not in meta:
            fail("no event %s in the metadata: %s" % (name, sorted(meta)))
        declared = dict(meta[name][1])
        for field, t in fields:
            if declared.get(field) != t:
                fail("%s: field %s declared %s, expected %s" % (name, field, declared.get(field), t))
        if name.endswith("f_entry"):
            e = declared.get("e")
            if not e or e[0] != "enum" or e[1] != lh.S32 or [l for l, _lo, _hi in e[2]] != [
                    "RED", "GREEN", "BLUE"]:
                fail("%s: field e declared %s, expected enum : int32 { RED, GREEN, BLUE }" % (name, e))


def check_filter(lt):
    trace = lt.create_session("filt", events=["%s:*" % PROVIDER],
                              filter_expr='a == -42 && s == "hello*" && $ctx.procname == "ust_emit_tool"')
    lt.lttng("start", "filt")
    run_tool(lt, *values(A))
    run_tool(lt, *values(5))
    lt.lttng("stop", "filt")
    lt.lttng("destroy", "filt")
    events = lt.events(trace)
    bad = [ev for ev in events if ev.name != "%s:f_entry" % PROVIDER or ev.get("a") != str(A)]
    if len(events) != CALLS or bad:
        fail("filter: %d events (expected %d entries with a = %d), e.g. %s"
             % (len(events), CALLS, A, (bad or events or ["none"])[0]))


def main():
    with lh.Lttng() as lt:
        lt.start_sessiond()
        check_mailbox(lt)
        check_events(lt)
        check_filter(lt)


if __name__ == "__main__":
    main()
