#!/usr/bin/env python3
"""File offsets in stripped files (no .symtab, no DWARF): stripped/stripped_app
and stripped/libmylib.so are copies of stripped_app and libmylib.so made by
strip --strip-all.

Oracles, none from dwtrace: the functions' addresses and sizes come from nm
on the unstripped twins, their file offsets from readelf -l, the FDE ranges
from readelf --debug-dump=frames of the stripped file, and the calls and
their results from what stripped_app prints.  Every run keeps the program's
output and exit status (check_unharmed).

usage: test_stripped.py O0|O2
"""

import json
import re
import sys

import harness as h

N = 5


def fde_ranges(elf):
    """[(start, end)] of every FDE in elf's .eh_frame, from readelf."""
    out = h.run_ok(["readelf", "--debug-dump=frames", elf]).stdout
    ranges = [(int(a, 16), int(b, 16)) for a, b in re.findall(r"FDE cie=\w+ pc=([0-9a-f]+)\.\.([0-9a-f]+)", out)]
    if not ranges:
        h.fail("readelf shows no FDE in %s" % elf)
    return ranges


def json_events(path):
    return [e for e in h.read_events(path)]


def one_error_line(result, what):
    lines = h.stderr_lines(result)
    if result.returncode == 0 or len(lines) != 1 or not lines[0].startswith("dwtrace: "):
        h.fail("%s: expected one error line and a non-zero status\n%s" % (what, h.describe(result)))
    return lines[0]


def test(opt):
    twin = h.sample(opt, "stripped_app")
    app = h.sample(opt, "stripped/stripped_app")
    lib_twin = h.sample(opt, "libmylib.so")
    lib = h.sample(opt, "stripped/libmylib.so")

    # The stripped copies really have no .symtab (else this tests nothing).
    for f in (app, lib):
        sections = h.run_ok(["readelf", "-SW", f]).stdout
        if ".symtab" in sections or ".debug_info" in sections:
            h.fail("%s still has .symtab or DWARF:\n%s" % (f, sections))

    step, step_size = h.symbol(twin, "step")
    main, main_size = h.symbol(twin, "main")
    fdes = fde_ranges(app)
    for name, addr, size in (("step", step, step_size), ("main", main, main_size)):
        if (addr, addr + size) not in fdes:
            h.fail("no FDE of %s covers exactly %s [0x%x, 0x%x): %s" % (app, name, addr, addr + size, fdes))
    step_off = h.vaddr_to_offset(app, step)
    main_off = h.vaddr_to_offset(app, main)

    # Two functions of the stripped executable by offset, with their exits.
    cmd = [app, str(N)]
    plain, traced, path = h.check_unharmed(cmd, ["-F", "json", "-e", "stripped_app:0x%x" % step_off,
                                                 "-e", "stripped_app:0x%x" % main_off])
    printed = [int(v) for v in re.findall(r"^step\(\d+\) = (-?\d+)$", plain.stdout, re.M)]
    if len(printed) != N:
        h.fail("stripped_app printed %d step lines, expected %d:\n%s" % (len(printed), N, plain.stdout))
    if "has no symbols" not in traced.stderr:
        h.fail("no note that the file has no symbols\n" + h.describe(traced))
    evs = json_events(path)
    sname, mname = "sub_%x" % step, "sub_%x" % main
    entries = [e for e in evs if e["type"] == "entry" and e["function"] == sname]
    exits = [e for e in evs if e["type"] == "exit" and e["function"] == sname]
    if [e["args"]["arg0"] for e in entries] != list(range(N)):
        h.fail("entries of %s: arg0 %s, expected %s" % (sname, [e["args"]["arg0"] for e in entries], list(range(N))))
    if [e["retval"] for e in exits] != printed:
        h.fail("exits of %s: %s, the program printed %s" % (sname, [e["retval"] for e in exits], printed))
    main_evs = [(e["type"], e.get("retval")) for e in evs if e["function"] == mname]
    if main_evs != [("entry", None), ("exit", 0)]:
        h.fail("events of main (%s): %s, expected one entry and an exit returning 0" % (mname, main_evs))
    if any(e["module"] != "stripped_app" for e in evs):
        h.fail("events name another module: %s" % evs)

    # An offset inside a function: refused, naming where it starts; the
    # program never ran.
    inside = main_off + 4
    r = h.run_dwtrace(["-e", "stripped_app:0x%x" % inside, "--", app, "1"], expect_status=None)
    line = one_error_line(r, "offset inside main")
    if "starts at offset 0x%x" % main_off not in line or r.stdout:
        h.fail("offset 0x%x inside main: expected 'starts at offset 0x%x' and no program output\n%s"
               % (inside, main_off, h.describe(r)))

    # Code no FDE covers (_init, in .init, from crti.o, has no CFI): that
    # address alone, entry events only; the ELF header is no code at all.
    m = re.search(r"\s\.init\s+PROGBITS\s+([0-9a-f]+)\s+([0-9a-f]+)", h.run_ok(["readelf", "-SW", app]).stdout)
    if not m:
        h.fail("readelf -SW %s shows no .init section" % app)
    init = int(m.group(1), 16)
    if any(a <= init < b for a, b in fdes):
        h.fail("an FDE covers .init at 0x%x in %s: %s" % (init, app, fdes))
    plain, traced, path = h.check_unharmed([app, "1"], ["-F", "json", "-e", "stripped_app:0x%x" % int(m.group(2), 16)])
    got = [(e["type"], e["function"]) for e in json_events(path)]
    if got != [("entry", "sub_%x" % init)] or "probing that address alone" not in traced.stderr:
        h.fail("_init by offset: events %s, expected one entry of sub_%x\n%s" % (got, init, h.describe(traced)))
    # Code no FDE covers, inside an instruction (crtstuff's functions in
    # .text have no CFI): a breakpoint there would corrupt the instruction,
    # so it is refused naming the instruction, which objdump shows; the
    # instruction's own start is probed and the program runs unharmed.
    insns = []
    for line in h.run_ok(["objdump", "-d", "--section=.text", app]).stdout.splitlines():
        mm = re.match(r"^\s*([0-9a-f]+):\t((?:[0-9a-f]{2} )+)\s*\t", line)
        if mm:
            insns.append((int(mm.group(1), 16), len(mm.group(2).split())))
    long_insn = next(((a, n) for a, n in insns if n >= 3 and not any(lo <= a < hi for lo, hi in fdes)), None)
    if not long_insn:
        h.fail("objdump -d %s shows no instruction of 3 bytes or more outside every FDE %s" % (app, fdes))
    start_off = h.vaddr_to_offset(app, long_insn[0])
    for delta in (1, long_insn[1] - 1):
        r = h.run_dwtrace(["-e", "stripped_app:0x%x" % (start_off + delta), "--", app, "1"], expect_status=None)
        line = one_error_line(r, "offset inside an instruction")
        if "inside the instruction at 0x%x" % start_off not in line or r.stdout:
            h.fail("offset 0x%x inside the instruction at 0x%x: expected that error and no program output\n%s"
                   % (start_off + delta, start_off, h.describe(r)))
    h.check_unharmed([app, "1"], ["-e", "stripped_app:0x%x" % start_off])

    r = h.run_dwtrace(["-e", "stripped_app:0x0", "--", app, "1"], expect_status=None)
    if "not inside any function" not in one_error_line(r, "offset 0 (the ELF header)") or r.stdout:
        h.fail("offset 0: expected 'not inside any function' and no program output\n" + h.describe(r))

    # The stripped library: .dynsym names the function at its offset.
    fn, fn_size = h.symbol(lib_twin, "my_traced_function")
    dyn = h.run_ok(["nm", "-D", "--defined-only", lib]).stdout
    if not re.search(r"^0*%x T my_traced_function$" % fn, dyn, re.M):
        h.fail("nm -D %s does not show my_traced_function at 0x%x:\n%s" % (lib, fn, dyn))
    fn_off = h.vaddr_to_offset(lib, fn)
    plain, traced, path = h.check_unharmed(cmd, ["-F", "json", "-e", "libmylib.so:0x%x" % fn_off])
    printed = [int(v) for v in re.findall(r"^my_traced_function\(\d+\) = (-?\d+)$", plain.stdout, re.M)]
    evs = json_events(path)
    got = [e["retval"] for e in evs if e["type"] == "exit" and e["function"] == "my_traced_function"]
    if len(printed) != N or got != printed:
        h.fail("my_traced_function by offset in the stripped library: exits %s, the program printed %s\n%s"
               % (got, printed, h.describe(traced)))

    # list: the stripped library's dynamic symbols; the stripped executable
    # has none, which is an error that says what to do.
    r = h.run_dwtrace(["list", lib])
    rows = [l.split() for l in r.stdout.splitlines()]
    if [(int(x[0], 16), int(x[1], 16)) for x in rows if "my_traced_function" in x[2]] != [(fn, fn_off)]:
        h.fail("dwtrace list %s: expected my_traced_function at 0x%x, offset 0x%x\n%s" % (lib, fn, fn_off, h.describe(r)))
    r = h.run_dwtrace(["list", app], expect_status=None)
    line = one_error_line(r, "list of a stripped executable")
    if "0xOFFSET" not in line:
        h.fail("list of a stripped executable should say to probe by offset\n" + h.describe(r))


if __name__ == "__main__":
    h.main(test, h.opt_level(sys.argv))
