#!/usr/bin/env python3
"""test_debuglink.py O0|O2: debug info that names a FIFO never blocks dwtrace.

Copies of sample_app/libmylib.so and spin_app/libspin.so are stripped of
their DWARF (objcopy --only-keep-debug, --strip-debug, --add-gnu-debuglink),
and each separate debug file is then replaced by a FIFO of the same name, so
that a .gnu_debuglink names a FIFO (readelf checks it does).  libspin.so's
copy also gets a build ID of its own, and a FIFO waits at
/usr/lib/debug/.build-id/xx/yyyy.debug for it.  Then, each under a time limit:
  - dwtrace -e main -e my_traced_function -- app: the program's output and
    exit status are those of its untraced run, and my_traced_function is
    traced (without debug info: raw registers);
  - dwtrace -e spin_step -p PID --duration 1 on the spin_app copy exits 0
    within 10 s with events of spin_step, and spin_app runs on unharmed;
  - dwtrace list of each copy finishes, and `dwtrace list FIFO` and
    `dwtrace list DIRECTORY` fail at once with one line naming what it is.
"""

import os
import re
import signal
import sys
import time

import harness
import tracing
from harness import fail


def with_fifo_debuglink(workdir, src):
    """A copy of src in workdir whose .gnu_debuglink names a FIFO."""
    name = os.path.basename(src)
    copy = os.path.join(workdir, name)
    debug = copy + ".debug"
    with open(src, "rb") as f, open(copy, "wb") as g:
        g.write(f.read())
    os.chmod(copy, 0o755)
    harness.run_ok(["objcopy", "--only-keep-debug", copy, debug])
    harness.run_ok(["objcopy", "--strip-debug", copy])
    harness.run_ok(["objcopy", "--add-gnu-debuglink=" + debug, copy])
    os.unlink(debug)
    os.mkfifo(debug)
    link = harness.run_ok(["readelf", "-p", ".gnu_debuglink", copy]).stdout
    if not re.search(r"\]\s+%s$" % re.escape(name + ".debug"), link, re.MULTILINE):
        fail("readelf: the .gnu_debuglink of %s does not name %s.debug:\n%s" % (copy, name, link))
    return copy


def build_id(elf):
    out = harness.run_ok(["readelf", "-n", elf]).stdout
    m = re.search(r"Build ID: ([0-9a-f]+)", out)
    if not m:
        fail("readelf -n %s shows no build ID" % elf)
    return m.group(1)


def give_new_build_id(elf):
    """Replaces the build ID bytes of elf by random ones; returns the new ID."""
    old = bytes.fromhex(build_id(elf))
    with open(elf, "rb") as f:
        data = f.read()
    if data.count(old) != 1:
        fail("the build ID of %s occurs %d times in the file" % (elf, data.count(old)))
    new = os.urandom(len(old))
    with open(elf, "wb") as f:
        f.write(data.replace(old, new))
    if build_id(elf) != new.hex():
        fail("readelf does not see the new build ID of %s" % elf)
    return new.hex()


def check_started(workdir, opt):
    app = with_fifo_debuglink(workdir, harness.sample(opt, "sample_app"))
    with_fifo_debuglink(workdir, harness.sample(opt, "libmylib.so"))
    _, traced, events = harness.check_unharmed([app, "1"], ["-e", "main", "-e", "my_traced_function"],
                                               timeout=30)
    text = harness.read_text(events)
    if not re.search(r"^\S+ \d+/\d+ *my_traced_function\(", text, re.MULTILINE):
        fail("started with FIFO debuglinks (%s): no entry of my_traced_function traced\n%s\n%s"
             % (opt, text[:2000], harness.describe(traced)))


def check_attached(workdir, opt, fifos):
    where = "-p with FIFO debuglinks and a FIFO under /usr/lib/debug/.build-id (%s)" % opt
    app_path = with_fifo_debuglink(workdir, harness.sample(opt, "spin_app"))
    lib = with_fifo_debuglink(workdir, harness.sample(opt, "libspin.so"))
    bid = give_new_build_id(lib)
    id_dir = "/usr/lib/debug/.build-id/" + bid[:2]
    if not os.path.isdir(id_dir):
        os.makedirs(id_dir)
        fifos.append(id_dir)
    fifo = os.path.join(id_dir, bid[2:] + ".debug")
    os.mkfifo(fifo)
    fifos.append(fifo)

    app = tracing.Running([app_path, "100"])
    app.stdout.wait_for(r"^ready$", 10, where)
    out = os.path.join(workdir, "attached.json")
    tracer = tracing.Running([harness.dwtrace(), "-F", "json", "-o", out, "-e", "spin_step",
                              "-p", str(app.pid), "--duration", "1"])
    status = tracer.wait(10, where)
    if status != 0:
        fail("%s: dwtrace exited with status %s\n%s" % (where, status, tracer.describe()))
    tracing.check_summary(tracer.stderr.text(), where, tail=r"^detached from spin_app")
    events = harness.read_events(out)
    if not any(ev["type"] == "entry" and ev["function"] == "spin_step" for ev in events):
        fail("%s: no entry of spin_step traced in a second" % where)
    states = tracing.states(app.pid)
    if "t" in states.values() or "T" in states.values():
        fail("%s: spin_app's threads are in states %s after dwtrace" % (where, states))
    tracing.send(app.pid, signal.SIGUSR1)
    status = app.wait(10, where)
    text = app.stdout.text()
    if status != 0 or not re.fullmatch(r"ready\nok iterations=\d+\n", text):
        fail("%s: spin_app found itself harmed\n%s" % (where, app.describe()))
    return app_path


def check_list(workdir, files):
    for f in files:
        start = time.monotonic()
        result = harness.run_dwtrace(["list", f], timeout=20)
        if "main" not in result.stdout and "spin_step" not in result.stdout:
            fail("dwtrace list %s lists neither main nor spin_step\n%s" % (f, harness.describe(result)))
        if time.monotonic() - start > 10:
            fail("dwtrace list %s took %.1f s" % (f, time.monotonic() - start))
    fifo = os.path.join(workdir, "sample_app.debug")
    for path, kind in ((fifo, "FIFO"), (workdir, "directory")):
        start = time.monotonic()
        result = harness.run_dwtrace(["list", path], timeout=10, expect_status=None)
        lines = harness.stderr_lines(result)
        if (result.returncode in (0, None) or result.returncode < 0 or len(lines) != 1
                or not lines[0].startswith("dwtrace:") or path not in lines[0] or kind not in lines[0]
                or result.stdout):
            fail("dwtrace list %s (a %s): expected one stderr line naming it and a non-zero exit "
                 "status\n%s" % (path, kind, harness.describe(result)))
        if time.monotonic() - start > 2:
            fail("dwtrace list %s took %.1f s" % (path, time.monotonic() - start))


def test(opt):
    harness.require_tool("objcopy")
    workdir = harness.tempdir()
    fifos = []
    try:
        check_started(workdir, opt)
        spin = check_attached(workdir, opt, fifos)
        check_list(workdir, [os.path.join(workdir, "sample_app"), spin,
                             os.path.join(workdir, "libspin.so")])
    finally:
        tracing.kill_all()
        for f in reversed(fifos):  # a FIFO, then the directory made for it
            (os.rmdir if os.path.isdir(f) else os.unlink)(f)


if __name__ == "__main__":
    harness.main(lambda: test(harness.opt_level(sys.argv)))
