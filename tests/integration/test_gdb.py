#!/usr/bin/env python3
"""test_gdb.py O0|O2: gdb as an oracle independent of dwtrace and of the
samples' own printing.

gdb -batch stops at the first call of each function, prints `info args` and,
after `finish`, `Value returned is $N = ...`.  dwtrace's JSON events for the
same first calls must show the same argument values and return values.

Where gdb stops: at -O2, on the function's exact entry address (break *f),
where gcc's location lists describe the arguments in their ABI registers.  At
-O0 the exact entry is no good for gdb: the DWARF locations there are stack
slots that the prologue has not written yet, so gdb would show garbage; gdb
stops after the prologue instead (break f), which changes nothing about the
values.
"""

import json
import os
import re
import sys

import harness
from harness import fail

TYPES_FUNCTIONS = ["t_enums", "t_string", "t_floats", "t_small", "t_big", "t_union", "t_mixed"]

GDB_SETTINGS = harness.GDB_SETTINGS_COMMON + """\
set print pretty off
set print symbol off
set print null-stop on
set print elements unlimited
set print repeats unlimited
"""

STOP_LINE = re.compile(r"^(?:Temporary breakpoint|Breakpoint) \d+, (?:0x[0-9a-f]+ in )?(\w+) \(")
ARG_LINE = re.compile(r"^([A-Za-z_]\w*) = (.*)$")
RETURN_LINE = re.compile(r"^Value returned is \$\d+ = (.*)$")


# ---------------------------------------------------------------------------
# gdb's value syntax -> the JSON values dwtrace prints

class GdbValue:
    """Parses one value as gdb prints it with the settings above: numbers,
    chars (65 'A'), true/false, enumerators, pointers (0x1234), char
    pointers (0x1234 "text"), strings ("abc"), structs and unions
    ({a = 1, b = 2}), arrays ({1, 2, 3})."""

    NUMBER = re.compile(r"-?(?:inf|nan\(0x[0-9a-f]+\)|\d+(?:\.\d*)?(?:e[+-]?\d+)?)")
    IDENT = re.compile(r"[A-Za-z_]\w*")
    CHAR_SUFFIX = re.compile(r" '(?:[^'\\]|\\.[0-7]*)+'")
    ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "a": "\a", "b": "\b", "f": "\f",
               "v": "\v", "e": "\x1b", "\\": "\\", '"': '"', "'": "'"}

    def __init__(self, text):
        self.s = text
        self.i = 0

    def parse(self):
        v = self.value()
        if self.i != len(self.s):
            self.error("unexpected text")
        return v

    def error(self, what):
        fail("cannot parse gdb value (%s at column %d): %s" % (what, self.i, self.s))

    def peek(self, text):
        return self.s.startswith(text, self.i)

    def expect(self, text):
        if not self.peek(text):
            self.error("expected %r" % text)
        self.i += len(text)

    def value(self):
        if self.peek("<"):
            self.error("gdb cannot show this value")
        if self.peek("{"):
            return self.aggregate()
        if self.peek('"'):
            return self.string()
        m = re.compile(r"0x[0-9a-f]+").match(self.s, self.i)
        if m:
            self.i = m.end()
            if self.peek(' "'):  # a char pointer: its string
                self.i += 1
                return self.string()
            return "0x%x" % int(m.group(0), 16)
        m = self.NUMBER.match(self.s, self.i)
        if m:
            self.i = m.end()
            c = self.CHAR_SUFFIX.match(self.s, self.i)
            if c:  # a char: 65 'A'
                self.i = c.end()
            text = m.group(0)
            if re.fullmatch(r"-?\d+", text):
                return int(text)
            if "nan" in text:
                return "nan"
            return text if text in ("inf", "-inf") else float(text)
        m = self.IDENT.match(self.s, self.i)
        if m:
            self.i = m.end()
            word = m.group(0)
            if word in ("true", "false"):
                return word == "true"
            return word  # an enumerator
        self.error("unknown value")

    def aggregate(self):
        self.expect("{")
        if self.peek("}"):
            self.i += 1
            return []
        is_struct = re.compile(r"[A-Za-z_]\w* = ").match(self.s, self.i) is not None
        members = {} if is_struct else []
        while True:
            if is_struct:
                name = self.IDENT.match(self.s, self.i).group(0)
                self.i += len(name)
                self.expect(" = ")
                members[name] = self.value()
            else:
                members.append(self.value())
            if self.peek(", "):
                self.i += 2
                continue
            self.expect("}")
            return members

    def string(self):
        self.expect('"')
        out = []
        while True:
            if self.i >= len(self.s):
                self.error("unterminated string")
            c = self.s[self.i]
            self.i += 1
            if c == '"':
                break
            if c != "\\":
                out.append(c)
                continue
            m = re.compile(r"[0-7]{1,3}").match(self.s, self.i)
            if m:
                out.append(chr(int(m.group(0), 8)))
                self.i = m.end()
                continue
            e = self.s[self.i]
            self.i += 1
            if e == "x":
                m = re.compile(r"[0-9a-fA-F]+").match(self.s, self.i)
                out.append(chr(int(m.group(0), 16)))
                self.i = m.end()
            elif e in self.ESCAPES:
                out.append(self.ESCAPES[e])
            else:
                self.error("unknown escape \\%s" % e)
        if self.peek("..."):
            self.error("string cut by gdb")
        return "".join(out)


# ---------------------------------------------------------------------------

def gdb_calls(opt, app, app_args, functions, workdir, run_to_end):
    """{function: (args, retval)} for the first call of each function, as
    gdb sees it.  Also returns the path where the program's stdout went."""
    gdb = harness.require_tool("gdb")
    app_out = os.path.join(workdir, "gdb-app-stdout.txt")
    script = [GDB_SETTINGS, "start %s > %s" % (" ".join(app_args), app_out)]
    for f in functions:
        script.append("tbreak %s%s" % ("*" if opt == "O2" else "", f))
    for _ in functions:
        script += ["continue", "echo @@STOP\\n", "info args", "echo @@FINISH\\n",
                   "finish", "echo @@END\\n"]
    if run_to_end:
        script.append("continue")
    path = os.path.join(workdir, "commands.gdb")
    with open(path, "w") as f:
        f.write("\n".join(script) + "\n")
    result = harness.run([gdb, "-nx", "-batch", "-x", path, app], timeout=60)

    calls = {}
    current, mode, args, retval = None, None, None, None
    for line in result.stdout.splitlines():
        m = STOP_LINE.match(line)
        if m:
            current = m.group(1)
        elif line == "@@STOP":
            mode, args, retval = "args", {}, None
        elif line == "@@FINISH":
            mode = "finish"
        elif line == "@@END":
            if current is None:
                fail("gdb stopped without saying where\n" + harness.describe(result))
            if current in calls:
                fail("gdb stopped in %s twice\n%s" % (current, harness.describe(result)))
            calls[current] = (args, retval)
            mode = None
        elif mode == "args":
            m = ARG_LINE.match(line)
            if m:
                args[m.group(1)] = GdbValue(m.group(2)).parse()
        elif mode == "finish":
            m = RETURN_LINE.match(line)
            if m:
                retval = GdbValue(m.group(1)).parse()
    missing = [f for f in functions if f not in calls]
    if missing:
        fail("gdb did not stop in %s\n%s" % (", ".join(missing), harness.describe(result)))
    for f, (args, retval) in calls.items():
        if not args or retval is None:
            fail("gdb shows no arguments or no return value for %s\n%s"
                 % (f, harness.describe(result)))
    return calls, app_out


def first_calls(events, functions, where):
    """{function: (args, retval)} of the first call of each function."""
    calls = {}
    for f in functions:
        entry = next((ev for ev in events if ev.get("type") == "entry"
                      and ev.get("function") == f), None)
        exit_ = next((ev for ev in events if ev.get("type") == "exit"
                      and ev.get("function") == f), None)
        if entry is None or exit_ is None:
            fail("%s: no entry and exit events of %s" % (where, f))
        if not isinstance(entry.get("args"), dict) or "retval" not in exit_:
            fail("%s: events of %s lack args or retval:\n  %s\n  %s"
                 % (where, f, json.dumps(entry), json.dumps(exit_)))
        calls[f] = (entry["args"], exit_["retval"])
    return calls


def compare_calls(expected, got, expected_name, got_name, where):
    problems = []
    for f, (args, retval) in expected.items():
        g_args, g_retval = got[f]
        problems += ["%s: %s" % (f, d) for d in
                     harness.compare(args, g_args, "args", float32_ok=True)]
        problems += ["%s: %s" % (f, d) for d in
                     harness.compare(retval, g_retval, "retval", float32_ok=True)]
    if problems:
        fail("%s: %s differs from %s (expected = %s):\n  %s"
             % (where, got_name, expected_name, expected_name, "\n  ".join(problems)))


def dwtrace_calls(app, app_args, functions, workdir, name, where):
    out = os.path.join(workdir, name)
    probes = []
    for f in functions:
        probes += ["-e", f]
    harness.run_dwtrace(["--format", "json", "-o", out] + probes + ["--", app] + app_args)
    return first_calls(harness.read_events(out), functions, where)


def check_sample_app(opt, workdir):
    where = "sample_app (%s)" % opt
    app = harness.sample(opt, "sample_app")
    functions = ["my_traced_function"]
    gdb, _ = gdb_calls(opt, app, ["1"], functions, workdir, run_to_end=False)
    # gdb itself must agree with what sample_app passes, or it is no oracle.
    known = {"my_traced_function": ({"arg1": 42, "arg2": 3735928559, "arg3": 3.14159,
                                     "arg4": "0x12345678"}, 292)}
    compare_calls(known, gdb, "sample_app's constants", "gdb", where)
    dw = dwtrace_calls(app, ["1"], functions, workdir, "sample_app.json", where)
    compare_calls(gdb, dw, "gdb", "dwtrace", where)


def check_types_app(opt, workdir):
    where = "types_app (%s)" % opt
    app = harness.sample(opt, "types_app")
    gdb, app_out = gdb_calls(opt, app, [], TYPES_FUNCTIONS, workdir, run_to_end=True)
    # Sanity of the sample: its oracle lines must agree with gdb.
    oracle = [json.loads(l) for l in harness.read_text(app_out).splitlines()
              if l.startswith("{")]
    compare_calls(gdb, first_calls(oracle, TYPES_FUNCTIONS, where + " oracle"),
                  "gdb", "types_app's own oracle lines", where)
    dw = dwtrace_calls(app, [], TYPES_FUNCTIONS, workdir, "types_app.json", where)
    compare_calls(gdb, dw, "gdb", "dwtrace", where)


def test(opt):
    workdir = harness.tempdir()
    check_sample_app(opt, workdir)
    check_types_app(opt, workdir)


if __name__ == "__main__":
    harness.main(lambda: test(harness.opt_level(sys.argv)))
