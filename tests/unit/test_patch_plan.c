/* Unit tests of patch planning (src/inject/patch_plan.c) over prologue and
 * epilogue kinds, each then applied for real in this process: the
 * function's code is written into an RWX page, planned, its stubs and
 * out-of-line copies built (patch_code.c), its patches written, and it is
 * called again.  Oracles: the results of the unpatched function, and one
 * entry and one exit hit per call (a small SIGTRAP handler plays the
 * agent's part for trap sites). */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>

#include <cmocka.h>

#include "agent/agent_abi.h"
#include "inject/patch_code.h"
#include "inject/patch_plan.h"

static uint8_t *page;
#define ORIG (page)
#define STUBS (page + 1024)
#define BASE ((uint64_t)(uintptr_t)ORIG)

static struct patch_plan plan;
static struct {
	uint64_t addr, resume;
	uint16_t rec;
} sites[16];
static size_t nsites;
static volatile unsigned hits[3]; /* by DWT_REC_* */
static volatile uint64_t last_rsp[3];

__attribute__((target("general-regs-only"))) static void test_hit(uint32_t site, struct dwt_frame *f)
{
	hits[sites[site].rec]++;
	last_rsp[sites[site].rec] = f->regs.gpr[DWT_DW_SP];
}

static void on_trap(int sig, siginfo_t *si, void *uc_)
{
	ucontext_t *uc = uc_;
	uint64_t pc = (uint64_t)uc->uc_mcontext.gregs[REG_RIP] - 1;

	for (size_t i = 0; i < nsites; i++)
		if (sites[i].resume && sites[i].addr == pc) {
			hits[sites[i].rec]++;
			last_rsp[sites[i].rec] = (uint64_t)uc->uc_mcontext.gregs[REG_RSP];
			uc->uc_mcontext.gregs[REG_RIP] = (greg_t)sites[i].resume;
			return;
		}
	abort();
}

static int setup(void **state)
{
	struct sigaction sa;

	page = mmap(NULL, 16384, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_trap;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGTRAP, &sa, NULL);
	return page == MAP_FAILED ? -1 : 0;
}

static int teardown(void **state)
{
	munmap(page, 16384);
	return 0;
}

/* Writes code at ORIG (and other at ORIG + 512, a function it may jump to)
 * and plans it, with busy thread pcs (offsets from ORIG). */
static void load_and_plan(const uint8_t *code, size_t len, const uint8_t *other, size_t olen, const uint64_t *busy_off,
			  size_t nbusy)
{
	struct patch_range r;
	uint64_t busy[4];
	char err[160] = "";

	memset(page, 0xcc, 16384);
	memcpy(ORIG, code, len);
	if (other)
		memcpy(ORIG + 512, other, olen);
	for (size_t i = 0; i < nbusy; i++)
		busy[i] = BASE + busy_off[i];
	r.start = BASE;
	r.code = ORIG;
	r.len = len;
	patch_plan_free(&plan);
	if (patch_plan_function(BASE, &r, 1, true, false, busy, nbusy, &plan, err, sizeof(err)) != 0)
		fail_msg("plan: %s", err);
}

/* Builds every point's code and writes every patch. */
static void apply(void)
{
	uint8_t *at = STUBS;

	nsites = 0;
	for (size_t i = 0; i < plan.n; i++) {
		struct patch_point *p = &plan.points[i];
		uint8_t code[PATCH_CODE_MAX], bytes[PATCH_MAX_BYTES];
		size_t code_len, patch_len;
		struct arch_stub_map map;
		char err[160] = "";

		if (patch_point_code(p, (uint64_t)(uintptr_t)at, (uint32_t)nsites, (uint64_t)(uintptr_t)test_hit, false,
				     code, sizeof(code), &code_len, bytes, &patch_len, &map, err, sizeof(err)) != 0)
			fail_msg("point %zu: %s", i, err);
		sites[nsites].addr = p->site_pc;
		sites[nsites].rec = p->rec;
		sites[nsites].resume = p->kind == PATCH_TRAP ? (uint64_t)(uintptr_t)at : 0;
		nsites++;
		memcpy(at, code, code_len);
		at += (code_len + 15) & ~(size_t)15;
		memcpy((void *)(uintptr_t)p->start, bytes, patch_len);
	}
}

typedef long (*fn2)(long, long);

/* Calls the function with each input before and after patching; each
 * patched call must give the same result, one entry and one exit hit
 * (entry only: no exit hit), with the same stack pointer at both. */
static void check_runs(const long *in, size_t n)
{
	long want[16];
	fn2 f = (fn2)(uintptr_t)ORIG;

	for (size_t i = 0; i < n; i++)
		want[i] = f(in[i], in[i] + 3);
	apply();
	for (size_t i = 0; i < n; i++) {
		hits[DWT_REC_ENTRY] = hits[DWT_REC_EXIT] = 0;
		assert_int_equal(f(in[i], in[i] + 3), want[i]);
		assert_int_equal(hits[DWT_REC_ENTRY], 1);
		assert_int_equal(hits[DWT_REC_EXIT], plan.entry_only ? 0 : 1);
		if (!plan.entry_only)
			assert_int_equal(last_rsp[DWT_REC_ENTRY], last_rsp[DWT_REC_EXIT]);
	}
}

static const struct patch_point *point(size_t i)
{
	assert_true(i < plan.n);
	return &plan.points[i];
}

/* endbr64; push rbp; mov rbp, rsp; lea rax, [rdi+rsi]; pop rbp; ret */
static void test_endbr64(void **state)
{
	static const uint8_t code[] = {0xf3, 0x0f, 0x1e, 0xfa, 0x55, 0x48, 0x89, 0xe5,
				       0x48, 0x8d, 0x04, 0x37, 0x5d, 0xc3};
	const long in[] = {1, -7, 1000};

	load_and_plan(code, sizeof(code), NULL, 0, NULL, 0);
	assert_int_equal(point(0)->kind, PATCH_JUMP);
	assert_int_equal(point(0)->start, BASE + 4); /* the endbr64 stays */
	assert_int_equal(point(0)->len, 8);          /* push, mov, lea */
	assert_int_equal(point(0)->site_pc, BASE);
	/* lea, pop rbp, ret overlaps the entry's patch: the ret is a trap */
	assert_int_equal(plan.n, 2);
	assert_int_equal(point(1)->kind, PATCH_TRAP);
	assert_int_equal(point(1)->start, BASE + 13);
	check_runs(in, 3);
}

/* mov rax, [rip+d] (7 bytes) at the entry; add rax, rdi; pop-free ret */
static void test_rip_relative(void **state)
{
	static const uint8_t code[] = {0x48, 0x8b, 0x05, 0xf9, 0x00, 0x00, 0x00, /* [rip+0xf9] = ORIG+0x100 */
				       0x48, 0x01, 0xf8, 0x48, 0x01, 0xf0, 0xc3};
	const long in[] = {5, 9};
	uint64_t v = 0x1234;

	load_and_plan(code, sizeof(code), NULL, 0, NULL, 0);
	memcpy(ORIG + 0x100, &v, 8);
	assert_int_equal(point(0)->kind, PATCH_JUMP);
	assert_int_equal(point(0)->len, 7);
	/* add rax, rdi; add rax, rsi; ret: 7 bytes of straight-line code */
	assert_int_equal(point(1)->kind, PATCH_JUMP);
	assert_int_equal(point(1)->start, BASE + 7);
	assert_int_equal(point(1)->site_pc, BASE + 13);
	check_runs(in, 2);
}

/* test edi, edi; je +6 (rel8, in the patch); mov eax, 1; ret; xor eax, eax; ret */
static void test_jcc_rel8(void **state)
{
	static const uint8_t code[] = {0x85, 0xff, 0x74, 0x06, 0xb8, 0x01, 0x00, 0x00, 0x00, 0xc3, 0x31, 0xc0, 0xc3};
	const long in[] = {0, 1, 2};

	load_and_plan(code, sizeof(code), NULL, 0, NULL, 0);
	assert_int_equal(point(0)->kind, PATCH_JUMP);
	assert_int_equal(point(0)->len, 9);
	/* Both rets trap: before the first is the entry's patch, into the
	 * second's bytes the je branches. */
	for (size_t i = 1; i < plan.n; i++)
		assert_int_equal(point(i)->kind, PATCH_TRAP);
	assert_int_equal(plan.n, 3);
	check_runs(in, 3);
}

/* A loop head at entry+2: xor eax, eax; add rax, rdi (entry+2); dec rsi; jnz entry+2; ret */
static void test_loop_head(void **state)
{
	static const uint8_t code[] = {0x31, 0xc0, 0x48, 0x01, 0xf8, 0x48, 0xff, 0xce, 0x75, 0xf8, 0xc3};
	const long in[] = {2, 7};

	load_and_plan(code, sizeof(code), NULL, 0, NULL, 0);
	assert_int_equal(point(0)->kind, PATCH_TRAP);
	assert_int_equal(point(0)->start, BASE);
	assert_non_null(strstr(point(0)->why, "branch"));
	check_runs(in, 2);
}

/* A 1-byte function: ret.  Its entry is its exit: a trap, entry events only. */
static void test_one_byte(void **state)
{
	static const uint8_t code[] = {0xc3};
	const long in[] = {1};

	load_and_plan(code, sizeof(code), NULL, 0, NULL, 0);
	assert_int_equal(point(0)->kind, PATCH_TRAP);
	assert_true(plan.entry_only);
	assert_int_equal(plan.n, 1);
	check_runs(in, 1);
}

/* A call in the first bytes: call rax (2 bytes) then more -> trap; a call
 * ending the first 5 bytes (push rbx; call rel32) -> jump. */
static void test_call_first(void **state)
{
	/* push rbx; call rsi; mov rbx, rax; lea rax, [rbx+rdi]; pop rbx; ret */
	static const uint8_t code1[] = {0x53, 0xff, 0xd6, 0x48, 0x89, 0xc3, 0x48, 0x8d, 0x04, 0x3b, 0x5b, 0xc3};
	/* push rbx; call rel32 (ORIG+512); pop rbx; add rax, rdi; ret */
	static const uint8_t code2[] = {0x53, 0xe8, 0xfa, 0x01, 0x00, 0x00, 0x5b, 0x48, 0x01, 0xf8, 0xc3};
	static const uint8_t other[] = {0xb8, 0x2a, 0x00, 0x00, 0x00, 0xc3}; /* mov eax, 42; ret */
	const long in[] = {3};

	/* code1 calls through rsi: give it a function to call. */
	load_and_plan(code1, sizeof(code1), other, sizeof(other), NULL, 0);
	assert_int_equal(point(0)->kind, PATCH_TRAP);
	assert_non_null(strstr(point(0)->why, "call"));
	{
		long (*f)(long, void *) = (long (*)(long, void *))(uintptr_t)ORIG;
		long want = f(3, ORIG + 512);
		apply();
		hits[DWT_REC_ENTRY] = hits[DWT_REC_EXIT] = 0;
		assert_int_equal(f(3, ORIG + 512), want);
		assert_int_equal(hits[DWT_REC_ENTRY], 1);
		assert_int_equal(hits[DWT_REC_EXIT], 1);
	}

	load_and_plan(code2, sizeof(code2), other, sizeof(other), NULL, 0);
	assert_int_equal(point(0)->kind, PATCH_JUMP);
	assert_int_equal(point(0)->len, 6);
	check_runs(in, 1);
}

/* pop rbx; pop rbp; pop r12; ret: 5 bytes, a jump. */
static void test_epilogue_jump(void **state)
{
	static const uint8_t code[] = {
		0x41, 0x54, 0x55, 0x53,             /* push r12; push rbp; push rbx */
		0x48, 0x8d, 0x04, 0x37,             /* lea rax, [rdi+rsi] */
		0x48, 0x01, 0xc0,                   /* add rax, rax */
		0x5b, 0x5d, 0x41, 0x5c, 0xc3,       /* pop rbx; pop rbp; pop r12; ret */
	};
	const long in[] = {4, 100};

	load_and_plan(code, sizeof(code), NULL, 0, NULL, 0);
	assert_int_equal(point(0)->kind, PATCH_JUMP);
	assert_int_equal(plan.n, 2);
	assert_int_equal(point(1)->kind, PATCH_JUMP);
	assert_int_equal(point(1)->start, BASE + 11);
	assert_int_equal(point(1)->len, 5);
	assert_int_equal(point(1)->npre, 4);
	check_runs(in, 2);
}

/* A branch to the ret: the epilogue cannot be displaced, the ret traps. */
static void test_branch_to_ret(void **state)
{
	static const uint8_t code[] = {
		0x41, 0x54, 0x55, 0x53,             /* push r12; push rbp; push rbx */
		0x48, 0x8d, 0x04, 0x37,             /* lea rax, [rdi+rsi] */
		0x48, 0x85, 0xff, 0x74, 0x04,       /* test rdi, rdi; je ret */
		0x5b, 0x5d, 0x41, 0x5c, 0xc3,       /* pop rbx; pop rbp; pop r12; ret */
	};

	load_and_plan(code, sizeof(code), NULL, 0, NULL, 0);
	assert_int_equal(point(1)->kind, PATCH_TRAP);
	assert_int_equal(point(1)->start, BASE + 17);
	assert_non_null(strstr(point(1)->why, "branch"));
	/* (not run: the je path would return with pushed registers) */
}

/* A thread parked inside the first bytes: the entry traps. */
static void test_busy(void **state)
{
	static const uint8_t code[] = {0x55, 0x48, 0x89, 0xe5, 0x48, 0x8d, 0x04, 0x37, 0x5d, 0xc3};
	const uint64_t busy[] = {1};

	load_and_plan(code, sizeof(code), NULL, 0, busy, 1);
	assert_int_equal(point(0)->kind, PATCH_TRAP);
	assert_non_null(strstr(point(0)->why, "thread"));
}

/* Tail calls: jmp rel32 out (a jump stub), jcc out (a conditional stub). */
static void test_tail_calls(void **state)
{
	/* lea rax, [rdi+rsi] (4); cmp rdi, 5 (4); je rel32 other (6); jmp rel32 other (5) */
	static const uint8_t code[] = {0x48, 0x8d, 0x04, 0x37, 0x48, 0x83, 0xff, 0x05, 0x0f, 0x84,
				       0xf2, 0x01, 0x00, 0x00, 0xe9, 0xed, 0x01, 0x00, 0x00};
	static const uint8_t other[] = {0x48, 0x01, 0xc0, 0xc3}; /* add rax, rax; ret */
	const long in[] = {5, 6};

	load_and_plan(code, sizeof(code), other, sizeof(other), NULL, 0);
	assert_int_equal(plan.n, 3);
	assert_true(point(1)->cond);
	assert_int_equal(point(1)->kind, PATCH_JUMP);
	assert_int_equal(point(2)->kind, PATCH_JUMP);
	check_runs(in, 2);
}

/* An indirect jump: one displaced instruction at most, exits unknown. */
static void test_indirect(void **state)
{
	/* push rbx; mov rbx, rdi; jmp rsi */
	static const uint8_t code[] = {0x53, 0x48, 0x89, 0xfb, 0xff, 0xe6};

	load_and_plan(code, sizeof(code), NULL, 0, NULL, 0);
	assert_int_equal(point(0)->kind, PATCH_TRAP);
	assert_true(plan.entry_only);
	assert_int_equal(plan.n, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_endbr64),     cmocka_unit_test(test_rip_relative),
		cmocka_unit_test(test_jcc_rel8),    cmocka_unit_test(test_loop_head),
		cmocka_unit_test(test_one_byte),    cmocka_unit_test(test_call_first),
		cmocka_unit_test(test_epilogue_jump), cmocka_unit_test(test_branch_to_ret),
		cmocka_unit_test(test_busy),        cmocka_unit_test(test_tail_calls),
		cmocka_unit_test(test_indirect),
	};
	int rc = cmocka_run_group_tests(tests, setup, teardown);

	patch_plan_free(&plan);
	return rc;
}
