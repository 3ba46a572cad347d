#!/usr/bin/env python3
"""test_bad_input.py: smaller faults of issue 9, each checked against the
program's own behaviour without dwtrace.

  - A started program that exec's (no -f) exits 7, or is killed by SIGSEGV:
    dwtrace's exit status is the program's (7, 139), its output unchanged,
    and the summary says how it ended.
  - -e ':malloc' and -e 'libc.so.6:' are usage errors: exit 2, one line;
    so are -c --stack and --json-int-strings without --format json.
  - A probe ending in a newline: one stderr line, with the newline escaped.
  - A MODULE: probe whose module never loads: the program runs as without
    dwtrace, and a warning naming the probe comes before the summary.
  - dlopen_app loads libplugin.so, dlclose()s it, loads and unloads it
    again: the summary counts 1 probe (nm: one plugin_fn), not 0.
  - fork_app with -f: the summary counts the processes fork_app itself
    reports (parent, fork child, vfork child: distinct pids in its output).
  - -p of a process already traced by another dwtrace (a ptrace tracer, or
    the reader of its in-process agent) names that dwtrace's pid; of a kernel thread (PF_KTHREAD in /proc/PID/stat) and of a zombie
    (state Z) says so; each exits 1 with one line, and the process is left as
    it was (still traced by the first dwtrace, still a zombie).
"""

import os
import re
import signal
import subprocess
import sys
import time

import harness
import tracing
from harness import fail

PF_KTHREAD = 0x00200000


def one_line_error(args, status, key, where):
    result = harness.run_dwtrace(args, expect_status=None)
    lines = harness.stderr_lines(result)
    if (result.returncode != status or len(lines) != 1 or not lines[0].startswith("dwtrace:")
            or not re.search(key, lines[0]) or result.stdout):
        fail("%s: expected exit status %d and one stderr line matching %r\n%s"
             % (where, status, key, harness.describe(result)))
    return lines[0]


def check_exec_status():
    sh = harness.require_tool("sh")
    for script, status, end in (('echo before; exec "%s" -c "echo after; exit 7"' % sh, 7,
                                 r"^sh exited with status 7$"),
                                ('exec "%s" -c "echo after; kill -SEGV \\$\\$"' % sh, 139,
                                 r"^sh was killed by Segmentation fault$")):
        where = "exec without -f (%s)" % script
        _, traced, _ = harness.check_unharmed([sh, "-c", script], ["-e", "libc.so.6:getenv"],
                                              expect_dwtrace=status)
        tracing.check_summary(traced.stderr, where, tail=end)


def check_usage_errors():
    app = harness.sample("O0", "sample_app")
    one_line_error(["-e", ":malloc", "--", app, "1"], 2, r"':malloc'.*no module", "-e :malloc")
    one_line_error(["-e", "libc.so.6:", "--", app, "1"], 2, r"'libc\.so\.6:'.*no function",
                   "-e libc.so.6:")
    # Options that would do nothing: refused before the program starts.
    one_line_error(["-c", "--stack", "-e", "my_traced_function", "--", app, "1"], 2,
                   r"--stack shows stacks in events; -c writes none: use -C", "-c --stack")
    one_line_error(["--json-int-strings", "-e", "my_traced_function", "--", app, "1"], 2,
                   r"--json-int-strings .*needs --format json", "--json-int-strings with text")
    line = one_line_error(["-e", "zzq_no_such\n", "--", app, "1"], 1, re.escape("zzq_no_such\\n"),
                          "a probe ending in a newline")
    if "\n" in line:
        fail("a probe ending in a newline: the message holds a raw newline: %r" % line)


def check_one_event():
    """One hit of an entry-only probe: "1 event from 1 thread" (not "1
    events").  The point is the instruction after the first (dwtrace names
    it when asked for an offset inside one); sample_app 1 calls the
    function once (it prints the call)."""
    where = "one event"
    app = harness.sample("O2", "sample_app")
    r = harness.run_dwtrace(["-e", "my_traced_function+0x1", "--", app, "1"], expect_status=None)
    m = re.search(r"nearest instruction starts are my_traced_function\+0x0 and (my_traced_function\+0x[0-9a-f]+)",
                  r.stderr)
    if not m:
        fail("%s: no nearest instruction named for +0x1\n%s" % (where, harness.describe(r)))
    plain, traced, _ = harness.check_unharmed([app, "1"], ["-e", m.group(1)])
    if plain.stdout.count("my_traced_function(") != 1:
        fail("%s: sample_app 1 printed %d calls\n%s" % (where, plain.stdout.count("my_traced_function("),
                                                          plain.stdout))
    tracing.check_summary(traced.stderr, where, events=1)
    if not re.search(r"^dwtrace: 1 event from 1 thread in", traced.stderr, re.M):
        fail("%s: the summary line does not say '1 event from 1 thread'\n%s" % (where, traced.stderr))


def check_never_loaded():
    where = "a MODULE: probe whose module never loads"
    app = harness.sample("O0", "sample_app")
    _, traced, _ = harness.check_unharmed([app, "1"], ["-e", "libzzq_nothere.so:foo", "-e",
                                                       "my_traced_function"])
    lines = harness.stderr_lines(traced)
    warning = [l for l in lines if "libzzq_nothere.so:foo" in l and "never" in l]
    if len(warning) != 1 or not warning[0].startswith("dwtrace: warning:") or lines[-2] != warning[0]:
        fail("%s: expected one warning naming the probe just before the summary\n%s"
             % (where, harness.describe(traced)))
    tracing.check_summary(traced.stderr, where, tail=r"^sample_app exited with status 0$")


def check_probes_after_dlclose():
    where = "summary after dlclose"
    app = harness.sample("O0", "dlopen_app")
    plugin = harness.sample("O0", "libplugin.so")
    harness.symbol(plugin, "plugin_fn")  # the one function the probe names
    plain, traced, _ = harness.check_unharmed([app], ["-e", "libplugin.so:plugin_fn"])
    if plain.stdout.count("dlclose libplugin.so") != 2:
        fail("%s: dlopen_app did not unload libplugin.so twice:\n%s" % (where, plain.stdout))
    m = tracing.check_summary(traced.stderr, where)
    if int(m.group(3)) != 1:
        fail("%s: the summary counts %s probes, expected 1 (plugin_fn)\n%s"
             % (where, m.group(3), harness.describe(traced)))


def check_processes_counted():
    where = "summary of fork_app -f"
    app = harness.sample("O2", "fork_app")
    # pids differ from run to run, and the processes' lines interleave.
    def normalize(text):
        text = re.sub(r"^(parent|child) \d+ ", r"\1 PID ", text, flags=re.MULTILINE)
        text = re.sub(r"(fork\(\) = |child )\d+", r"\1PID", text)
        return sorted(text.splitlines())
    plain, traced, _ = harness.check_unharmed([app], ["-f", "-e", "fk_work"], normalize=normalize)
    pids = set(re.findall(r"^(?:parent|child) (\d+) ", plain.stdout, re.MULTILINE))
    pids |= set(re.findall(r"(?:fk_fork|vfork)\(\) = (\d+)$", plain.stdout, re.MULTILINE))
    if len(pids) != 3:
        fail("%s: fork_app's output shows %d processes, expected 3:\n%s" % (where, len(pids), plain.stdout))
    m = tracing.check_summary(traced.stderr, where)
    procs = tracing.PROCESSES.search(traced.stderr.splitlines()[-1])
    if not procs or int(procs.group(1)) != 3 or int(m.group(2)) != 3:
        fail("%s: expected 3 threads in 3 processes in the summary\n%s" % (where, harness.describe(traced)))


def check_already_traced():
    where = "-p of a process traced by another dwtrace"
    app = tracing.Running([harness.sample("O0", "spin_app"), "100"])
    app.stdout.wait_for(r"^ready$", 10, where)
    events = os.path.join(harness.tempdir(), "first-events")
    first = tracing.Running([harness.dwtrace(), "-o", events, "-e", "spin_step", "-p", str(app.pid)])

    def written():
        try:
            return os.path.getsize(events)
        except OSError:
            return 0

    def tracers():
        return {tracing.tracer_pid(app.pid, t) for t in tracing.task_ids(app.pid)} - {None}
    # Set up and tracing (its events come): the ptrace engine stays
    # spin_app's tracer; the agent engine (the default's choice for
    # spin_app) has detached (TracerPid 0) and reads the agent's rings.
    def set_up():
        if harness.engine() == "ptrace":
            return tracers() == {first.pid} and written() > 0
        return tracing.has_agent(app.pid) and tracers() == {0} and written() > 0
    if not tracing.wait_until(lambda: set_up() or first.proc.poll() is not None, 30) or first.proc.poll() is not None:
        fail("%s: the first dwtrace did not set up\n%s" % (where, first.describe()))
    before = tracers()
    one_line_error(["-e", "spin_step", "-p", str(app.pid)], 1,
                   r"already traced by process %d \(dwtrace\)" % first.pid, where)
    one_line_error(["--engine", "ptrace", "-e", "spin_step", "-p", str(app.pid)], 1,
                   r"already traced by process %d \(dwtrace\)" % first.pid, where + ", --engine ptrace")
    if tracers() != before:
        fail("%s: spin_app's TracerPids went from %s to %s, expected them left as they were"
             % (where, before, tracers()))
    # The first dwtrace traces on after the second was refused.
    size = written()
    if not tracing.wait_until(lambda: written() > size, 10):
        fail("%s: the first dwtrace wrote nothing more after the second was refused\n%s"
             % (where, first.describe()))
    tracing.send(first.pid, signal.SIGINT)
    if first.wait(60, where) != 0:
        fail("%s: the first dwtrace failed\n%s" % (where, first.describe()))
    m = tracing.check_summary(first.stderr.text(), where)
    if int(m.group(1)) == 0:
        fail("%s: the first dwtrace saw no call\n%s" % (where, first.describe()))
    os.unlink(events)
    tracing.send(app.pid, signal.SIGUSR1)
    if app.wait(10, where) != 0 or not re.fullmatch(r"ready\nok iterations=\d+\n", app.stdout.text()):
        fail("%s: spin_app found itself harmed\n%s" % (where, app.describe()))


def check_kernel_thread():
    with open("/proc/2/stat") as f:
        stat = f.read()
    flags = int(stat[stat.rindex(")") + 2:].split()[6])
    if not flags & PF_KTHREAD:
        fail("pid 2 is not a kernel thread here (flags 0x%x)" % flags)
    one_line_error(["-e", "foo", "-p", "2"], 1, r"process 2 .*kernel thread", "-p of a kernel thread")


def check_zombie():
    where = "-p of a zombie"
    child = subprocess.Popen(["true"])
    try:
        if not tracing.wait_until(lambda: tracing.task_state(child.pid, child.pid) == "Z", 10):
            fail("%s: 'true' (pid %d) did not become a zombie" % (where, child.pid))
        one_line_error(["-e", "foo", "-p", str(child.pid)], 1, r"process %d .*zombie" % child.pid, where)
        if tracing.task_state(child.pid, child.pid) != "Z":
            fail("%s: pid %d is no longer a zombie after dwtrace" % (where, child.pid))
    finally:
        child.wait()


def test():
    try:
        check_exec_status()
        check_usage_errors()
        check_never_loaded()
        check_one_event()
        check_probes_after_dlclose()
        check_processes_counted()
        check_already_traced()
        check_kernel_thread()
        check_zombie()
    finally:
        tracing.kill_all()


if __name__ == "__main__":
    harness.main(test)
