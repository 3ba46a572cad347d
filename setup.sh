#!/usr/bin/env bash
# dwtrace set-up: installs the Debian 12 packages the build and the tests
# need (as root; only when some are missing), then builds.
#
#   ./setup.sh            install what is missing, build into build/
#   ./setup.sh --test     ... then run the whole test suite with ctest, once
#                         as built and once built with AddressSanitizer and
#                         UndefinedBehaviorSanitizer (into build-asan/)
#   ./setup.sh --bench    ... also install the peer tools (uftrace, bpftrace,
#                         perf, ltrace) and run the benchmark, tests/bench/run
#   ./setup.sh --list-packages   print the package list below, one a line,
#                         and do nothing else (read by .ci/check-packages)
#
# The package list is one bash array, one or more names a line with a
# comment: keep it so (.ci/check-packages reads it, CI fails when the build
# uses a file of a package that is not in it or a dependency of one).
# Environment: BUILD_DIR (default build), JOBS (default: all cores).
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")"

packages=(
	build-essential cmake pkg-config
	libdw-dev libelf-dev          # DWARF and ELF: elfutils libdw/libdwfl
	libiberty-dev                 # C++ demangler (gdb's): cplus_demangle
	libzydis-dev                  # instruction decoding for out-of-line execution
	libunwind-dev                 # call stacks at entry (--stack): libunwind-ptrace
	liblttng-ust-dev liblttng-ctl-dev   # LTTng-UST output and sessions (--lttng, --ctf)
	lttng-tools babeltrace2       # LTTng tests: session and relay daemons, trace reader
	libcmocka-dev                 # unit tests
	python3 gdb binutils          # integration tests: runner, oracle, nm/readelf
	libc6-dbg                     # separate debug info to test against
	python3.11 python3.11-dbg     # an LTO build with its debug info (--stack's inlined frames)
	g++                           # C++ samples (exceptions across traced frames)
	golang-go                     # Go sample (stack copying under a traced frame)
	rustc                         # Rust sample (names, strings, DWARF locations)
)

if [[ ${1:-} == --list-packages ]]; then
	printf '%s\n' "${packages[@]}"
	exit 0
fi

if [[ ${1:-} == --bench ]]; then
	packages+=(uftrace bpftrace linux-perf ltrace)
fi

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
	if [[ $(id -u) -ne 0 ]]; then
		echo "setup.sh: missing Debian packages: ${missing[*]}; run as root to install them" >&2
		exit 1
	fi
	echo "setup.sh: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

jobs=${JOBS:-$(nproc)}
build=${BUILD_DIR:-build}
werror=OFF
[[ -n ${CI:-} ]] && werror=ON

# The Debian python3 installed above, not whatever python3 comes first in
# PATH (a pyenv shim, a virtualenv): what a fresh machine has.
cmake -S . -B "$build" -DDWTRACE_WERROR="$werror" -DPython3_EXECUTABLE=/usr/bin/python3 >/dev/null
cmake --build "$build" -j "$jobs"

if [[ ${1:-} == --bench ]]; then
	BENCH_BUILD=$build tests/bench/run
fi

if [[ ${1:-} == --test ]]; then
	ctest --test-dir "$build" --output-on-failure -j "$jobs"
	cmake -S . -B build-asan -DDWTRACE_WERROR="$werror" -DDWTRACE_SANITIZE=ON \
		-DPython3_EXECUTABLE=/usr/bin/python3 >/dev/null
	cmake --build build-asan -j "$jobs"
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		LSAN_OPTIONS=suppressions=$PWD/tests/lsan.supp:print_suppressions=0 \
		ctest --test-dir build-asan --output-on-failure -j "$jobs"
fi
