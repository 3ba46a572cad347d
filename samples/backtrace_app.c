/* backtrace_app: a program that reads its own stack, to prove that a tracer
 * leaves the stack alone.  main calls bt_1 -> bt_2 (here) -> bt_3 -> bt_4
 * (libbtchain.so) -> bt_5 -> bt_6 (here, through a pointer) three times.
 * The innermost bt_6 calls glibc backtrace() and __builtin_return_address(1);
 * every bt_K records __builtin_return_address(0).  After each chain main
 * prints, for each return address, the function it lies in (found with
 * dladdr1 and the symbol's size: the program's own function table) and
 * whether that is the expected caller:
 *
 *   bt_K(x) = r                          printed by each function on return
 *   backtrace: N frames                  what backtrace() found
 *   backtrace frame I: NAME ok|WRONG     frames 1..6 must be bt_5 .. bt_1, main
 *   return address of bt_K: NAME ok|WRONG
 *   return address 1 of bt_6: NAME ok|WRONG   (bt_4, through frame pointers)
 *   chain(x) = r, callers ok C of 13
 *
 * Built with frame pointers, so that __builtin_return_address(1) is defined,
 * and with -rdynamic so that dladdr names the executable's functions.
 * Exits 0 when every caller was found where expected, 1 otherwise.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <execinfo.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "backtrace_lib.h"

static void *trace[64];
static int ntrace;
static void *ra1_of_6;

int bt_1(int x);
int bt_2(int x);
int bt_5(int x);
int bt_6(int x);

__attribute__((noinline, noclone)) int bt_6(int x)
{
	bt_seen_ra[6] = __builtin_return_address(0);
	/* Defined here: everything is built with frame pointers. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wframe-address"
	ra1_of_6 = __builtin_return_address(1);
#pragma GCC diagnostic pop
	ntrace = backtrace(trace, 64);
	printf("bt_6(%d) = %d\n", x, x * 10);
	return x * 10;
}

__attribute__((noinline, noclone)) int bt_5(int x)
{
	int r;

	bt_seen_ra[5] = __builtin_return_address(0);
	r = bt_6(x + 1) + 5;
	printf("bt_5(%d) = %d\n", x, r);
	return r;
}

__attribute__((noinline, noclone)) int bt_2(int x)
{
	int r;

	bt_seen_ra[2] = __builtin_return_address(0);
	r = bt_3(x + 1) + 2;
	printf("bt_2(%d) = %d\n", x, r);
	return r;
}

__attribute__((noinline, noclone)) int bt_1(int x)
{
	int r;

	bt_seen_ra[1] = __builtin_return_address(0);
	r = bt_2(x + 1) + 1;
	printf("bt_1(%d) = %d\n", x, r);
	return r;
}

/* The name of the function whose code contains addr, or "?"; a return
 * address counts as inside only below the symbol's start + size. */
static const char *function_at(void *addr)
{
	Dl_info info;
	const ElfW(Sym) *sym = NULL;

	if (!dladdr1(addr, &info, (void **)&sym, RTLD_DL_SYMENT) || !info.dli_sname || !sym)
		return "?";
	if ((uintptr_t)addr - (uintptr_t)info.dli_saddr >= sym->st_size)
		return "?";
	return info.dli_sname;
}

static int check(const char *what, void *addr, const char *want)
{
	const char *got = function_at(addr);
	int ok = strcmp(got, want) == 0;

	printf("%s: %s %s\n", what, got, ok ? "ok" : "WRONG");
	return ok;
}

int main(void)
{
	static const char *const callers[] = {"bt_5", "bt_4", "bt_3", "bt_2", "bt_1", "main"};
	int failed = 0;

	bt_set_next(bt_5);
	for (int x = 0; x < 30; x += 10) {
		char what[64];
		int r, ok = 0;

		r = bt_1(x);
		printf("backtrace: %d frames\n", ntrace);
		for (int i = 1; i <= 6; i++) {
			snprintf(what, sizeof(what), "backtrace frame %d", i);
			ok += check(what, i < ntrace ? trace[i] : NULL, callers[i - 1]);
		}
		for (int k = 1; k <= 6; k++) {
			snprintf(what, sizeof(what), "return address of bt_%d", k);
			ok += check(what, bt_seen_ra[k], k == 1 ? "main" : callers[6 - k]);
		}
		ok += check("return address 1 of bt_6", ra1_of_6, "bt_4");
		printf("chain(%d) = %d, callers ok %d of 13\n", x, r, ok);
		failed |= ok != 13;
	}
	return failed;
}
