#!/usr/bin/env python3
"""test_check_packages.py: .ci/check-packages finds the fault that broke
./setup.sh on a fresh machine (libunwind-dev missing from its package list).

Against a CMake cache written here (not the build's own, so the result does
not depend on how this build was configured), naming real files of the
packages setup.sh installs: libunwind-ptrace.so and the libunwind-ptrace
pkg-config module (libunwind-dev), /usr/bin/cc (an alternatives link to gcc),
libc.so.6 spelt /usr/lib/... (dpkg knows it as /lib/...: merged /usr),
/usr/include/x86_64-linux-gnu (a directory of many packages), /usr/bin/python3
and /usr/bin/gdb:
1. with setup.sh as it is, the check passes (status 0);
2. with a copy of setup.sh whose list lacks libunwind-dev, it fails with
   status 1 and the line "setup.sh does not install libunwind-dev, which
   provides /usr/lib/x86_64-linux-gnu/libunwind-ptrace.so; add it to the
   package list" (and the same for the .pc file);
3. with a copy lacking gdb it names gdb and /usr/bin/gdb;
4. an interpreter no package owns (a pyenv-like shim script) is named as
   "not from any Debian package", with status 1.
Which package owns each file is dpkg's knowledge (dpkg-query -S), which the
expected lines here were checked against by hand, not check-packages' output.
"""

import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.realpath(__file__))))
CHECK = os.path.join(ROOT, ".ci", "check-packages")
SETUP = os.path.join(ROOT, "setup.sh")
LIBDIR = "/usr/lib/x86_64-linux-gnu"


def fail(msg):
    print("FAIL: %s" % msg, file=sys.stderr)
    sys.exit(1)


def write_cache(build, extra=()):
    os.makedirs(build, exist_ok=True)
    lines = [
        "# This is the CMakeCache file.",
        "CMAKE_HOME_DIRECTORY:INTERNAL=%s" % ROOT,
        "CMAKE_CACHEFILE_DIR:INTERNAL=%s" % build,
        "CMAKE_C_COMPILER:FILEPATH=/usr/bin/cc",
        "pkgcfg_lib_UNWIND_PTRACE_unwind-ptrace:FILEPATH=%s/libunwind-ptrace.so" % LIBDIR,
        "UNWIND_PTRACE_libunwind-ptrace_MODULE_NAME:INTERNAL=libunwind-ptrace",
        "UNWIND_PTRACE_INCLUDE_DIRS:INTERNAL=/usr/include/x86_64-linux-gnu",
        "LIBC_LIBRARY:FILEPATH=%s/libc.so.6" % LIBDIR,
        "TEST_TOOL_GDB:FILEPATH=/usr/bin/gdb",
        "ZZ_IN_BUILD:FILEPATH=%s/own-file" % build,
    ] + list(extra)
    with open(os.path.join(build, "CMakeCache.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")


def setup_without(tmp, package):
    """A copy of setup.sh whose package list lacks package."""
    with open(SETUP) as f:
        text = f.read()
    block = re.search(r"^packages=\(\n(.*?)^\)", text, re.MULTILINE | re.DOTALL)
    if not block or not re.search(r"(?m)^\t.*\b%s\b" % re.escape(package), block.group(1)):
        fail("setup.sh's package array does not list %s as the test expects" % package)
    body = re.sub(r"(?m)^(\t[^#\n]*?)(?<![\w.+-])%s(?![\w.+-])" % re.escape(package), r"\1",
                  block.group(1))
    d = os.path.join(tmp, "without-" + package)
    os.makedirs(d)
    path = os.path.join(d, "setup.sh")
    with open(path, "w") as f:
        f.write(text[:block.start(1)] + body + text[block.end(1):])
    listed = subprocess.run(["bash", path, "--list-packages"], stdout=subprocess.PIPE,
                            text=True).stdout.split()
    if package in listed or len(listed) < 5:
        fail("the copy of setup.sh still lists %s, or lists almost nothing: %s" % (package, listed))
    return path


def check(setup, build):
    return subprocess.run([sys.executable, CHECK, "--setup", setup, build],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def describe(r):
    return "status %d\n--- stdout ---\n%s--- stderr ---\n%s" % (r.returncode, r.stdout, r.stderr)


def main():
    with tempfile.TemporaryDirectory(prefix="dwtrace-check-packages-") as tmp:
        build = os.path.join(tmp, "build")
        write_cache(build, ["Python3_EXECUTABLE:FILEPATH=/usr/bin/python3"])

        r = check(SETUP, build)
        if r.returncode != 0 or r.stderr:
            fail("with setup.sh as it is, expected status 0 and nothing on stderr\n" + describe(r))

        r = check(setup_without(tmp, "libunwind-dev"), build)
        want = ["check-packages: setup.sh does not install libunwind-dev, which provides "
                "%s/libunwind-ptrace.so; add it to the package list" % LIBDIR,
                "check-packages: setup.sh does not install libunwind-dev, which provides "
                "%s/pkgconfig/libunwind-ptrace.pc; add it to the package list" % LIBDIR]
        if r.returncode != 1 or sorted(r.stderr.splitlines()) != sorted(want):
            fail("without libunwind-dev, expected status 1 and exactly\n  %s\n%s"
                 % ("\n  ".join(want), describe(r)))

        r = check(setup_without(tmp, "gdb"), build)
        want = ["check-packages: setup.sh does not install gdb, which provides /usr/bin/gdb; "
                "add it to the package list"]
        if r.returncode != 1 or r.stderr.splitlines() != want:
            fail("without gdb, expected status 1 and exactly\n  %s\n%s" % (want[0], describe(r)))

        shim = os.path.join(tmp, "shims", "python3")
        os.makedirs(os.path.dirname(shim))
        with open(shim, "w") as f:
            f.write("#!/bin/sh\nexec /usr/bin/python3 \"$@\"\n")
        os.chmod(shim, 0o755)
        write_cache(build, ["_Python3_EXECUTABLE:INTERNAL=%s" % shim])
        r = check(SETUP, build)
        want = ["check-packages: %s (_Python3_EXECUTABLE) is not from any Debian package; "
                "the build must use only what setup.sh installs" % shim]
        if r.returncode != 1 or r.stderr.splitlines() != want:
            fail("with a python3 no package owns, expected status 1 and exactly\n  %s\n%s"
                 % (want[0], describe(r)))
    print("PASS")


if __name__ == "__main__":
    main()
