#!/usr/bin/env python3
"""test_libc_ifunc.py O0|O2: glibc's IFUNC string functions and ld.so's copies.

libc_app (built with -fno-builtin) calls strlen, memcpy, memcmp, strcpy,
stpcpy, strchr and strncmp of libc.so.6 and prints each call's arguments and
result ("call NAME ARG=VALUE ... ret=VALUE"): the oracle.  In libc.so.6 these
names are STT_GNU_IFUNC symbols whose value is a resolver.

- Started program (stopped at its entry point, lazily bound: libc_app's own
  GOT slots are not bound yet): `-e strlen -e memcpy ...` must give, for
  every call the program printed, an entry with its arguments (pointers as
  printed, strings as passed) and an exit with its result, named after the
  public function, in libc.so.6, with "impl" naming a function of libc's
  symbol table (nm of the libc6-dbg file) of that function's family
  (__strlen_*, __memmove_* for memcpy ...), never the resolver.  strstr and
  strncat have no IRELATIVE slot in libc (readelf -r) and libc_app's own
  slots are not bound at its entry (lazy binding, no BIND_NOW: readelf -d):
  their resolvers are run in the target.
- `-e libc.so.6:strlen` and the glob `-e 'str*cpy'` likewise.
- Bare `-e strlen` never probes ld-linux-x86-64.so.2's private strlen; that
  one is reachable as `-e ld-linux-x86-64.so.2:strlen`.
- `dwtrace list LIBC 'str*cpy'` lists strcpy and strncpy at the addresses
  nm -D gives, with a prototype from a declaration and the IFUNC note.
- `-p PID`: libc_app --wait made one round of calls (its GOT is bound, the
  JUMP_SLOT of strstr included),
  dwtrace attaches, the next rounds are traced, with the same checks.
Every traced run: the program's stdout and exit status as without dwtrace.
"""

import os
import re
import signal
import subprocess
import sys
import time

import harness
from harness import fail

FUNCS = ["strlen", "memcpy", "memcmp", "strcpy", "stpcpy", "strchr", "strncmp", "strstr", "strncat"]
# IFUNCs with no R_X86_64_IRELATIVE slot in libc (checked by readelf below):
# before the program binds them, only running the resolver tells.
UNBOUND = ["strstr", "strncat"]
ROUND_LINES = 10
# Implementation families: memcpy is memmove's code in glibc 2.36 on x86-64.
FAMILY = {"memcpy": ("__memmove_", "__memcpy_")}
HEX = re.compile(r"0x[0-9a-f]+")


def libc_path(app):
    out = harness.run_ok(["ldd", app]).stdout
    m = re.search(r"libc\.so\.6 => (\S+)", out)
    if not m:
        fail("ldd does not show libc.so.6 for %s:\n%s" % (app, out))
    return os.path.realpath(m.group(1))


def libc_symbols(libc):
    """Function names of libc's full symbol table (the libc6-dbg file found
    by build id), by nm: the independent check of "impl"."""
    out = harness.run_ok(["readelf", "-n", libc]).stdout
    m = re.search(r"Build ID: ([0-9a-f]+)", out)
    if not m:
        fail("readelf shows no build id for %s" % libc)
    bid = m.group(1)
    dbg = "/usr/lib/debug/.build-id/%s/%s.debug" % (bid[:2], bid[2:])
    if not os.path.isfile(dbg):
        fail("%s is missing: install libc6-dbg" % dbg)
    names = {}
    for line in harness.run_ok(["nm", "--defined-only", dbg]).stdout.splitlines():
        f = line.split()
        if len(f) == 3:
            names.setdefault(f[2], set()).add(f[1])
    return names


def oracle_calls(stdout):
    calls = []
    for line in stdout.splitlines():
        if line.startswith("call "):
            words = line.split()
            calls.append((words[1], dict(w.split("=", 1) for w in words[2:])))
    if not calls:
        fail("libc_app printed no call lines:\n%s" % stdout)
    return calls


def paired(events):
    """(entry, exit) pairs in order; these functions do not nest."""
    pairs, open_entry = [], {}
    for ev in events:
        if ev["type"] == "entry":
            open_entry[(ev["tid"], ev["function"])] = ev
        elif ev["type"] == "exit":
            entry = open_entry.pop((ev["tid"], ev["function"]), None)
            if entry:
                pairs.append((entry, ev))
    return pairs


def arg_matches(name, want, got):
    """The sample's printed argument (want, text) against the event's args."""
    a = list(got["args"].values())
    if name == "strlen":
        return a[0] == want["s"]
    if name == "memcpy":
        return a[0] == want["dst"] and a[1] == want["src"] and a[2] == int(want["n"])
    if name == "memcmp":
        return a[0] == want["s1"] and a[2] == int(want["n"])
    if name in ("strcpy", "stpcpy"):
        return a[1] == want["src"]
    if name == "strchr":
        return a[0] == want["s"] and a[1] == int(want["c"])
    if name == "strncmp":
        return a[0] == want["s1"] and a[1] == want["s2"] and a[2] == int(want["n"])
    if name == "strstr":
        return a[0] == want["s1"] and a[1] == want["s2"]
    if name == "strncat":
        return a[1] == want["src"] and a[2] == int(want["n"])
    fail("no argument check for %s" % name)


def ret_matches(name, want, exit_ev):
    r = exit_ev.get("retval")
    if name in ("strlen", "memcmp", "strncmp"):
        return r == int(want["ret"])
    if name in ("strchr", "strstr"):
        return r == want["ret"]
    if name == "strncat":
        return r == want["result"]
    if name in ("strcpy", "stpcpy"):
        # char *: shown as the string there; the sample printed the pointer.
        return isinstance(r, str)
    return r == want["ret"]


def check_calls(where, calls, events, names, funcs):
    if not events:
        fail("%s: no events" % where)
    for ev in events:
        harness.check_event_fields(ev, where)
        if ev["module"] != "libc.so.6":
            fail("%s: event in %s, not libc.so.6: %s" % (where, ev["module"], ev))
        if ev["function"] not in funcs:
            fail("%s: event of %s, not probed: %s" % (where, ev["function"], ev))
        impl = ev.get("impl")
        prefixes = FAMILY.get(ev["function"], ("__%s_" % ev["function"],))
        if not impl or not impl.startswith(prefixes) or "ifunc" in impl:
            fail("%s: impl %r is not an implementation of %s: %s" % (where, impl, ev["function"], ev))
        if not names.get(impl, set()) & set("tT"):
            fail("%s: impl %s is no function in libc's symbol table (nm)" % (where, impl))
    pairs = paired(events)
    for name, want in calls:
        if name not in funcs:
            continue
        if not any(e["function"] == name and arg_matches(name, want, e) and ret_matches(name, want, x)
                   for e, x in pairs):
            fail("%s: no event pair for the sample's call %s %s; events of %s:\n%s"
                 % (where, name, want, name,
                    "\n".join(str(p) for p in pairs if p[0]["function"] == name)[:3000]))


def run_started(app, names, opt):
    no_addr = lambda s: HEX.sub("0x?", s)
    probes = []
    for f in FUNCS:
        probes += ["-e", f]
    plain, traced, path = harness.check_unharmed([app], ["-F", "json"] + probes, normalize=no_addr)
    events = harness.read_events(path)
    check_calls("started %s" % opt, oracle_calls(traced.stdout), events, names, FUNCS)
    if "ld-linux" in traced.stderr:
        fail("bare names reached ld.so:\n%s" % traced.stderr)

    _, traced, path = harness.check_unharmed([app], ["-F", "json", "-e", "libc.so.6:strlen"], normalize=no_addr)
    check_calls("libc.so.6:strlen %s" % opt, oracle_calls(traced.stdout), harness.read_events(path), names,
                ["strlen"])

    _, traced, path = harness.check_unharmed([app], ["-F", "json", "-e", "str*cpy"], normalize=no_addr)
    events = harness.read_events(path)
    check_calls("str*cpy %s" % opt, oracle_calls(traced.stdout), events, names, ["strcpy", "strncpy"])

    # ld.so's private copy, only by its module.
    _, traced, path = harness.check_unharmed([app], ["-F", "json", "-e", "ld-linux-x86-64.so.2:strlen"],
                                             normalize=no_addr)
    if "no function" in traced.stderr:
        fail("ld-linux-x86-64.so.2:strlen refused:\n%s" % traced.stderr)
    for ev in harness.read_events(path):
        if ev["module"] != "ld-linux-x86-64.so.2":
            fail("ld-linux-x86-64.so.2:strlen gave an event in %s" % ev["module"])


def dynamic_ifunc(libc, name):
    """The value of IFUNC name@@VERSION (the default version), by nm -D."""
    for line in harness.run_ok(["nm", "-D", "--defined-only", libc]).stdout.splitlines():
        f = line.split()
        if len(f) == 3 and f[1] == "i" and f[2].startswith(name + "@@"):
            return int(f[0], 16)
    fail("nm -D finds no IFUNC %s in %s" % (name, libc))


def run_list(libc):
    result = harness.run_dwtrace(["list", libc, "str*cpy"])
    lines = result.stdout.splitlines()
    for name in ("strcpy", "strncpy"):
        value = dynamic_ifunc(libc, name)
        line = [l for l in lines if re.search(r"\b%s\(" % name, l)]
        if not line:
            fail("list %s 'str*cpy' has no %s:\n%s" % (libc, name, result.stdout))
        if int(line[0].split()[0], 16) != value or "IFUNC" not in line[0]:
            fail("list: %s line %r, nm -D says 0x%x" % (name, line[0], value))
        if not re.search(r"char \*%s\(char \*(\w+)?, const char \*(\w+)?[,)]" % name, line[0]):
            fail("list: %s has no prototype from a declaration: %r" % (name, line[0]))
    # An implementation written in assembly: its DWARF says "no parameters,
    # returns a pointer"; the listing must not.
    result = harness.run_dwtrace(["list", libc, "__strlen_sse2"])
    if "(void)" in result.stdout or "__strlen_sse2(" not in result.stdout:
        fail("list: the assembly function __strlen_sse2 is listed as %r" % result.stdout)
    if not re.search(r"__strlen_sse2\((const char \*(\w+)?|\?)\)", result.stdout):
        fail("list: __strlen_sse2 has neither strlen's prototype nor raw arguments: %r" % result.stdout)
    # IFUNCs that libc's own CUs declare only by their internal alias
    # (__strchrnul, __wcslen): the prototype <string.h>/<wchar.h> give.
    for name, proto in (("strchrnul", r"char \*strchrnul\(const char \*\w*, int\w*\)"),
                        ("wcslen", r"size_t wcslen\(const wchar_t \*\w*\)")):
        result = harness.run_dwtrace(["list", libc, name])
        if not re.search(proto, result.stdout):
            fail("list: %s has not the prototype of its declaration (%s): %r" % (name, proto, result.stdout))


def run_attached(app, names, opt, warm, funcs):
    """warm: one round of calls before dwtrace attaches (slots bound);
    else dwtrace attaches while libc_app waits in read() with nothing bound
    and runs the resolvers in that thread, whose read() must go on."""
    where = "attached %s (%s)" % (opt, "bound" if warm else "in read(), unbound")
    events_path = os.path.join(harness.tempdir(), "events.json")
    prog = subprocess.Popen([app, "--wait"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    tracer = None
    try:
        if prog.stdout.readline().strip() != "ready":
            fail("%s: libc_app --wait did not say ready" % where)
        rounds = []

        def one_round():
            prog.stdin.write("go\n")
            prog.stdin.flush()
            out = "".join(prog.stdout.readline() for _ in range(ROUND_LINES))
            rounds.append(out)
            return out

        if warm:
            one_round()  # binds libc_app's GOT slots (lazy binding)
        probes = []
        for f in funcs:
            probes += ["-e", f]
        tracer = subprocess.Popen([harness.dwtrace(), "-v", "-F", "json", "-o", events_path] + probes
                                  + ["-p", str(prog.pid)], stderr=subprocess.PIPE, text=True)
        early_err = ""
        if not warm:
            # No round before every IFUNC is resolved (-v lists each
            # placed probe with its implementation): nothing was bound.
            notes = 0
            while notes < len(funcs):
                line = tracer.stderr.readline()
                if not line:
                    fail("%s: dwtrace ended before resolving %s:\n%s" % (where, funcs, early_err))
                early_err += line
                notes += " impl=" in line
        deadline = time.time() + 20
        while time.time() < deadline:
            one_round()
            if os.path.exists(events_path) and os.path.getsize(events_path) > 0:
                break
            time.sleep(0.2)
        one_round()
        tracer.send_signal(signal.SIGINT)
        _, err = tracer.communicate(timeout=20)
        err = early_err + err
        if tracer.returncode != 0:
            fail("%s: dwtrace exited with %s:\n%s" % (where, tracer.returncode, err))
        one_round()  # detached: the program goes on
        prog.stdin.close()
        status = prog.wait(timeout=20)
        if status != 0:
            fail("%s: libc_app exited with %s" % (where, status))
        norm = [HEX.sub("0x?", r) for r in rounds]
        if any(r != norm[0] for r in norm):
            fail("%s: the rounds of calls differ:\n%s" % (where, "".join(rounds)))
        calls = oracle_calls("".join(rounds))
        check_calls(where, calls, harness.read_events(events_path), names, funcs)
    finally:
        for p in (tracer, prog):
            if p and p.poll() is None:
                p.kill()
                p.wait()


def check_scenario(app, libc):
    """The facts that make UNBOUND need a resolver call when started."""
    irel = {int(l.split()[-1], 16) for l in harness.run_ok(["readelf", "-rW", libc]).stdout.splitlines()
            if "IRELATIV" in l}
    for name in UNBOUND:
        if dynamic_ifunc(libc, name) in irel:
            fail("%s has an IRELATIVE slot in %s: pick another function for UNBOUND" % (name, libc))
    dyn = harness.run_ok(["readelf", "-dW", app]).stdout
    if "BIND_NOW" in dyn or re.search(r"FLAGS_1.*\bNOW\b", dyn):
        fail("%s is linked with BIND_NOW: its slots are bound before its entry" % app)
    if not re.search(r"JUMP_SLO.*\bstrstr\b", harness.run_ok(["readelf", "-rW", app]).stdout):
        fail("%s has no JUMP_SLOT for strstr" % app)


def test(opt):
    app = harness.sample(opt, "libc_app")
    libc = libc_path(app)
    names = libc_symbols(libc)
    check_scenario(app, libc)
    run_started(app, names, opt)
    run_list(libc)
    run_attached(app, names, opt, True, ["strlen", "stpcpy", "memcpy", "strstr"])
    run_attached(app, names, opt, False, UNBOUND)


if __name__ == "__main__":
    harness.main(test, harness.opt_level(sys.argv))
