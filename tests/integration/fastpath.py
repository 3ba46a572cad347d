"""Pieces shared by the tests of the FASTPATH.md test list
(test_fastpath_*.py), for both engines: when are a process's probes armed,
seen from outside (its code in memory differs from the file), and the
program's own "NAME(ARGS) = RESULT" lines.
"""

import os
import re

import harness
from harness import fail

# Bytes compared at a function's address: a patch may start after an
# endbr64 (4 bytes) and is at least 1 (int3) or 5 (jmp rel32) bytes long.
PATCH_WINDOW = 9


def mapped_base(pid, path):
    """The load bias of the ELF file path in process pid: the start of its
    mapping at file offset 0, from /proc/PID/maps (its first PT_LOAD has
    vaddr 0 in the PIE executables and libraries built here)."""
    real = os.path.realpath(path)
    with open("/proc/%d/maps" % pid) as f:
        for line in f:
            fields = line.split()
            if len(fields) >= 6 and os.path.realpath(fields[5]) == real and int(fields[2], 16) == 0:
                return int(fields[0].split("-")[0], 16)
    fail("%s is not mapped in process %d" % (path, pid))


def code_bytes(path, name):
    """(vaddr, the first PATCH_WINDOW bytes of function name in the file)."""
    vaddr, size = harness.symbol(path, name)
    n = min(PATCH_WINDOW, size)
    with open(path, "rb") as f:
        f.seek(harness.vaddr_to_offset(path, vaddr))
        return vaddr, f.read(n)


def live_bytes(pid, addr, n):
    """n bytes of process pid's memory at addr, or None when unreadable."""
    try:
        fd = os.open("/proc/%d/mem" % pid, os.O_RDONLY)
    except OSError:
        return None
    try:
        return os.pread(fd, n, addr)
    except OSError:
        return None
    finally:
        os.close(fd)


class Code:
    """The first bytes of some functions of one ELF file, to watch whether a
    tracer has patched them in a process (both engines write the code:
    int3 or jmp)."""

    def __init__(self, path, names):
        self.path = path
        self.functions = {name: code_bytes(path, name) for name in names}

    def patched(self, pid):
        """The names whose bytes in process pid differ from the file."""
        base = mapped_base(pid, self.path)
        return sorted(name for name, (vaddr, orig) in self.functions.items()
                      if live_bytes(pid, base + vaddr, len(orig)) not in (orig, None))


def program_calls(stdout, pattern=r"^(\w+)\(([^)]*)\)(?: = (-?\d+))?$"):
    """The calls a sample printed as "NAME(A, B) = R" (or "NAME()"), in
    order: a list of (name, [int args], result or None)."""
    calls = []
    for line in stdout.splitlines():
        m = re.match(pattern, line)
        if not m:
            fail("unexpected line in the program's output: %r" % line)
        args = [int(a) for a in m.group(2).split(",") if a.strip()]
        calls.append((m.group(1), args, int(m.group(3)) if m.group(3) is not None else None))
    return calls
