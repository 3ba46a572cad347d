#!/usr/bin/env python3
"""Finding and choosing what to probe: `dwtrace list` of a library name, of a
running process (-p) and of a command (--); exclusions ('!GLOB', -x);
the probe list of -v and --list-probes; -f with a bare name that only the
program a wrapper script starts has.

Oracles, none from dwtrace: nm and readelf (addresses, sizes, file
offsets, the entry point), ldd (where the dynamic linker finds a library),
/proc (a process left running and untraced), and the samples' own output
(types_app's oracle lines, sample_app's and the wrapper's prints).  Every
traced run keeps the program's output and exit status (check_unharmed); every
bad input is one line on stderr with a non-zero status, and the program it
named is not run (or, with -p, runs on untouched).

usage: test_choose.py O0|O2
"""

import collections
import os
import re
import signal
import sys
from collections import Counter

import harness as h
import tracing

ROW = re.compile(r"^0x([0-9a-f]+) 0x([0-9a-f]+) (.*)$")


def nm_functions(elf, dynamic=True):
    """{name: address} of the defined functions of elf (nm -D)."""
    out = h.run_ok(["nm", "-D" if dynamic else "-a", "--defined-only", elf]).stdout
    funcs = {}
    for line in out.splitlines():
        f = line.split()
        if len(f) == 3 and f[1] in "TtWi":
            funcs[f[2].split("@")[0]] = int(f[0], 16)
    return funcs


def one_error(result, what, status=None):
    lines = h.stderr_lines(result)
    if (result.returncode == 0 or (status is not None and result.returncode != status) or len(lines) != 1
            or not lines[0].startswith("dwtrace: ")):
        h.fail("%s: expected one error line and a non-zero exit status%s\n%s"
               % (what, "" if status is None else " (%d)" % status, h.describe(result)))
    return lines[0]


def ldd_path(program, lib):
    out = h.run_ok(["ldd", program]).stdout
    m = re.search(r"^\s*%s => (\S+)" % re.escape(lib), out, re.M)
    if not m:
        h.fail("ldd %s does not list %s:\n%s" % (program, lib, out))
    return os.path.realpath(m.group(1))


def groups(stdout):
    """{module path: [(elf address, offset, prototype)]} of a grouped list."""
    out, cur = {}, None
    for line in stdout.splitlines():
        if line.startswith("# "):
            cur = os.path.realpath(line[2:])
            out[cur] = []
            continue
        m = ROW.match(line)
        if not m or cur is None:
            h.fail("unexpected line in dwtrace list output: %r" % line)
        out[cur].append((int(m.group(1), 16), int(m.group(2), 16), m.group(3)))
    return out


def test_list(opt):
    app = h.sample(opt, "sample_app")
    mylib = os.path.realpath(h.sample(opt, "libmylib.so"))

    # A library by name, found where ld.so finds it (ldd says where).
    libc = ldd_path(app, "libc.so.6")
    want = nm_functions(libc)["nanosleep"]
    r = h.run_dwtrace(["list", "libc.so.6", "nanosleep"])
    rows = [ROW.match(l) for l in r.stdout.splitlines()]
    if len(rows) != 1 or not rows[0] or (int(rows[0].group(1), 16), int(rows[0].group(2), 16)) != \
            (want, h.vaddr_to_offset(libc, want)) or "nanosleep(" not in rows[0].group(3):
        h.fail("list libc.so.6 nanosleep: expected nanosleep at 0x%x\n%s" % (want, h.describe(r)))
    line = one_error(h.run_dwtrace(["list", "libdwtrace-no-such.so.9"], expect_status=None), "unknown library", 1)
    if "libdwtrace-no-such.so.9" not in line:
        h.fail("the error does not name the library: %s" % line)

    # A command: listed at its entry point, then killed before main.
    r = h.run_dwtrace(["list", "my_*", "--", app, "3"])
    g = groups(r.stdout)
    fn = h.symbol(mylib, "my_traced_function")[0]
    if g.get(mylib) != [(fn, h.vaddr_to_offset(mylib, fn), g.get(mylib, [(0, 0, "")])[0][2])] or \
            "my_traced_function(" not in g[mylib][0][2] or "= 292" in r.stdout:
        h.fail("list my_* -- sample_app: expected %s with my_traced_function at 0x%x and no program output\n%s"
               % (mylib, fn, h.describe(r)))

    # A running process: read from /proc, neither stopped nor traced.
    spin = tracing.Running([h.sample(opt, "spin_app"), "60"])
    try:
        spin.stdout.wait_for(r"^ready$", 30, "spin_app")
        r = h.run_dwtrace(["list", "-p", str(spin.pid), "spin_*"])
        libspin = os.path.realpath(h.sample(opt, "libspin.so"))
        step = h.symbol(libspin, "spin_step")[0]
        g = groups(r.stdout)
        if list(g) != [libspin] or [(a, o) for a, o, _ in g[libspin]] != [(step, h.vaddr_to_offset(libspin, step))]:
            h.fail("list -p spin_app spin_*: expected only spin_step of %s at 0x%x\n%s" % (libspin, step, h.describe(r)))
        r = h.run_dwtrace(["list", "-p", str(spin.pid)])
        g = groups(r.stdout)
        for path in (libspin, libc):
            if path not in g:
                h.fail("list -p: module %s missing (got %s)" % (path, sorted(g)))
        want = nm_functions(libc)
        # By address: of several names at one address (__nanosleep,
        # nanosleep) list shows one.
        got = {(a, o) for a, o, _ in g[libc]}
        for name in ("nanosleep", "malloc"):
            if (want[name], h.vaddr_to_offset(libc, want[name])) not in got:
                h.fail("list -p: no function of libc at 0x%x, where nm puts %s" % (want[name], name))
        for tid in tracing.task_ids(spin.pid):
            if tracing.is_traced(spin.pid, tid) or tracing.is_stopped(spin.pid, tid):
                h.fail("list -p left thread %d of spin_app traced or stopped" % tid)
        tracing.send(spin.pid, signal.SIGUSR1)
        if spin.wait(30, "spin_app") != 0 or not re.search(r"^ok iterations=\d+$", spin.stdout.text(), re.M):
            h.fail("spin_app did not end well after list -p\n" + spin.describe())
    finally:
        tracing.kill_all()

    # Bad input: one line, a non-zero status.
    for args in (["list"], ["list", "-p"], ["list", "-p", "x1"], ["list", "-p", "1", "a", "b"],
                 ["list", "a", "b", "--", app], ["list", "--"], ["list", "-q"]):
        one_error(h.run_dwtrace(args, expect_status=None), "dwtrace %s" % " ".join(args), 2)
    r = h.run_dwtrace(["list", "--", "/nonexistent/dwtrace-prog"], expect_status=None)
    one_error(r, "list -- a missing program")
    # No process has the pid pid_max (pids stay below it).
    with open("/proc/sys/kernel/pid_max") as f:
        nopid = int(f.read())
    line = one_error(h.run_dwtrace(["list", "-p", str(nopid)], expect_status=None), "list -p a missing process")
    if line != "dwtrace: no process with pid %d" % nopid:
        h.fail("list -p %d: %r, expected 'no process with pid %d'" % (nopid, line, nopid))


def oracle_calls(stdout):
    """Entry counts per function from types_app's oracle lines."""
    import json
    return Counter(json.loads(l)["function"] for l in stdout.splitlines() if '"type":"entry"' in l)


def no_addresses(text):
    """types_app prints stack addresses, which differ from run to run."""
    return re.sub(r'"0x[0-9a-f]+"', '"0x"', text)


def test_exclude(opt):
    app = h.sample(opt, "types_app")
    lib = h.sample(opt, "libtypes.so")
    args = ["-F", "json", "-e", "t_*", "-e", "!t_ret_*", "-e", "t_ret_bool", "-x", "libtypes.so:t_many_ints",
            "-x", "dwtrace_nothing_*"]
    plain, traced, path = h.check_unharmed([app], args, normalize=no_addresses)
    calls = oracle_calls(plain.stdout)
    want = Counter({f: n for f, n in calls.items()
                    if f.startswith("t_") and (not f.startswith("t_ret_") or f == "t_ret_bool")
                    and f != "t_many_ints"})
    got = Counter(e["function"] for e in h.read_events(path) if e["type"] == "entry")
    if got != want or "t_ret_bool" not in want or "t_ret_double" not in calls:
        h.fail("with exclusions: entries %s, the program's calls say %s" % (dict(got), dict(want)))
    warn = [l for l in h.stderr_lines(traced) if "excludes nothing" in l]
    if len(warn) != 1 or "dwtrace_nothing_*" not in warn[0]:
        h.fail("no single warning for the exclusion that excludes nothing\n" + h.describe(traced))

    # Bad exclusions: one line, status 2, the program never ran.
    for args in (["-x", "t_*"], ["-e", "!t_*"], ["-e", "t_big", "-e", "!"], ["-e", "t_big", "-x", ""],
                 ["-e", "t_big", "-x", "libtypes.so:0x10"]):
        r = h.run_dwtrace(args + ["--", app], expect_status=None)
        one_error(r, "dwtrace %s" % " ".join(args), 2)
        if r.stdout:
            h.fail("the program ran after a bad exclusion\n" + h.describe(r))
    r = h.run_dwtrace(["-e", "t_ret_*", "-x", "t_*", "--", app], expect_status=None)
    line = one_error(r, "everything excluded", 1)
    if "exclusion" not in line or r.stdout:
        h.fail("everything excluded: %s" % h.describe(r))


PROBE = re.compile(r"^dwtrace: (probe|left out) (\S+) (\S+) 0x([0-9a-f]+) elf=0x([0-9a-f]+) offset=0x([0-9a-f]+)(.*)$")


def report(stderr):
    rows = []
    for line in stderr.splitlines():
        m = PROBE.match(line)
        if m:
            rows.append((m.group(1), m.group(2), m.group(3), int(m.group(4), 16), int(m.group(5), 16),
                         int(m.group(6), 16), m.group(7)))
    return rows


def test_list_probes(opt):
    app = h.sample(opt, "types_app")
    lib = h.sample(opt, "libtypes.so")
    nm = {n: a for n, a in nm_functions(lib).items() if n.startswith("t_ret_")}
    r = h.run_dwtrace(["--list-probes", "-e", "t_ret_*", "-x", "t_ret_ldouble", "--", app])
    if r.stdout:
        h.fail("--list-probes ran the program\n" + h.describe(r))
    rows = report(r.stderr)
    probes = {x[2]: x for x in rows if x[0] == "probe"}
    left = {x[2]: x for x in rows if x[0] == "left out"}
    if set(probes) != set(nm) - {"t_ret_ldouble"} or set(left) != {"t_ret_ldouble"}:
        h.fail("--list-probes: probes %s, left out %s; nm says %s" % (sorted(probes), sorted(left), sorted(nm)))
    bias = {x[3] - x[4] for x in rows}
    if len(bias) != 1 or bias.pop() % 4096:
        h.fail("--list-probes: loaded addresses do not share one page-aligned load bias: %s" % rows)
    for name, x in list(probes.items()) + list(left.items()):
        if x[1] != "libtypes.so" or x[4] != nm[name] or x[5] != h.vaddr_to_offset(lib, nm[name]):
            h.fail("--list-probes: %s at elf=0x%x offset=0x%x in %s; nm says 0x%x" % (name, x[4], x[5], x[1], nm[name]))
    if "excluded by '!t_ret_ldouble'" not in left["t_ret_ldouble"][6]:
        h.fail("--list-probes does not say why t_ret_ldouble is left out: %s" % (left["t_ret_ldouble"],))

    # -v: the same list at start, then the trace; _start gets entry events only.
    entry = int(re.search(r"Entry point address:\s+0x([0-9a-f]+)", h.run_ok(["readelf", "-h", app]).stdout).group(1), 16)
    plain, traced, path = h.check_unharmed([app], ["-v", "-e", "t_ret_bool", "-e", "_start"], normalize=no_addresses)
    rows = {x[2]: x for x in report(traced.stderr)}
    if rows.get("_start", (0,) * 7)[4] != entry or "entry events only: the entry point" not in rows["_start"][6]:
        h.fail("-v: _start should be at elf=0x%x with entry events only\n%s" % (entry, h.describe(traced)))
    if rows.get("t_ret_bool", (0,) * 7)[4] != nm["t_ret_bool"]:
        h.fail("-v: t_ret_bool not listed at 0x%x\n%s" % (nm["t_ret_bool"], h.describe(traced)))


def test_follow(opt):
    app = h.sample(opt, "sample_app")
    d = h.tempdir()
    script = os.path.join(d, "wrapper.sh")
    with open(script, "w") as f:
        f.write("#!/bin/sh\necho wrapper starting\nexec %s \"$@\"\n" % app)
    os.chmod(script, 0o755)
    for cmd in ([script, "3"], ["sh", "-c", "exec %s 2" % app]):
        plain, traced, path = h.check_unharmed(cmd, ["-f", "-F", "json", "-e", "my_traced_function"])
        printed = [int(v) for v in re.findall(r"^my_traced_function\(.*\) = (-?\d+)$", plain.stdout, re.M)]
        got = [e["retval"] for e in h.read_events(path) if e["type"] == "exit"]
        if not printed or got != printed:
            h.fail("-f %s: exits %s, the program printed %s\n%s" % (cmd, got, printed, h.describe(traced)))
        if not re.search(r"^dwtrace: probe 'my_traced_function' placed in sample_app \(pid \d+\)", traced.stderr, re.M):
            h.fail("-f: no note saying when the probe was placed\n" + h.describe(traced))
    # A C++ name waiting for the program is found as -e finds it (by its
    # demangled name, as gdb spells it), and the exclusion after it too.
    cxx = h.sample(opt, "cxx_names")
    cplain, traced, path = h.check_unharmed(["sh", "-c", "exec %s" % cxx],
                                            ["-f", "-F", "json", "-e", "Till::add", "-x", "shop::Till::add(int)"])
    want = collections.Counter(re.findall(r"^call (shop::Till::add\((?:long|char const\*|double)\)) ", cplain.stdout, re.M))
    got = collections.Counter(e["function"] for e in h.read_events(path) if e["type"] == "entry")
    if not want or got != want:
        h.fail("-f -e Till::add -x 'shop::Till::add(int)': entries %s, the program made %s\n%s"
               % (dict(got), dict(want), h.describe(traced)))
    if "was never placed" in traced.stderr or not re.search(r"^dwtrace: probe 'Till::add' placed in cxx_names", traced.stderr, re.M):
        h.fail("-f with a C++ name: expected the note that it was placed\n" + h.describe(traced))
    # A name that no program has: a warning at the end, the program unharmed.
    plain, traced, path = h.check_unharmed([script, "1"], ["-f", "-e", "my_traced_function", "-e", "dwtrace_nowhere"])
    if "probe 'dwtrace_nowhere' was never placed" not in traced.stderr:
        h.fail("-f: no warning for a probe never placed\n" + h.describe(traced))
    # ... and for a library the program loads later (dlopen).
    plain, traced, path = h.check_unharmed([h.sample(opt, "dlopen_app")], ["-f", "-F", "json", "-e", "plugin_fn"])
    printed = [int(v) for v in re.findall(r"^plugin_fn\(x=\d+\) = (-?\d+)$", plain.stdout, re.M)]
    got = [e["retval"] for e in h.read_events(path) if e["type"] == "exit" and e["function"] == "plugin_fn"]
    if len(printed) != 5 or got != printed or "found in libplugin.so" not in traced.stderr:
        h.fail("-f, a bare name in a library loaded later: exits %s, printed %s\n%s" % (got, printed, h.describe(traced)))
    # Without -f the error stays, and the wrapper never ran.
    r = h.run_dwtrace(["-e", "my_traced_function", "--", script, "1"], expect_status=None)
    line = one_error(r, "a name the wrapper lacks, without -f", 1)
    if "my_traced_function" not in line or r.stdout:
        h.fail("without -f: %s" % h.describe(r))


def debug_file(elf):
    """The separate debug file of elf (by its build ID), where gdb finds it."""
    m = re.search(r"Build ID: ([0-9a-f]+)", h.run_ok(["readelf", "-n", elf]).stdout)
    if not m:
        h.fail("readelf -n %s shows no build ID" % elf)
    path = "/usr/lib/debug/.build-id/%s/%s.debug" % (m.group(1)[:2], m.group(1)[2:])
    if not os.path.exists(path):
        h.fail("no debug file %s for %s (libc6-dbg is a build dependency)" % (path, elf))
    return path


def test_shadowed(opt):
    """A bare name means the exported function: the local copies it leaves
    out are reported by -v, and the program's own static one is a warning."""
    app = h.sample(opt, "shadow_app")
    libc = ldd_path(app, "libc.so.6")
    if not re.search(r"^0*[0-9a-f]+ t warn$", h.run_ok(["nm", app]).stdout, re.M):
        h.fail("nm %s shows no local function warn" % app)
    if not re.search(r" T warn@@", h.run_ok(["nm", "-D", libc]).stdout):
        h.fail("nm -D %s shows no exported warn" % libc)
    plain, traced, path = h.check_unharmed([app, "4"], ["-F", "json", "-e", "warn"])
    warnings = [l for l in h.stderr_lines(traced) if "warning" in l]
    if (len(warnings) != 1 or "shadow_app:warn" not in warnings[0] or "libc.so.6" not in warnings[0]
            or any(e["module"] == "shadow_app" for e in h.read_events(path))):
        h.fail("-e warn: expected one warning naming shadow_app:warn and libc.so.6, and no event of the "
               "program's warn\n" + h.describe(traced))
    # ... and that one, by its module, gives the calls the program printed.
    printed = [int(v) for v in re.findall(r"^warn\(\d+\) = (\d+)$", plain.stdout, re.M)]
    plain, traced, path = h.check_unharmed([app, "4"], ["-F", "json", "-e", "shadow_app:warn"])
    got = [e["retval"] for e in h.read_events(path) if e["type"] == "exit"]
    if len(printed) != 4 or got != printed or "warning" in traced.stderr:
        h.fail("-e shadow_app:warn: exits %s, the program printed %s\n%s" % (got, printed, h.describe(traced)))
    # ld.so's private strlen (a local symbol of its debug file): -v says
    # it was left out and how to probe it; no warning without -v.
    capp = h.sample(opt, "libc_app")
    ld = os.path.realpath("/lib64/ld-linux-x86-64.so.2")
    m = re.search(r"^0*([0-9a-f]+) t strlen$", h.run_ok(["nm", debug_file(ld)]).stdout, re.M)
    if not m:
        h.fail("nm of %s's debug file shows no local strlen" % ld)
    no_addr = lambda text: re.sub(r"0x[0-9a-f]+", "0x", text)
    plain, traced, path = h.check_unharmed([capp], ["-v", "-e", "strlen"], normalize=no_addr)
    want = re.compile(r"^dwtrace: left out ld-linux-x86-64\.so\.2 strlen 0x[0-9a-f]+ elf=0x%s offset=0x[0-9a-f]+: "
                      r"a local symbol; libc\.so\.6 exports the name; probe it as ld-linux-x86-64\.so\.2:strlen$"
                      % m.group(1), re.M)
    if not want.search(traced.stderr):
        h.fail("-v -e strlen: no line saying ld.so's strlen at 0x%s was left out\n%s" % (m.group(1), h.describe(traced)))
    plain, traced, path = h.check_unharmed([capp], ["-e", "strlen"], normalize=no_addr)
    if "ld-linux" in traced.stderr:
        h.fail("-e strlen without -v mentions ld.so\n" + h.describe(traced))


def test(opt):
    test_shadowed(opt)
    test_list(opt)
    test_exclude(opt)
    test_list_probes(opt)
    test_follow(opt)


if __name__ == "__main__":
    h.main(test, h.opt_level(sys.argv))
