#!/usr/bin/env python3
"""test_dw_loc_gdb.py O0|O2|O3: variables located from DWARF at every
instruction of a few functions, checked against gdb stopped at the same
addresses.

tests/unit/loc_probe_tool runs types_app (mylib's sample_app too) with an
int3 at each instruction of a function, and at the first hit of each prints
every parameter and local in scope (dw_scope_at), captured by a capture
program into a record and decoded from it -- what a probe inside a function
does, minus dwtrace's engines.  gdb, through its Python API, stops at the
same addresses of the same binaries (address randomization off in both)
and prints each symbol of each frame's blocks, inlined frames included.

The rules: a value both show must be the same (integers, pointers, floats);
a value gdb cannot show (<optimized out>) must not be shown by dwtrace
either -- that would be a guess; a value gdb shows that dwtrace says is
unavailable is counted, and must stay a minority.  The test fails if too
few values were compared, so that it cannot pass on two empty outputs.
"""

import os
import subprocess
import sys

import harness
from harness import fail

# (sample program, module, function): called by the program's first run.
TARGETS = {
    "types": [("types_app", "libtypes.so", f)
              for f in ("t_small", "t_big", "t_mixed", "t_string", "t_enums", "t_floats", "t_union")],
    "mylib": [("sample_app", "libmylib.so", "my_traced_function")],
}

GDB_SCRIPT = r'''
import gdb
gdb.execute("set pagination off")
gdb.execute("set confirm off")
gdb.execute("set debuginfod enabled off")
gdb.execute("set startup-with-shell off")
gdb.execute("unset environment LINES")
gdb.execute("unset environment COLUMNS")
gdb.execute("set print entry-values no")
FUNC = "%(func)s"
OFFS = [%(offs)s]
gdb.execute("break main")
gdb.execute("run")
base = int(gdb.parse_and_eval("&" + FUNC).cast(gdb.lookup_type("long")))
bps = {}
for off in OFFS:
    b = gdb.Breakpoint("*%%d" %% (base + off), internal=True)
    bps[base + off] = (b, off)

def fmt(v):
    try:
        if v.is_optimized_out:
            return "<optimized out>"
        t = v.type.strip_typedefs()
        c = t.code
        if c in (gdb.TYPE_CODE_INT, gdb.TYPE_CODE_ENUM, gdb.TYPE_CODE_BOOL, gdb.TYPE_CODE_CHAR):
            return str(int(v))
        if c == gdb.TYPE_CODE_PTR:
            return hex(int(v.cast(gdb.lookup_type("unsigned long"))))
        if c == gdb.TYPE_CODE_FLT:
            return repr(float(v))
        return "<aggregate>"
    except gdb.error as e:
        return "<error %%s>" %% str(e).replace("\t", " ")

def report(off):
    frame = gdb.newest_frame()
    while frame is not None:
        fn = frame.function()
        fname = fn.name if fn else "?"
        block = frame.block()
        seen = set()
        while block is not None:
            for sym in block:
                if not (sym.is_argument or sym.is_variable) or sym.name in seen:
                    continue
                if sym.addr_class == gdb.SYMBOL_LOC_STATIC:
                    continue
                seen.add(sym.name)
                print("GDB\t%%#x\t%%s\t%%s\t%%s" %% (off, fname, sym.name, fmt(sym.value(frame))))
            if block.function is not None:
                break
            block = block.superblock
        if frame.type() != gdb.INLINE_FRAME:
            break
        frame = frame.older()

while bps:
    try:
        gdb.execute("continue")
    except gdb.error:
        break
    if not gdb.selected_inferior().pid:
        break
    pc = gdb.newest_frame().pc()
    if pc in bps:
        b, off = bps.pop(pc)
        report(off)
        b.delete()
gdb.execute("kill")
'''


def instruction_offsets(lib, func):
    """The offset of each instruction of func from its start (objdump)."""
    out = harness.run_ok(["objdump", "-d", "--no-show-raw-insn", lib]).stdout
    addrs = []
    inside = False
    for line in out.splitlines():
        if line.endswith("<%s>:" % func):
            inside = True
            continue
        if inside:
            if not line.strip():
                break
            head = line.split(":", 1)[0].strip()
            try:
                addrs.append(int(head, 16))
            except ValueError:
                pass
    if len(addrs) < 2:
        fail("%s: no instructions of %s in objdump's output" % (lib, func))
    # The entry is the ABI's, not DWARF's: from the first instruction after.
    return [a - addrs[0] for a in addrs[1:]]


def parse(lines, prefix):
    values = {}
    for line in lines:
        parts = line.split("\t")
        if prefix:
            if parts[0] != prefix:
                continue
            parts = parts[1:]
        if len(parts) != 4:
            continue
        off, frame, name, value = parts
        values.setdefault((int(off, 16), frame, name), value)
    return values


def same(a, b):
    if a == b:
        return True
    try:
        x, y = float(a), float(b)
    except ValueError:
        return False
    # A float variable: gdb prints the double nearest the float; %.17g too.
    return x == y or abs(x - y) <= abs(y) * 1e-6


def check_function(opt, program, module, func, totals):
    prog = harness.sample(opt, program)
    lib = harness.sample(opt, module)
    offs = instruction_offsets(lib, func)
    tool = os.environ.get("LOC_PROBE_TOOL")
    if not tool or not os.path.isfile(tool):
        fail("LOC_PROBE_TOOL (tests/unit/loc_probe_tool) is not set")
    csv = ",".join("%#x" % o for o in offs)
    ours = harness.run([tool, module, func, csv, prog], timeout=120)
    if ours.returncode != 0:
        fail("loc_probe_tool %s %s: %s" % (module, func, harness.describe(ours)))
    script = os.path.join(harness.tempdir(), "script.py")
    with open(script, "w") as f:
        f.write(GDB_SCRIPT % {"func": func, "offs": csv})
    gdbout = harness.run(["gdb", "-nx", "-batch", "-ex", "source " + script, prog], timeout=300)
    ourvals = parse(ours.stdout.splitlines(), None)
    gdbvals = parse(gdbout.stdout.splitlines(), "GDB")
    if not gdbvals:
        fail("gdb printed nothing for %s: %s" % (func, harness.describe(gdbout)))
    for key, gv in sorted(gdbvals.items()):
        ov = ourvals.get(key)
        where = "%s+%#x %s %s" % (func, key[0], key[1], key[2])
        if ov is None:
            totals["absent"] += 1
            if os.environ.get("LOC_DEBUG"):
                print("absent: %s gdb %s" % (where, gv))
            continue
        if gv.startswith("<error") or gv == "<aggregate>" or ov == "<aggregate>":
            continue
        if gv == "<optimized out>":
            if not ov.startswith("<"):
                fail("%s: gdb says <optimized out>, dwtrace shows %s" % (where, ov))
            continue
        if ov.startswith("<"):
            totals["unavailable"] += 1
            totals["unavailable_where"].append("%s: gdb %s, dwtrace %s" % (where, gv, ov))
            continue
        if not same(ov, gv):
            fail("%s: dwtrace %s, gdb %s" % (where, ov, gv))
        totals["equal"] += 1


def test(opt):
    harness.require_tool("gdb")
    harness.require_tool("objdump")
    totals = {"equal": 0, "unavailable": 0, "absent": 0, "unavailable_where": []}
    for group in TARGETS.values():
        for program, module, func in group:
            check_function(opt, program, module, func, totals)
    print("%d values equal, %d gdb showed that dwtrace did not, %d variables gdb lists that dwtrace does not"
          % (totals["equal"], totals["unavailable"], totals["absent"]))
    for w in totals["unavailable_where"][:(10000 if os.environ.get("LOC_DEBUG") else 20)]:
        print("  unavailable: " + w)
    if totals["equal"] < 50:
        fail("only %d values compared" % totals["equal"])
    if totals["unavailable"] * 4 > totals["equal"]:
        fail("dwtrace could not show %d values gdb shows (%d equal)" % (totals["unavailable"], totals["equal"]))


if __name__ == "__main__":
    harness.main(test, harness.opt_level(sys.argv))
