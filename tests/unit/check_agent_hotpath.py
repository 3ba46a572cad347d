#!/usr/bin/env python3
"""The agent's hot-path objects (dwt_hit, the SIGTRAP handler, capture_run)
call nothing outside themselves (no libc, no PLT, no __stack_chk_fail) and
use no vector register (the stubs never reload them), and the library
exports only dwtrace_agent and dwt_hit.

Usage: check_agent_hotpath.py LIBRARY OBJECT...   (objdump and nm from binutils)"""
import re
import subprocess
import sys

# What the hot-path objects may leave undefined: each other, and the agent's
# own hidden data.
ALLOWED = {"_GLOBAL_OFFSET_TABLE_", "agent", "agent_pid", "agent_prev_trap", "agent_record",
           "capture_run", "capture_max_bytes"}
VECTOR = re.compile(r"%[xyz]mm\d|%mm\d|\b(fxsave|xsave|vzeroupper|emms)")


def run(*cmd):
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


def main():
    lib, objects = sys.argv[1], sys.argv[2:]
    bad = []
    if not objects:
        bad.append("no hot-path objects given")
    for obj in objects:
        undefined = set(run("nm", "-u", obj).split()) - {"U"}
        for sym in sorted(undefined - ALLOWED):
            bad.append(f"{obj}: calls or uses {sym} (not allowed on the hot path)")
        for line in run("objdump", "-d", obj).splitlines():
            if VECTOR.search(line):
                bad.append(f"{obj}: vector instruction: {line.strip()}")
    exported = {line.split()[-1] for line in run("nm", "-D", "--defined-only", lib).splitlines()}
    if exported != {"dwtrace_agent", "dwt_hit"}:
        bad.append(f"{lib} exports {sorted(exported)}, not just dwtrace_agent and dwt_hit")
    for line in bad:
        print(line, file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
