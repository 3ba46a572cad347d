#!/usr/bin/env python3
"""test_stack.py O0|O2: call stacks at function entry (--stack), with gdb as
the oracle.

stack_app (samples/stack_app.c, samples/stack_lib.c, built with
-fomit-frame-pointer at both levels) reaches st_leaf() of libstack.so
through the executable and the library with an inlined function in the
chain, through libc's qsort() (lib_compare is the comparator), and through
the recursion st_recurse(3).

gdb -batch stops on st_leaf's exact entry address (break *st_leaf) at every
call and shows the backtrace twice: `bt` (function names, source file and
line of each frame) and a Python walk over the same frames (the frame's
kind: normal, inlined or tail call; its pc, the start of its function and
the object file the pc lies in).  The k-th entry event of `dwtrace --format
json --stack -e st_leaf` must show the k-th of these backtraces, innermost
first, frame by frame down to main (what lies beyond main is not compared):

  - the same function names (gdb prints some glibc functions under their
    internal linkage names: __GI___qsort_r is __qsort_r; both are accepted);
  - frames gdb shows as inlined carry "inlined": true and share their address
    with the frame that follows them; the others do not carry it;
  - the module is the file the function lives in: libstack.so for st_* and
    lib_*, stack_app for app_* and main, libc.so.6 for qsort's internals,
    and the same as gdb's;
  - the source file has the same name as gdb's (stack_lib.c or stack_app.c
    for the sample's own functions), and the line is gdb's;
  - frame #0 is st_leaf itself at offset 0; for the other frames that are
    not inlined, the offset is gdb's pc minus the start of its function (or
    one less, for a tracer that shows the address of the call instead of the
    return address), and addr - offset is the function's start: the same
    load address for every function of stack_app and of libstack.so, with
    the symbol values from nm.

gdb also synthesizes "tail call frames" from DWARF call-site information:
qsort() tail-jumps to __qsort_r(), and when app_sort's call site says it
calls qsort (at -O2: -O0 writes no call sites) gdb shows a __GI_qsort frame
that is not on the stack, between __qsort_r and app_sort.  dwtrace must show
the same frames, marked "tail_call": true (and only those), at the return
address of the tail jump as gdb's pc, with gdb's line; at -O2 the oracle
must have that frame (libc6-dbg's call sites make it so).

The text format with --stack=3 must show exactly 3 frame lines after each
entry line, in the documented format, matching the first 3 frames of the
JSON run; --stack=2 in JSON gives exactly 2 frames and no "truncated"
marker.
"""

import os
import re
import sys

import harness
import stack_oracle
from harness import fail
from stack_oracle import names_equal, show

LIB = "libstack.so"
APP = "stack_app"
LIBC = "libc.so.6"
LEAF = "st_leaf"

# The text format of one frame (man page, TEXT OUTPUT).
TEXT_FRAME = re.compile(r"^    #(\d+) 0x([0-9a-f]+) (\?\?|[^\s+()]+)(?:\+0x([0-9a-f]+))?"
                        r"( \(inlined\)| \(tail call\))? \(([^()\s]+)\)(?: (\S+):(\d+))?$")
# The stack comes between an entry and its exit: the entry's line ends
# "<unfinished ...>", the exit has a line of its own.
TEXT_ENTRY = re.compile(r"^\d\d:\d\d:\d\d\.\d{6} \d+/\d+ st_leaf\(.*\) <unfinished \.\.\.>$")
TEXT_EXIT = re.compile(r"^\d\d:\d\d:\d\d\.\d{6} \d+/\d+ <\.\.\. st_leaf resumed> \u2192 .* <\d+\.\d{9}>$")
HEX = re.compile(r"^0x[0-9a-f]+$")

# The sample's own functions: module and source file.
OWN = {
    "st_leaf": (LIB, "stack_lib.c"),
    "lib_step": (LIB, "stack_lib.c"),
    "lib_level3": (LIB, "stack_lib.c"),
    "lib_level2": (LIB, "stack_lib.c"),
    "lib_compare": (LIB, "stack_lib.c"),
    "st_recurse": (LIB, "stack_lib.c"),
    "app_level1": (APP, "stack_app.c"),
    "app_sort": (APP, "stack_app.c"),
    "main": (APP, "stack_app.c"),
}


# ---------------------------------------------------------------------------
# The oracle

def gdb_backtraces(app, workdir):
    """One list of frames per stop of gdb on st_leaf's entry address until
    stack_app exits (stack_oracle.gdb_backtraces: name, file, line, kind,
    pc, start, module).  st_leaf is in libstack.so: it has an address once
    gdb has run to main."""
    backtraces = stack_oracle.gdb_backtraces([app], LEAF, workdir=workdir, start="start")
    out = harness.read_text(os.path.join(workdir, "gdb-app-stdout.txt"))
    if out != "done\n":
        fail("stack_app under gdb printed %r, expected 'done'" % out)
    return backtraces


def check_oracle(backtraces, opt):
    """The sample does what it is meant to, as gdb sees it: the three ways
    to st_leaf, every level with a frame of its own, lib_step inlined, and
    each function in the module it belongs to."""
    where = "gdb's backtraces of stack_app (%s)" % opt
    names = [[f["name"] for f in bt] for bt in backtraces]
    chain = ["st_leaf", "lib_step", "lib_level3", "lib_level2", "app_level1", "main"]
    recursion = ["st_leaf"] + ["st_recurse"] * 4 + ["main"]
    if names[0] != chain:
        fail("%s: the first one is %s, expected %s" % (where, names[0], chain))
    if names[-1] != recursion:
        fail("%s: the last one is %s, expected %s" % (where, names[-1], recursion))
    sorts = names[1:-1]
    if not sorts:
        fail("%s: no call of st_leaf from the qsort comparator" % where)
    for n, bt in zip(sorts, backtraces[1:-1]):
        tails = [f["name"] for f in bt if f["kind"] == "tailcall"]
        if opt == "O2" and tails != ["__GI_qsort"]:
            fail("%s: a call from the qsort comparator shows tail call frames %s, expected "
                 "__GI_qsort (are libc6-dbg's call sites there?)" % (where, tails))
        if (n[:2] != ["st_leaf", "lib_compare"] or n[-2:] != ["app_sort", "main"]
                or "msort_with_tmp" not in n):
            fail("%s: a call from the qsort comparator shows %s, expected st_leaf, "
                 "lib_compare, libc's frames with msort_with_tmp, app_sort, main" % (where, n))
    for bt in backtraces:
        for f in bt:
            own = OWN.get(f["name"])
            expected = own[0] if own else LIBC
            if f["module"] != expected:
                fail("%s: gdb finds %s in %s, expected %s" % (where, f["name"], f["module"],
                                                             expected))
            if own and (f["file"] is None or os.path.basename(f["file"]) != own[1]):
                fail("%s: gdb finds %s in source file %s, expected %s"
                     % (where, f["name"], f["file"], own[1]))
            if f["kind"] == "inline" and f["name"] != "lib_step" and own:
                fail("%s: gdb shows %s as inlined" % (where, f["name"]))
            if f["name"] == "lib_step" and f["kind"] != "inline":
                fail("%s: gdb does not show lib_step as inlined" % where)
            if f["kind"] == "tailcall" and f["name"] not in ("qsort", "__GI_qsort"):
                fail("%s: gdb shows %s as a tail call frame" % (where, f["name"]))
            if f["kind"] in ("normal", "tailcall") and f["start"] is None:
                fail("%s: gdb knows no start of function %s" % (where, f["name"]))


# ---------------------------------------------------------------------------
# dwtrace's stacks

def stack_frames(ev, where):
    """The frames of an entry event's stack, and its truncated marker (or None)."""
    stack = ev.get("stack")
    if not isinstance(stack, list):
        fail("%s: entry event without a \"stack\" array: %s" % (where, show(ev)))
    frames, truncated = [], None
    for i, fr in enumerate(stack):
        if not isinstance(fr, dict):
            fail("%s: stack element #%d is not an object: %s" % (where, i, show(ev)))
        if "truncated" in fr:
            if i != len(stack) - 1 or set(fr) != {"truncated"}:
                fail("%s: the truncated marker is not the last element on its own: %s"
                     % (where, show(ev)))
            if not isinstance(fr["truncated"], str) or not fr["truncated"]:
                fail("%s: truncated is not a non-empty string: %s" % (where, show(ev)))
            truncated = fr["truncated"]
        else:
            check_frame_fields(fr, "%s, frame #%d" % (where, i))
            frames.append(fr)
    return frames, truncated


def check_frame_fields(fr, where):
    for key in ("addr", "function", "offset", "module", "file", "line"):
        if key not in fr:
            fail("%s: frame lacks %s: %s" % (where, key, show(fr)))
    if not isinstance(fr["addr"], str) or not HEX.match(fr["addr"]):
        fail("%s: addr is not a hex string: %s" % (where, show(fr)))
    if fr["function"] is not None and not isinstance(fr["function"], str):
        fail("%s: function is neither a string nor null: %s" % (where, show(fr)))
    if isinstance(fr["offset"], bool) or not isinstance(fr["offset"], int) or fr["offset"] < 0:
        fail("%s: offset is not an integer >= 0: %s" % (where, show(fr)))
    if not isinstance(fr["module"], str) or not fr["module"]:
        fail("%s: module is not a non-empty string: %s" % (where, show(fr)))
    if fr["file"] is not None and not isinstance(fr["file"], str):
        fail("%s: file is neither a string nor null: %s" % (where, show(fr)))
    if fr["line"] is not None and (isinstance(fr["line"], bool) or not isinstance(fr["line"], int)):
        fail("%s: line is neither an integer nor null: %s" % (where, show(fr)))
    if (fr["file"] is None) != (fr["line"] is None):
        fail("%s: file and line must both be known or both null: %s" % (where, show(fr)))
    if "inlined" in fr and not isinstance(fr["inlined"], bool):
        fail("%s: inlined is not a boolean: %s" % (where, show(fr)))
    if "tail_call" in fr and fr["tail_call"] is not True:
        fail("%s: tail_call is there and not true: %s" % (where, show(fr)))
    if fr.get("tail_call") and fr.get("inlined"):
        fail("%s: a frame both inlined and a tail call: %s" % (where, show(fr)))


def compare_frame(g, d, i, frames, where):
    """gdb's frame g against dwtrace's frame d (frame #i of frames), as
    stack_oracle.compare_frame() compares them, and for the sample's own
    functions the module and source file they belong to; frame #0 is
    st_leaf's entry (offset 0)."""
    stack_oracle.compare_frame(g, d, i, frames, where)
    w = "%s, frame #%d (gdb: %s)" % (where, i, g["name"])
    own = OWN.get(g["name"])
    if own and d["module"] != own[0]:
        fail("%s: module %r, expected %r" % (w, d["module"], own[0]))
    if own and g["file"] is not None and not d["file"].endswith("/" + own[1]) and d["file"] != own[1]:
        fail("%s: file %r, expected %s" % (w, d["file"], own[1]))
    if i == 0 and d["offset"] != 0:
        fail("%s: frame #0 must be at offset 0 (the entry address), got %d" % (w, d["offset"]))


def check_load_addresses(frames, symbols, where):
    """addr - offset is the start of the function: for each of the sample's
    modules, the same load address for all its functions (not inlined)."""
    bases = {}
    for i, fr in enumerate(frames):
        if fr.get("inlined") or fr["function"] not in OWN:
            continue
        module = fr["module"]
        value = symbols[(module, fr["function"])]
        base = int(fr["addr"], 16) - fr["offset"] - value
        if base % 0x1000:
            fail("%s, frame #%d: addr %s - offset 0x%x is not %s's start (0x%x in %s) "
                 "at a page-aligned load address" % (where, i, fr["addr"], fr["offset"],
                                                     fr["function"], value, module))
        if bases.setdefault(module, base) != base:
            fail("%s, frame #%d: addr %s - offset 0x%x puts %s at load address 0x%x, "
                 "other frames of %s at 0x%x" % (where, i, fr["addr"], fr["offset"],
                                                  fr["function"], base, module, bases[module]))


def nm_symbols(opt):
    symbols = {}
    for name, (module, _) in OWN.items():
        if name == "lib_step":
            continue  # always inlined
        symbols[(module, name)] = harness.symbol(harness.sample(opt, module), name)[0]
    return symbols


def entry_events(out, count, where):
    events = harness.read_events(out)
    for i, ev in enumerate(events):
        harness.check_event_fields(ev, "%s, event #%d" % (where, i))
        if ev["function"] != LEAF or ev["module"] != LIB:
            fail("%s, event #%d: %s in %s, expected %s in %s"
                 % (where, i, ev["function"], ev["module"], LEAF, LIB))
        if ev["type"] == "exit" and "stack" in ev:
            fail("%s, event #%d: an exit event with a stack: %s" % (where, i, show(ev)))
    harness.check_alternation(events, where)
    entries = [ev for ev in events if ev["type"] == "entry"]
    if len(entries) != count:
        fail("%s: %d entry events, gdb stopped %d times on %s"
             % (where, len(entries), count, LEAF))
    return entries


def check_default_depth(opt, app, backtraces, symbols, workdir):
    where = "--stack, JSON (%s)" % opt
    out = os.path.join(workdir, "stack.json")
    result = harness.run_dwtrace(["--format", "json", "--stack", "-o", out, "-e", LEAF,
                                  "--", app], timeout=90)
    if result.stdout != "done\n":
        fail("%s: stack_app printed %r, expected 'done'\n%s"
             % (where, result.stdout, harness.describe(result)))
    entries = entry_events(out, len(backtraces), where)
    stacks = []
    for k, (ev, bt) in enumerate(zip(entries, backtraces)):
        w = "%s, call #%d of %s" % (where, k, LEAF)
        frames, truncated = stack_frames(ev, w)
        names = [fr["function"] for fr in frames]
        gdb_names = [g["name"] for g in bt]
        if len(frames) < len(bt):
            fail("%s: %d frames%s, gdb shows %d down to main:\n  dwtrace: %s\n  gdb:     %s"
                 % (w, len(frames), " (truncated: %s)" % truncated if truncated else "",
                    len(bt), names, gdb_names))
        if len(frames) > 32:
            fail("%s: %d frames, more than the default depth 32" % (w, len(frames)))
        for i, g in enumerate(bt):
            if frames[i]["function"] is None or not names_equal(g["name"], frames[i]["function"]):
                fail("%s: frames differ from gdb's at #%d:\n  dwtrace: %s\n  gdb:     %s"
                     % (w, i, names, gdb_names))
            compare_frame(g, frames[i], i, frames, w)
        check_load_addresses(frames[:len(bt)], symbols, w)
        stacks.append(frames)
    return stacks


def check_depth_two(opt, app, backtraces, workdir):
    where = "--stack=2, JSON (%s)" % opt
    out = os.path.join(workdir, "stack2.json")
    harness.run_dwtrace(["--format", "json", "--stack=2", "-o", out, "-e", LEAF,
                         "--", app], timeout=90)
    for k, (ev, bt) in enumerate(zip(entry_events(out, len(backtraces), where), backtraces)):
        w = "%s, call #%d of %s" % (where, k, LEAF)
        frames, truncated = stack_frames(ev, w)
        if truncated is not None or len(ev["stack"]) != 2:
            fail("%s: expected exactly 2 frames and no truncated marker (the depth was "
                 "reached): %s" % (w, show(ev["stack"])))
        for i in range(2):
            compare_frame(bt[i], frames[i], i, frames, w)


def check_text(opt, app, stacks, workdir):
    """--stack=3 in the text format: 3 frame lines after each entry line,
    the same frames as the first 3 of the JSON run."""
    where = "--stack=3, text (%s)" % opt
    out = os.path.join(workdir, "stack3.txt")
    harness.run_dwtrace(["--format", "text", "--stack=3", "-o", out, "-e", LEAF,
                         "--", app], timeout=90)
    lines = [l for l in harness.read_text(out).splitlines() if l.strip()]
    k, n = 0, 0
    while n < len(lines):
        line = lines[n]
        if TEXT_EXIT.match(line):
            n += 1
            continue
        if not TEXT_ENTRY.match(line):
            fail("%s: line %d is neither an entry line, an exit line, nor after an entry "
                 "line: %r\n%s" % (where, n + 1, line, "\n".join(lines[max(0, n - 5):n + 5])))
        if k >= len(stacks):
            fail("%s: more entry lines than the %d calls of %s" % (where, len(stacks), LEAF))
        for i in range(3):
            if n + 1 + i >= len(lines):
                fail("%s: the output ends within the stack of entry #%d" % (where, k))
            fl = lines[n + 1 + i]
            m = TEXT_FRAME.match(fl)
            if not m:
                fail("%s: line %d is not frame #%d in the format '    #N 0xADDR "
                     "FUNCTION[+0xOFF] [(inlined)|(tail call)] (MODULE) [FILE:LINE]': %r"
                     % (where, n + 2 + i, i, fl))
            expected = stacks[k][i]
            got = {"number": int(m.group(1)), "function": m.group(3),
                   "offset": int(m.group(4), 16) if m.group(4) else 0,
                   "inlined": m.group(5) == " (inlined)",
                   "tail_call": m.group(5) == " (tail call)", "module": m.group(6),
                   "file": m.group(7), "line": int(m.group(8)) if m.group(8) else None}
            want = {"number": i, "function": expected["function"] or "??",
                    "offset": expected["offset"], "inlined": bool(expected.get("inlined")),
                    "tail_call": bool(expected.get("tail_call")),
                    "module": expected["module"], "file": expected["file"],
                    "line": expected["line"]}
            if m.group(4) is not None and got["offset"] == 0:
                fail("%s: line %d shows +0x0, which the format leaves out: %r"
                     % (where, n + 2 + i, fl))
            diffs = harness.compare(want, got, "frame")
            if diffs:
                fail("%s: entry #%d, line %d: %r differs from the JSON run's frame #%d:\n  %s"
                     % (where, k, n + 2 + i, fl, i, "\n  ".join(diffs)))
        n += 4
        if n < len(lines) and lines[n].startswith("    "):
            fail("%s: more than 3 frame lines after entry #%d: %r" % (where, k, lines[n]))
        k += 1
    if k != len(stacks):
        fail("%s: %d entry lines, expected %d" % (where, k, len(stacks)))


def test(opt):
    workdir = harness.tempdir()
    app = harness.sample(opt, APP)
    harness.sample(opt, LIB)
    backtraces = gdb_backtraces(app, workdir)
    check_oracle(backtraces, opt)
    symbols = nm_symbols(opt)
    stacks = check_default_depth(opt, app, backtraces, symbols, workdir)
    check_depth_two(opt, app, backtraces, workdir)
    check_text(opt, app, stacks, workdir)


if __name__ == "__main__":
    harness.main(lambda: test(harness.opt_level(sys.argv)))
