#!/usr/bin/env python3
"""The agent's hot-path objects (dwt_hit, the SIGTRAP handler, capture_run)
call nothing outside themselves (no libc, no PLT, no __stack_chk_fail) and
use no vector register (the stubs never reload them) -- except emit_ust,
which saves and restores the vector registers (moves) around the
call into the in-process LTTng emitter -- and the library
exports only dwtrace_agent and dwt_hit.  The hot path calls the running
kernel's vDSO clock_gettime: its code must use no vector register either
(only __vdso_getrandom, which the agent never calls, does on 6.x kernels).

Usage: check_agent_hotpath.py LIBRARY OBJECT...   (objdump and nm from binutils)"""
import re
import subprocess
import sys
import tempfile

# What the hot-path objects may leave undefined: each other, and the agent's
# own hidden data.
ALLOWED = {"_GLOBAL_OFFSET_TABLE_", "agent", "agent_pid", "agent_prev_trap", "agent_record",
           "agent_vdso_clock_gettime", "agent_vsave", "agent_kmovq", "agent_xinuse",
           "capture_run", "capture_max_bytes", "filter_run"}
VECTOR = re.compile(r"%[xyz]mm\d|%mm\d|\b(fxsave|xsave|xrstor|vzeroupper|emms)")
# The one place that may save and restore the vector state: around the call
# into the in-process LTTng emitter (agent_hit.c), with moves between the
# registers and memory only (and vzeroupper, xgetbv), nothing that computes.
XSTATE_FUNCTION = "emit_ust"
XSTATE = re.compile(r"\s(vmovdqu64|vmovdqu|movdqu|kmovq|kmovw)\s+(%[xyzk]\w+,\s*-?(0x)?[0-9a-f]*\(%r\w+\)|"
                    r"-?(0x)?[0-9a-f]*\(%r\w+\),\s*%[xyzk]\w+)$|\svzeroupper\s*$")


def run(*cmd):
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


def vdso_vector_functions():
    """Functions of this kernel's vDSO with vector instructions."""
    with open("/proc/self/maps") as maps:
        start, end = next(
            [int(x, 16) for x in line.split()[0].split("-")] for line in maps if "[vdso]" in line)
    with open("/proc/self/mem", "rb") as mem:
        mem.seek(start)
        image = mem.read(end - start)
    with tempfile.NamedTemporaryFile(suffix=".so") as f:
        f.write(image)
        f.flush()
        text = run("objdump", "-d", f.name)
    found, function = set(), None
    for line in text.splitlines():
        m = re.match(r"[0-9a-f]+ <([^@>]+)", line)
        if m:
            function = m.group(1)
        elif VECTOR.search(line):
            found.add(function)
    return found


def main():
    lib, objects = sys.argv[1], sys.argv[2:]
    bad = []
    if not objects:
        bad.append("no hot-path objects given")
    for obj in objects:
        undefined = set(run("nm", "-u", obj).split()) - {"U"}
        for sym in sorted(undefined - ALLOWED):
            bad.append(f"{obj}: calls or uses {sym} (not allowed on the hot path)")
        function = None
        for line in run("objdump", "-d", obj).splitlines():
            m = re.match(r"[0-9a-f]+ <([^>]+)>:", line)
            if m:
                function = m.group(1)
                continue
            if (function or "").split(".")[0] == XSTATE_FUNCTION and XSTATE.search(line):
                continue
            if VECTOR.search(line):
                bad.append(f"{obj}: vector instruction in {function}: {line.strip()}")
    exported = {line.split()[-1] for line in run("nm", "-D", "--defined-only", lib).splitlines()}
    if exported != {"dwtrace_agent", "dwt_hit"}:
        bad.append(f"{lib} exports {sorted(exported)}, not just dwtrace_agent and dwt_hit")
    vector = vdso_vector_functions() - {"__vdso_getrandom"}
    if vector:
        bad.append(f"the vDSO uses vector registers in {sorted(vector)}: the agent calls clock_gettime")
    for line in bad:
        print(line, file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
