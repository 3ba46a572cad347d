"""Shared pieces of the dwtrace integration tests (Python 3 standard library).

The tests find dwtrace and the samples through two environment variables that
tests/integration/CMakeLists.txt sets:
  DWTRACE  the dwtrace executable
  SAMPLES  the samples build directory (with O0/ and O2/ below it)
and one optional variable:
  DWTRACE_ENGINE  ptrace or agent: `--engine X` on every dwtrace command line

Each test script calls harness.main(test_function); a failure raises Failure
(or calls fail()), which prints "FAIL: ..." and exits 1.  Nothing is ever
skipped: a missing tool or file is a failure.
"""

import json
import math
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import traceback

OPT_LEVELS = ("O0", "O2")
DEFAULT_TIMEOUT = 60  # seconds, for every subprocess


class Failure(Exception):
    """A test failure with a message meant for people."""


def fail(message):
    raise Failure(message)


def main(test, *args):
    """Runs test(*args); exit status 0 on success, 1 on any failure."""
    try:
        test(*args)
    except Failure as e:
        print("FAIL: %s" % e, file=sys.stderr)
        sys.exit(1)
    except Exception:
        traceback.print_exc()
        print("FAIL: unexpected exception in the test script", file=sys.stderr)
        sys.exit(1)
    print("PASS")
    sys.exit(0)


# ---------------------------------------------------------------------------
# Environment and paths

ENGINES = ("ptrace", "agent")


def engine():
    """The engine every dwtrace command line of this test asks for, from the
    environment variable DWTRACE_ENGINE (ptrace or agent; unset or empty:
    dwtrace's default).  tests/integration/CMakeLists.txt registers each test
    once per engine (NAME: the default, NAME_ptrace)."""
    name = os.environ.get("DWTRACE_ENGINE", "")
    if name and name not in ENGINES:
        fail("DWTRACE_ENGINE=%r is not one of %s (or unset)" % (name, ENGINES))
    return name or None


def dwtrace():
    path = os.environ.get("DWTRACE")
    if not path:
        fail("environment variable DWTRACE (path of dwtrace) is not set")
    if not os.path.isfile(path) or not os.access(path, os.X_OK):
        fail("DWTRACE=%s is not an executable file (is dwtrace built?)" % path)
    return path


def with_engine(cmd):
    """cmd with `--engine X` (X from DWTRACE_ENGINE) right after the dwtrace
    executable when cmd runs dwtrace (`dwtrace list` takes no engine); any
    other command unchanged."""
    name = engine()
    path = os.environ.get("DWTRACE")
    if (not name or not path or not isinstance(cmd, (list, tuple)) or not cmd
            or cmd[0] != path or (len(cmd) > 1 and cmd[1] == "list")):
        return cmd
    return [cmd[0], "--engine", name] + list(cmd[1:])


# Every process a test starts goes through subprocess.Popen (harness.run,
# tracing.Running, lttng_harness and the tests' own subprocess calls), so
# that is where `--engine X` joins every dwtrace command line.  (A wrapper
# script would add a process in front of dwtrace: a signal sent to the pid
# before it exec'ed dwtrace would hit the shell.)
_popen_init = subprocess.Popen.__init__


def _popen_init_with_engine(self, args, *rest, **kw):
    _popen_init(self, with_engine(args), *rest, **kw)


if os.environ.get("DWTRACE_ENGINE"):
    subprocess.Popen.__init__ = _popen_init_with_engine


def samples_dir():
    path = os.environ.get("SAMPLES")
    if not path:
        fail("environment variable SAMPLES (samples build directory) is not set")
    if not os.path.isdir(path):
        fail("SAMPLES=%s is not a directory (are the samples built?)" % path)
    return path


def opt_level(argv, default=None):
    """The optimization level given as the first argument: O0 or O2."""
    if len(argv) < 2:
        if default:
            return default
        fail("usage: %s O0|O2" % os.path.basename(argv[0]))
    if argv[1] not in OPT_LEVELS:
        fail("optimization level must be one of %s, not %r" % (OPT_LEVELS, argv[1]))
    return argv[1]


def sample(opt, name):
    """Path of the sample file NAME built at optimization level OPT."""
    path = os.path.join(samples_dir(), opt, name)
    if not os.path.isfile(path):
        fail("sample %s not found (are the samples built?)" % path)
    return path


def require_tool(name):
    path = shutil.which(name)
    if not path:
        fail("required tool '%s' is not installed" % name)
    return path


# What every gdb oracle script starts with (test_gdb.py, stack_oracle.py):
# no debuginfod (the test runs offline, on the debug info installed), no
# paging, questions or line wrapping in batch output, addresses printed, and
# no "@entry" values (DW_OP_entry_value), which dwtrace does not show.
GDB_SETTINGS_COMMON = """\
set debuginfod enabled off
set pagination off
set confirm off
set width 0
set height 0
set print address on
set print entry-values no
"""


def tempdir():
    """A temporary directory, removed at exit."""
    d = tempfile.TemporaryDirectory(prefix="dwtrace-test-")
    _tempdirs.append(d)
    return d.name


_tempdirs = []


# ---------------------------------------------------------------------------
# Running programs

def show_cmd(cmd):
    return " ".join(_quote(c) for c in cmd)


def _quote(s):
    if s and re.fullmatch(r"[\w@%+=:,./-]+", s):
        return s
    return "'" + s.replace("'", "'\\''") + "'"


def run(cmd, timeout=DEFAULT_TIMEOUT, stdin=subprocess.DEVNULL, **kw):
    """Runs cmd, capturing stdout and stderr as text; fails on timeout.

    Returns a CompletedProcess with an extra attribute .pid (the pid of the
    process that was started)."""
    try:
        proc = subprocess.Popen(cmd, stdin=stdin, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, **kw)
    except OSError as e:
        fail("cannot run %s: %s" % (show_cmd(cmd), e))
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        fail("%s did not finish within %d s\n--- stdout (end) ---\n%s\n"
             "--- stderr (end) ---\n%s" % (show_cmd(cmd), timeout,
                                          _text(out)[-2000:], _text(err)[-2000:]))
    result = subprocess.CompletedProcess(cmd, proc.returncode, _text(out), _text(err))
    result.pid = proc.pid
    return result


def _text(b):
    return b.decode("utf-8", errors="replace") if b is not None else ""


def describe(result):
    """The command, its exit status and the ends of its output, for messages."""
    return ("command: %s\nexit status: %s\n--- stdout (end) ---\n%s\n"
            "--- stderr (end) ---\n%s" % (show_cmd(result.args), result.returncode,
                                         result.stdout[-3000:], result.stderr[-3000:]))


def run_ok(cmd, timeout=DEFAULT_TIMEOUT, **kw):
    """Runs cmd and fails unless it exits with status 0."""
    result = run(cmd, timeout=timeout, **kw)
    if result.returncode != 0:
        fail("command failed\n" + describe(result))
    return result


def run_dwtrace(args, timeout=DEFAULT_TIMEOUT, expect_status=0):
    """Runs dwtrace with args; fails unless its exit status is expect_status
    (None: any)."""
    result = run([dwtrace()] + list(args), timeout=timeout)
    if expect_status is not None and result.returncode != expect_status:
        fail("dwtrace exited with status %s, expected %s\n%s"
             % (result.returncode, expect_status, describe(result)))
    return result


def read_text(path):
    if not os.path.exists(path):
        fail("output file %s was not created" % path)
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read()


def read_events(path):
    """The JSON Lines events dwtrace wrote to path."""
    events = []
    for n, line in enumerate(read_text(path).splitlines(), 1):
        if not line.strip():
            continue
        try:
            ev = json.loads(line)
        except ValueError as e:
            fail("%s:%d: not valid JSON (%s): %r" % (path, n, e, line[:300]))
        if not isinstance(ev, dict):
            fail("%s:%d: event is not a JSON object: %r" % (path, n, line[:300]))
        events.append(ev)
    return events


# dwtrace's text line: "TIME PID/TID ", two spaces per depth, the event.
TEXT_LINE_HEAD = re.compile(r"^(\S+ \d+/\d+ )( *)(.*)$")
TEXT_ARROW = " \u2192 "


def _call_split(body):
    """body is "f(a=1) → 2 <d>" (or "ns::f(int)(a=1) → ..."): (the function
    as written, its arguments "(a=1)", what follows the arguments), scanning
    past strings and character literals; None when body is no call."""
    depth, last_open, i, n = 0, None, 0, len(body)
    while i < n:
        c = body[i]
        if c in "\"'":
            # a string or character literal: to its closing quote
            j = i + 1
            while j < n and body[j] != c:
                j += 2 if body[j] == "\\" else 1
            i = j + 1
            continue
        if c == "(":
            if depth == 0:
                last_open = i
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0 and not body.startswith("(", i + 1):
                return body[:last_open], body[last_open:i + 1], body[i + 1:]
        i += 1
    return None


def text_event_lines(text):
    """dwtrace's text output (UTF-8 arrow) as one line per event, the form
    of the lines before an entry and its exit shared one: for tests that
    look at the values of entries and exits, not at how lines join.
      "P f(a=1) → 2 <d>"          gives "P f(a=1)" and "P f → 2 <d>"
      "P f(a=1) <unfinished ...>" gives "P f(a=1)"
      "P <... f resumed> → 2 <d>" gives "P f → 2 <d>"
    (P: "TIME PID/TID " and the indentation, kept); other lines (points,
    stack frames) as they are."""
    out = []
    for line in text.splitlines():
        m = TEXT_LINE_HEAD.match(line)
        if not m or line.startswith("    #"):
            out.append(line)
            continue
        head, body = m.group(1) + m.group(2), m.group(3)
        r = re.match(r"^<\.\.\. (.*) resumed>( \u2192 .*)$", body)
        if r:
            out.append(head + r.group(1) + r.group(2))
            continue
        if body.endswith(" <unfinished ...>"):
            out.append(head + body[:-len(" <unfinished ...>")])
            continue
        parts = _call_split(body)
        if parts and parts[2].startswith(TEXT_ARROW):
            out.append(head + parts[0] + parts[1])
            out.append(head + parts[0] + parts[2])
            continue
        out.append(line)
    return out


# ---------------------------------------------------------------------------
# ELF facts computed without dwtrace (nm, readelf)

def symbol(elf, name):
    """(value, size) of the defined function symbol NAME, from nm."""
    require_tool("nm")
    for args in (["nm", "-S", "--defined-only", elf], ["nm", "-D", "-S", "--defined-only", elf]):
        result = run(args)
        if result.returncode != 0:
            continue
        for line in result.stdout.splitlines():
            fields = line.split()
            if len(fields) == 4 and fields[3] == name and fields[2] in "TtWi":
                return int(fields[0], 16), int(fields[1], 16)
    fail("nm finds no function symbol %s in %s" % (name, elf))


def load_segments(elf):
    """PT_LOAD program headers of elf as (offset, vaddr, filesz, memsz), from readelf."""
    require_tool("readelf")
    result = run_ok(["readelf", "-lW", elf])
    segments = []
    for line in result.stdout.splitlines():
        fields = line.split()
        if fields and fields[0] == "LOAD":
            offset, vaddr, _paddr, filesz, memsz = (int(x, 16) for x in fields[1:6])
            segments.append((offset, vaddr, filesz, memsz))
    if not segments:
        fail("readelf -lW %s shows no LOAD segment" % elf)
    return segments


def vaddr_to_offset(elf, vaddr):
    """The file offset of the virtual address vaddr of elf."""
    for offset, seg_vaddr, filesz, _memsz in load_segments(elf):
        if seg_vaddr <= vaddr < seg_vaddr + filesz:
            return vaddr - seg_vaddr + offset
    fail("address 0x%x is in no LOAD segment of %s" % (vaddr, elf))


# ---------------------------------------------------------------------------
# Comparing values (oracle or gdb against dwtrace)

def _is_float32(x):
    try:
        return struct.unpack("f", struct.pack("f", x))[0] == x
    except (OverflowError, struct.error):
        return False


def _float32(x):
    try:
        return struct.unpack("f", struct.pack("f", x))[0]
    except (OverflowError, struct.error):
        return None


def numbers_equal(expected, got, float32_ok=False):
    if isinstance(expected, int) and isinstance(got, int):
        return expected == got
    a, b = float(expected), float(got)
    if a == b or (math.isnan(a) and math.isnan(b)):
        return True
    # gdb prints a float with 9 significant digits; dwtrace prints it as a
    # double.  They agree when dwtrace's value is a float and gdb's text
    # rounds to that same float.
    return float32_ok and _is_float32(b) and _float32(a) == b


def check_sequence(where, expected, got):
    """Fails, listing both sequences side by side (!! marks a difference),
    unless got equals expected."""
    if got == expected:
        return
    lines = ["%s: events differ from the oracle" % where]
    for i in range(max(len(got), len(expected))):
        e = expected[i] if i < len(expected) else None
        g = got[i] if i < len(got) else None
        lines.append("%s #%d expected %s, got %s" % ("  " if e == g else "!!", i, e, g))
    fail("\n".join(lines))


def compare(expected, got, path="", float32_ok=False, diffs=None):
    """Differences between two decoded JSON values, as a list of
    "path: expected X, got Y" strings.  Types are strict (a bool is not a
    number, a string is not a number); numbers compare exactly as integers,
    or as Python floats when either one is not an integer."""
    if diffs is None:
        diffs = []
    where = path or "(value)"

    def differ():
        diffs.append("%s: expected %s, got %s" % (where, _show(expected), _show(got)))

    if isinstance(expected, bool) or isinstance(got, bool):
        if type(expected) is not type(got) or expected != got:
            differ()
    elif isinstance(expected, (int, float)) and isinstance(got, (int, float)):
        if not numbers_equal(expected, got, float32_ok):
            differ()
    elif isinstance(expected, dict) and isinstance(got, dict):
        for k in expected:
            if k not in got:
                diffs.append("%s.%s: expected %s, missing" % (where, k, _show(expected[k])))
        for k in got:
            if k not in expected:
                diffs.append("%s.%s: not expected, got %s" % (where, k, _show(got[k])))
        for k in expected:
            if k in got:
                compare(expected[k], got[k], "%s.%s" % (path, k) if path else k,
                        float32_ok, diffs)
        if not diffs and list(expected) != list(got):
            diffs.append("%s: members in order %s, expected %s"
                         % (where, list(got), list(expected)))
    elif isinstance(expected, list) and isinstance(got, list):
        if len(expected) != len(got):
            differ()
        else:
            for i, (e, g) in enumerate(zip(expected, got)):
                compare(e, g, "%s[%d]" % (path, i), float32_ok, diffs)
    elif type(expected) is not type(got) or expected != got:
        differ()
    return diffs


def _show(v):
    s = json.dumps(v)
    return s if len(s) <= 300 else s[:300] + "...(%d chars)" % len(s)


def check_keys(ev, required, where):
    missing = [k for k in required if k not in ev]
    if missing:
        fail("%s: event lacks %s: %s" % (where, ", ".join(missing), _show(ev)))


def check_int(ev, key, where, minimum=None):
    v = ev.get(key)
    if isinstance(v, bool) or not isinstance(v, int):
        fail("%s: %s is not an integer: %s" % (where, key, _show(ev)))
    if minimum is not None and v < minimum:
        fail("%s: %s is %d, expected >= %d" % (where, key, v, minimum))
    return v


def check_event_fields(ev, where):
    """The fields every entry or exit event has, with the right JSON types."""
    if ev.get("type") not in ("entry", "exit"):
        fail("%s: type is not entry or exit: %s" % (where, _show(ev)))
    check_keys(ev, ["ts_ns", "pid", "tid", "function", "module"], where)
    check_int(ev, "ts_ns", where, 0)
    check_int(ev, "pid", where, 1)
    check_int(ev, "tid", where, 1)
    if ev["type"] == "entry":
        check_keys(ev, ["args"], where)
        if not isinstance(ev["args"], dict):
            fail("%s: args is not an object: %s" % (where, _show(ev)))
    else:
        check_keys(ev, ["duration_ns"], where)
        check_int(ev, "duration_ns", where, 0)


def check_alternation(events, where):
    """Per thread: entry, exit, entry, exit ... and each exit names the
    function of the entry before it (no nesting among these events)."""
    last = {}
    for i, ev in enumerate(events):
        tid = ev["tid"]
        prev = last.get(tid)
        if ev["type"] == "entry":
            if prev is not None and prev["type"] == "entry":
                fail("%s: event #%d: two entries in a row on tid %d:\n  %s\n  %s"
                     % (where, i, tid, _show(prev), _show(ev)))
        else:
            if prev is None or prev["type"] != "entry":
                fail("%s: event #%d: exit without an entry before it on tid %d: %s"
                     % (where, i, tid, _show(ev)))
            if prev["function"] != ev["function"]:
                fail("%s: event #%d: exit of %s after entry of %s"
                     % (where, i, ev["function"], prev["function"]))
        last[tid] = ev
    for tid, ev in last.items():
        if ev["type"] != "exit":
            fail("%s: last event on tid %d is an entry without exit: %s"
                 % (where, tid, _show(ev)))


def check_monotonic(events, where):
    for i in range(1, len(events)):
        if events[i]["ts_ns"] < events[i - 1]["ts_ns"]:
            fail("%s: ts_ns goes backwards at event #%d: %d after %d"
                 % (where, i, events[i]["ts_ns"], events[i - 1]["ts_ns"]))


def check_one_process(events, dwtrace_pid, where):
    """All events come from one traced process, not from dwtrace itself; in
    a single-threaded program tid equals pid."""
    pids = {ev["pid"] for ev in events}
    if len(pids) != 1:
        fail("%s: events from several pids %s, expected one traced process"
             % (where, sorted(pids)))
    pid = pids.pop()
    if pid == dwtrace_pid:
        fail("%s: pid %d is dwtrace's own pid, not the traced child's" % (where, pid))
    tids = {ev["tid"] for ev in events}
    if tids != {pid}:
        fail("%s: single-threaded program, but tids %s differ from pid %d"
             % (where, sorted(tids), pid))
    return pid


# The default engine says in one line when it leaves a program to the ptrace
# engine (and why); tests of other things read around it.
ENGINE_NOTE = "dwtrace: using the ptrace engine: "


def stderr_lines(result):
    """dwtrace's non-empty stderr lines but the engine note."""
    return without_engine_note(result.stderr)


def without_engine_note(text):
    return [l for l in text.splitlines() if l.strip() and not l.startswith(ENGINE_NOTE)]


def oracle_lines(result):
    """The oracle lines types_app printed: every stdout line is one JSON
    object {"type": "entry"|"exit", "function": ..., ...}."""
    lines = []
    for n, line in enumerate(result.stdout.splitlines(), 1):
        try:
            ev = json.loads(line)
        except ValueError as e:
            fail("types_app stdout line %d is not an oracle line (%s): %r" % (n, e, line))
        if not isinstance(ev, dict) or ev.get("type") not in ("entry", "exit") or "function" not in ev:
            fail("types_app stdout line %d is not an oracle line: %r" % (n, line))
        lines.append(ev)
    if not lines:
        fail("types_app printed no oracle lines\n" + describe(result))
    return lines


# ---------------------------------------------------------------------------
# The first rule: the traced program is never harmed

def run_untraced(cmd, timeout=DEFAULT_TIMEOUT, **kw):
    """Runs the program alone: its stdout and exit status are the oracle of
    check_unharmed()."""
    return run(cmd, timeout=timeout, **kw)


def check_unharmed(cmd, dwtrace_args, timeout=DEFAULT_TIMEOUT, expect_dwtrace=None,
                   normalize=None, **kw):
    """Runs cmd alone, then as `dwtrace DWTRACE_ARGS -- CMD` with the events
    in a file, and fails unless the traced program printed the same stdout
    and exited with the same status (dwtrace passes a started program's
    status through).  normalize(text) may mask what legitimately differs
    between two runs (addresses, pids).  expect_dwtrace, when given, is the
    exit status dwtrace itself must have.  Returns (untraced, traced, events
    path)."""
    plain = run_untraced(cmd, timeout=timeout, **kw)
    events = os.path.join(tempdir(), "events.out")
    traced = run([dwtrace(), "-o", events] + list(dwtrace_args) + ["--"] + list(cmd),
                 timeout=timeout, **kw)
    norm = normalize or (lambda s: s)
    if norm(traced.stdout) != norm(plain.stdout):
        fail("the traced program's output differs from its untraced run\n"
             "--- untraced stdout (end) ---\n%s\n%s"
             % (plain.stdout[-2000:], describe(traced)))
    # A program killed by signal N: Python says -N, dwtrace exits 128+N.
    plain_status = plain.returncode if plain.returncode >= 0 else 128 - plain.returncode
    want = plain_status if expect_dwtrace is None else expect_dwtrace
    if traced.returncode != want:
        fail("under dwtrace the exit status is %s, untraced it is %s (expected %s)\n%s"
             % (traced.returncode, plain.returncode, want, describe(traced)))
    return plain, traced, events
