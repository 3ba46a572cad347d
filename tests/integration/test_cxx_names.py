#!/usr/bin/env python3
"""test_cxx_names.py O0|O2 [std|roundtrip]: C++ functions probed by their
demangled names.

cxx_names (samples/cxx_names.cpp, g++) prints "call NAME ARGS" in each
function it calls, NAME spelled as the demangler (and gdb) spells it: that
output is the oracle of which functions ran how often.  For each spelling a
user may give (qualified name: every overload; a parameter list as gdb
accepts it; a template; an operator; a constructor; an anonymous namespace;
MODULE:NAME; globs over demangled names; the mangled name), the program must
run unharmed, dwtrace must place one probe per function the spelling names
and report exactly the calls the program made, under the demangled name.
gdb is a second oracle: `break SPEC` must name the same functions.  Also:
JSON linkage_name is the symbol that c++filt demangles to the event's name,
stack frames and `dwtrace list` show demangled names (checked against nm -C),
and misspellings give one error line with a suggestion.

std: cxx_names_std (samples/cxx_names_std.cpp) has the names the standard
library makes long: ABI tags ("lib::mk[abi:cxx11](int)", optional in a spec
as in gdb), std::string & co. written as their typedefs, a std::function
parameter, and at -O2 ".cold" parts (never a function: only their own
symbol or demangled name reaches them), a ".constprop" clone (named by its
function's name, as gdb puts a location in it) and tail calls to operator
new/delete (named demangled, as c++filt says).  For each spelling gdb's
`break SPEC` is the oracle of which functions (mapped to their symbols by
nm) it names; the events must be the calls the program printed.

roundtrip: every name dwtrace prints for a function of the C++ samples
(cxx_names, cxx_names_std, cxx_types and libcxxtypes.so), given back as
-e NAME, names that function (and only the functions printed under the same
name, plus a named function's clones): --list-probes, a dry run.
"""

import collections
import re
import sys

import harness
from harness import fail

CLONE = re.compile(r" \[clone [^]]*\]")

TILL_ADD = ["shop::Till::add(int)", "shop::Till::add(long)", "shop::Till::add(char const*)",
            "shop::Till::add(double)"]
TILL = TILL_ADD + ["shop::Till::Till(long)", "shop::Till::~Till()", "shop::Till::tax(int)",
                   "shop::Till::operator<(shop::Till const&) const", "shop::Till::operator+=(long)",
                   "shop::Till::Drawer::count(int)"]

# spelling -> the functions (as the program prints their names) it names
CASES = [
    ("shop::Till::add", TILL_ADD),
    ("Till::add", TILL_ADD),
    ("shop::Till::add(long)", ["shop::Till::add(long)"]),
    ("shop::Till::add (long int)", ["shop::Till::add(long)"]),
    ("shop::Till::add(const char*)", ["shop::Till::add(char const*)"]),
    ("shop::Till::add(char const *)", ["shop::Till::add(char const*)"]),
    ("Till::add(int)", ["shop::Till::add(int)"]),
    ("shop::Till::add(double)", ["shop::Till::add(double)"]),
    ("shop::Till::tax", ["shop::Till::tax(int)"]),
    ("shop::Till::Drawer::count", ["shop::Till::Drawer::count(int)"]),
    ("shop::Shape::area", ["shop::Shape::area(int) const"]),
    ("shop::Square::area(int) const", ["shop::Square::area(int) const"]),
    ("shop::twice<int>", ["shop::twice<int>(int)"]),
    ("shop::twice<double>(double)", ["shop::twice<double>(double)"]),
    ("shop::Box<int>::get", ["shop::Box<int>::get(int) const"]),
    # Without template arguments: every instance, as gdb does.
    ("shop::twice", ["shop::twice<int>(int)", "shop::twice<double>(double)"]),
    ("shop::twice(int)", ["shop::twice<int>(int)"]),
    ("shop::Box::get", ["shop::Box<int>::get(int) const"]),
    ("twice<int>", ["shop::twice<int>(int)"]),
    ("Box::get(int) const", ["shop::Box<int>::get(int) const"]),
    ("cxx_names:~Till", ["shop::Till::~Till()"]),
    ("cxx_names:operator()", ["shop::Scale::operator()(int) const"]),
    ("shop::Till::Till", ["shop::Till::Till(long)"]),
    ("shop::Till::~Till", ["shop::Till::~Till()"]),
    ("shop::Till::operator<", ["shop::Till::operator<(shop::Till const&) const"]),
    ("shop::Till::operator +=", ["shop::Till::operator+=(long)"]),
    ("shop::Scale::operator()", ["shop::Scale::operator()(int) const"]),
    ("shop::Scale::operator()(int) const", ["shop::Scale::operator()(int) const"]),
    ("(anonymous namespace)::hidden", ["(anonymous namespace)::hidden(int)"]),
    ("cxx_names:(anonymous namespace)::hidden", ["(anonymous namespace)::hidden(int)"]),
    ("cxx_names:shop::Till::add(char const*)", ["shop::Till::add(char const*)"]),
    ("shop::units(unsigned)", ["shop::units(unsigned int)"]),
    ("shop::units(unsigned int)", ["shop::units(unsigned int)"]),
    ("shop::mix(signed char, short int)", ["shop::mix(signed char, short)"]),
    ("shop::mix(signed char, signed short)", ["shop::mix(signed char, short)"]),
    ("shop::Till::*", TILL),
    ("*::add*", TILL_ADD),
    ("shop::twice<*", ["shop::twice<int>(int)", "shop::twice<double>(double)"]),
]

# Spellings gdb resolves the same way (its `break` takes no globs or MODULE:).
GDB_CASES = [c for c in CASES if ("*" not in c[0] or "char" in c[0]) and not c[0].startswith("cxx_names:")]


def program_calls(stdout):
    calls = collections.Counter()
    for line in stdout.splitlines():
        m = re.match(r"^call (.*) \S+$", line)
        if m:
            calls[m.group(1)] += 1
    if not calls:
        fail("cxx_names printed no 'call' lines:\n%s" % stdout)
    return calls


def nm_functions(app, demangle):
    """{address: name} of the function symbols, from nm (-C: demangled)."""
    out = harness.run_ok(["nm", "--defined-only"] + (["-C"] if demangle else []) + [app]).stdout
    names = {}
    for line in out.splitlines():
        parts = line.split(" ", 2)
        if len(parts) == 3 and parts[1] in "tTwW":
            names.setdefault(int(parts[0], 16), []).append(parts[2])
    return names


def probes_placed(stderr, where):
    m = re.search(r"(\d+) probes?;", stderr)
    if not m:
        fail("%s: no probe count in dwtrace's summary:\n%s" % (where, stderr))
    return int(m.group(1))


def check_spelling(app, spec, wanted, calls, opt, extra=()):
    where = "cxx_names (%s) -e '%s' %s" % (opt, spec, " ".join(extra))
    plain, traced, path = harness.check_unharmed([app], ["-F", "json", "-e", spec] + list(extra))
    if "excludes nothing" in traced.stderr:
        fail("%s: an exclusion excludes nothing\n%s" % (where, harness.describe(traced)))
    seen = collections.Counter()
    for ev in harness.read_events(path):
        if ev.get("type") == "entry":
            seen[CLONE.sub("", ev["function"])] += 1
    want = collections.Counter({name: calls[name] for name in wanted})
    if seen != want:
        fail("%s: entries by function %s, the program made %s" % (where, dict(seen), dict(want)))
    # The constructor's and destructor's complete-object and base-object
    # variants are one function at one address in this class: one probe.
    if probes_placed(traced.stderr, where) != len(wanted):
        fail("%s: %d probes, expected one for each of %s" % (where, probes_placed(traced.stderr, where), wanted))
    return path


def check_ctor_dtor_args(app, plain, opt):
    """The constructor gets this and start (as the program prints it), the
    destructor this alone: the variants GCC emits for a class without
    virtual bases take no __in_chrg, whatever the declaration in DWARF says."""
    where = "cxx_names (%s) -e shop::Till::Till -e shop::Till::~Till" % opt
    printed = sorted(int(x) for x in re.findall(r"^call shop::Till::Till\(long\) (-?\d+)$", plain.stdout, re.M))
    _, _, path = harness.check_unharmed([app], ["-F", "json", "-e", "shop::Till::Till", "-e", "shop::Till::~Till"])
    starts = []
    for ev in harness.read_events(path):
        if ev.get("type") != "entry":
            continue
        args = ev.get("args", {})
        if ev["function"] == "shop::Till::~Till()":
            if sorted(args) != ["this"]:
                fail("%s: the destructor's arguments are %s, it takes only this" % (where, args))
        elif sorted(args) != ["start", "this"]:
            fail("%s: the constructor's arguments are %s, it takes this and start" % (where, args))
        else:
            starts.append(args["start"])
    if sorted(starts) != printed:
        fail("%s: constructor start values %s, the program printed %s" % (where, sorted(starts), printed))


def gdb_locations(app, spec):
    out = harness.run(["gdb", "-nx", "-batch", "-ex", "break " + spec, "-ex", "info breakpoints", app]).stdout
    return sorted(set(re.findall(r"0x[0-9a-f]+ in (.*) at \S+:\d+$", out, re.M)))


def check_gdb(app, opt):
    harness.require_tool("gdb")
    for spec, wanted in GDB_CASES:
        got = gdb_locations(app, spec)
        if got != sorted(wanted):
            fail("cxx_names (%s): gdb's 'break %s' names %s, the test expects %s" % (opt, spec, got, sorted(wanted)))


def check_linkage_names(app, path, opt):
    mangled = {n for names in nm_functions(app, False).values() for n in names}
    for ev in harness.read_events(path):
        link = ev.get("linkage_name")
        if link is None:
            fail("cxx_names (%s): JSON event of %s has no linkage_name" % (opt, ev.get("function")))
        if link not in mangled:
            fail("cxx_names (%s): linkage_name %s is no symbol of the program (nm)" % (opt, link))
        demangled = harness.run_ok(["c++filt", link]).stdout.strip()
        demangled, function = CLONE.sub("", demangled), CLONE.sub("", ev["function"])
        # c++filt keeps a template function's return type, gdb drops it.
        if demangled != function and not ("<" in function and demangled.endswith(" " + function)):
            fail("cxx_names (%s): c++filt %s says %s, the event says %s" % (opt, link, demangled, ev["function"]))


def check_stack(app, calls, opt):
    where = "cxx_names (%s) --stack -e shop::Till::tax" % opt
    plain, traced, path = harness.check_unharmed([app], ["-F", "json", "--stack", "-e", "shop::Till::tax"])
    callers = collections.Counter()
    for ev in harness.read_events(path):
        if ev.get("type") != "entry":
            continue
        frames = ev.get("stack") or []
        if len(frames) < 2 or frames[0].get("function") != "shop::Till::tax(int)":
            fail("%s: frame #0 is not shop::Till::tax(int): %s" % (where, frames[:2]))
        callers[frames[1].get("function")] += 1
    # The source: main calls tax once, add(double) once.
    want = collections.Counter({"main": 1, "shop::Till::add(double)": 1})
    if callers != want or calls["shop::Till::tax(int)"] != 2:
        fail("%s: callers %s, expected %s" % (where, dict(callers), dict(want)))


def check_list(app, opt):
    where = "dwtrace list cxx_names 'shop::*' (%s)" % opt
    out = harness.run_dwtrace(["list", app, "shop::*"]).stdout
    by_addr = nm_functions(app, True)
    lines = out.splitlines()
    # (c++filt and nm -C keep a template function's return type: "int shop::twice<int>(int)")
    want = {a for a, names in by_addr.items() if any(re.match(r"^(\S+ )?shop::", n) for n in names)}
    got = set()
    for line in lines:
        m = re.match(r"^0x([0-9a-f]+) 0x[0-9a-f]+ (.*)$", line)
        if not m:
            fail("%s: odd line %r" % (where, line))
        addr = int(m.group(1), 16)
        got.add(addr)
        # nm -C "shop::Till::add(long)" -> qualified "shop::Till::add"
        qualified = {re.sub(r"\(.*$", "", CLONE.sub("", n)) for n in by_addr.get(addr, [])}
        if not any(re.search(r"(?<![\w:])" + re.escape(q) + r"\(", m.group(2)) for q in qualified):
            fail("%s: %r at 0x%x; nm -C names that address %s" % (where, line, addr, by_addr.get(addr)))
    if got != want:
        fail("%s: listed addresses %s, nm -C has shop:: functions at %s"
             % (where, sorted(map(hex, got)), sorted(map(hex, want))))


def check_errors(app, opt):
    cases = [("shop::Till::ad", "shop::Till::add"),
             ("shop::Till::add(long long)", "shop::Till::add(long)"),
             ("shop::Tll::tax(int)", "shop::Till::tax(int)")]
    for spec, suggestion in cases:
        r = harness.run([harness.dwtrace(), "-e", spec, "--", app])
        lines = harness.stderr_lines(r)
        if r.returncode == 0 or len(lines) != 1:
            fail("cxx_names (%s): -e '%s' exited %d with %d stderr lines, expected an error line\n%s"
                 % (opt, spec, r.returncode, len(lines), harness.describe(r)))
        if "did you mean '%s'" % suggestion not in lines[0] or spec not in lines[0]:
            fail("cxx_names (%s): -e '%s': %r does not suggest '%s'" % (opt, spec, lines[0], suggestion))
        if "call " in r.stdout:
            fail("cxx_names (%s): -e '%s' failed but the program ran" % (opt, spec))


def test(opt):
    app = harness.sample(opt, "cxx_names")
    plain = harness.run_ok([app])
    calls = program_calls(plain.stdout)
    check_gdb(app, opt)
    paths = []
    for spec, wanted in CASES:
        path = check_spelling(app, spec, wanted, calls, opt)
        if "*" in spec and "char" not in spec:
            paths.append(path)
    # The mangled name still works: the one nm gives add(long).
    mangled = nm_functions(app, False)
    demangled = nm_functions(app, True)
    link = [m for a, names in demangled.items() if "shop::Till::add(long)" in names for m in mangled[a]]
    if len(link) != 1:
        fail("cxx_names (%s): nm gives %s for shop::Till::add(long)" % (opt, link))
    check_spelling(app, link[0], ["shop::Till::add(long)"], calls, opt)
    # Exclusions match as -e does: every spelling above, and the linkage name.
    for spec, wanted in [c for c in CASES if not c[0].startswith("cxx_names:")] + [(link[0], ["shop::Till::add(long)"])]:
        if set(wanted) < set(TILL):
            check_spelling(app, "shop::Till::*", [n for n in TILL if n not in wanted], calls, opt, ["-x", spec])
    check_spelling(app, "shop::Till::*", [n for n in TILL if n not in TILL_ADD], calls, opt, ["-x", "*::add"])
    for path in paths:
        check_linkage_names(app, path, opt)
    check_stack(app, calls, opt)
    check_ctor_dtor_args(app, plain, opt)
    check_list(app, opt)
    check_errors(app, opt)
    print("cxx_names (%s): ok, %d spellings" % (opt, len(CASES) + 1))


STD_CASES = [
    # ABI tags are optional, and the events' own spelling is accepted.
    "lib::mk", "lib::mk(int)", "lib::mk[abi:cxx11](int)", "lib::mk[abi:cxx11]", "lib::thrower",
    # A '(' inside template arguments is no parameter list.
    "lib::call_fn(std::function<int (int)>, int)", "lib::call_fn(std::function<int(int)>, int)",
    # The standard typedefs, as gdb replaces them.
    "lib::Pad::m(std::string const&)", "lib::Pad::m(const std::string &)", "lib::Pad::m",
    "lib::twice<std::string>", "lib::twice<std::string>(std::string)", "lib::twice",
    "lib::view(std::string_view)", "lib::wide(std::wstring const&)", "lib::u16(std::u16string const&)",
    "lib::u32(std::u32string)", "lib::put(std::ostream&, int)",
    # A .cold part is never named by its function's name; a clone is.
    "lib::catcher", "lib::catcher(int)", "lib::scale", "lib::scale(long, long)",
    "lib::grab", "lib::drop(void*)",
]

# dwtrace-only spellings (gdb has no globs or MODULE:) -> the gdb spelling
# that names the same functions.
STD_ALIASES = [
    ("cxx_names_std:lib::mk", "lib::mk"),
    ("cxx_names_std:lib::catcher", "lib::catcher"),
    ("cxx_names_std:lib::Pad::m(std::string const&)", "lib::Pad::m(std::string const&)"),
    ("lib::catch*", "lib::catcher"),
    ("*::catcher(int)", "lib::catcher"),
    ("*::mk[abi:cxx11]", "lib::mk"),
    ("lib::mk[abi:cxx11]*", "lib::mk"),
    ("*::thrower[abi:cxx11](int)", "lib::thrower"),
]

PROBE_LINE = re.compile(r"^dwtrace: probe (\S+) (.*) 0x[0-9a-f]+ elf=0x([0-9a-f]+) ")


def symbol_starts(app):
    """Sorted [(address, mangled name)] of the function symbols (nm)."""
    out = harness.run_ok(["nm", "--defined-only", app]).stdout
    syms = []
    for line in out.splitlines():
        parts = line.split(" ", 2)
        if len(parts) == 3 and parts[1] in "tTwW":
            syms.append((int(parts[0], 16), parts[2]))
    return sorted(syms)


def containing(syms, addr):
    best = None
    for a, _ in syms:
        if a <= addr:
            best = a
    return best


def gdb_functions(app, spec, syms):
    """{function start: name} of the locations of gdb's `break SPEC`."""
    out = harness.run(["gdb", "-nx", "-batch", "-ex", "break " + spec, "-ex", "info breakpoints", app]).stdout
    found = {}
    for addr, name in re.findall(r"(0x[0-9a-f]+) in (.*) at \S+:\d+$", out, re.M):
        found[containing(syms, int(addr, 16))] = name
    return found


def dwtrace_probes(app, spec, module=None):
    """{elf address: event name} of the probes -e SPEC places in module
    (default: app's file), from --list-probes (a dry run)."""
    module = module or app.rsplit("/", 1)[-1]
    r = harness.run([harness.dwtrace(), "--list-probes", "-e", spec, "--", app])
    if r.returncode != 0:
        fail("-e '%s' --list-probes: exit status %d\n%s" % (spec, r.returncode, harness.describe(r)))
    probes = {}
    for line in r.stderr.splitlines():
        m = PROBE_LINE.match(line)
        if m and m.group(1) == module:
            probes[int(m.group(3), 16)] = m.group(2)
    return probes


def test_std(opt):
    harness.require_tool("gdb")
    app = harness.sample(opt, "cxx_names_std")
    plain = harness.run_ok([app])
    calls = program_calls(plain.stdout)
    syms = symbol_starts(app)
    gdb = {}
    for spec in STD_CASES:
        gdb[spec] = gdb_functions(app, spec, syms)
        if not gdb[spec]:
            fail("cxx_names_std (%s): gdb's 'break %s' names nothing" % (opt, spec))
        got = dwtrace_probes(app, spec)
        if set(got) != set(gdb[spec]):
            fail("cxx_names_std (%s): -e '%s' probes %s, gdb's break names %s" % (
                opt, spec, {hex(a): n for a, n in got.items()}, {hex(a): n for a, n in gdb[spec].items()}))
    for spec, same in STD_ALIASES:
        got = dwtrace_probes(app, spec)
        if set(got) != set(gdb[same]):
            fail("cxx_names_std (%s): -e '%s' probes %s, gdb's 'break %s' names %s" % (
                opt, spec, sorted(map(hex, got)), same, sorted(map(hex, gdb[same]))))
    # The events: exactly the calls the program printed, under gdb's names
    # (less a clone suffix).
    for spec in ["lib::mk", "lib::call_fn(std::function<int(int)>, int)", "lib::Pad::m(std::string const&)",
                 "lib::twice<std::string>", "lib::catcher(int)", "lib::scale", "lib::u32(std::u32string)"]:
        check_spelling(app, spec, sorted(set(gdb[spec].values())), calls, opt)
    check_cold(app, syms, opt)
    check_tail_calls(app, opt)
    print("cxx_names_std (%s): ok, %d spellings" % (opt, len(STD_CASES) + len(STD_ALIASES)))


def check_cold(app, syms, opt):
    """At -O2 GCC splits lib::catcher's handler into a .cold part: only its
    own symbol or its event name reaches it."""
    cold = [(a, n) for a, n in syms if n.startswith("_ZN3lib7catcherEi.cold")]
    if opt == "O0":
        if cold:
            fail("cxx_names_std (O0): a .cold part at -O0: %s" % cold)
        return
    if len(cold) != 1:
        fail("cxx_names_std (%s): nm shows no single .cold part of lib::catcher: %s" % (opt, cold))
    addr, sym = cold[0]
    demangled = harness.run_ok(["c++filt", sym]).stdout.strip()
    for spec in [sym, demangled]:
        got = dwtrace_probes(app, spec)
        if set(got) != {addr}:
            fail("cxx_names_std (%s): -e '%s' probes %s, the part is at 0x%x" % (opt, spec, sorted(map(hex, got)), addr))
    main = dict((n, a) for a, n in syms)["_ZN3lib7catcherEi"]
    for spec in ["_ZN3lib7catcherEi", "lib::*"]:
        got = dwtrace_probes(app, spec)
        if addr in got or (spec.startswith("_Z") and set(got) != {main}):
            fail("cxx_names_std (%s): -e '%s' probes %s (the .cold part is at 0x%x)" % (opt, spec, sorted(map(hex, got)), addr))


def check_tail_calls(app, opt):
    """lib::grab and lib::drop end in calls of operator new and operator
    delete: jumps at -O2, named as c++filt names _Znwm and _ZdlPv."""
    want = {"lib::grab(unsigned long)": harness.run_ok(["c++filt", "_Znwm"]).stdout.strip(),
            "lib::drop(void*)": harness.run_ok(["c++filt", "_ZdlPv"]).stdout.strip()}
    _, _, path = harness.check_unharmed([app], ["-F", "json", "-e", "lib::grab", "-e", "lib::drop"])
    seen = collections.Counter()
    for ev in harness.read_events(path):
        if ev.get("type") != "exit":
            continue
        target = ev.get("tail_call")
        if target is not None and target.startswith("_Z"):
            fail("cxx_names_std (%s): %s exits with a tail call to %s, not demangled" % (opt, ev["function"], target))
        if opt == "O2" and target != want[ev["function"]]:
            fail("cxx_names_std (O2): %s exits with tail_call %r, expected %r" % (ev["function"], target, want[ev["function"]]))
        seen[ev["function"]] += 1
    if seen != collections.Counter({f: 2 for f in want}):
        fail("cxx_names_std (%s): exits %s, the program calls grab and drop twice each" % (opt, dict(seen)))


def untemplated(name):
    """name without its template argument lists ("operator<" kept)."""
    out, depth = [], 0
    for i, c in enumerate(name):
        if c == "<" and not name[:i].endswith("operator") and not name[:i].endswith("operator<"):
            depth += 1
        elif c == ">" and depth > 0:
            depth -= 1
        elif depth == 0:
            out.append(c)
    return "".join(out).replace(" (", "(")


def names_same(spec, name):
    """Whether spec, a name dwtrace printed, also names the function
    printed as name, as gdb's `break` does: itself, its clones (not its
    .cold part) and, a spelling without template arguments, every instance
    of a template ("std::_Any_data::_M_access()" names
    "std::_Any_data::_M_access<std::type_info const*>()", as gdb says)."""
    if " [clone " not in spec:
        name = CLONE.sub("", name) if ".cold" not in name else name
    return name == spec or ("<" not in spec and untemplated(name) == spec)


def test_roundtrip(opt):
    """Every name dwtrace prints for a function, given back as -e NAME."""
    checked = 0
    for prog, module in [("cxx_names", None), ("cxx_names_std", None), ("cxx_types", None),
                         ("cxx_types", "libcxxtypes.so")]:
        app = harness.sample(opt, prog)
        module = module or prog
        printed = dwtrace_probes(app, module + ":*", module)
        if not printed:
            fail("roundtrip (%s): -e '%s:*' lists nothing" % (opt, module))
        # .cold parts, which no glob lists, by their own symbols.
        path = app if module == prog else app.rsplit("/", 1)[0] + "/" + module
        for _, sym in symbol_starts(path):
            if ".cold" in sym:
                printed.update(dwtrace_probes(app, sym, module))
        for addr, name in sorted(printed.items()):
            # A library's function by MODULE:NAME (a bare C name means
            # the first module that has it).
            got = dwtrace_probes(app, name if module == prog else module + ":" + name, module)
            want = {a for a, n in printed.items() if names_same(name, n)}
            if addr not in got or set(got) != want:
                fail("roundtrip (%s): -e '%s' (as dwtrace prints 0x%x of %s) probes %s, expected %s"
                     % (opt, name, addr, module, {hex(a): n for a, n in got.items()}, sorted(map(hex, want))))
            checked += 1
    print("cxx_names roundtrip (%s): ok, %d names" % (opt, checked))


def run(argv):
    opt = harness.opt_level(argv)
    part = argv[2] if len(argv) > 2 else "names"
    parts = {"names": test, "std": test_std, "roundtrip": test_roundtrip}
    if part not in parts:
        fail("usage: test_cxx_names.py O0|O2 [std|roundtrip]")
    parts[part](opt)


if __name__ == "__main__":
    harness.main(lambda: run(sys.argv))
