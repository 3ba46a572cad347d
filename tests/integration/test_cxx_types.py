#!/usr/bin/env python3
"""test_cxx_types.py O0|O2 [lttng]: C++ values (samples/cxx_types*.cpp, g++).

Each function of libcxxtypes.so prints "ORACLE <name> <json args>" with what
it received, and cxx_types prints "RETURN <name> <json value>" with what each
returned, in dwtrace's JSON value format.  Traced with -e on the mangled
(linkage) name of each function (found with nm, so that this test does not
depend on demangled-name lookup), dwtrace must show the same values, call by
call: trivially copyable classes in registers and in memory, classes passed
by invisible reference (user copy constructor, a std::string member, a base
with a destructor; in a register and in a stack slot) and returned through
the hidden pointer, std::string by value, const & and &&, returned,
std::string_view, int & and const Point2 & as {"ref": address, "value": ...}
(the callee prints the address it got), a method's this, enum class names,
and base classes as "<Base>" members.  The traced program's output and exit
status must be those of an untraced run.  Then the text format, and gdb as a
second oracle for a few values.

With "lttng": the same probes with --ctf (dwtrace's own session daemon), read
back with babeltrace2: std::string and std::string_view are CTF strings of
their characters, references the address (the one the callee printed),
classes by invisible reference and base classes flattened into members, and
the program's output is that of an untraced run.
"""

import json
import os
import re
import subprocess
import sys

import harness
from harness import fail

MODULE = "libcxxtypes.so"


def short_name(demangled):
    """"ct::ct_str_ret[abi:cxx11](int)" -> "ct_str_ret"."""
    name = demangled.split("(")[0]
    name = re.sub(r"\[abi:\w+\]", "", name)
    return name.split("::")[-1]


def mangled_names(lib):
    """{short name: mangled name} of the functions the sample defines in
    namespace ct, from nm (plain and demangled, same order)."""
    nm = harness.require_tool("nm")
    plain = harness.run_ok([nm, "-D", "--defined-only", lib]).stdout.splitlines()
    demangled = harness.run_ok([nm, "-D", "-C", "--defined-only", lib]).stdout.splitlines()
    if len(plain) != len(demangled) or not plain:
        fail("nm -D and nm -D -C list different symbols of %s" % lib)
    names = {}
    for p, d in zip(plain, demangled):
        p, d = p.split(None, 2), d.split(None, 2)
        if len(p) < 3 or p[1] not in "TtW" or not d[2].startswith("ct::"):
            continue
        names.setdefault(short_name(d[2]), p[2])
    return names


def oracle(stdout):
    """The ORACLE and RETURN lines: [(kind, short name, value)], where value
    is the JSON value, or "void"."""
    lines = []
    for line in stdout.splitlines():
        m = re.match(r"^(ORACLE|RETURN) (\w+) (.*)$", line)
        if not m:
            continue
        kind, name, rest = m.groups()
        if kind == "RETURN" and rest.startswith("void"):
            value = "void"
        else:
            try:
                value = json.loads(rest)
            except ValueError as e:
                fail("cxx_types printed a line that is not JSON (%s): %r" % (e, line))
        lines.append(("entry" if kind == "ORACLE" else "exit", name, value))
    return lines


def linkage(ev):
    """The symbol an event is of: C++ events are named demangled and carry
    the mangled name the probes were given (nm) as linkage_name."""
    return ev.get("linkage_name", ev["function"])


def compare_with_oracle(expected, events, names, where):
    by_mangled = {v: k for k, v in names.items()}
    got = []
    for ev in events:
        harness.check_event_fields(ev, where)
        if ev["module"] != MODULE:
            fail("%s: event of module %r, expected %r" % (where, ev["module"], MODULE))
        name = by_mangled.get(linkage(ev))
        if name is None:
            fail("%s: event of %r, a function not probed" % (where, ev["function"]))
        got.append((ev["type"], name, ev))
    seq_want = [(k, n) for k, n, _ in expected]
    seq_got = [(k, n) for k, n, _ in got]
    if seq_want != seq_got:
        fail("%s: the calls differ from the program's:\n  program: %s\n  dwtrace: %s"
             % (where, seq_want, seq_got))
    problems = []
    for (kind, name, want), (_, _, ev) in zip(expected, got):
        w = "%s %s" % (name, kind)
        if kind == "entry":
            diffs = harness.compare(want, ev["args"], "args")
        elif want == "void":
            diffs = ["retval: void function, got %s" % json.dumps(ev["retval"])] \
                if "retval" in ev else []
        elif "retval" not in ev:
            diffs = ["retval: expected %s, missing" % json.dumps(want)]
        else:
            diffs = harness.compare(want, ev["retval"], "retval")
        problems += ["%s: %s" % (w, d) for d in diffs]
    if problems:
        fail("%s: dwtrace differs from what the program printed:\n  %s"
             % (where, "\n  ".join(problems)))


def mask_addresses(text):
    # Stack addresses the program prints differ from run to run.
    return re.sub(r"0x[0-9a-f]+", "0x…", text)


def probe_args(names):
    args = []
    for mangled in sorted(names.values()):
        args += ["-e", "%s:%s" % (MODULE, mangled)]
    return args


TEXT_PREFIX = r"^\d\d:\d\d:\d\d\.\d{6} \d+/\d+ "
# (what, short name, regex of what follows the mangled name)
TEXT_CHECKS = [
    ("a class by invisible reference", "ct_counted", r"\(c=\{id=7, v=1234567890123\}\)$"),
    ("a std::string by value", "ct_str_val", r'\(s="heap string beyond the SSO buffer"\)$'),
    ("a const std::string &", "ct_str_cref", r'\(s=&0x[0-9a-f]+="heap string beyond the SSO buffer"\)$'),
    ("a std::string returned", "ct_str_ret", r' \u2192 "zzz!" <\d+\.\d{9}>$'),
    ("a std::string_view", "ct_sv", r'\(sv="string"\)$'),
    ("an int &", "ct_inc", r"\(r=&0x[0-9a-f]+=41\)$"),
    ("a const struct &", "ct_pref", r"\(p=&0x[0-9a-f]+=\{x=6, y=7\}\)$"),
    ("an enum class", "ct_color", r"\(c=Green\)$"),
    ("a base class", "ct_circle", r"\(c=\{<Shape>=\{id=12\}, r=1\.5\}\)$"),
    ("a method", "deposit", r"\(this=0x[0-9a-f]+, amount=25, c=Blue\)$"),
]


def check_text(app, names, opt):
    where = "text format (%s)" % opt
    _, _, path = harness.check_unharmed([app], ["-F", "text"] + probe_args(names),
                                        normalize=mask_addresses)
    lines = harness.text_event_lines(harness.read_text(path))
    # Text lines name C++ functions demangled, as c++filt spells them.
    cxxfilt = harness.require_tool("c++filt")
    keys = [name for _, name, _ in TEXT_CHECKS]
    shown = harness.run_ok([cxxfilt] + [names[k] for k in keys]).stdout.splitlines()
    demangled = dict(zip(keys, shown))
    for what, name, pattern in TEXT_CHECKS:
        regex = re.compile(TEXT_PREFIX + re.escape(demangled[name]) + pattern)
        if not any(regex.match(l) for l in lines):
            near = [l for l in lines if demangled[name] in l]
            fail("%s: no line shows %s; expected a match for\n  %s\nlines of %s:\n  %s"
                 % (where, what, regex.pattern, name, "\n  ".join(near) or "(none)"))


def gdb_values(app, names):
    """gdb's view of a few calls: `info args` at the first stop in
    ct_counted, ct_named, ct_stack, ct_circle, and `finish` from
    ct_str_ret(3).  Returns {name: gdb output of that stop}."""
    gdb = harness.require_tool("gdb")
    stops = ["ct_counted", "ct_named", "ct_stack", "ct_circle"]
    cmds = ["set pagination off", "set confirm off", "set breakpoint pending on",
            "set print static-members off"]
    for n in stops:
        cmds.append("break %s" % names[n])
    cmds.append("break %s if n == 3" % names["ct_str_ret"])
    cmds.append("run")
    order = ["ct_counted", "ct_named", "ct_str_ret", "ct_circle", "ct_stack"]
    for i, n in enumerate(order):
        cmds.append("echo @@stop %s\\n" % n)
        cmds.append("finish" if n == "ct_str_ret" else "info args")
        if i + 1 < len(order):
            cmds.append("continue")
    cmds += ["kill", "quit"]
    script = os.path.join(harness.tempdir(), "cxx.gdb")
    with open(script, "w") as f:
        f.write("\n".join(cmds) + "\n")
    result = harness.run([gdb, "-batch", "-x", script, app], timeout=60)
    parts = re.split(r"^@@stop (\w+)$", result.stdout, flags=re.M)
    out = dict(zip(parts[1::2], parts[2::2]))
    if set(out) != set(order):
        fail("gdb did not stop where expected (got %s)\n%s" % (sorted(out), harness.describe(result)))
    return out, result


def check_gdb(app, names, events, opt):
    where = "gdb (%s)" % opt
    out, result = gdb_values(app, names)
    first = {}
    for ev in events:
        first.setdefault((ev["type"], linkage(ev)), ev)

    def args(name):
        return first[("entry", names[name])]["args"]

    def need(name, regex):
        m = re.search(regex, out[name], re.M)
        if not m:
            fail("%s: gdb's output for %s does not match %s:\n%s\n%s"
                 % (where, name, regex, out[name], harness.describe(result)))
        return m.groups()

    checks = []
    gid, gv = need("ct_counted", r"^c = \{id = (-?\d+), v = (-?\d+)\}")
    checks.append(("ct_counted c", {"id": int(gid), "v": int(gv)}, args("ct_counted")["c"]))
    gname, gn = need("ct_named", r'^n = \{name = "([^"]*)", n = (-?\d+)\}')
    checks.append(("ct_named n", {"name": gname, "n": int(gn)}, args("ct_named")["n"]))
    kid, kv = need("ct_stack", r"^k = \{id = (-?\d+), v = (-?\d+)\}")
    checks.append(("ct_stack k", {"id": int(kid), "v": int(kv)}, args("ct_stack")["k"]))
    # At -O2 the register-passed Circle is <optimized out> for gdb past the
    # prologue (the program's own output still checks it above).
    if opt == "O0":
        cid, cr = need("ct_circle", r"^c = \{<ct::Shape> = \{id = (-?\d+)\}, r = ([-0-9.e]+)\}")
        checks.append(("ct_circle c", {"<Shape>": {"id": int(cid)}, "r": float(cr)}, args("ct_circle")["c"]))
    (ret,) = need("ct_str_ret", r'^Value returned is \$\d+ = "([^"]*)"$')
    exits = [ev for ev in events if ev["type"] == "exit" and linkage(ev) == names["ct_str_ret"]]
    checks.append(("ct_str_ret(3) return", ret, exits[1].get("retval") if len(exits) > 1 else None))
    problems = []
    for what, want, got in checks:
        problems += ["%s: %s" % (what, d) for d in harness.compare(want, got)]
    if problems:
        fail("%s: dwtrace differs from gdb:\n  %s" % (where, "\n  ".join(problems)))


def sample_names(opt, where):
    app = harness.sample(opt, "cxx_types")
    lib = os.path.join(os.path.dirname(app), MODULE)
    names = mangled_names(lib)
    want = {"ct_point", "ct_big", "ct_counted", "ct_named", "ct_str_val", "ct_str_cref",
            "ct_str_rref", "ct_str_ret", "ct_sv", "ct_inc", "ct_pref", "ct_color", "ct_circle",
            "ct_derived", "ct_dyn", "ct_stack", "deposit"}
    names = {k: v for k, v in names.items() if k in want}
    if set(names) != want:
        fail("%s: nm finds no %s in %s" % (where, sorted(want - set(names)), lib))
    return app, names


def test_lttng(opt):
    import lttng_harness as lh
    where = "cxx_types --ctf (%s)" % opt
    app, names = sample_names(opt, where)
    plain = harness.run_ok([app])
    with lh.Lttng() as lt:
        directory = lt.path("ctf-cxx")
        result = lt.dwtrace(["--ctf", directory] + probe_args(names) + ["--", app])
        lt.adopt_sessiond()
        if mask_addresses(result.stdout) != mask_addresses(plain.stdout):
            fail("%s: the traced program's output differs from its untraced run\n%s"
                 % (where, harness.describe(result)))
        events = lt.events(directory)
    expected = oracle(result.stdout)
    by_mangled = {v: k for k, v in names.items()}
    got = []
    for ev in events:
        event = ev.name.split(":", 1)[1]
        base, _, kind = event.rpartition("_")
        if base not in by_mangled or kind not in ("entry", "exit"):
            fail("%s: unexpected event %s" % (where, ev.name))
        got.append((kind, by_mangled[base], ev))
    if [(k, n) for k, n, _ in expected] != [(k, n) for k, n, _ in got]:
        fail("%s: the events differ from the program's calls:\n  program: %s\n  trace: %s"
             % (where, [(k, n) for k, n, _ in expected], [(k, n) for k, n, _ in got]))

    def ctf(value):
        """A JSON value from the oracle as babeltrace2 prints the field."""
        if isinstance(value, str) and re.match(r"^0x[0-9a-f]+$", value):
            return "0x%X" % int(value, 16)
        if isinstance(value, str):
            return json.dumps(value)
        return str(value)

    # (short name, kind, field, path into the oracle's value)
    fields = [
        ("ct_str_val", "entry", "s", ["s"]),
        ("ct_str_cref", "entry", "s", ["s", "ref"]),
        ("ct_str_rref", "entry", "s", ["s", "ref"]),
        ("ct_str_ret", "exit", "retval", []),
        ("ct_sv", "entry", "sv", ["sv"]),
        ("ct_named", "entry", "n_name", ["n", "name"]),
        ("ct_counted", "entry", "c_id", ["c", "id"]),
        ("ct_counted", "entry", "c_v", ["c", "v"]),
        ("ct_counted", "exit", "retval_v", ["v"]),
        ("ct_stack", "entry", "k_v", ["k", "v"]),
        ("ct_inc", "entry", "r", ["r", "ref"]),
        ("ct_pref", "entry", "p", ["p", "ref"]),
        ("ct_circle", "entry", "c__Shape__id", ["c", "<Shape>", "id"]),
        ("ct_derived", "entry", "d__Base2__b", ["d", "<Base2>", "b"]),
        ("deposit", "entry", "this", ["this"]),
    ]
    problems, checked = [], 0
    for (kind, name, want), (_, _, ev) in zip(expected, got):
        for fname, fkind, field, path in fields:
            if (fname, fkind) != (name, kind):
                continue
            value = want
            for p in path:
                value = value[p]
            checked += 1
            if ev.get(field) != ctf(value):
                problems.append("%s %s: field %s is %s, expected %s"
                                % (name, kind, field, ev.get(field), ctf(value)))
    if problems:
        fail("%s: the trace differs from what the program printed:\n  %s\n%s"
             % (where, "\n  ".join(problems), "\n".join(e.line for _, _, e in got)))
    print("%s: ok, %d events, %d fields match the program's own output"
          % (where, len(events), checked))


def test(opt):
    where = "cxx_types (%s)" % opt
    app, names = sample_names(opt, where)

    plain, traced, path = harness.check_unharmed([app], ["-F", "json"] + probe_args(names),
                                                 normalize=mask_addresses)
    if plain.returncode != 0:
        fail("%s: the program fails untraced\n%s" % (where, harness.describe(plain)))
    expected = oracle(plain.stdout)
    if len(expected) != 2 * 20:
        fail("%s: %d oracle lines, expected 40\n%s" % (where, len(expected), plain.stdout))
    # The addresses references carry come from the traced run's own output.
    events = harness.read_events(path)
    compare_with_oracle(oracle(traced.stdout), events, names, where)
    check_text(app, names, opt)
    check_gdb(app, names, events, opt)
    print("%s: ok, %d events match the program's own output and gdb" % (where, len(events)))


if __name__ == "__main__":
    if sys.argv[2:] == ["lttng"]:
        harness.main(lambda: test_lttng(harness.opt_level(sys.argv)))
    else:
        harness.main(lambda: test(harness.opt_level(sys.argv)))
