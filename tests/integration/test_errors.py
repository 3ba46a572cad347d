#!/usr/bin/env python3
"""test_errors.py: bad input gives a non-zero exit status and exactly one line
on stderr, starting "dwtrace:", that names the offending item; a command that
was started is not left to run on.  A MODULE:FUNCTION probe whose module is
not loaded is no error: it is pending, and the program runs to its end.  Also
`dwtrace list`, --help, --version.
"""

import os
import re
import stat
import sys

import harness
import tracing
from harness import fail

PROTOTYPE = "int my_traced_function(int arg1, uint64_t arg2, double arg3, void *arg4)"


def expect_error(args, key, what):
    """dwtrace args must fail with one stderr line "dwtrace: ..." matching
    the regex key, and print nothing on stdout (sample_app would)."""
    result = harness.run_dwtrace(args, expect_status=None)
    problem = None
    lines = harness.stderr_lines(result)
    if result.returncode == 0:
        problem = "exit status 0, expected non-zero"
    elif result.returncode < 0:
        problem = "dwtrace was killed by signal %d" % -result.returncode
    elif len(lines) != 1:
        problem = "%d lines on stderr, expected exactly one" % len(lines)
    elif not lines[0].startswith("dwtrace:"):
        problem = "the stderr line does not start with 'dwtrace:'"
    elif not re.search(key, lines[0]):
        problem = "the stderr line does not mention %s" % key
    elif result.stdout.strip():
        problem = "something ran: stdout is not empty"
    if problem:
        fail("%s: %s\n%s" % (what, problem, harness.describe(result)))


def check_errors(workdir):
    app = harness.sample("O0", "sample_app")
    run_app = ["--", app, "1"]
    probe = ["-e", "my_traced_function"]
    not_executable = os.path.join(workdir, "not-executable")
    with open(not_executable, "w") as f:
        f.write("#!/bin/sh\necho this should not run\n")
    os.chmod(not_executable, stat.S_IRUSR | stat.S_IWUSR)

    cases = [
        ("unknown option", ["--no-such-option"] + probe + run_app, r"no-such-option"),
        ("missing command", ["-e", "foo"], r"(?i)command|program"),
        ("missing -e", run_app, r"(?i)probe|-e\b"),
        ("command not found", probe + ["--", "/nonexistent/prog"], re.escape("/nonexistent/prog")),
        ("command not executable", probe + ["--", not_executable],
         re.escape(os.path.basename(not_executable))),
        ("function not found", ["-e", "zzq_no_such_function"] + run_app,
         re.escape("zzq_no_such_function")),
        ("function not found, near miss", ["-e", "my_tracd_function"] + run_app,
         re.escape("did you mean 'my_traced_function'")),
        ("offset outside any function", ["-e", "libmylib.so:0x0"] + run_app, r"\b0x0\b"),
        ("glob matching nothing", ["-e", "zzz_*"] + run_app, re.escape("zzz_*")),
        ("unknown format", ["--format", "xml"] + probe + run_app, r"\bxml\b"),
    ]
    for what, args, key in cases:
        expect_error(args, key, what)


def check_pending():
    """-e nosuchlib.so:foo: the pending line, sample_app runs to its end, no
    events, the summary, exit status 0."""
    app = harness.sample("O0", "sample_app")
    result = harness.run_dwtrace(["-e", "nosuchlib.so:foo", "--", app, "1"])
    where = "module not loaded (-e nosuchlib.so:foo)"
    pending = tracing.pending_line("nosuchlib.so:foo", "nosuchlib.so")
    if harness.stderr_lines(result).count(pending) != 1:
        fail("%s: stderr does not have the line %r exactly once\n%s"
             % (where, pending, harness.describe(result)))
    tracing.check_summary(result.stderr, where, 0, r"^sample_app exited with status 0$")
    if not re.fullmatch(r"my_traced_function\(.*\) = 292\n", result.stdout):
        fail("%s: sample_app did not run to its end\n%s" % (where, harness.describe(result)))


def check_list(opt):
    lib = harness.sample(opt, "libmylib.so")
    result = harness.run_dwtrace(["list", lib, "my_*"])
    where = "dwtrace list %s 'my_*'" % lib
    lines = [l for l in result.stdout.splitlines() if l.strip()]
    if len(lines) != 1:
        fail("%s: %d lines, expected one\n%s" % (where, len(lines), harness.describe(result)))
    m = re.match(r"^0x([0-9a-f]+) 0x([0-9a-f]+) (.*)$", lines[0])
    if not m:
        fail("%s: line is not '0xADDR 0xOFFSET PROTOTYPE': %r" % (where, lines[0]))
    addr, offset, prototype = int(m.group(1), 16), int(m.group(2), 16), m.group(3)
    value, _ = harness.symbol(lib, "my_traced_function")
    expected_offset = harness.vaddr_to_offset(lib, value)
    if addr != value:
        fail("%s: address 0x%x, nm says 0x%x" % (where, addr, value))
    if offset != expected_offset:
        fail("%s: file offset 0x%x, readelf's program headers give 0x%x"
             % (where, offset, expected_offset))
    if prototype != PROTOTYPE:
        fail("%s: prototype %r, expected %r" % (where, prototype, PROTOTYPE))


def check_help_version():
    result = harness.run_dwtrace(["--help"])
    if not re.search(r"--probe|-e\b", result.stdout + result.stderr):
        fail("dwtrace --help does not describe -e/--probe\n" + harness.describe(result))
    result = harness.run_dwtrace(["--version"])
    if not re.search(r"\b\d+\.\d+(\.\d+)?\b", result.stdout):
        fail("dwtrace --version prints no version number on stdout\n" + harness.describe(result))


def test():
    workdir = harness.tempdir()
    check_errors(workdir)
    check_pending()
    for opt in harness.OPT_LEVELS:
        check_list(opt)
    check_help_version()


if __name__ == "__main__":
    harness.main(test)
