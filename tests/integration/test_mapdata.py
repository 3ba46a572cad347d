#!/usr/bin/env python3
"""test_mapdata.py [O0|O2]: a library file that the program also maps as data.

mapdata_app maps libc.so.6 as private read-only data and checksums the
mapping every 20 ms while it calls malloc().  dwtrace -p -e malloc must never
write a breakpoint into that data mapping (it is not code, whatever libdwfl
makes of the file's two mappings): the program's checksum never changes, it
prints what it prints untraced and exits 0, and dwtrace detaches cleanly.
"""

import os
import re
import subprocess
import sys
import time

import harness
from harness import fail


def libc_path():
    out = harness.run_ok(["ldd", harness.sample("O0", "sample_app")]).stdout
    m = re.search(r"libc\.so\.6 => (\S+)", out)
    if not m:
        fail("ldd does not show libc.so.6:\n%s" % out)
    return os.path.realpath(m.group(1))


def test(opt):
    app = harness.sample(opt, "mapdata_app")
    libc = libc_path()
    passes = "60"
    plain = harness.run([app, libc, passes])
    if plain.returncode != 0:
        fail("mapdata_app fails untraced\n%s" % harness.describe(plain))
    proc = subprocess.Popen([app, libc, passes], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        if proc.stdout.readline().strip() != "mapped %s" % libc:
            fail("mapdata_app did not say it mapped %s" % libc)
        time.sleep(0.1)
        tr = harness.run_dwtrace(["-o", os.devnull, "-e", "malloc", "-p", str(proc.pid), "--duration", "0.5"],
                                 expect_status=None)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    want = plain.stdout.splitlines()[-1]
    if proc.returncode != 0 or out.strip() != want:
        fail("traced mapdata_app: exit %s, last line %r, untraced %r\n%s"
             % (proc.returncode, out.strip(), want, harness.describe(tr)))
    if tr.returncode not in (0, 1):
        fail("dwtrace ended abnormally\n%s" % harness.describe(tr))


if __name__ == "__main__":
    harness.main(lambda: test(harness.opt_level(sys.argv, default="O0")))
