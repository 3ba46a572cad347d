#!/usr/bin/env python3
"""test_wide_types_lttng.py O0|O2: wide types in LTTng-UST events.

dwtrace --ctf DIR -e 'w_*' -- wide_types records every call (the session
daemon accepts each event description: a field it refused would lose the
event), the program prints and exits as it does alone, and babeltrace2 shows
the values the sample printed, in the fields dwtrace(1) documents:
  __int128            a string of its decimal digits ("-1701...")
  _Complex            two floating fields NAME_real and NAME_imag
  _Float128           a double (rounded)
  vectors             one field per element, NAME_0, NAME_1, ...
"""

import decimal
import json
import sys

import harness
import lttng_harness as lh
from harness import fail


def oracle_calls(stdout):
    calls = {}
    for n, line in enumerate(stdout.splitlines(), 1):
        try:
            ev = json.loads(line, parse_float=decimal.Decimal)
        except ValueError as e:
            fail("wide_types stdout line %d is not JSON (%s): %r" % (n, e, line))
        calls.setdefault("%s_%s" % (ev["function"], ev["type"]), ev)
    return calls


# The __int128 values (a string even when small), by event and field.
INT128 = {
    "w_i128_entry": ["a", "b"], "w_i128_exit": ["retval"],
    "w_i128_stack_entry": ["x"], "w_i128_stack_exit": ["retval"],
    "w_i128_many_entry": ["a", "b", "c", "d"], "w_i128_many_exit": ["retval"],
    "w_struct_entry": ["r_v", "p_v"], "w_struct_exit": ["retval_v"],
    "w_rec_entry": ["r_v"], "w_rec_exit": ["retval_v"],
}


def expected_fields(event, ev):
    """(field, babeltrace2 text) for the oracle event ev named event."""
    values = ev["args"].items() if ev["type"] == "entry" else [("retval", ev["retval"])]
    wide = INT128.get(event, [])
    out = []

    def add(name, v, top):
        if v is None or (isinstance(v, dict) and list(v) == ["unavailable"]):
            return  # unavailable: not checked here
        if isinstance(v, dict) and list(v) == ["real", "imag"]:
            out.append((name + "_real", lh.bt_float(v["real"])))
            out.append((name + "_imag", lh.bt_float(v["imag"])))
        elif isinstance(v, dict):  # a structure, flattened
            for k, x in v.items():
                add("%s_%s" % (name, k), x, False)
        elif isinstance(v, list):
            # The sample's arguments that are lists are vectors; arrays
            # inside structures are not written (not checked here).
            if top:
                for i, x in enumerate(v):
                    add("%s_%d" % (name, i), x, False)
        elif name in wide:
            out.append((name, lh.bt_string(str(v))))
        elif isinstance(v, int):
            out.append((name, str(v)))
        else:
            out.append((name, lh.bt_float(v)))

    for name, v in values:
        add(name, v, True)
    if [n for n, _ in out if n in wide] != wide:
        fail("the test's list of __int128 fields of %s does not match the sample's: %s"
             % (event, [n for n, _ in out]))
    return out


def test(opt):
    app = harness.sample(opt, "wide_types")
    plain = harness.run_untraced([app])
    calls = oracle_calls(plain.stdout)
    with lh.Lttng() as lt:
        directory = lt.path("ctf")
        result = lt.dwtrace(["--ctf", directory, "-e", "w_*", "--", app], expect_status=plain.returncode)
        lt.adopt_sessiond()
        if result.stdout != plain.stdout:
            fail("the traced program's output differs from its untraced run\n%s" % harness.describe(result))
        events = lt.events(directory)
    got = {}
    for ev in events:
        got.setdefault(ev.name.split(":", 1)[1], ev)
    missing = sorted(set(calls) - set(got))
    if missing:
        fail("no LTTng events %s (the session daemon may have refused their description)\n%s"
             % (missing, harness.describe(result)))
    if len(events) != 2 * 14:
        fail("%d LTTng events, expected 28 (14 calls)" % len(events))
    diffs = []
    for name, ev in sorted(calls.items()):
        for field, want in expected_fields(name, ev):
            have = got[name].get(field)
            if have != want:
                diffs.append("%s.%s: expected %s, got %s" % (name, field, want, have))
    if diffs:
        fail("babeltrace2 shows other values than the program printed (%s):\n  %s"
             % (opt, "\n  ".join(diffs)))


if __name__ == "__main__":
    harness.main(lambda: test(harness.opt_level(sys.argv)))
