"""gdb's backtraces as the oracle for --stack, and the comparison of
dwtrace's JSON stacks with them (test_stack.py, test_stack_tail.py,
test_stack_lto.py).

gdb -batch stops on a function's exact entry address (break *FUNCTION) a
given number of times and, at each stop, prints `bt` and walks the same
frames with its Python API for what bt does not print: the frame's kind
(normal, inlined, tail call), its pc, the start of its function, and the
object file the pc lies in.  The frames down to main are compared (gdb's
`backtrace past-main off`)."""

import json
import os
import re

import harness
from harness import fail

GDB_SETTINGS = harness.GDB_SETTINGS_COMMON + """\
set print frame-arguments none
set backtrace past-main off
set backtrace limit 200
"""

GDB_PYTHON = """\
python
import json

def dwtrace_test_frames():
    frames = []
    f = gdb.newest_frame()
    while f is not None:
        start = None
        try:
            b = f.block()
            while b is not None and b.function is None:
                b = b.superblock
            if b is not None:
                start = int(b.function.value().address)
        except RuntimeError:
            pass
        sal = f.find_sal()
        frames.append({
            "kind": ("inline" if f.type() == gdb.INLINE_FRAME else
                     "tailcall" if f.type() == gdb.TAILCALL_FRAME else
                     "normal" if f.type() == gdb.NORMAL_FRAME else str(f.type())),
            "name": f.name(),
            "pc": f.pc(),
            "start": start,
            "file": sal.symtab.filename if sal.symtab is not None else None,
            "line": sal.line if sal.symtab is not None else None,
            "objfile": gdb.solib_name(f.pc()) or gdb.current_progspace().filename,
        })
        f = f.older()
    print("@@FRAMES " + json.dumps(frames))
end
"""

# #1  0x00007ffff7fbc13c in lib_step (...) at /work/main/samples/stack_lib.c:31
BT_LINE = re.compile(r"^#(\d+)\s+(?:0x[0-9a-f]+ in )?(\S+) \([^()]*\)"
                     r"(?: at (.+):(\d+)| from (\S+))?$")


def show(v):
    s = json.dumps(v)
    return s if len(s) <= 3000 else s[:3000] + "...(%d chars)" % len(s)


def gdb_backtraces(cmd, function, stops=None, env=None, workdir=None, start="starti"):
    """The frames of gdb's first `stops` stops on function's entry address
    while running cmd (a list: program and arguments), one list per stop,
    innermost first, each frame a dict: name, file, line, kind, pc, start,
    module (basename of the object file).  bt and the Python walk must
    agree on names and lines.  stops None: every stop until the program
    exits, which it must do normally.  start is the gdb command that starts
    the program: starti stops at its first instruction (function must be in
    the executable), start runs to main (shared libraries are loaded).  The
    program's stdout goes to WORKDIR/gdb-app-stdout.txt."""
    gdb = harness.require_tool("gdb")
    workdir = workdir or harness.tempdir()
    script = [GDB_SETTINGS, GDB_PYTHON]
    for var, value in (env or {}).items():
        script.append("set environment %s=%s" % (var, value))
    script += ["%s > %s" % (start, os.path.join(workdir, "gdb-app-stdout.txt")),
               "break *%s" % function]
    show_stop = ["echo @@BT\\n", "bt", "echo @@END\\n", "python dwtrace_test_frames()", "continue"]
    if stops is None:
        script += ["commands"] + show_stop + ["end", "continue"]
    else:
        script.append("continue")
        for _ in range(stops):
            script += show_stop
        script.append("kill")
    path = os.path.join(workdir, "commands.gdb")
    with open(path, "w") as f:
        f.write("\n".join(script) + "\n")
    result = harness.run([gdb, "-nx", "-batch", "-x", path, "--args"] + list(cmd), timeout=120)
    backtraces, pending, bt = [], None, None
    for line in result.stdout.splitlines():
        if line == "@@BT":
            bt = []
        elif line == "@@END":
            if bt is None:
                fail("unexpected @@END in gdb's output\n" + harness.describe(result))
            pending, bt = bt, None
        elif bt is not None:
            m = BT_LINE.match(line)
            if not m:
                fail("cannot parse gdb's backtrace line %r\n%s" % (line, harness.describe(result)))
            if int(m.group(1)) != len(bt):
                fail("gdb's backtrace skips a frame at %r\n%s" % (line, harness.describe(result)))
            bt.append({"name": m.group(2), "line": int(m.group(4)) if m.group(4) else None})
        elif line.startswith("@@FRAMES "):
            if pending is None:
                fail("gdb's Python frames without a backtrace before them\n"
                     + harness.describe(result))
            frames = json.loads(line[len("@@FRAMES "):])
            if len(frames) != len(pending):
                fail("gdb's bt shows %d frames, its Python frame walk %d\n%s"
                     % (len(pending), len(frames), harness.describe(result)))
            for b, p in zip(pending, frames):
                if p["name"] != b["name"] or p["line"] != b["line"]:
                    fail("gdb's bt shows %s:%s, its Python frame walk %s:%s\n%s"
                         % (b["name"], b["line"], p["name"], p["line"], harness.describe(result)))
                if p["kind"] not in ("normal", "inline", "tailcall"):
                    fail("gdb shows a frame of kind %s (%s)\n%s"
                         % (p["kind"], p["name"], harness.describe(result)))
                p["module"] = os.path.basename(p.pop("objfile"))
            backtraces.append(frames)
            pending = None
    if pending is not None:
        fail("gdb's last backtrace has no Python frames\n%s" % harness.describe(result))
    if stops is None:
        if not re.search(r"^\[Inferior 1 \(process \d+\) exited normally\]$", result.stdout,
                         re.MULTILINE):
            fail("%s did not run to its end under gdb\n%s" % (cmd[0], harness.describe(result)))
        if not backtraces:
            fail("gdb never stopped on %s\n%s" % (function, harness.describe(result)))
    elif len(backtraces) != stops:
        fail("gdb stopped %d times on %s, expected %d\n%s"
             % (len(backtraces), function, stops, harness.describe(result)))
    return backtraces


def names_equal(gdb_name, dw_name):
    """gdb shows a glibc function declared with a hidden internal alias by
    its linkage name (__GI___qsort_r, __GI_qsort); DWARF's name is
    __qsort_r."""
    if dw_name == gdb_name:
        return True
    return gdb_name.startswith("__GI_") and dw_name == gdb_name[len("__GI_"):]


def addr2line(elf, addr):
    """binutils' `addr2line -i -f` of addr in elf: (function, file, line)
    per frame, innermost first."""
    result = harness.run_ok([harness.require_tool("addr2line"), "-i", "-f", "-e", elf, "0x%x" % addr])
    lines = result.stdout.splitlines()
    frames = []
    for name, where in zip(lines[0::2], lines[1::2]):
        file, _, line = where.rpartition(":")
        frames.append((name, file, int(line.split()[0]) if line[:1].isdigit() else None))
    if not frames:
        fail("addr2line shows nothing at 0x%x in %s\n%s" % (addr, elf, harness.describe(result)))
    return frames


def compare_stack(gdb_frames, stack, where, frame0_line=None):
    """dwtrace's JSON stack (an entry event's "stack") against gdb's frames:
    the same functions in the same order down to gdb's last frame, each
    frame as compare_frame() wants it.  frame0_line, when given, is the
    (file, line) frame #0 must have instead of gdb's: where the line table
    has several rows at one address (DWARF 5 views), gdb takes the last
    statement row, libdw and addr2line the first."""
    frames = [f for f in stack if "truncated" not in f]
    names = [f.get("function") for f in frames]
    gdb_names = [g["name"] for g in gdb_frames]
    if len(frames) < len(gdb_frames):
        fail("%s: %d frames, gdb shows %d:\n  dwtrace: %s\n  gdb:     %s"
             % (where, len(frames), len(gdb_frames), names, gdb_names))
    for i, g in enumerate(gdb_frames):
        d = frames[i]
        if d.get("function") is None or not names_equal(g["name"], d["function"]):
            fail("%s: frames differ from gdb's at #%d:\n  dwtrace: %s\n  gdb:     %s"
                 % (where, i, names, gdb_names))
        if i == 0 and frame0_line is not None:
            g = dict(g, file=frame0_line[0], line=frame0_line[1])
        compare_frame(g, d, i, frames, where)


def compare_frame(g, d, i, frames, where):
    """gdb's frame g against dwtrace's JSON frame d, frame #i of frames:
    the same function, module, source file (by name) and line, the same
    kind (inlined, tail call), and an offset that puts the frame at gdb's
    pc (gdb runs the program without address space randomization, dwtrace
    with it: addresses differ)."""
    w = "%s, frame #%d (gdb: %s)" % (where, i, g["name"])
    if d.get("function") is None or not names_equal(g["name"], d["function"]):
        fail("%s: function %r, gdb shows %r" % (w, d.get("function"), g["name"]))
    if d.get("module") != g["module"]:
        fail("%s: module %r, gdb: %r" % (w, d.get("module"), g["module"]))
    if g["file"] is not None:
        if d.get("file") is None or os.path.basename(d["file"]) != os.path.basename(g["file"]):
            fail("%s: file %r, gdb shows %r" % (w, d.get("file"), g["file"]))
        if d.get("line") != g["line"]:
            fail("%s: line %r, gdb shows %r" % (w, d.get("line"), g["line"]))
    for key, kind in (("inlined", "inline"), ("tail_call", "tailcall")):
        if key in d and d[key] is not True:
            fail("%s: %s is there and not true: %s" % (w, key, show(d)))
        if bool(d.get(key)) != (g["kind"] == kind):
            fail("%s: %s is %s, gdb's frame is of kind %s: %s"
                 % (w, key, d.get(key, "absent"), g["kind"], show(frames)))
    if g["kind"] == "inline":
        # (At a depth limit, the frame it is inlined into may be cut off.)
        if i + 1 < len(frames) and frames[i + 1]["addr"] != d["addr"]:
            fail("%s: an inlined frame must share its address with the next frame: %s"
                 % (w, show(frames[i:i + 2])))
        return
    if g["start"] is None:
        return  # no DWARF for it (_start): gdb knows no block
    # A tail call frame's pc is the return address of its jump; frame
    # #0 is at the entry; return addresses, or the call (one less).
    gdb_offset = g["pc"] - g["start"]
    allowed = (gdb_offset,) if i == 0 or g["kind"] == "tailcall" else (gdb_offset,
                                                                        gdb_offset - 1)
    if d["offset"] not in allowed:
        fail("%s: offset 0x%x, gdb's pc is at +0x%x" % (w, d["offset"], gdb_offset))
