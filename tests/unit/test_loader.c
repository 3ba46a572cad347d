/* The loader's pure parts: which /proc/PID/maps names are the agent, where
 * dwtrace's own libraries are looked for, and the thread start trampoline
 * (run here, in this process). */
#define _GNU_SOURCE
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "arch.h"
#include "inject/loader.h"
#include "own_lib.h"

static void maps_names(void **state)
{
	(void)state;
	assert_true(agent_maps_name_is_agent("/usr/lib/dwtrace/libdwtrace-agent.so"));
	assert_true(agent_maps_name_is_agent("/build/libdwtrace-agent.so (deleted)"));
	assert_true(agent_maps_name_is_agent("/memfd:libdwtrace-agent.so (deleted)"));
	assert_false(agent_maps_name_is_agent("/usr/lib/libdwtrace-agent.so.1"));
	assert_false(agent_maps_name_is_agent("/usr/lib/libdwtrace-agent.so.bak (deleted)"));
	assert_false(agent_maps_name_is_agent("/memfd:other (deleted)"));
	assert_false(agent_maps_name_is_agent("[heap]"));
	assert_false(agent_maps_name_is_agent(""));
	assert_false(agent_maps_name_is_agent(" (deleted)"));
}

static void own_lib_candidates(void **state)
{
	char exe[PATH_MAX], dir[PATH_MAX], buf[PATH_MAX + 64], want[PATH_MAX + 64];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char small[8];

	(void)state;
	assert_true(n > 0);
	exe[n] = '\0';
	memcpy(dir, exe, (size_t)n + 1);
	dirname(dir);
	assert_int_equal(own_lib_candidate("libx.so", 0, buf, sizeof(buf)), 0);
	snprintf(want, sizeof(want), "%s/libx.so", dir);
	assert_string_equal(buf, want);
	assert_int_equal(own_lib_candidate("libx.so", 1, buf, sizeof(buf)), 0);
	snprintf(want, sizeof(want), "%s/../lib/dwtrace/libx.so", dir);
	assert_string_equal(buf, want);
	assert_int_equal(own_lib_candidate("libx.so", 2, buf, sizeof(buf)), -ENOENT);
	assert_int_equal(own_lib_candidate("libx.so", 0, small, sizeof(small)), -ENAMETOOLONG);
	/* This test's own executable is next to itself. */
	assert_int_equal(own_lib_path(basename(exe), buf, sizeof(buf)), 0);
	assert_string_equal(buf, exe);
	assert_int_equal(own_lib_path("no-such-library.so", buf, sizeof(buf)), -ENOENT);
}

static uint64_t two_args(uint64_t a, uint64_t b)
{
	return a * 1000 + (b & 0xffffffff);
}

static void trampoline_runs(void **state)
{
	uint8_t code[ARCH_TRAMPOLINE_MAX];
	size_t len = arch_tail_call_trampoline(code, (uint64_t)(uintptr_t)two_args, 2 /* RTLD_NOW */);
	void *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t (*fn)(uint64_t, uint64_t);

	(void)state;
	assert_true(len > 0 && len <= ARCH_TRAMPOLINE_MAX);
	assert_true(page != MAP_FAILED);
	memcpy(page, code, len);
	assert_int_equal(mprotect(page, 4096, PROT_READ | PROT_EXEC), 0);
	fn = (uint64_t(*)(uint64_t, uint64_t))page;
	/* The second argument given is replaced by the trampoline's. */
	assert_int_equal(fn(7, 99), 7002);
	munmap(page, 4096);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(maps_names),
		cmocka_unit_test(own_lib_candidates),
		cmocka_unit_test(trampoline_runs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
