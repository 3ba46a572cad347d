"""Pieces shared by the LTTng tests (test_lttng_*.py), on top of harness.py:
a private LTTng set-up per test (session daemon, relay daemon, LTTNG_HOME),
running lttng, dwtrace and babeltrace2 in it, and reading babeltrace2's text
output and the traces' CTF metadata.

Isolation.  Every test starts its own `lttng-sessiond --daemonize --no-kernel`
with a private LTTNG_HOME (a short /tmp/dwt-XXXXXX directory: the daemons'
Unix socket paths must stay under ~100 characters) and kills it, and any
relay daemon it started, at the end, even on failure.  A session daemon run
by root ignores LTTNG_HOME for its sockets (they are in /var/run/lttng, shared
by everything on the machine, and LTTng-UST applications run by root always
register there), so when the tests run as root, the test process first moves
into a mount namespace of its own with empty tmpfs mounts on /var/run/lttng
and /dev/shm (LTTng-UST's wake-up futex): a session daemon started by anyone
else (a system service, another test run) is then invisible to the test and
the test's daemons are invisible to everyone else.  Without the privilege to
do that, a session daemon already answering in /var/run/lttng is a failure
(never reused, never killed).

Environment: besides DWTRACE and SAMPLES (harness.py), HANDWRITTEN_APP is the
hand-written tracepoint program of tests/lttng (handwritten_app) and
LTTNG_TEST_BIN the directory of the other programs built there (mangle_app).
"""

import ctypes
import ctypes.util
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

import harness
import tracing
from harness import fail

LTTNG_TIMEOUT = 30  # seconds, for each lttng command
GLOBAL_RUNDIR = "/var/run/lttng"


# ---------------------------------------------------------------------------
# Programs of tests/lttng

def handwritten_app():
    path = os.environ.get("HANDWRITTEN_APP")
    if not path:
        fail("environment variable HANDWRITTEN_APP (tests/lttng/handwritten_app) is not set")
    if not os.path.isfile(path) or not os.access(path, os.X_OK):
        fail("HANDWRITTEN_APP=%s is not an executable file (is tests/lttng built? "
             "tests/CMakeLists.txt needs add_subdirectory(lttng))" % path)
    return path


def test_program(name):
    """A program of tests/lttng other than handwritten_app."""
    directory = os.path.dirname(handwritten_app())
    path = os.path.join(directory, name)
    if not os.path.isfile(path) or not os.access(path, os.X_OK):
        fail("%s is not an executable file (is tests/lttng built?)" % path)
    return path


# ---------------------------------------------------------------------------
# Isolation (see the module's documentation)

_isolated = None  # None: not tried yet; True / False: the outcome


def _isolate():
    """Moves this process into a private mount namespace with empty
    /var/run/lttng and /dev/shm when running as root.  Returns True when the
    global LTTng paths are private now (or need not be: not root)."""
    global _isolated
    if _isolated is not None:
        return _isolated
    if os.geteuid() != 0:
        _isolated = True
        return True
    libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
    libc.unshare.argtypes = [ctypes.c_int]
    libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p,
                           ctypes.c_ulong, ctypes.c_char_p]
    clone_newns = 0x00020000
    ms_rec, ms_private = 0x4000, 0x40000
    rundir = os.path.realpath(GLOBAL_RUNDIR)
    try:
        os.makedirs(rundir, exist_ok=True)
    except OSError:
        pass
    ok = (libc.unshare(clone_newns) == 0 and
          libc.mount(b"none", b"/", None, ms_rec | ms_private, None) == 0 and
          libc.mount(b"dwtrace-lttng-test", rundir.encode(), b"tmpfs", 0,
                     b"mode=0755") == 0 and
          libc.mount(b"dwtrace-lttng-test", b"/dev/shm", b"tmpfs", 0,
                     b"mode=1777") == 0)
    _isolated = ok
    return ok


# ---------------------------------------------------------------------------
# /proc

def _comm(pid):
    try:
        with open("/proc/%d/comm" % pid) as f:
            return f.read().strip()
    except OSError:
        return None


def alive(pid):
    """Whether pid exists and is not a zombie."""
    state = tracing.task_state(pid, pid)
    return state is not None and state not in ("Z", "X")


def _children(pid):
    kids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if int(fields[1]) == pid:
            kids.append(int(entry))
    return kids


def process_env(pid):
    """The environment of process pid, as a dict ({} if unreadable)."""
    try:
        with open("/proc/%d/environ" % pid, "rb") as f:
            data = f.read()
    except OSError:
        return {}
    env = {}
    for item in data.split(b"\0"):
        if b"=" in item:
            k, v = item.split(b"=", 1)
            env[k.decode(errors="replace")] = v.decode(errors="replace")
    return env


def _terminate(pids, name_prefix, timeout=10):
    """SIGTERM, then SIGKILL after timeout seconds, to each pid that still
    runs a program whose name starts with name_prefix."""
    pids = [p for p in pids if alive(p) and (_comm(p) or "").startswith(name_prefix)]
    for p in pids:
        try:
            os.kill(p, signal.SIGTERM)
        except OSError:
            pass
    tracing.wait_until(lambda: not any(alive(p) for p in pids), timeout, 0.02)
    for p in pids:
        if alive(p):
            try:
                os.kill(p, signal.SIGKILL)
            except OSError:
                pass


class _Running(tracing.Running):
    """tracing.Running with an environment of its own."""

    def __init__(self, cmd, env):
        super().__init__(cmd, env=env)


# ---------------------------------------------------------------------------
# Free TCP ports on the loopback interface

def free_ports(n):
    """n distinct TCP ports that are free on 127.0.0.1 right now."""
    socks, ports = [], []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            socks.append(s)
            ports.append(s.getsockname()[1])
    finally:
        for s in socks:
            s.close()
    return ports


def port_listens(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


# ---------------------------------------------------------------------------
# The private LTTng set-up of one test

class Lttng:
    """A private LTTNG_HOME, and the LTTng daemons one test starts.

        with lttng_harness.Lttng() as lt:
            lt.start_sessiond()
            lt.lttng("create", ...)
            result = lt.dwtrace([...])
            events = lt.events(trace_dir)

    Leaving the with block (normally or by an exception) kills the daemons
    the test started, those dwtrace started for it (adopt_sessiond), and the
    programs started with lt.start(); then removes LTTNG_HOME."""

    def __init__(self):
        self.isolated = _isolate()
        for tool in ("lttng", "lttng-sessiond", "lttng-relayd", "babeltrace2"):
            harness.require_tool(tool)
        self.home = tempfile.mkdtemp(prefix="dwt-", dir="/tmp")
        if len(self.home) > 40:
            fail("LTTNG_HOME %s is too long for LTTng's socket paths" % self.home)
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("LTTNG_", "BABELTRACE_"))}
        env["LTTNG_HOME"] = self.home
        env["BABELTRACE_TERM_COLOR"] = "NEVER"
        self.env = env
        self.sessiond_pids = []
        self.running = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def path(self, *parts):
        return os.path.join(self.home, *parts)

    # -- session daemon -----------------------------------------------------

    def rundir(self):
        """Where the session daemon of this set-up has its sockets and
        lttng-sessiond.pid."""
        if os.geteuid() == 0:
            return GLOBAL_RUNDIR
        return os.path.join(self.home, ".lttng")

    def running_sessiond(self):
        """The pid of the session daemon answering in rundir(), or None."""
        try:
            with open(os.path.join(self.rundir(), "lttng-sessiond.pid")) as f:
                pid = int(f.read().strip())
        except (OSError, ValueError):
            return None
        if alive(pid) and (_comm(pid) or "").startswith("lttng-sessiond"):
            return pid
        return None

    def start_sessiond(self):
        """Starts lttng-sessiond --daemonize --no-kernel; returns its pid."""
        pid = self.running_sessiond()
        if pid is not None:
            fail("a session daemon not started by this test already runs (pid %d, "
                 "sockets in %s), and this process cannot move into a private mount "
                 "namespace to get away from it; stop it first" % (pid, self.rundir()))
        result = harness.run(["lttng-sessiond", "--daemonize", "--no-kernel"],
                             timeout=LTTNG_TIMEOUT, env=self.env)
        pid = self.running_sessiond()
        if pid is not None:
            self.sessiond_pids.append(pid)
        if result.returncode != 0 or pid is None:
            fail("cannot start a session daemon\n" + harness.describe(result))
        return pid

    def adopt_sessiond(self):
        """Takes the session daemon that runs now (one dwtrace started) into
        the clean-up; returns its pid or None."""
        pid = self.running_sessiond()
        if pid is not None and pid not in self.sessiond_pids:
            self.sessiond_pids.append(pid)
        return pid

    def stop_sessiond(self, pid):
        _terminate([pid] + _children(pid), "lttng-")

    # -- commands -----------------------------------------------------------

    def lttng(self, *args, timeout=LTTNG_TIMEOUT):
        """Runs lttng ARGS; fails unless it exits with status 0."""
        return harness.run_ok(["lttng"] + list(args), timeout=timeout, env=self.env)

    def dwtrace(self, args, timeout=harness.DEFAULT_TIMEOUT, expect_status=0):
        """Runs dwtrace ARGS with this set-up's environment; fails unless its
        exit status is expect_status (None: any).  .pid is dwtrace's pid."""
        result = harness.run([harness.dwtrace()] + list(args), timeout=timeout, env=self.env)
        if expect_status is not None and result.returncode != expect_status:
            fail("dwtrace exited with status %s, expected %s\n%s"
                 % (result.returncode, expect_status, harness.describe(result)))
        return result

    def run(self, cmd, timeout=harness.DEFAULT_TIMEOUT, extra_env=None):
        env = dict(self.env, **(extra_env or {}))
        return harness.run(cmd, timeout=timeout, env=env)

    def start(self, cmd):
        """A program run in the background (a tracing.Running, with this
        set-up's environment), killed at the end if it still runs."""
        r = _Running(cmd, self.env)
        self.running.append(r)
        return r

    def start_relayd(self):
        """Starts lttng-relayd on three free loopback ports; returns
        (control, data, live) port numbers once all three listen."""
        for _attempt in range(3):
            control, data, live = free_ports(3)
            relayd = self.start(["lttng-relayd",
                                 "--control-port=tcp://127.0.0.1:%d" % control,
                                 "--data-port=tcp://127.0.0.1:%d" % data,
                                 "--live-port=tcp://127.0.0.1:%d" % live,
                                 "--output=%s" % self.path("relayd")])
            if tracing.wait_until(lambda: relayd.proc.poll() is not None or
                                  all(port_listens(p) for p in (control, data, live)),
                                  10, 0.05) and relayd.proc.poll() is None:
                return control, data, live
            relayd.kill()  # a port was taken in the meantime: try others
        fail("lttng-relayd does not listen on its ports\n" + relayd.describe())

    # -- sessions -----------------------------------------------------------

    def create_session(self, name, output=None, channel=None, events=(),
                       channel_args=(), contexts=(), filter_expr=None):
        """lttng create NAME --output=OUTPUT (default: LTTNG_HOME/NAME), an
        optional channel (with channel_args and contexts), and enable-event
        for each of events (with filter_expr); returns the output path."""
        output = output or self.path("trace-" + name)
        self.lttng("create", name, "--output=%s" % output)
        self.setup_session(name, channel, events, channel_args, contexts, filter_expr)
        return output

    def setup_session(self, name, channel=None, events=(), channel_args=(),
                      contexts=(), filter_expr=None):
        chan = []
        if channel:
            self.lttng("enable-channel", "-u", "--session=%s" % name, *channel_args, channel)
            chan = ["--channel=%s" % channel]
            for ctx in contexts:
                self.lttng("add-context", "-u", "--session=%s" % name, *chan, "--type=%s" % ctx)
        elif contexts:
            fail("test bug: contexts need a channel")
        for ev in events:
            args = ["enable-event", "-u", "--session=%s" % name] + chan
            if filter_expr is not None:
                args.append("--filter=%s" % filter_expr)
            self.lttng(*(args + [ev]))

    def session_names(self):
        """The recording sessions the session daemon knows (lttng list)."""
        out = self.lttng("list").stdout
        return re.findall(r"^\s*\d+\) (\S+)", out, re.MULTILINE)

    # -- babeltrace2 --------------------------------------------------------

    def events(self, trace, timeout=harness.DEFAULT_TIMEOUT, discarded=None):
        """The events babeltrace2 TRACE prints, as Event objects.  Nothing
        may be lost, unless discarded is a list: then babeltrace2's
        warnings about events the tracer discarded (counted by LTTng when a
        program that may not block fills its buffers) are appended to it."""
        result = self.run(["babeltrace2", trace], timeout=timeout)
        if result.returncode != 0:
            fail("babeltrace2 cannot read the trace %s\n%s" % (trace, harness.describe(result)))
        if discarded is None:
            check_no_discarded(result.stderr, trace)
        else:
            discarded.extend(discarded_warnings(result.stderr))
        return parse_events(result.stdout, "babeltrace2 %s" % trace)

    def metadata(self, trace):
        """{event name: fields type} from the CTF metadata of every
        metadata stream below trace (see parse_metadata)."""
        found = {}
        dirs = [d for d, _sub, files in os.walk(trace) if "metadata" in files]
        if not dirs:
            fail("no CTF metadata file below %s" % trace)
        for d in dirs:
            result = self.run(["babeltrace2", "--output-format=ctf-metadata", d])
            if result.returncode != 0:
                fail("babeltrace2 cannot print the metadata of %s\n%s"
                     % (d, harness.describe(result)))
            for name, fields in parse_metadata(result.stdout, d).items():
                if name in found and found[name] != fields:
                    fail("event %s has different fields in two metadata streams of %s"
                         % (name, trace))
                found[name] = fields
        return found

    # -- the end ------------------------------------------------------------

    def close(self):
        for r in self.running:
            r.kill()
        for pid in self.sessiond_pids:
            self.stop_sessiond(pid)
        shutil.rmtree(self.home, ignore_errors=True)


def discarded_warnings(stderr):
    """babeltrace2's warnings on stderr that the tracer discarded events or
    packets."""
    return [line.strip() for line in stderr.splitlines() if re.search(r"discarded", line, re.IGNORECASE)]


def check_no_discarded(stderr, where):
    """Nothing may be lost."""
    for line in discarded_warnings(stderr):
        fail("%s: the tracer lost data: %s" % (where, line))


# ---------------------------------------------------------------------------
# babeltrace2's text output (sink.text.pretty)
#
#   [04:49:22.248776017] (+?.?????????) vm mylib:my_traced_function_entry: { cpu_id = 0 }, { pid = 25537, ... }
#
# after the event name come the scopes: the stream packet context, contexts
# added with lttng add-context, and last the payload.

EVENT_LINE = re.compile(r"^\[(?P<time>[^\]]*)\] \((?P<delta>[^)]*)\) (?P<host>\S+) "
                        r"(?P<name>[^\s:]+:[^\s:]+): (?P<scopes>\{.*\})$")


class Event:
    """One event line: name, host, scopes (each a list of (name, value
    text)), payload (the last scope), line."""

    def __init__(self, name, host, scopes, line):
        self.name = name
        self.host = host
        self.scopes = scopes
        self.payload = scopes[-1]
        self.line = line

    def fields(self):
        return [n for n, _v in self.payload]

    def get(self, name, default=None):
        for n, v in self.payload:
            if n == name:
                return v
        return default

    def context(self, name):
        """The value of name in the scopes before the payload, or None."""
        for scope in self.scopes[:-1]:
            for n, v in scope:
                if n == name:
                    return v
        return None

    def __repr__(self):
        return self.line


def split_top(text, where):
    """Splits text at ", " outside quotes, braces, brackets and parentheses."""
    parts, depth, start, i, n = [], 0, 0, 0, len(text)
    closing = {"}": "{", "]": "[", ")": "("}
    stack = []
    while i < n:
        c = text[i]
        if c == '"':
            i += 1
            while i < n and text[i] != '"':
                i += 2 if text[i] == "\\" else 1
            if i >= n:
                fail("%s: unterminated string in %r" % (where, text))
        elif c in "{[(":
            stack.append(c)
        elif c in "}])":
            if not stack or stack.pop() != closing[c]:
                fail("%s: unbalanced %r in %r" % (where, c, text))
        elif c == "," and not stack and text.startswith(", ", i):
            parts.append(text[start:i])
            start = i + 2
            i += 1
        i += 1
        depth = len(stack)
    if depth:
        fail("%s: unbalanced brackets in %r" % (where, text))
    parts.append(text[start:])
    return parts


def parse_struct(text, where):
    """'{ a = 1, b = { c = "x" } }' -> [("a", "1"), ("b", '{ c = "x" }')]."""
    if text == "{ }":
        return []
    if not (text.startswith("{ ") and text.endswith(" }")):
        fail("%s: not a babeltrace2 structure: %r" % (where, text))
    fields = []
    for item in split_top(text[2:-2], where):
        name, sep, value = item.partition(" = ")
        if not sep or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            fail("%s: not a 'name = value' field: %r in %r" % (where, item, text))
        fields.append((name, value))
    return fields


def parse_event(line, where):
    m = EVENT_LINE.match(line)
    if not m:
        fail("%s: not a babeltrace2 event line: %r" % (where, line))
    scopes = [parse_struct(s, where) for s in split_top(m.group("scopes"), where)]
    return Event(m.group("name"), m.group("host"), scopes, line)


def parse_events(text, where):
    return [parse_event(line, "%s, line %d" % (where, n))
            for n, line in enumerate(text.splitlines(), 1) if line.strip()]


def bt_string(s):
    """A string as babeltrace2 prints it: quoted, with C escapes for \\ ' " ?
    and control characters (its print_escape_string()); None (a NULL char *)
    is "(null)", as LTTng-UST's ctf_string records it."""
    if s is None:
        s = "(null)"
    named = {"\0": "\\0", "\a": "\\a", "\b": "\\b", "\x1b": "\\e", "\f": "\\f",
             "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v"}
    out = []
    for ch in s:
        if ch in "\\'\"?":
            out.append("\\" + ch)
        elif ord(ch) < 32 or ord(ch) == 127:
            out.append(named.get(ch, "\\x%02x" % ord(ch)))
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def bt_float(x):
    """A float or double as babeltrace2 prints it (C's %g of the double)."""
    return "%g" % float(x)


def bt_hex(v):
    """An integer field displayed in hexadecimal, as babeltrace2 prints it."""
    return "0x%X" % v


def is_decimal(text):
    return re.fullmatch(r"-?\d+", text) is not None


# ---------------------------------------------------------------------------
# CTF metadata (TSDL, as lttng-sessiond writes it)
#
# Types become tuples, without alignment:
#   ("int", size, signed, base)          base 10 or 16 (or 8, 2)
#   ("float", exp_dig, mant_dig)
#   ("string",)
#   ("enum", int type, ((label, low, high), ...))
#   ("struct", ((name, type), ...))
#   ("array", element type, length text)
#   ("chars", length text)               array of 8-bit UTF8/ASCII integers
#   ("named", name)                      a typealias name
# Field names lose the one leading underscore lttng-sessiond adds, as
# babeltrace2 shows them.

_TOKEN = re.compile(r'\s*(?:(?P<str>"(?:[^"\\]|\\.)*")|(?P<word>[A-Za-z0-9_.+-]+)|'
                    r'(?P<punct>:=|\.\.\.|[{}()\[\];:=,<>]))', re.DOTALL)


def _tokens(text, where):
    toks, pos = [], 0
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.DOTALL)
    while True:
        m = _TOKEN.match(text, pos)
        if not m:
            if text[pos:].strip():
                fail("%s: cannot read the metadata near %r" % (where, text[pos:pos + 80]))
            return toks
        toks.append(m.group(m.lastgroup))
        pos = m.end()


class _Parser:
    def __init__(self, toks, where):
        self.toks, self.i, self.where = toks, 0, where
        self.last_encoding = None

    def peek(self, k=0):
        return self.toks[self.i + k] if self.i + k < len(self.toks) else None

    def next(self):
        tok = self.peek()
        if tok is None:
            fail("%s: metadata ends too early" % self.where)
        self.i += 1
        return tok

    def expect(self, tok):
        got = self.next()
        if got != tok:
            fail("%s: metadata has %r where %r was expected (token %d: %s)"
                 % (self.where, got, tok, self.i, " ".join(self.toks[max(0, self.i - 12):self.i + 4])))

    def attrs(self):
        self.expect("{")
        attrs = {}
        while self.peek() != "}":
            key = self.next()
            self.expect("=")
            value = []
            while self.peek() != ";":
                value.append(self.next())
            self.expect(";")
            attrs[key] = " ".join(value)
        self.expect("}")
        return attrs

    def integer(self):
        a = self.attrs()
        self.last_encoding = a.get("encoding", "none")
        base = {"decimal": 10, "dec": 10, "d": 10, "i": 10, "u": 10, "hexadecimal": 16,
                "hex": 16, "x": 16, "X": 16, "p": 16, "octal": 8, "oct": 8, "o": 8,
                "binary": 2, "b": 2}.get(a.get("base", "10"), None)
        if base is None:
            base = int(a.get("base", "10"))
        return ("int", int(a["size"]), a.get("signed", "0") in ("1", "true", "TRUE"), base)

    def type(self):
        tok = self.next()
        if tok == "integer":
            return self.integer()
        if tok == "floating_point":
            a = self.attrs()
            return ("float", int(a["exp_dig"]), int(a["mant_dig"]))
        if tok == "string":
            if self.peek() == "{":
                self.attrs()
            return ("string",)
        if tok == "enum":
            if self.peek() not in (":", "{"):
                self.next()  # enum name
            container = ("int", 32, True, 10)
            if self.peek() == ":":
                self.next()
                container = self.type()
            self.expect("{")
            labels = []
            while self.peek() != "}":
                label = self.next()
                if label.startswith('"'):
                    label = label[1:-1]
                low = high = None
                if self.peek() == "=":
                    self.next()
                    low = high = int(self.next())
                    if self.peek() == "...":
                        self.next()
                        high = int(self.next())
                labels.append((label, low, high))
                if self.peek() == ",":
                    self.next()
            self.expect("}")
            return ("enum", container, tuple(labels))
        if tok == "struct":
            if self.peek() != "{":
                self.next()  # struct name
            self.expect("{")
            fields = []
            while self.peek() != "}":
                fields.append(self.declaration())
            self.expect("}")
            if self.peek() == "align":
                self.next()
                self.expect("(")
                self.next()
                self.expect(")")
            return ("struct", tuple(fields))
        if tok == "variant":
            fail("%s: variants are not expected in these events' metadata" % self.where)
        return ("named", tok)

    def declaration(self):
        self.last_encoding = None
        t = self.type()
        text = t[0] == "int" and t[1] == 8 and self.last_encoding in ("UTF8", "ASCII")
        name = self.next()
        while self.peek() == "[":
            self.next()
            length = []
            while self.peek() != "]":
                length.append(self.next())
            self.expect("]")
            if text:
                t = ("chars", " ".join(length))  # a fixed-length CTF string
                text = False
            else:
                t = ("array", t, " ".join(length))
        self.expect(";")
        return (name[1:] if name.startswith("_") else name, t)


def parse_metadata(text, where):
    """{event name: ("struct", fields)} of every event block of a TSDL text."""
    events = {}
    for m in re.finditer(r"^event \{(.*?)^\};", text, re.MULTILINE | re.DOTALL):
        body = m.group(1)
        name = re.search(r'\bname = "([^"]*)";', body)
        start = body.find("fields := ")
        if not name or start < 0:
            continue
        p = _Parser(_tokens(body[start + len("fields := "):], where), where)
        events[name.group(1)] = p.type()
    return events


def describe_type(t):
    kind = t[0]
    if kind == "int":
        return "%sint%d%s" % ("" if t[2] else "u", t[1], " (hex)" if t[3] == 16 else "")
    if kind == "float":
        return {(8, 24): "float", (11, 53): "double"}.get((t[1], t[2]),
                                                           "float(exp %d, mant %d)" % t[1:])
    if kind == "enum":
        return "enum : %s { %s }" % (describe_type(t[1]), ", ".join(
            "%s = %s" % (l, lo if lo == hi else "%s ... %s" % (lo, hi)) for l, lo, hi in t[2]))
    if kind == "struct":
        return "struct { %s }" % "; ".join("%s %s" % (describe_type(ft), n) for n, ft in t[1])
    if kind == "array":
        return "%s[%s]" % (describe_type(t[1]), t[2])
    if kind == "chars":
        return "char[%s] (text)" % t[1]
    return " ".join(str(x) for x in t)


# Types as tuples, for the expectations.
S8, U8 = ("int", 8, True, 10), ("int", 8, False, 10)
S16, U16 = ("int", 16, True, 10), ("int", 16, False, 10)
S32, U32 = ("int", 32, True, 10), ("int", 32, False, 10)
S64, U64 = ("int", 64, True, 10), ("int", 64, False, 10)
POINTER = ("int", 64, False, 16)
FLOAT, DOUBLE = ("float", 8, 24), ("float", 11, 53)
STRING = ("string",)


def struct(*fields):
    return ("struct", tuple(fields))


def chars(length):
    return ("chars", str(length))


def flatten(name, t):
    """The fields dwtrace --lttng makes of a parameter NAME of type t:
    structures and unions become one field per member, NAME_MEMBER (nested:
    NAME_MEMBER_MEMBER), as dwtrace(1) says."""
    if t[0] != "struct":
        return [(name, t)]
    fields = []
    for member, mt in t[1]:
        fields += flatten("%s_%s" % (name, member), mt)
    return fields


def enum(container, *values):
    return ("enum", container, tuple((label, v, v) for label, v in values))


def check_fields_type(metadata, event, expected, where):
    """The metadata of event declares exactly the fields expected (a list of
    (name, type)), in that order."""
    if event not in metadata:
        fail("%s: the trace's metadata declares no event %s (it has: %s)"
             % (where, event, ", ".join(sorted(metadata)) or "none"))
    got = list(metadata[event][1])
    if got != list(expected):
        fail("%s: event %s declares the fields\n  %s\nexpected\n  %s"
             % (where, event, "\n  ".join("%s: %s" % (n, describe_type(t)) for n, t in got),
                "\n  ".join("%s: %s" % (n, describe_type(t)) for n, t in expected)))


# ---------------------------------------------------------------------------
# dwtrace's --lttng warning when no session daemon runs

NO_SESSIOND_WARNING = re.compile(r"^dwtrace: .*\b(nothing|not|no)\b.*\brecord", re.IGNORECASE)


def no_sessiond_warnings(stderr):
    return [l for l in stderr.splitlines() if NO_SESSIOND_WARNING.search(l)]


# ---------------------------------------------------------------------------
# sample_app under dwtrace --lttng: its printed calls, and the events

SAMPLE_LINE = re.compile(r"^my_traced_function\(arg1=42, arg2=3735928559, arg3=3\.14159, "
                         r"arg4=0x12345678\) = (-?\d+)$")
SAMPLE_ENTRY_ARGS = [("arg1", "42"), ("arg2", "3735928559"), ("arg3", "3.14159"),
                     ("arg4", "0x12345678")]


def sample_returns(result, calls, where):
    """The return values sample_app printed, one per call."""
    values = []
    for line in result.stdout.splitlines():
        m = SAMPLE_LINE.match(line)
        if not m:
            fail("%s: unexpected line in sample_app's output: %r\n%s"
                 % (where, line, harness.describe(result)))
        values.append(int(m.group(1)))
    if len(values) != calls:
        fail("%s: sample_app printed %d calls, expected %d\n%s"
             % (where, len(values), calls, harness.describe(result)))
    return values


def check_sample_events(events, returns, dwtrace_pid, where, program_pid=None):
    """The calls of sample_app, in order, as dwtrace's default provider
    records them.  When the program writes them (program_writes()): no
    pid/tid fields, and (given program_pid) vpid and vtid contexts
    program_pid; otherwise payload pid and tid first (program_pid when
    given), and a vpid context, if any, dwtrace's."""
    if len(events) != 2 * len(returns):
        fail("%s: %d events, expected %d entries and %d exits\n  %s"
             % (where, len(events), len(returns), len(returns),
                "\n  ".join(ev.line for ev in events[:6])))
    if program_writes():
        for i, ev in enumerate(events):
            for ctx in ("vpid", "vtid"):
                v = ev.context(ctx)
                if program_pid is not None and v is not None and v != str(program_pid):
                    fail("%s, event #%d: context %s is %s, expected the program's %d:\n  %s"
                         % (where, i, ctx, v, program_pid, ev.line))
            want_name = "dwtrace:my_traced_function_%s" % ("exit" if i % 2 else "entry")
            if i % 2 == 0:
                want = SAMPLE_ENTRY_ARGS
            else:
                d = ev.get("duration_ns")
                if d is None or not is_decimal(d) or int(d) <= 0:
                    fail("%s, event #%d: duration_ns %s is not a positive integer:\n  %s"
                         % (where, i, d, ev.line))
                want = [("retval", str(returns[i // 2])), ("duration_ns", d)]
            if ev.name != want_name or ev.payload != want:
                fail("%s, event #%d: expected %s with payload %s, got:\n  %s"
                     % (where, i, want_name, want, ev.line))
        return
    for i, ev in enumerate(events):
        v = ev.context("vpid")
        if v is not None and v != str(dwtrace_pid):
            fail("%s, event #%d: context vpid %s, expected dwtrace's %d (the ptrace engine "
                 "emits from dwtrace):\n  %s" % (where, i, v, dwtrace_pid, ev.line))
    pid = events[0].get("pid")
    if program_pid is not None and pid != str(program_pid):
        fail("%s: payload pid %s, the program's is %d:\n  %s"
             % (where, pid, program_pid, events[0].line))
    if pid is None or not is_decimal(pid) or int(pid) == dwtrace_pid:
        fail("%s: payload pid %s is not the traced program's:\n  %s" % (where, pid, events[0].line))
    for i, ev in enumerate(events):
        w = "%s, event #%d" % (where, i)
        if i % 2 == 0:
            want_name = "dwtrace:my_traced_function_entry"
            want = [("pid", pid), ("tid", pid)] + SAMPLE_ENTRY_ARGS
        else:
            want_name = "dwtrace:my_traced_function_exit"
            d = ev.get("duration_ns")
            if d is None or not is_decimal(d) or int(d) <= 0:
                fail("%s: duration_ns %s is not a positive integer:\n  %s" % (w, d, ev.line))
            want = [("pid", pid), ("tid", pid), ("retval", str(returns[i // 2])),
                    ("duration_ns", d)]
        if ev.name != want_name or ev.payload != want:
            fail("%s: expected %s with payload %s, got:\n  %s" % (w, want_name, want, ev.line))


# ---------------------------------------------------------------------------
# Who writes dwtrace's events (issue 12)
#
# With the agent engine (the default wherever it can trace the program) the
# traced program writes dwtrace's events itself, through the lttng-ust that
# dwtrace loads into it (libdwtrace-ust.so): no pid/tid payload fields, and
# every LTTng context (vpid, vtid, procname, ip) is the program's, as for a
# tracepoint compiled into it.  With --engine ptrace dwtrace's own process
# writes them, with the traced pid and tid as the first payload fields, and
# the contexts are dwtrace's (documented: README, "LTTng").

def program_writes():
    """Whether this test's engine (DWTRACE_ENGINE) makes the traced program
    write dwtrace's events itself."""
    return harness.engine() in (None, "agent")


def id_fields(pid, tid=None):
    """The payload fields that precede the parameters in dwtrace's events:
    [("pid", PID), ("tid", TID)] when dwtrace's process writes them, []
    when the program does."""
    if program_writes():
        return []
    return [("pid", str(pid)), ("tid", str(pid if tid is None else tid))]


def bin_info(events, vpid):
    """{path: (baddr, memsz)} of the lttng_ust_statedump:bin_info events of
    vpid (lttng-ust's own statedump of the process's mapped objects:
    lttng-ust-statedump.c, what Trace Compass reads)."""
    found = {}
    for ev in events:
        if ev.name == "lttng_ust_statedump:bin_info" and ev.context("vpid") == str(vpid):
            path = ev.get("path", "")
            if len(path) < 2 or not path.startswith('"'):
                fail("bin_info without a path:\n  %s" % ev.line)
            found[path[1:-1]] = (int(ev.get("baddr"), 16), int(ev.get("memsz")))
    return found


def function_range(objects, elf, name, where):
    """(start, end) of function NAME of the ELF file elf in a process whose
    statedump objects ({path: (baddr, memsz)}, bin_info()) map it: the load
    bias (baddr minus the first PT_LOAD's vaddr, readelf) plus the symbol's
    value and size (nm)."""
    real = os.path.realpath(elf)
    hits = [v for p, v in objects.items() if os.path.realpath(p) == real]
    if not hits:
        fail("%s: the statedump of the process names no %s (it names: %s)"
             % (where, real, ", ".join(sorted(objects)) or "nothing"))
    baddr = hits[0][0]
    first_vaddr = harness.load_segments(elf)[0][1]
    value, size = harness.symbol(elf, name)
    start = baddr - first_vaddr + value
    return start, start + size


def mapped_base_from_maps(pid, elf):
    """The load bias of elf in process pid, from /proc/PID/maps (the mapping
    at file offset 0)."""
    real = os.path.realpath(elf)
    with open("/proc/%d/maps" % pid) as f:
        for line in f:
            fields = line.split()
            if len(fields) >= 6 and os.path.realpath(fields[5]) == real and int(fields[2], 16) == 0:
                first_vaddr = harness.load_segments(elf)[0][1]
                return int(fields[0].split("-")[0], 16) - first_vaddr
    fail("%s is not mapped in process %d" % (real, pid))


def mapped_copies(pid, name):
    """How many distinct files named name (or name.N...: the maps show the
    file a soname link points to, liblttng-ust.so.1.0.0) process pid maps:
    one per loaded copy."""
    paths = set()
    with open("/proc/%d/maps" % pid) as f:
        for line in f:
            fields = line.split()
            base = os.path.basename(fields[5]) if len(fields) >= 6 else ""
            if base == name or base.startswith(name + "."):
                paths.add((fields[3], fields[4]))  # device, inode
    return len(paths)


def list_ust(lt):
    """{pid: (name, [event names])} of `lttng list -u`: the registered
    applications and their events."""
    out = lt.lttng("list", "-u").stdout
    apps, current = {}, None
    for line in out.splitlines():
        m = re.match(r"^PID: (\d+) - Name: (.*)$", line.strip())
        if m:
            current = int(m.group(1))
            apps[current] = (m.group(2), [])
            continue
        m = re.match(r"^\s+(\S+:\S+) \(", line)
        if m and current is not None:
            apps[current][1].append(m.group(1))
    return apps


class Interactive(_Running):
    """A tests/lttng program run with -i (handwritten_app.c): calls(n) makes
    it call my_traced_function n times and returns the lines it printed."""

    def __init__(self, cmd, env):  # pylint: disable=non-parent-init-called
        tracing.Running.__init__(self, cmd, stdin=subprocess.PIPE, env=env)
        self.seen = 1  # "ready"
        self.stdout.wait_for(r"^ready$", 30, harness.show_cmd(cmd))

    def calls(self, n, timeout=60):
        self.proc.stdin.write("%d\n" % n)
        self.proc.stdin.flush()
        deadline = time.monotonic() + timeout
        while True:
            lines = self.stdout.lines[self.seen:]
            if "done" in lines:
                got = lines[:lines.index("done")]
                self.seen += len(got) + 1
                return got
            if self.proc.poll() is not None or time.monotonic() > deadline:
                fail("%s did not make %d calls\n%s" % (harness.show_cmd(self.cmd), n,
                                                      self.describe()))
            time.sleep(0.005)

    def finish(self, where):
        """Closes stdin; the exit status must be 0."""
        self.proc.stdin.close()
        status = self.wait(30, where)
        if status != 0:
            fail("%s: %s exited with status %s\n%s"
                 % (where, harness.show_cmd(self.cmd), status, self.describe()))


def start_interactive(lt, name, extra_env=None):
    """tests/lttng/NAME -i with lt's environment (plus extra_env), killed at
    the end of the test if it still runs."""
    r = Interactive([test_program(name), "-i"], dict(lt.env, **(extra_env or {})))
    lt.running.append(r)
    return r


def dwtrace_child(lt, args, comm="sample_app", timeout=harness.DEFAULT_TIMEOUT, extra_env=None):
    """dwtrace ARGS (ending in -- PROGRAM ...) with lt's environment (plus
    extra_env); fails unless it exits with status 0.  Returns (the result,
    as harness.run gives it, and the pid of the traced program: dwtrace's
    child whose comm is comm, found in /proc while dwtrace runs)."""
    env = dict(lt.env, **(extra_env or {}))
    d = Interactive.__new__(Interactive)
    _Running.__init__(d, [harness.dwtrace()] + list(args), env)
    lt.running.append(d)
    child = []

    def watch():
        while d.proc.poll() is None and not child:
            for k in _children(d.pid):
                if _comm(k) == comm[:15]:
                    child.append(k)
            time.sleep(0.001)
    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    status = d.wait(timeout, "dwtrace --lttng")
    watcher.join(5)
    result = subprocess.CompletedProcess(d.cmd, status, d.stdout.text(), d.stderr.text())
    result.pid = d.pid
    if status != 0:
        fail("dwtrace exited with status %s\n%s" % (status, harness.describe(result)))
    if not child:
        fail("%s never ran as dwtrace's child\n%s" % (comm, harness.describe(result)))
    return result, child[0]
