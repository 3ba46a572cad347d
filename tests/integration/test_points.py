#!/usr/bin/env python3
"""test_points.py O0|O2|O3: probes inside functions (FILE:LINE, FUNC+OFF,
MODULE:0xOFFSET) against gdb stopped at the same addresses.

The oracle is gdb -batch on points_app: `break points_lib.c:LINE` (or
`break *ADDR`), and at each hit `info symbol $pc`, `info args`,
`info locals`.  dwtrace's JSON events ("type":"probe") for the same spec
must come as many times as gdb stops, in the same function at the same
offset, on that line, with the same parameters and locals (pointers are
only checked to be pointers: gdb runs the program without ASLR; what gdb
shows as <optimized out> must be {"unavailable": ...}).  Every traced run
checks that the program printed the same and exited with the same status as
alone.  Also: the three spellings of one point give the same events; a
point inside a loop at an instruction a 5-byte jump would cover a branch
target with (both engines); a point at the function's ret while the
function is probed too; bad specs give one clear line and a non-zero exit.
"""

import json
import os
import re
import signal
import sys

import fastpath
import harness
import tracing
from harness import fail
from test_gdb import GDB_SETTINGS, GdbValue

SOURCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "samples", "points_lib.c")
MARKS = ("ODD", "EVEN", "POLY", "CELL")
ARGS = ["2"]
VAR_LINE = re.compile(r"^([A-Za-z_]\w*) = (.*)$")
SYMBOL_LINE = re.compile(r"^(\w+)(?: \+ (\d+))? in section ")
JUMP_LINE = re.compile(r"^\s*0x([0-9a-f]+) <\+(\d+)>:\s+(j\w+)\s+0x([0-9a-f]+)")
INSN_LINE = re.compile(r"^\s*0x([0-9a-f]+) <\+(\d+)>:\s+(\S+)")
UNAVAILABLE = {"unavailable": "optimized out"}


def mark_lines():
    """{mark: line number} of the PT:MARK comments of points_lib.c."""
    lines = {}
    with open(SOURCE) as f:
        for n, text in enumerate(f, 1):
            m = re.search(r"PT:(\w+)", text)
            if m:
                lines[m.group(1)] = n
    missing = [m for m in MARKS if m not in lines]
    if missing:
        fail("%s has no mark PT:%s" % (SOURCE, ", PT:".join(missing)))
    return lines


def gdb_value(text):
    if text.startswith("<optimized out>"):
        return UNAVAILABLE
    return GdbValue(text).parse()


def gdb_hits(app, location, workdir, name):
    """Each stop of gdb at location (`points_lib.c:N` or `*pt_grid+64`, set
    at main, when libpoints.so is loaded): {"function", "offset", "line"
    (gdb's info line there), "args", "locals"}."""
    gdb = harness.require_tool("gdb")
    out = os.path.join(workdir, name + ".gdb-stdout")
    script = [GDB_SETTINGS, "break main", "run %s > %s" % (" ".join(ARGS), out), "delete 1",
              "break %s" % location,
              "commands", "silent", "echo @@HIT\\n", "info symbol $pc", "info line *$pc", "echo @@ARGS\\n",
              "info args", "echo @@LOCALS\\n", "info locals", "echo @@END\\n", "continue", "end",
              "continue"]
    path = os.path.join(workdir, name + ".gdb")
    with open(path, "w") as f:
        f.write("\n".join(script) + "\n")
    result = harness.run([gdb, "-nx", "-batch", "-x", path, app], timeout=120)
    hits, cur, mode = [], None, None
    for line in result.stdout.splitlines():
        if line == "@@HIT":
            cur, mode = {"args": {}, "locals": {}}, "symbol"
        elif line == "@@ARGS":
            mode = "args"
        elif line == "@@LOCALS":
            mode = "locals"
        elif line == "@@END":
            if "function" not in cur:
                fail("gdb did not say where it stopped\n" + harness.describe(result))
            hits.append(cur)
            mode = None
        elif mode == "symbol":
            m = SYMBOL_LINE.match(line)
            if m:
                cur["function"] = m.group(1)
                cur["offset"] = int(m.group(2) or 0)
            m = re.match(r'^Line (\d+) of "', line)
            if m:
                cur["line"] = int(m.group(1))
        elif mode in ("args", "locals"):
            m = VAR_LINE.match(line)
            if m and m.group(1) not in cur[mode]:  # a shadowed outer one: the inner comes first
                cur[mode][m.group(1)] = gdb_value(m.group(2))
    if not hits:
        fail("gdb never stopped at %s\n%s" % (location, harness.describe(result)))
    return hits


def offset_of(ev, where):
    off = ev.get("offset")
    if isinstance(off, str):
        try:
            return int(off, 0)
        except ValueError:
            pass
    if not isinstance(off, int):
        fail("%s: event has no offset: %s" % (where, json.dumps(ev)))
    return off


def same_value(expected, got):
    """gdb's value against dwtrace's: pointers only as pointers (ASLR)."""
    if isinstance(expected, str) and expected.startswith("0x"):
        return isinstance(got, str) and got.startswith("0x")
    return not harness.compare(expected, got, "", float32_ok=True)


def compare_hits(gdb, events, line, where):
    probes = [ev for ev in events if ev.get("type") == "probe"]
    if len(probes) != len(gdb):
        fail("%s: gdb stopped %d times, dwtrace gave %d probe events:\n  %s"
             % (where, len(gdb), len(probes), "\n  ".join(json.dumps(e) for e in probes[:8])))
    problems = []
    for n, (g, ev) in enumerate(zip(gdb, probes)):
        at = "%s hit %d" % (where, n + 1)
        if ev.get("function") != g["function"] or offset_of(ev, at) != g["offset"]:
            problems.append("%s: at %s+%s, gdb at %s+%d"
                            % (at, ev.get("function"), ev.get("offset"), g["function"], g["offset"]))
        want = line or g.get("line")
        if ev.get("line") != want or not str(ev.get("file", "")).endswith("points_lib.c"):
            problems.append("%s: at %s:%s, expected points_lib.c:%s" % (at, ev.get("file"), ev.get("line"), want))
        for part in ("args", "locals"):
            got = ev.get(part)
            if not isinstance(got, dict):
                problems.append("%s: no %s object: %s" % (at, part, json.dumps(ev)))
                continue
            for name, value in g[part].items():
                if name not in got:
                    problems.append("%s: %s lacks %s (gdb: %r)" % (at, part, name, value))
                elif not same_value(value, got[name]):
                    problems.append("%s: %s.%s = %r, gdb says %r" % (at, part, name, got[name], value))
    if problems:
        fail("%s: dwtrace differs from gdb:\n  %s" % (where, "\n  ".join(problems[:30])))


def traced_events(app, spec_args, where, extra=()):
    _, _, out = harness.check_unharmed([app] + ARGS, list(extra) + ["--format", "json"] + spec_args)
    return harness.read_events(out)


def engines():
    """The engine option of each traced run: the test's (from the
    environment), and in the default variant the agent forced as well (the
    default picks the ptrace engine for int3 probes)."""
    return [()] if harness.engine() else [(), ("--engine", "agent")]


def disassembly(lib, function):
    gdb = harness.require_tool("gdb")
    result = harness.run_ok([gdb, "-nx", "-batch", "-ex", "disassemble " + function, lib])
    insns = []
    for line in result.stdout.splitlines():
        m = INSN_LINE.match(line)
        if m:
            j = JUMP_LINE.match(line)
            insns.append((int(m.group(1), 16), int(m.group(2)), m.group(3),
                          int(j.group(4), 16) if j else None))
    if not insns:
        fail("gdb cannot disassemble %s in %s" % (function, lib))
    return insns


def check_lines(opt, app, lib, lines, workdir):
    for mark in MARKS:
        line = lines[mark]
        where = "points_lib.c:%d (PT:%s, %s)" % (line, mark, opt)
        gdb = gdb_hits(app, "points_lib.c:%d" % line, workdir, mark)
        for extra in engines():
            events = traced_events(app, ["-e", "points_lib.c:%d" % line], where + " " + " ".join(extra), extra)
            compare_hits(gdb, events, line, "%s %s" % (where, " ".join(extra)))
    return gdb


def check_spellings(opt, app, lib, lines, workdir):
    """PT:CELL as FUNC+OFF and as MODULE:0xOFFSET: the same instruction."""
    line = lines["CELL"]
    gdb = gdb_hits(app, "points_lib.c:%d" % line, workdir, "spell")
    func, off = gdb[0]["function"], gdb[0]["offset"]
    start, _ = harness.symbol(lib, func)
    file_off = harness.vaddr_to_offset(lib, start + off)
    # By address, the line is the line table's there, as gdb's info line says.
    gdb = gdb_hits(app, "*%s+%d" % (func, off), workdir, "spell-addr")
    for spec in ("%s+%d" % (func, off), "%s+0x%x" % (func, off), "libpoints.so:%s+0x%x" % (func, off),
                 "libpoints.so:0x%x" % file_off):
        where = "%s (%s)" % (spec, opt)
        compare_hits(gdb, traced_events(app, ["-e", spec], where), None, where)


def check_jump_target(opt, app, lib, workdir):
    """A point at an instruction whose next bytes hold a branch target of
    the function: a jump patch there would cut that target in two."""
    for func in ("pt_grid", "pt_sum", "pt_poly"):
        insns = disassembly(lib, func)
        targets = {t for (_, _, _, t) in insns if t is not None}
        for addr, off, _, _ in insns:
            if off and any(addr < t < addr + 5 for t in targets):
                where = "%s+%d before a branch target (%s)" % (func, off, opt)
                gdb = gdb_hits(app, "*%s+%d" % (func, off), workdir, "target")
                for extra in engines():
                    compare_hits(gdb, traced_events(app, ["-e", "%s+%d" % (func, off)], where, extra), None,
                                 where + " " + " ".join(extra))
                return
    fail("%s: no instruction of libpoints.so lies within 5 bytes before a branch target" % opt)


def check_ret_shared(opt, app, lib, workdir):
    """A point at the ret of a function probed too: both events (ptrace),
    or the point refused with a reason (agent: one patch per instruction)."""
    insns = disassembly(lib, "pt_grid")
    rets = [off for (_, off, mnem, _) in insns if mnem.startswith("ret")]
    if not rets:
        fail("pt_grid (%s) has no ret" % opt)
    spec = ["-e", "pt_grid", "-e", "pt_grid+%d" % rets[-1]]
    calls = int(ARGS[0])
    for extra in engines():
        _, traced, out = harness.check_unharmed([app] + ARGS, list(extra) + ["--format", "json"] + spec)
        events = harness.read_events(out)
        kinds = [ev.get("type") for ev in events]
        if kinds.count("entry") != calls or kinds.count("exit") != calls:
            fail("pt_grid and a probe at its ret (%s %s): %d calls, events %s\n%s"
                 % (opt, " ".join(extra), calls, kinds, harness.describe(traced)))
        if "agent" in extra:
            if kinds.count("probe") != 0 or "patched already" not in traced.stderr:
                fail("agent engine: a point at a patched ret must be refused with its reason\n%s"
                     % harness.describe(traced))
        elif kinds.count("probe") != calls:
            fail("ptrace engine: a point at pt_grid's ret: %d probe events for %d calls\n%s"
                 % (kinds.count("probe"), calls, harness.describe(traced)))


def check_bad_specs(opt, app, lib, lines):
    insns = disassembly(lib, "pt_sum")
    mid = next(((a, o) for (a, o, _, _), (b, _, _, _) in zip(insns, insns[1:]) if b - a > 1 and o), None)
    if not mid:
        fail("pt_sum (%s) has no instruction longer than a byte" % opt)
    with open(SOURCE) as f:
        src = f.read().splitlines()
    # A blank line inside pt_sum: no code.
    empty = next(n for n in range(1, len(src) + 1) if src[n - 1].strip() == "" and n > 10)
    cases = [
        (["-e", "pt_sum+%d" % (mid[1] + 1)], "inside an instruction"),
        (["-e", "points_lib.c:%d" % empty], "has no code"),
        (["-e", "no_such_file.c:3"], "no source file"),
        (["-e", "pt_sum+0x100000"], "outside pt_sum"),
        # Malformed lines, not libraries to wait for.
        (["-e", "points_lib.c:-3"], "'-3' is not a line number"),
        (["-e", "points_lib.c:10:5"], "'10:5' is not a line number"),
        (["-e", "no_such_file.cpp:pt_sum"], "'pt_sum' is not a line number"),
        (["-e", "libpoints.so:points_lib.c:x"], "'x' is not a line number"),
    ]
    # The line of pt_sum's first instruction (gdb's info line): a point at
    # the entry that -e pt_sum probes too, in either order.
    gdb = harness.require_tool("gdb")
    info = harness.run_ok([gdb, "-nx", "-batch", "-ex", "info line *pt_sum", lib]).stdout
    m = re.search(r'^Line (\d+) of "[^"]*points_lib.c" starts at address 0x[0-9a-f]+ <pt_sum>', info, re.M)
    if not m:
        fail("gdb's info line *pt_sum (%s) says no line of points_lib.c starts there:\n%s" % (opt, info))
    entry_line = "points_lib.c:%s" % m.group(1)
    # Only where gdb stops at the entry for that line (-O2); at -O0 it
    # stops past the prologue (check_opening_line).
    gdb_at = gdb_hits(app, entry_line, harness.tempdir(), "entry-line")
    if any(h["offset"] == 0 for h in gdb_at):
        cases += [(["-e", "pt_sum", "-e", entry_line], "one probe per address"),
                  (["-e", entry_line, "-e", "pt_sum"], "one probe per address")]
    for args, words in cases:
        result = harness.run_dwtrace(args + ["--", app] + ARGS, expect_status=None)
        errors = [l for l in harness.stderr_lines(result) if l.startswith("dwtrace:")]
        if result.returncode == 0 or len(errors) != 1 or words not in errors[0] or result.stdout:
            fail("%s: expected one error line saying %r, a non-zero status and the program not run\n%s"
                 % (" ".join(args), words, harness.describe(result)))


def check_opening_line(opt, app, lib, workdir):
    """pt_sum's opening line (its '{'): where gdb's break stops (past the
    prologue at -O0, where the parameters are in their stack slots), with
    gdb's parameter values, labelled with the line asked for in
    points_lib.c."""
    with open(SOURCE) as f:
        src = f.read().splitlines()
    decl = next(n for n, text in enumerate(src, 1) if " pt_sum(" in text)
    if src[decl].strip() != "{":
        fail("points_lib.c: pt_sum's '{' is not on the line after its declaration (line %d)" % decl)
    line = decl + 1
    hits = gdb_hits(app, "points_lib.c:%d" % line, workdir, "opening")
    if opt == "O0" and any(h["offset"] == 0 for h in hits):
        fail("gdb stopped at pt_sum+0 for its opening line at -O0: not the prologue case this checks")
    # The locals are not assigned yet: both would show stale stack bytes.
    for h in hits:
        h["locals"] = {}
    for extra in engines():
        where = "points_lib.c:%d, pt_sum's opening line (%s %s)" % (line, opt, " ".join(extra))
        compare_hits(hits, traced_events(app, ["-e", "points_lib.c:%d" % line], where, extra), line, where)


GDB_LOCATION = re.compile(r"^(\d+)(?:\.\d+)?\s.*?\b0x0*([0-9a-f]+) in .* at (\S+):(\d+)$")


def gdb_line_locations(elf, base, lines):
    """{line: {address}} where gdb's "break BASE:LINE" puts a location on
    that very line (not moved to another), from one gdb run without
    running elf."""
    gdb = harness.require_tool("gdb")
    args = [gdb, "-nx", "-batch", "-ex", "set debuginfod enabled off", "-ex", "set breakpoint pending off"]
    for line in lines:
        args += ["-ex", "break %s:%d" % (base, line)]
    out = harness.run(args + ["-ex", "info breakpoints", elf], timeout=300).stdout
    found = {}
    for text in out.splitlines():
        m = GDB_LOCATION.match(text)
        if m and m.group(3).endswith("/" + base) and int(m.group(4)) == lines[int(m.group(1)) - 1]:
            found.setdefault(lines[int(m.group(1)) - 1], set()).add(int(m.group(2), 16))
    if not found:
        fail("gdb put no breakpoint on any line of %s in %s:\n%s" % (base, elf, out[-3000:]))
    return found


def list_line_locations(elf, spec):
    """({address}, {file:line labels}) of list -v ELF SPEC, or None when
    dwtrace says the line has no code."""
    result = harness.run_dwtrace(["list", "-v", elf, spec], expect_status=None)
    if result.returncode != 0:
        if "has no code" not in result.stderr:
            fail("list -v %s %s failed:\n%s" % (elf, spec, harness.describe(result)))
        return None
    addrs, labels = set(), set()
    for text in result.stdout.splitlines():
        m = re.search(r" 0x([0-9a-f]+)(?: (\S+))?$", text.split(" (entry")[0])
        if not text.startswith("\t") and m:
            addrs.add(int(m.group(1), 16))
            labels.add(m.group(2))
    return addrs, labels


def check_line_label(opt):
    """Every line of cxx_names_std.cpp (C++ at -O2: libstdc++ inlined, its
    header's rows at the same addresses as the file's): dwtrace's addresses
    for FILE:LINE are gdb's break locations on that line (none when gdb
    moves to another line), each labelled cxx_names_std.cpp:LINE."""
    app = harness.sample(opt, "cxx_names_std")
    src = os.path.join(os.path.dirname(SOURCE), "cxx_names_std.cpp")
    with open(src) as f:
        lines = list(range(1, len(f.read().splitlines()) + 1))
    gdb = gdb_line_locations(app, "cxx_names_std.cpp", lines)
    # gdb moves a line's address in a .cold part (placed below the
    # function's entry) to the entry, as if in the prologue
    # (skip_prologue_sal compares it with the entry pc): dwtrace keeps the
    # line's own address there.
    cold = []
    for text in harness.run_ok(["nm", "-S", "--defined-only", app]).stdout.splitlines():
        f = text.split()
        if len(f) == 4 and ".cold" in f[3]:
            cold.append((int(f[0], 16), int(f[0], 16) + int(f[1], 16)))
    problems = []
    for line in lines:
        got = list_line_locations(app, "cxx_names_std.cpp:%d" % line)
        want = gdb.get(line, set())
        if got and not want and all(any(lo <= a < hi for lo, hi in cold) for a in got[0]):
            want = got[0]
        if (got[0] if got else set()) != want:
            problems.append("line %d: dwtrace at %s, gdb at %s" % (line, sorted(map(hex, got[0])) if got else "no code",
                                                                    sorted(map(hex, want))))
        elif got and got[1] != {"cxx_names_std.cpp:%d" % line}:
            problems.append("line %d: labelled %s" % (line, sorted(got[1])))
    if problems:
        fail("cxx_names_std.cpp (%s) against gdb's break FILE:LINE:\n  %s" % (opt, "\n  ".join(problems)))


def check_list_static(opt):
    """list -v of a function with a static local (ifunc_app's
    read_keeping_ymm15 and its pattern, at -O0 in memory): the address nm
    gives the symbol, as the header's addresses are the file's."""
    app = harness.sample(opt, "ifunc_app")
    nm = harness.run_ok(["nm", "--defined-only", app]).stdout
    m = re.search(r"^([0-9a-f]+) r pattern\.\d+$", nm, re.M)
    if not m:
        fail("nm finds no static pattern.N in %s:\n%s" % (app, nm[:2000]))
    want = "memory [0x%x]" % int(m.group(1), 16)
    insns = disassembly(app, "read_keeping_ymm15")
    for spec in ("read_keeping_ymm15", "read_keeping_ymm15+%d" % insns[1][1]):
        out = harness.run_dwtrace(["list", "-v", app, spec]).stdout
        row = [l for l in out.splitlines() if re.search(r"\bpattern\t", l)]
        if len(row) != 1 or not row[0].endswith("\t" + want):
            fail("list -v %s %s: pattern should be at %s (nm):\n%s" % (app, spec, want, out))


def check_list_clone(opt):
    """list -v of a clone (inline_app's area.isra.0 at -O2): its entry's
    parameters come from DWARF locations, and the header says so."""
    app = harness.sample(opt, "inline_app")
    out = harness.run_dwtrace(["list", "-v", app, "area"]).stdout
    head = [l for l in out.splitlines() if l.startswith("area.isra")]
    if not head or any("DWARF locations" not in l or "calling convention" in l for l in head):
        fail("list -v %s area: the clone's header should say its parameters come from DWARF locations:\n%s"
             % (app, out))
    plain = harness.run_dwtrace(["list", "-v", app, "main"]).stdout.splitlines()[0]
    if "calling convention" not in plain:
        fail("list -v %s main: an ordinary C entry reads by the calling convention:\n%s" % (app, plain))


def check_pending(opt):
    """MODULE:FILE:LINE in a library dlopen()ed later, unloaded and loaded
    again: one probe event per call the program prints (the agent engine
    does not wait for libraries: the default picks the ptrace engine)."""
    app = harness.sample(opt, "dlopen_app")
    src = os.path.join(os.path.dirname(SOURCE), "plugin.c")
    with open(src) as f:
        line = next(n for n, text in enumerate(f, 1) if "return x * 100" in text)
    _, traced, out = harness.check_unharmed([app], ["--format", "json", "-e", "libplugin.so:plugin.c:%d" % line])
    calls = len(re.findall(r"^plugin_fn\(", traced.stdout, re.M))
    probes = [ev for ev in harness.read_events(out) if ev.get("type") == "probe"]
    if not calls or len(probes) != calls or any(ev.get("line") != line for ev in probes):
        fail("libplugin.so:plugin.c:%d (%s): %d calls printed, probe events:\n  %s\n%s"
             % (line, opt, calls, "\n  ".join(json.dumps(e) for e in probes), harness.describe(traced)))


SCOPE_SYMBOL = re.compile(r"^Symbol (\w+) is (.*)$")
SCOPE_RANGE = re.compile(r"^  Range 0x([0-9a-f]+)-0x([0-9a-f]+): (.*)$")


def scope_where(text):
    """list -v's words for one of gdb's location descriptions, or None when
    gdb's words do not say (a DWARF expression)."""
    m = re.match(r"a variable in \$(\w+)", text)
    if m:
        return "register " + m.group(1)
    m = re.match(r"the constant (-?\d+)", text)
    if m:
        return "constant %d" % int(m.group(1))
    if text.startswith("optimized out"):
        return "optimized out"
    return None


def gdb_scope(lib, addrs):
    """{addr: {variable: list -v's expected words or None}} from gdb's
    `info scope *ADDR` on the library file."""
    gdb = harness.require_tool("gdb")
    cmd = [gdb, "-nx", "-batch"]
    for a in addrs:
        cmd += ["-ex", "echo @@SCOPE %x\\n" % a, "-ex", "info scope *0x%x" % a]
    result = harness.run_ok(cmd + [lib])
    scopes, cur, addr, name, multi = {}, None, None, None, False
    for line in result.stdout.splitlines():
        if line.startswith("@@SCOPE "):
            addr = int(line.split()[1], 16)
            cur = scopes.setdefault(addr, {})
            continue
        m = SCOPE_SYMBOL.match(line)
        if m and cur is not None:
            name, multi = m.group(1), m.group(2).startswith("multi-location")
            cur[name] = "optimized out" if multi else scope_where(m.group(2))
            continue
        m = SCOPE_RANGE.match(line)
        if m and multi and int(m.group(1), 16) <= addr < int(m.group(2), 16):
            cur[name] = scope_where(m.group(3))
    return scopes


def check_list_vars_forms(opt, app, lib, lines):
    """list -v SPEC -- COMMAND (started, stopped at its entry point, killed
    before main: none of its output) says what list -v FILE SPEC says."""
    spec = "points_lib.c:%d" % lines["CELL"]
    by_file = harness.run_dwtrace(["list", "-v", lib, spec])
    by_cmd = harness.run_dwtrace(["list", "-v", spec, "--", app] + ARGS)
    if by_cmd.stdout != by_file.stdout or not by_file.stdout:
        fail("list -v %s (%s): with the program it says\n%s\nwith the library\n%s"
             % (spec, opt, by_cmd.stdout, by_file.stdout))


def check_list_vars(opt, lib, lines):
    """dwtrace list -v at each marked line (and one entry): the variables gdb's
    `info scope` has there, each where gdb says it is when gdb says it in
    words (a register, a constant, optimized out)."""
    for spec in ["points_lib.c:%d" % lines[m] for m in MARKS] + ["pt_poly+0"]:
        result = harness.run_dwtrace(["list", "-v", lib, spec])
        sites, cur = {}, None
        for line in result.stdout.splitlines():
            if not line.startswith("\t"):
                fields = line.split()
                cur = sites.setdefault(int(fields[2], 16), {})
                continue
            decl, _, where = line[1:].partition("\t")
            m = re.search(r"([A-Za-z_]\w*)(\[[^]]*\])*$", decl)
            if m:
                cur[m.group(1)] = where
        if not sites:
            fail("list -v %s (%s) lists no address\n%s" % (spec, opt, harness.describe(result)))
        for addr, expected in gdb_scope(lib, list(sites)).items():
            got = sites[addr]
            at = "list -v %s (%s) at 0x%x" % (spec, opt, addr)
            if set(got) != set(expected):
                fail("%s: variables %s, gdb's info scope has %s\n%s"
                     % (at, sorted(got), sorted(expected), result.stdout))
            for name, where in expected.items():
                if where is not None and got[name] != where:
                    fail("%s: %s is '%s', gdb says '%s'\n%s" % (at, name, got[name], where, result.stdout))


def check_attach_cycles(opt):
    """Attach to a running spin_app, probe an instruction inside spin_step
    (an int3 on the agent engine, hit by 4 threads), detach; 10 times per
    engine.  A thread stopped between the int3 and its SIGTRAP used to
    get that signal after the trap was gone, and die of it.  spin_app's own
    check of every call must pass, its code must be as in the file."""
    app = harness.sample(opt, "spin_app")
    lib = os.path.join(os.path.dirname(app), "libspin.so")
    off = disassembly(lib, "spin_step")[1][1]
    code = fastpath.Code(lib, ["spin_step"])
    prog = tracing.Running([app, "300"])
    try:
        prog.stdout.wait_for(r"^ready$", 30, "spin_app")
        for extra in engines():
            seen = 0
            for k in range(10):
                where = "spin_app %s, -e spin_step+%d %s, attach cycle %d" % (opt, off, " ".join(extra), k)
                out = os.path.join(harness.tempdir(), "events")
                r = harness.run([harness.dwtrace()] + list(extra) + [
                    "-F", "json", "-o", out, "-e", "spin_step+%d" % off, "-p", str(prog.pid),
                    "--duration", "0.1"], timeout=60)
                if r.returncode != 0 or prog.proc.poll() is not None:
                    fail("%s: dwtrace exited %s, spin_app %s\n%s\n%s"
                         % (where, r.returncode, "ended" if prog.proc.poll() is not None else "runs",
                            harness.describe(r), prog.describe()))
                if code.patched(prog.pid):
                    fail("%s: spin_step's code differs from the file after dwtrace ended" % where)
                seen += any(ev.get("type") == "probe" for ev in harness.read_events(out))
            if seen < 5:
                fail("spin_app %s %s: probe events in %d of 10 cycles of 0.1 s" % (opt, " ".join(extra), seen))
        tracing.send(prog.pid, signal.SIGUSR1)
        status = prog.wait(30, "spin_app")
        lines = prog.stdout.text().splitlines()
        if status != 0 or not lines or not lines[-1].startswith("ok "):
            fail("spin_app %s: its own check failed (status %s)\n%s" % (opt, status, prog.describe()))
    finally:
        prog.kill()


def test(opt):
    workdir = harness.tempdir()
    app = harness.sample(opt, "points_app")
    lib = harness.sample(opt, "libpoints.so")
    lines = mark_lines()
    check_bad_specs(opt, app, lib, lines)
    check_list_vars(opt, lib, lines)
    check_list_vars_forms(opt, app, lib, lines)
    check_lines(opt, app, lib, lines, workdir)
    check_opening_line(opt, app, lib, workdir)
    check_spellings(opt, app, lib, lines, workdir)
    check_jump_target(opt, app, lib, workdir)
    check_ret_shared(opt, app, lib, workdir)
    if opt == "O2":  # cxx_names_std is built at -O0 and -O2; -O0 is the prologue case above
        check_line_label(opt)
    if opt == "O0":
        check_list_static(opt)
    else:
        check_list_clone(opt)
    if opt != "O3":  # dlopen_app and spin_app are built at -O0 and -O2
        check_pending(opt)
        check_attach_cycles(opt)


def opt_level(argv):
    """O0, O2, or O3: points_app alone is also built at -O3."""
    if len(argv) != 2 or argv[1] not in harness.OPT_LEVELS + ("O3",):
        fail("usage: %s O0|O2|O3" % os.path.basename(argv[0]))
    return argv[1]


if __name__ == "__main__":
    harness.main(lambda: test(opt_level(sys.argv)))
