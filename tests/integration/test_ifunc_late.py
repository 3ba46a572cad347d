#!/usr/bin/env python3
"""test_ifunc_late.py O0|O2: IFUNCs bound late, when the program runs the resolver.

Where dwtrace cannot call an IFUNC's resolver (a library announced by dlopen
before the dynamic linker relocated it; a static executable at its entry
point, before its start-up code applied its IRELATIVE relocations), it probes
the resolver and, where the program's own call of it returns, the
implementation it returned.  Every traced run: the program's stdout and exit
status as without dwtrace (check_unharmed).

- ifunc_late_app now|lazy|dlsym: libifunc_late.so's user IFUNC late_fn,
  bound at relocation (RTLD_NOW), at its first call (RTLD_LAZY, lazy PLT) or
  by dlsym.  `-e libifunc_late.so:late_fn`: one entry and one exit per call
  the program printed, x and the result as printed, named late_fn, impl a
  local function of the library (nm) other than the resolver; one note line
  saying it is probed when its resolver runs, no warning; the resolver ran
  as often as without dwtrace ("resolver runs=1" in both).
- ifunc_libm_app now|lazy: libm.so.6's cos (an IFUNC, readelf) found by
  dlsym: `-e libm.so.6:cos` gives every printed call with its argument and
  result, impl the function gdb's `info symbol` names for the pointer dlsym
  returned.  `-e 'libm.so.6:*'` prints one line for all of libm's IFUNCs
  (N, as many as readelf lists IFUNC symbols at most, the libc6-dbg symbol
  table included), not one per IFUNC, and -v names each, every one an IFUNC
  of libm (readelf).
- ifunc_static_app (static, no PT_INTERP): `-e strlen` gives impl equal to
  what gdb finds in strlen's IRELATIVE slot (readelf -r, addend = nm's
  strlen) once main runs, an entry with arg0 the string the program printed (the prototype of its own declaration)
  and an exit with the length it printed for each of its calls, and as many
  events as probing that implementation by name.
"""

import os
import re
import sys

import harness
from harness import fail

CALLS = 5


def notes(result):
    return [l for l in harness.stderr_lines(result) if "resolver runs" in l]


def no_warnings(where, result):
    bad = [l for l in harness.stderr_lines(result) if "warning" in l and "IFUNC" in l or "error" in l]
    if bad:
        fail("%s: unexpected lines:\n%s\n%s" % (where, "\n".join(bad), harness.describe(result)))


def pairs(events, where):
    """(entry, exit) pairs in order, one thread."""
    out = []
    for i in range(0, len(events), 2):
        if i + 1 >= len(events) or events[i]["type"] != "entry" or events[i + 1]["type"] != "exit":
            fail("%s: events do not alternate entry/exit: %s" % (where, events))
        out.append((events[i], events[i + 1]))
    return out


def nm_functions(path):
    """name -> (type letter, address) from nm's symbol table."""
    syms = {}
    for line in harness.run_ok(["nm", path]).stdout.splitlines():
        parts = line.split()
        if len(parts) == 3:
            syms[parts[2]] = (parts[1], int(parts[0], 16))
    return syms


def debug_file(path):
    """The detached debug file of path (libc6-dbg), found by build id."""
    m = re.search(r"Build ID: ([0-9a-f]+)", harness.run_ok(["readelf", "-n", path]).stdout)
    if not m:
        fail("readelf shows no build id for %s" % path)
    dbg = "/usr/lib/debug/.build-id/%s/%s.debug" % (m.group(1)[:2], m.group(1)[2:])
    if not os.path.exists(dbg):
        fail("no debug file %s for %s" % (dbg, path))
    return dbg


def readelf_ifuncs(*paths):
    """Names of the IFUNC symbols (dynamic and full symbol tables)."""
    names = set()
    out = "".join(harness.run_ok(["readelf", "-sW", "--dyn-syms", p]).stdout for p in paths)
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 8 and parts[3] == "IFUNC":
            names.add(parts[7].split("@")[0])
    return names


def case_user(opt, mode):
    where = "%s %s" % (opt, mode)
    app = harness.sample(opt, "ifunc_late_app")
    lib = os.path.join(os.path.dirname(app), "libifunc_late.so")
    plain, traced, path = harness.check_unharmed([app, mode, str(CALLS)],
                                                 ["-F", "json", "-e", "libifunc_late.so:late_fn"])
    if "resolver runs=1\n" not in plain.stdout:
        fail("%s: ifunc_late_app alone: %r" % (where, plain.stdout))
    calls = [(int(a), int(b)) for a, b in re.findall(r"late_fn\((\d+)\)=(\d+)", plain.stdout)]
    if len(calls) != CALLS:
        fail("%s: ifunc_late_app printed %r" % (where, plain.stdout))
    if len(notes(traced)) != 1 or "late_fn" not in notes(traced)[0]:
        fail("%s: expected one line saying late_fn is probed when its resolver runs\n%s"
             % (where, harness.describe(traced)))
    no_warnings(where, traced)
    syms = nm_functions(lib)
    events = harness.read_events(path)
    got = pairs(events, where)
    if len(got) != CALLS:
        fail("%s: %d calls traced, the program made %d\n%s" % (where, len(got), CALLS, events))
    for (x, r), (entry, exit_) in zip(calls, got):
        for ev in (entry, exit_):
            if ev["function"] != "late_fn" or ev["module"] != "libifunc_late.so":
                fail("%s: event %s is not late_fn's" % (where, ev))
            impl = ev.get("impl")
            if impl not in syms or syms[impl][0] not in "tT" or syms[impl][1] == syms["late_fn"][1]:
                fail("%s: impl %r is no function of the library other than the resolver (nm)" % (where, impl))
        if entry["args"] != {"x": x} or exit_["retval"] != r:
            fail("%s: late_fn(%d)=%d printed, traced %s -> %s" % (where, x, r, entry["args"], exit_["retval"]))


def gdb_cos_impl(app):
    """The function the pointer dlsym returned for cos points to (gdb)."""
    harness.require_tool("gdb")
    out = harness.run_ok(["gdb", "-nx", "-batch", "-ex", "break dlclose", "-ex", "run now 1", "-ex", "up",
                          "-ex", "info symbol (long)c", app]).stdout
    m = re.search(r"^(\S+) in section \.text of .*libm\.so\.6$", out, re.M)
    if not m:
        fail("gdb did not name the function dlsym returned for cos:\n" + out)
    return m.group(1)


def libm_path(app):
    out = harness.run_ok(["ldd", harness.sample("O0", "ifunc_late_app")]).stdout
    m = re.search(r"libc\.so\.6 => (\S+)", out)
    if not m:
        fail("ldd shows no libc.so.6:\n" + out)
    libm = os.path.join(os.path.dirname(os.path.realpath(m.group(1))), "libm.so.6")
    if not os.path.exists(libm):
        fail("no %s" % libm)
    return libm


def case_libm(opt, mode):
    where = "%s libm %s" % (opt, mode)
    app = harness.sample(opt, "ifunc_libm_app")
    libm = libm_path(app)
    if "cos" not in readelf_ifuncs(libm):
        fail("cos is no IFUNC of %s (readelf): the case tests nothing" % libm)
    impl = gdb_cos_impl(harness.sample("O0", "ifunc_libm_app"))
    plain, traced, path = harness.check_unharmed([app, mode, str(CALLS)], ["-F", "json", "-e", "libm.so.6:cos"])
    calls = [(float.fromhex(a), float.fromhex(b)) for a, b in re.findall(r"cos\((\S+)\)=(\S+)", plain.stdout)]
    if len(calls) != CALLS:
        fail("%s: ifunc_libm_app printed %r" % (where, plain.stdout))
    if len(notes(traced)) != 1:
        fail("%s: expected one line saying cos is probed when its resolver runs\n%s"
             % (where, harness.describe(traced)))
    no_warnings(where, traced)
    got = pairs(harness.read_events(path), where)
    if len(got) != CALLS:
        fail("%s: %d calls traced, the program made %d" % (where, len(got), CALLS))
    for (x, r), (entry, exit_) in zip(calls, got):
        if entry["function"] != "cos" or entry.get("impl") != impl or exit_.get("impl") != impl:
            fail("%s: %s is not cos bound to %s (gdb)" % (where, entry, impl))
        if list(entry["args"].values()) != [x] or exit_["retval"] != r:
            fail("%s: cos(%r)=%r printed, traced %s -> %s" % (where, x, r, entry["args"], exit_["retval"]))


def case_libm_glob(opt):
    where = "%s libm.so.6:*" % opt
    app = harness.sample(opt, "ifunc_libm_app")
    libm = libm_path(app)
    ifuncs = readelf_ifuncs(libm, debug_file(libm))
    _, traced, _ = harness.check_unharmed([app, "now", "1"], ["-e", "libm.so.6:*"])
    lines = [l for l in harness.stderr_lines(traced) if "IFUNC" in l]
    if len(lines) != 1:
        fail("%s: %d lines about IFUNCs, expected one\n%s" % (where, len(lines), "\n".join(lines)))
    m = re.search(r"(\d+) IFUNCs in libm\.so\.6 .*probed when their resolver runs", lines[0])
    if not m or not 1 < int(m.group(1)) <= len(ifuncs):
        fail("%s: %r does not count libm's %d IFUNCs" % (where, lines[0], len(ifuncs)))
    _, verbose, _ = harness.check_unharmed([app, "now", "1"], ["-v", "-e", "libm.so.6:*"])
    named = re.findall(r"IFUNC (\S+) in libm\.so\.6: probed when its resolver runs", verbose.stderr)
    if len(named) != int(m.group(1)) or not set(named) <= ifuncs:
        fail("%s: -v named %d IFUNCs (%s), the note counts %s; libm's IFUNCs: %s"
             % (where, len(named), named, m.group(1), sorted(ifuncs)))


def gdb_irelative_impl(app, name):
    """The function in name's IRELATIVE slot once main runs (gdb)."""
    syms = nm_functions(app)
    if syms.get(name, ("",))[0] != "i":
        fail("%s is no IFUNC of %s (nm)" % (name, app))
    slot = None
    for line in harness.run_ok(["readelf", "-rW", app]).stdout.splitlines():
        parts = line.split()
        if len(parts) >= 4 and parts[2] == "R_X86_64_IRELATIVE" and int(parts[3], 16) == syms[name][1]:
            slot = int(parts[0], 16)
    if slot is None:
        fail("no IRELATIVE relocation of %s in %s (readelf -r)" % (name, app))
    out = harness.run_ok(["gdb", "-nx", "-batch", "-ex", "break main", "-ex", "run", "-ex",
                          "info symbol *(long *)0x%x" % slot, app]).stdout
    m = re.search(r"^(\S+) in section \.text", out, re.M)
    if not m:
        fail("gdb did not name the function in %s's slot:\n%s" % (name, out))
    return m.group(1)


def case_static(opt):
    where = "%s static" % opt
    app = harness.sample(opt, "ifunc_static_app")
    if "INTERP" in harness.run_ok(["readelf", "-lW", app]).stdout:
        fail("%s: %s has a PT_INTERP: not static" % (where, app))
    impl = gdb_irelative_impl(app, "strlen")
    plain, traced, path = harness.check_unharmed([app, str(CALLS)], ["-F", "json", "-e", "strlen"])
    if len(notes(traced)) != 1:
        fail("%s: expected one line saying strlen is probed when its resolver runs\n%s"
             % (where, harness.describe(traced)))
    no_warnings(where, traced)
    got = pairs(harness.read_events(path), where)
    for entry, exit_ in got:
        if entry["function"] != "strlen" or entry.get("impl") != impl or exit_.get("impl") != impl:
            fail("%s: %s is not strlen bound to %s (gdb)" % (where, entry, impl))
    # The prototype comes from the program's own declaration of strlen
    # (libc.a has no DWARF): the argument is the string.
    calls = [(a, int(b)) for a, b in re.findall(r'strlen\("([^"]*)"\)=(\d+)', plain.stdout)]
    if len(calls) != CALLS:
        fail("%s: ifunc_static_app printed %r" % (where, plain.stdout))
    traced_calls = [(e["args"].get("arg0"), x["retval"]) for e, x in got]
    k = 0
    for c in calls:
        # libc's own calls (printf) come between the program's.
        while k < len(traced_calls) and traced_calls[k] != c:
            k += 1
        if k == len(traced_calls):
            fail("%s: the call strlen(%r)=%d the program printed was not traced in order: %s"
                 % (where, c[0], c[1], traced_calls))
        k += 1
    _, direct, dpath = harness.check_unharmed([app, str(CALLS)], ["-F", "json", "-e", impl])
    ndirect = len(harness.read_events(dpath))
    if ndirect != 2 * len(got):
        fail("%s: -e strlen gave %d events, -e %s %d" % (where, 2 * len(got), impl, ndirect))


def test(opt):
    for mode in ("now", "lazy", "dlsym"):
        case_user(opt, mode)
    for mode in ("now", "lazy"):
        case_libm(opt, mode)
    case_libm_glob(opt)
    case_static(opt)


if __name__ == "__main__":
    harness.main(test, harness.opt_level(sys.argv))
