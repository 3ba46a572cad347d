#!/usr/bin/env python3
"""test_wide_types.py O0|O2: __int128, _Complex, _Float128 and vector types.

wide_types calls the w_* functions of libwide_types.so; each prints one JSON
line with the arguments it received and one with the value it returns
(samples/wide_types_lib.c: __int128 by its own decimal printer, complex parts
with creal/cimag, _Float128 with libquadmath).  Under dwtrace the program must
print the same and exit alike, and dwtrace's JSON events must carry exactly
those values, call by call: integers digit for digit, floating values read
back to the same value of their own type (binary128 for _Float128, x87 for
long double), never through a double.  Then the text format (1.5+-2i, the
decimal __int128), and gdb as a second oracle for the values gdb gets right
(gdb 13's `finish` returns 0 for __int128 and _Float128 and mixes up a
returned __m128, so those returns are checked against the sample only).
"""

import decimal
import fractions
import json
import re
import sys

import harness
from harness import fail

MODULE = "libwide_types.so"

# The binary format of each floating value (mantissa bits with the implicit
# one), by function and argument: how two decimal spellings are compared.
# Values not listed are integers (compared exactly) or doubles (53).
FLOAT_BITS = {
    ("w_cfloat", "a"): 24, ("w_cfloat", "b"): 24, ("w_cfloat", "retval"): 24,
    ("w_cdouble", "f"): 24, ("w_sse_stack", "f"): 24,
    ("w_cldouble", "z"): 64, ("w_cldouble", "retval"): 64,
    ("w_f128", "x"): 113, ("w_f128", "y"): 113, ("w_f128", "retval"): 113,
    ("w_sse_stack", "q"): 113,
    ("w_vec", "a"): 24, ("w_vec", "c"): 24, ("w_vec", "retval"): 24,
}


def rounded(value, bits):
    """The value of a decimal number rounded to a binary float of `bits`
    mantissa bits (exponent range unlimited, enough for every format here),
    as an exact Fraction: two spellings of one float compare equal."""
    q = fractions.Fraction(value)
    if q == 0:
        return q
    sign = -1 if q < 0 else 1
    q = abs(q)
    e = q.numerator.bit_length() - q.denominator.bit_length()
    if fractions.Fraction(2) ** e > q:
        e -= 1
    scale = fractions.Fraction(2) ** (bits - 1 - e)
    m = q * scale
    n = m.numerator // m.denominator
    rest = m - n
    if rest > fractions.Fraction(1, 2) or (rest == fractions.Fraction(1, 2) and n % 2):
        n += 1
    return sign * n / scale


def same(expected, got, bits, path, diffs):
    """Appends to diffs where got differs from expected (decoded JSON with
    Decimal floats and exact ints)."""
    def differ():
        diffs.append("%s: expected %s, got %s" % (path, show(expected), show(got)))

    if isinstance(expected, dict) and isinstance(got, dict):
        if list(expected) != list(got):
            differ()
            return
        for k in expected:
            same(expected[k], got[k], bits, "%s.%s" % (path, k), diffs)
    elif isinstance(expected, list) and isinstance(got, list):
        if len(expected) != len(got):
            differ()
            return
        for i, (e, g) in enumerate(zip(expected, got)):
            same(e, g, bits, "%s[%d]" % (path, i), diffs)
    elif isinstance(expected, bool) or isinstance(got, bool) or expected is None or got is None:
        if type(expected) is not type(got) or expected != got:
            differ()
    elif isinstance(expected, int) and isinstance(got, int):
        if expected != got:
            differ()
    elif isinstance(expected, str) and isinstance(got, str):
        if expected != got:
            differ()
    elif isinstance(expected, (int, decimal.Decimal)) and isinstance(got, (int, decimal.Decimal)):
        if rounded(expected, bits) != rounded(got, bits):
            differ()
    else:
        differ()


def show(v):
    return json.dumps(v, default=str)


def loads(line, where):
    try:
        return json.loads(line, parse_float=decimal.Decimal)
    except ValueError as e:
        fail("%s: not JSON (%s): %r" % (where, e, line))


def values_of(ev):
    """(name, value) of each argument of an entry, or of the return value."""
    if ev["type"] == "entry":
        return list(ev["args"].items())
    return [("retval", ev.get("retval"))]


def compare_events(oracle, events, where):
    if [(e["type"], e["function"]) for e in oracle] != [(e.get("type"), e.get("function")) for e in events]:
        fail("%s: dwtrace's events are not the program's calls:\n  oracle:  %s\n  dwtrace: %s"
             % (where, [(e["type"], e["function"]) for e in oracle],
                [(e.get("type"), e.get("function")) for e in events]))
    diffs = []
    for i, (exp, ev) in enumerate(zip(oracle, events)):
        if ev.get("module") != MODULE:
            diffs.append("event #%d: module %r, expected %r" % (i, ev.get("module"), MODULE))
        got = dict(values_of(ev))
        want = values_of(exp)
        if list(got) != [k for k, _ in want]:
            diffs.append("event #%d (%s %s): values %s, expected %s"
                         % (i, exp["type"], exp["function"], list(got), [k for k, _ in want]))
            continue
        for name, value in want:
            bits = FLOAT_BITS.get((exp["function"], name), 53)
            same(value, got[name], bits, "%s %s %s" % (exp["function"], exp["type"], name), diffs)
    if diffs:
        fail("%s: dwtrace differs from the program's own prints:\n  %s" % (where, "\n  ".join(diffs)))


def run_json(opt):
    app = harness.sample(opt, "wide_types")
    plain, traced, path = harness.check_unharmed([app], ["-F", "json", "-e", "w_*"])
    oracle = [loads(l, "wide_types stdout line %d" % (n + 1))
              for n, l in enumerate(plain.stdout.splitlines())]
    if len(oracle) != 28:
        fail("wide_types printed %d oracle lines, expected 28 (14 calls)\n%s"
             % (len(oracle), harness.describe(plain)))
    events = [loads(l, "%s line %d" % (path, n + 1))
              for n, l in enumerate(harness.read_text(path).splitlines()) if l.strip()]
    compare_events(oracle, events, "-F json (%s)" % opt)
    return oracle, plain.stdout


# ---------------------------------------------------------------------------
# Text format

def text_number(v):
    """A double as dwtrace's text shows it: the shortest spelling, no ".0"."""
    r = repr(float(v))
    return r[:-2] if r.endswith(".0") else r


def raw_value(stdout, function, name):
    """The sample's own spelling of a number in its entry line."""
    for line in stdout.splitlines():
        if line.startswith('{"type":"entry","function":"%s",' % function):
            m = re.search(r'"%s":(-?[0-9][0-9.e+-]*)' % name, line)
            if m:
                return m.group(1)
    fail("wide_types printed no entry line of %s with a number %s" % (function, name))


def check_text(opt, oracle, stdout):
    app = harness.sample(opt, "wide_types")
    _, _, path = harness.check_unharmed([app], ["-e", "w_*"])
    lines = harness.text_event_lines(harness.read_text(path))
    calls = {}
    for ev in oracle:
        calls.setdefault((ev["function"], ev["type"]), ev)
    i128 = calls[("w_i128", "entry")]["args"]
    cd = calls[("w_cdouble", "entry")]["args"]
    cd_ret = calls[("w_cdouble", "exit")]["retval"]
    wanted = [
        ("__int128 arguments in decimal",
         "w_i128(a=%d, b=%d)" % (i128["a"], i128["b"])),
        ("complex arguments as real+imagi",
         "w_cdouble(z=%s+%si, f=%s+%si)" % (text_number(cd["z"]["real"]), text_number(cd["z"]["imag"]),
                                          text_number(cd["f"]["real"]), text_number(cd["f"]["imag"]))),
        ("a complex return value",
         "w_cdouble \u2192 %s+%si" % (text_number(cd_ret["real"]), text_number(cd_ret["imag"]))),
        # The sample prints _Float128 as the shortest decimal, as dwtrace does.
        ("_Float128 arguments with all their digits",
         "w_f128(x=%s, d=0.1, y=%s)" % (raw_value(stdout, "w_f128", "x"), raw_value(stdout, "w_f128", "y"))),
        ("a 32-byte vector shown unavailable, what follows it in a register shown",
         "w_vec32(before=11, v=<location unknown>, after=22)"),
    ]
    for what, text in wanted:
        if not any(text in l for l in lines):
            near = [l for l in lines if text.split("(")[0].split(" ")[0] in l]
            fail("text format (%s): no line shows %s: expected %r in one of\n  %s"
                 % (opt, what, text, "\n  ".join(near) or "(no line of that function)"))


# ---------------------------------------------------------------------------
# gdb as a second oracle

GDB_FUNCTIONS = ["w_i128", "w_i128_stack", "w_cdouble", "w_cldouble", "w_f128", "w_sse_stack", "w_vec"]
# gdb 13 returns 0 for __int128 and _Float128 and a wrong __m128 from finish.
GDB_RETURNS = ["w_cdouble", "w_cldouble", "w_sse_stack"]
STOP_LINE = re.compile(r"^(?:Temporary breakpoint \d+, )(?:0x[0-9a-f]+ in )?(\w+) \(")
ARG_LINE = re.compile(r"^([A-Za-z_]\w*) = (.*)$")
RETURN_LINE = re.compile(r"^Value returned is \$\d+ = (.*)$")


def gdb_value(text):
    """gdb's spelling of a number, a complex number (1.5 + -2i) or a vector
    ({1, 2}) as the JSON value dwtrace writes; None for <optimized out>."""
    text = text.strip()
    if text.startswith("<"):
        return None
    if text.startswith("{") and text.endswith("}"):
        return [gdb_value(x) for x in text[1:-1].split(",")]
    m = re.fullmatch(r"(\S+) \+ (\S+)i", text)
    if m:
        return {"real": gdb_value(m.group(1)), "imag": gdb_value(m.group(2))}
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    try:
        return decimal.Decimal(text)
    except decimal.InvalidOperation:
        fail("gdb printed a value this test does not read: %r" % text)


def gdb_calls(opt):
    """{function: {"args": {...}, "retval": ...}} for the first call of each
    of GDB_FUNCTIONS, as gdb shows them."""
    app = harness.sample(opt, "wide_types")
    gdb = harness.require_tool("gdb")
    # -O2: the exact entry, where the location lists name the ABI registers;
    # -O0: after the prologue, which has copied them to the frame.
    spec = "*%s" if opt == "O2" else "%s"
    cmds = ["set debuginfod enabled off", "set pagination off", "set confirm off", "set width 0",
            "set print entry-values no", "set breakpoint pending on"]
    cmds += ["tbreak " + spec % f for f in GDB_FUNCTIONS]
    cmds += ["run"]
    for _ in GDB_FUNCTIONS:
        cmds += ["info args", "finish", "continue"]
    args = [gdb, "-nx", "-batch"]
    for c in cmds:
        args += ["-ex", c]
    result = harness.run(args + ["--args", app], timeout=120)
    calls, current, order = {}, None, []
    for line in result.stdout.splitlines():
        m = STOP_LINE.match(line)
        if m:
            current = m.group(1)
            order.append(current)
            calls[current] = {"args": {}}
            continue
        m = RETURN_LINE.match(line)
        if m and current:
            calls[current]["retval"] = gdb_value(m.group(1))
            continue
        m = ARG_LINE.match(line)
        if m and current and "retval" not in calls[current]:
            calls[current]["args"][m.group(1)] = gdb_value(m.group(2))
    if order != GDB_FUNCTIONS:
        fail("gdb stopped in %s, expected %s\n%s" % (order, GDB_FUNCTIONS, harness.describe(result)))
    return calls


def check_gdb(opt, oracle_events):
    calls = gdb_calls(opt)
    first = {}
    for ev in oracle_events:
        first.setdefault((ev["function"], ev["type"]), ev)
    diffs, compared = [], 0
    for fn in GDB_FUNCTIONS:
        got = dict(values_of(first[(fn, "entry")]))
        for name, value in calls[fn]["args"].items():
            if value is None:
                continue  # <optimized out>: gdb knows nothing here
            if name not in got:
                diffs.append("%s: gdb shows argument %s, dwtrace does not" % (fn, name))
                continue
            bits = FLOAT_BITS.get((fn, name), 53)
            # gdb prints a float with 9 digits: enough to tell floats apart.
            same(value, got[name], bits, "%s %s (gdb)" % (fn, name), diffs)
            compared += 1
        if fn in GDB_RETURNS:
            if calls[fn].get("retval") is None:
                diffs.append("%s: gdb's finish printed no return value" % fn)
                continue
            ret = first[(fn, "exit")]["retval"]
            same(calls[fn]["retval"], ret, FLOAT_BITS.get((fn, "retval"), 53), "%s retval (gdb)" % fn,
                 diffs)
            compared += 1
    if diffs:
        fail("gdb (%s) and dwtrace differ:\n  %s" % (opt, "\n  ".join(diffs)))
    # __int128, complex long double, _Float128 and a vector at least.
    if compared < 12:
        fail("gdb (%s) showed only %d values to compare: %s" % (opt, compared, calls))


def test(opt):
    oracle, stdout = run_json(opt)
    check_text(opt, oracle, stdout)
    # dwtrace's own events are what gdb is compared with: they equal the
    # program's prints (checked above), and gdb must agree with them.
    app = harness.sample(opt, "wide_types")
    _, _, path = harness.check_unharmed([app], ["-F", "json", "-e", "w_*"])
    events = [loads(l, path) for l in harness.read_text(path).splitlines() if l.strip()]
    check_gdb(opt, events)


if __name__ == "__main__":
    harness.main(lambda: test(harness.opt_level(sys.argv)))
