"""Loading the in-process agent (src/inject/loader.c) into started and
attached programs, through tests/unit/agent_load_tool and a stand-in agent
(tests/unit/fake_agent.c, named libdwtrace-agent.so).

Checked, the program's own output and exit status being the oracle of the
first rule (equal to an untraced run) everywhere:
  - a started sample_app gets the agent at its entry point and runs on;
  - a started inject_storm has exactly one agent mapping while it runs;
  - spin_app (threads in read, nanosleep and user code) attached and loaded
    100 times: one copy in /proc/PID/maps, found again 99 times, and
    spin_app's own check passes;
  - 50 fresh inject_storm processes (malloc storm, read, nanosleep, futex)
    injected with no hang, some through a memfd;
  - a program in another mount namespace (the agent's directory hidden
    by a tmpfs there) gets the agent through a memfd;
  - the loader killed at 20 moments of a load: the program runs on;
  - refusals, each one line: a static executable, a process under a seccomp
    filter (denying memfd_create), a stopped process, an agent of another
    ABI (found again without a second copy), an agent whose init fails.

Usage: test_agent_load.py O0|O2 (environment: SAMPLES, AGENT_LOAD_TOOL,
FAKE_AGENT)."""

import os
import re
import signal
import subprocess
import sys
import time

import harness
import tracing
from harness import fail


def dwt_abi():
    """DWT_ABI, the agent ABI this dwtrace speaks, from src/agent/agent_abi.h."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "src", "agent", "agent_abi.h")
    with open(path) as f:
        m = re.search(r"^#define DWT_ABI (\d+)$", f.read(), re.MULTILINE)
    if not m:
        fail("no #define DWT_ABI in %s" % path)
    return int(m.group(1))

LOAD_TIMEOUT = 20  # seconds for one load; the loader itself gives up at 5 s


def env_path(name):
    path = os.environ.get(name)
    if not path or not os.path.isfile(path):
        fail("environment variable %s does not name a file: %r" % (name, path))
    return path


def tool():
    return env_path("AGENT_LOAD_TOOL")


def agent():
    return env_path("FAKE_AGENT")


def agent_copies(pid):
    """How many times the agent's ELF file is mapped (mappings at file
    offset 0 named libdwtrace-agent.so, maybe as a memfd or deleted)."""
    n = 0
    with open("/proc/%d/maps" % pid) as f:
        for line in f:
            parts = line.split(None, 5)
            if len(parts) == 6 and int(parts[2], 16) == 0 and "libdwtrace-agent.so" in parts[5]:
                n += 1
    return n


def one_line_error(result, words, where):
    errors = [l for l in result.stderr.splitlines() if l.startswith("dwtrace: ")]
    if len(errors) != 1 or not all(w in errors[0] for w in words):
        fail("%s: expected one error line with %s\n%s" % (where, words, harness.describe(result)))


def start(cmd, env=None, preexec=None):
    return subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env, preexec_fn=preexec)


def finish(proc, want_stdout, where, timeout=30):
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        fail("%s: the program did not finish within %d s (hung?)\n%s" % (where, timeout, err.decode()))
    out = out.decode()
    if out != want_stdout or proc.returncode != 0:
        fail("%s: the program printed %r and exited %s; untraced it prints %r and exits 0\n%s"
             % (where, out, proc.returncode, want_stdout, err.decode()))


def test_started(opt):
    app = harness.sample(opt, "sample_app")
    plain = harness.run_ok([app, "2000"])
    loaded = harness.run([tool(), "--agent", agent(), "--", app, "2000"], timeout=LOAD_TIMEOUT)
    if loaded.stdout != plain.stdout or loaded.returncode != plain.returncode:
        fail("started sample_app: output or status differs from its untraced run\n%s"
             % harness.describe(loaded))
    if "loaded_now=1 memfd=0" not in loaded.stderr or "magic_ok=1" not in loaded.stderr:
        fail("started sample_app: the agent was not loaded\n%s" % harness.describe(loaded))

    # A program that exits at once after the load: every thread must be
    # released (a traced thread killed by exit_group must be collected by
    # its tracer, or the program's parent never collects the program).
    for i in range(20):
        quick = harness.run([tool(), "--agent", agent(), "--", app, "1"], timeout=LOAD_TIMEOUT)
        if quick.returncode != 0 or quick.stdout != harness.run_ok([app, "1"]).stdout:
            fail("started sample_app 1 (run %d) harmed\n%s" % (i, harness.describe(quick)))

    # While a started program runs: one agent mapping.
    storm = harness.sample(opt, "inject_storm")
    want = harness.run_ok([storm, "0"]).stdout
    proc = start([tool(), "--agent", agent(), "--", storm, "1500"])
    line = proc.stderr.readline().decode()
    if "loaded_now=1" not in line:
        proc.kill()
        fail("started inject_storm: no load line, got %r" % line)
    with open("/proc/%d/task/%d/children" % (proc.pid, proc.pid)) as f:
        child = int(f.read().split()[0])
    copies = agent_copies(child)
    if copies != 1:
        proc.kill()
        fail("started inject_storm: %d agent mappings, want 1" % copies)
    finish(proc, want, "started inject_storm")


def test_reattach(opt):
    spin = harness.sample(opt, "spin_app")
    app = start([spin, "120"])
    try:
        if app.stdout.readline().decode().strip() != "ready":
            fail("spin_app did not print ready")
        res = harness.run([tool(), "--agent", agent(), "--times", "100", "-p", str(app.pid)],
                          timeout=120)
        if res.returncode != 0:
            fail("100 attach/load cycles failed\n%s" % harness.describe(res))
        lines = res.stdout.splitlines()
        if len(lines) != 100 or "loaded_now=1" not in lines[0] or \
                any("loaded_now=0" not in l for l in lines[1:]):
            fail("100 attach/load cycles: the agent must be loaded once and found 99 times\n%s"
                 % harness.describe(res))
        copies = agent_copies(app.pid)
        if copies != 1:
            fail("after 100 attach/load cycles spin_app maps the agent %d times, want 1" % copies)
        app.send_signal(signal.SIGUSR1)
        out, err = app.communicate(timeout=30)
        if app.returncode != 0 or not out.decode().startswith("ok iterations="):
            fail("spin_app found itself harmed: status %s, %r %r" % (app.returncode, out, err))
    finally:
        if app.poll() is None:
            app.kill()
            app.wait()


def test_storm(opt):
    storm = harness.sample(opt, "inject_storm")
    want = harness.run_ok([storm, "0"]).stdout
    for i in range(50):
        # Long enough for a slow load on a busy machine; SIGUSR1 ends the
        # storm once the agent is in.
        proc = start([storm, "20000", "4"])
        # Its 4 + 3 threads are there (SIGUSR1 handled), then a moment more.
        if not tracing.wait_until(lambda: len(tracing.states(proc.pid)) == 8, 10):
            proc.kill()
            fail("inject_storm did not start its threads")
        time.sleep(0.002 * (i % 25))
        args = [tool(), "--agent", agent(), "-p", str(proc.pid)]
        if i % 5 == 4:
            args.insert(1, "--memfd")
        t0 = time.monotonic()
        res = harness.run(args, timeout=LOAD_TIMEOUT)
        took = time.monotonic() - t0
        if res.returncode != 0 or "loaded_now=1" not in res.stdout:
            proc.kill()
            fail("injection %d into inject_storm failed after %.2f s\n%s" % (i, took, harness.describe(res)))
        if ("memfd=1" in res.stdout) != (i % 5 == 4):
            proc.kill()
            fail("injection %d: memfd delivery not as asked\n%s" % (i, harness.describe(res)))
        proc.send_signal(signal.SIGUSR1)
        finish(proc, want, "inject_storm after injection %d" % i)


def test_other_namespace(opt):
    """A program in another mount namespace, where the agent's directory is
    an empty tmpfs: the path would not open there, a memfd does."""
    storm = harness.sample(opt, "inject_storm")
    want = harness.run_ok([storm, "0"]).stdout
    hide = os.path.dirname(agent())
    script = 'mount -t tmpfs none "$1" && shift && exec "$@"'
    proc = start([harness.require_tool("unshare"), "--mount", "--propagation", "private",
                  "sh", "-c", script, "sh", hide, storm, "20000"])
    if not tracing.wait_until(lambda: os.path.exists("/proc/%d/exe" % proc.pid) and
                              os.path.basename(os.readlink("/proc/%d/exe" % proc.pid)) == "inject_storm" and
                              len(tracing.states(proc.pid)) == 8, 10):
        proc.kill()
        fail("inject_storm did not start in its mount namespace\n%s" % proc.stderr.read().decode())
    if os.path.exists("/proc/%d/root%s" % (proc.pid, agent())):
        proc.kill()
        fail("the agent is visible in the program's mount namespace: the test proves nothing")
    res = harness.run([tool(), "--agent", agent(), "-p", str(proc.pid)], timeout=LOAD_TIMEOUT)
    if res.returncode != 0 or "loaded_now=1 memfd=1" not in res.stdout:
        proc.kill()
        fail("other mount namespace: want a load through a memfd\n%s" % harness.describe(res))
    if agent_copies(proc.pid) != 1:
        proc.kill()
        fail("other mount namespace: %d agent copies, want 1" % agent_copies(proc.pid))
    proc.send_signal(signal.SIGUSR1)
    finish(proc, want, "inject_storm in another mount namespace")


def test_loader_killed(opt):
    """The first rule: the loader killed (SIGKILL) at any moment of a load
    leaves the program running with its own output."""
    storm = harness.sample(opt, "inject_storm")
    want = harness.run_ok([storm, "0"]).stdout
    for i in range(20):
        proc = start([storm, "20000", "4"])
        if not tracing.wait_until(lambda: len(tracing.states(proc.pid)) == 8, 10):
            proc.kill()
            fail("inject_storm did not start its threads")
        loader = start([tool(), "--agent", agent(), "-p", str(proc.pid)])
        time.sleep(0.003 * i)
        loader.kill()
        loader.communicate()
        # Every thread free of ptrace once the loader is gone.
        if not tracing.wait_until(lambda: all(not tracing.is_traced(proc.pid, t)
                                              for t in tracing.task_ids(proc.pid)), 10):
            proc.kill()
            fail("kill %d: a thread stayed traced after the loader died" % i)
        proc.send_signal(signal.SIGUSR1)
        finish(proc, want, "inject_storm whose loader was killed after %d ms" % (3 * i))


SECCOMP_HELPER = r"""
import ctypes, os, struct, sys
# Allow everything but memfd_create (x86-64: 319), which fails with EPERM.
BPF_LD_W_ABS, BPF_JEQ_K, BPF_RET_K = 0x20, 0x15, 0x06
prog = [(BPF_LD_W_ABS, 0, 0, 0), (BPF_JEQ_K, 0, 1, 319),
        (BPF_RET_K, 0, 0, 0x00050000 | 1), (BPF_RET_K, 0, 0, 0x7fff0000)]
code = b"".join(struct.pack("HBBI", *i) for i in prog)
buf = ctypes.create_string_buffer(code)
class Fprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]
fp = Fprog(len(prog), ctypes.cast(buf, ctypes.c_void_p))
libc = ctypes.CDLL(None, use_errno=True)
if libc.prctl(38, 1, 0, 0, 0) or libc.prctl(22, 2, ctypes.byref(fp), 0, 0):
    sys.exit("seccomp: " + os.strerror(ctypes.get_errno()))
os.execv(sys.argv[1], sys.argv[1:])
"""


def test_refusals(opt):
    # A static executable, started.
    static = harness.sample(opt, "ifunc_static_app")
    plain = harness.run([static, "3"])
    res = harness.run([tool(), "--agent", agent(), "--", static, "3"], timeout=LOAD_TIMEOUT)
    if res.stdout != plain.stdout or res.returncode != plain.returncode or \
            "load failed: rc=-8" not in res.stderr:
        fail("static executable: want a refusal (-ENOEXEC) and the program unharmed\n%s"
             % harness.describe(res))
    one_line_error(res, ["static executable"], "static executable")

    storm = harness.sample(opt, "inject_storm")
    want = harness.run_ok([storm, "0"]).stdout

    # Under a seccomp filter (that denies memfd_create).
    proc = start([sys.executable, "-c", SECCOMP_HELPER, storm, "20000"])
    time.sleep(0.3)
    res = harness.run([tool(), "--agent", agent(), "--memfd", "-p", str(proc.pid)], timeout=LOAD_TIMEOUT)
    if res.returncode != 1:
        proc.kill()
        fail("seccomp: want a refusal\n%s" % harness.describe(res))
    one_line_error(res, ["seccomp", "mode 2"], "seccomp")
    if agent_copies(proc.pid) != 0:
        fail("seccomp: the agent was mapped although refused")
    proc.send_signal(signal.SIGUSR1)
    finish(proc, want, "inject_storm under seccomp")

    # A stopped process: refused, and stopped as it was.
    proc = start([storm, "20000"])
    time.sleep(0.3)
    os.kill(proc.pid, signal.SIGSTOP)
    if not tracing.wait_until(lambda: set(tracing.states(proc.pid).values()) == {"T"}, 10):
        proc.kill()
        fail("inject_storm did not stop on SIGSTOP: %s" % tracing.states(proc.pid))
    res = harness.run([tool(), "--agent", agent(), "-p", str(proc.pid)], timeout=LOAD_TIMEOUT)
    if res.returncode != 1:
        proc.kill()
        fail("stopped process: want a refusal\n%s" % harness.describe(res))
    one_line_error(res, ["is stopped"], "stopped process")
    time.sleep(0.2)
    states = tracing.states(proc.pid)
    if set(states.values()) != {"T"}:
        proc.kill()
        fail("stopped process: thread states %s after the refusal, want all T" % states)
    os.kill(proc.pid, signal.SIGCONT)
    proc.send_signal(signal.SIGUSR1)
    finish(proc, want, "inject_storm stopped and continued")

    # An agent of another ABI: refused when loaded, and when found again.
    env = dict(os.environ, DWT_FAKE_ABI="99")
    proc = start([storm, "20000"], env=env)
    time.sleep(0.3)
    for attempt in range(2):
        res = harness.run([tool(), "--agent", agent(), "-p", str(proc.pid)], timeout=LOAD_TIMEOUT)
        if res.returncode != 1 or "rc=-71" not in res.stdout:
            proc.kill()
            fail("agent of another ABI (attempt %d): want -EPROTO\n%s" % (attempt, harness.describe(res)))
        one_line_error(res, ["ABI 99", "ABI %d" % dwt_abi()], "agent of another ABI")
    if agent_copies(proc.pid) != 1:
        proc.kill()
        fail("agent of another ABI: %d copies, want 1" % agent_copies(proc.pid))
    proc.send_signal(signal.SIGUSR1)
    finish(proc, want, "inject_storm with an agent of another ABI")

    # An agent whose initialization fails.
    proc = start([storm, "20000"], env=dict(os.environ, DWT_FAKE_STATUS="-5"))
    time.sleep(0.3)
    res = harness.run([tool(), "--agent", agent(), "-p", str(proc.pid)], timeout=LOAD_TIMEOUT)
    if res.returncode != 1 or "rc=-5" not in res.stdout:
        proc.kill()
        fail("failing agent: want rc=-5\n%s" % harness.describe(res))
    one_line_error(res, ["failed to initialize", os.strerror(5)], "failing agent")
    proc.send_signal(signal.SIGUSR1)
    finish(proc, want, "inject_storm with a failing agent")


def test(opt):
    test_started(opt)
    test_reattach(opt)
    test_storm(opt)
    test_refusals(opt)
    test_other_namespace(opt)
    test_loader_killed(opt)


if __name__ == "__main__":
    harness.main(test, harness.opt_level(sys.argv))
