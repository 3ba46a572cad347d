/* Unit tests of the agent engine's stubs (src/arch/x86_64/stub.c), run for
 * real in this process: a small function is written into an RWX page,
 * its entry and its epilogue are patched with jumps to stubs built by
 * arch_stub_build() that call this file's test_hit(), and it is called
 * through regs_call() (test_patch_regs.S) with every register set.  The
 * oracle is the same call to the unpatched function: every general
 * register, rflags, xmm0-15, the ymm upper halves, st(0) and the x87
 * status word must come out the same; and the frames test_hit() got must
 * hold the registers the caller set (entry) and those at the ret (exit). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include <cmocka.h>

#include "agent/agent_abi.h"
#include "arch.h"

struct regset {
	uint64_t gpr[16];
	uint64_t rflags;
	uint16_t fsw;
	uint8_t pad[6];
	uint8_t st0[16];
	uint8_t ymm[16][32];
};
_Static_assert(offsetof(struct regset, st0) == 144 && offsetof(struct regset, ymm) == 160, "test_patch_regs.S");

void regs_call(const struct regset *in, struct regset *out, void *fn);
extern int regs_have_avx;

static uint8_t *page;
#define ORIG (page)
#define STUB1 (page + 1024)
#define STUB2 (page + 2048)

static struct dwt_frame frames[4];
static uint32_t frame_sites[4];
static unsigned nframes;

/* What the agent's dwt_hit must be: general registers only (a memcpy of
 * the frame would use xmm registers the stub does not put back). */
__attribute__((target("general-regs-only"))) static void test_hit(uint32_t site, struct dwt_frame *f)
{
	volatile uint64_t *to;
	const uint64_t *from = (const uint64_t *)f;

	if (nframes >= 4)
		return;
	to = (volatile uint64_t *)&frames[nframes];
	for (size_t i = 0; i < sizeof(*f) / 8; i++)
		to[i] = from[i];
	frame_sites[nframes++] = site;
}

/* f(rdi, rsi) = rdi + 2 * rsi, with rbx used and restored:
 *  0 push rbx; 1 mov rbx, rdi; 4 lea rax, [rbx+rsi]; 8 add rax, rsi;
 * 11 pop rbx; 12 ret.  The entry patch takes 0..8, the exit one 8..13. */
static const uint8_t fn_code[] = {0x53, 0x48, 0x89, 0xfb, 0x48, 0x8d, 0x04, 0x33, 0x48, 0x01, 0xf0, 0x5b, 0xc3};

static int setup(void **state)
{
	page = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	regs_have_avx = __builtin_cpu_supports("avx");
	return page == MAP_FAILED ? -1 : 0;
}

static int teardown(void **state)
{
	munmap(page, 4096);
	return 0;
}

static void fill_input(struct regset *in)
{
	long double one_and_half = 1.5L;

	memset(in, 0, sizeof(*in));
	for (unsigned i = 0; i < 16; i++)
		in->gpr[i] = 0x1111111111111111ULL * (i + 1) + i;
	in->gpr[5] = 1000;  /* rdi */
	in->gpr[4] = 234;   /* rsi */
	/* CF PF AF ZF SF DF OF and the reserved bit 1 */
	in->rflags = 0x1 | 0x2 | 0x4 | 0x10 | 0x40 | 0x80 | 0x400 | 0x800;
	memcpy(in->st0, &one_and_half, 10);
	for (unsigned r = 0; r < 16; r++)
		for (unsigned b = 0; b < 32; b++)
			in->ymm[r][b] = (uint8_t)(r * 32 + b + 7);
}

static void build(uint8_t *at, uint32_t site, uint64_t site_pc, bool vregs, bool x87, const uint8_t *pre, size_t npre,
		  uint64_t pre_orig, const uint8_t *post, size_t npost, uint64_t post_orig)
{
	struct arch_stub_spec s = {
		.at = (uint64_t)(uintptr_t)at, .site_pc = site_pc, .site = site,
		.hit = (uint64_t)(uintptr_t)test_hit, .vregs = vregs, .x87 = x87,
		.pre = pre, .npre = npre, .pre_orig = pre_orig,
		.post = post, .npost = npost, .post_orig = post_orig,
	};
	struct arch_stub_map map;
	uint8_t buf[ARCH_STUB_MAX];
	char err[160] = "";
	int n = arch_stub_build(&s, buf, sizeof(buf), &map, err, sizeof(err));

	if (n < 0)
		fail_msg("stub: %s", err);
	assert_true(n <= 1024);
	assert_int_equal(map.len, n);
	assert_true(map.call_off < map.after_call && map.after_call <= (uint32_t)n);
	memcpy(at, buf, (size_t)n);
}

static void patch(uint64_t from, const uint8_t *to)
{
	uint8_t jmp[ARCH_JUMP_PATCH_LEN];

	assert_int_equal(arch_jump_patch(from, (uint64_t)(uintptr_t)to, jmp), 0);
	memcpy((void *)(uintptr_t)from, jmp, sizeof(jmp));
}

static void check_stub(bool vregs)
{
	struct regset in, want, got;
	uint64_t base = (uint64_t)(uintptr_t)ORIG;

	memset(page, 0xcc, 4096);
	memcpy(ORIG, fn_code, sizeof(fn_code));
	fill_input(&in);
	regs_call(&in, &want, ORIG);
	assert_int_equal(want.gpr[0], 1000 + 2 * 234);

	/* st(0) at the exit only, as patch_code.c asks */
	build(STUB1, 7, base, vregs, false, NULL, 0, 0, fn_code, 8, base);
	build(STUB2, 8, base + 12, vregs, true, fn_code + 8, 4, base + 8, fn_code + 12, 1, base + 12);
	patch(base, STUB1);
	patch(base + 8, STUB2);
	nframes = 0;
	memset(&got, 0, sizeof(got));
	regs_call(&in, &got, ORIG);

	/* The program sees nothing. */
	for (unsigned i = 0; i < 16; i++)
		if (got.gpr[i] != want.gpr[i])
			fail_msg("register %u (DWARF) is 0x%lx, unpatched 0x%lx", i, (unsigned long)got.gpr[i],
				 (unsigned long)want.gpr[i]);
	assert_int_equal(got.rflags, want.rflags);
	assert_int_equal(got.fsw, want.fsw);
	assert_memory_equal(got.st0, want.st0, 10);
	for (unsigned r = 0; r < 16; r++)
		assert_memory_equal(got.ymm[r], want.ymm[r], regs_have_avx ? 32 : 16);

	/* The frames: entry as the caller set the registers, exit at the ret. */
	assert_int_equal(nframes, 2);
	assert_int_equal(frame_sites[0], 7);
	assert_int_equal(frame_sites[1], 8);
	for (unsigned i = 0; i < 16; i++)
		if (i != DWT_DW_SP)
			assert_int_equal(frames[0].regs.gpr[i], in.gpr[i]);
	assert_int_equal(frames[0].regs.gpr[DWT_DW_SP], got.gpr[DWT_DW_SP] - 8); /* the return address pushed */
	assert_int_equal(frames[0].regs.gpr[DWT_DW_PC], base);
	assert_int_equal(frames[0].regs.rflags, in.rflags | 0x200); /* IF: always set in user mode */
	assert_int_equal(frames[1].regs.gpr[0], 1000 + 2 * 234);
	assert_int_equal(frames[1].regs.gpr[3], in.gpr[3]);       /* rbx popped */
	assert_int_equal(frames[1].regs.gpr[DWT_DW_SP], got.gpr[DWT_DW_SP] - 8); /* sp at the ret == at the entry */
	assert_int_equal(frames[1].regs.gpr[DWT_DW_PC], base + 12);
	assert_int_equal(frames[1].regs.rflags, want.rflags);
	if (vregs) {
		for (unsigned r = 0; r < 8; r++)
			assert_memory_equal(frames[0].vregs.xmm[r], in.ymm[r], 16);
		static const uint8_t zero[16];
		assert_memory_equal(frames[0].vregs.st0, zero, 16);
		assert_memory_equal(frames[1].vregs.st0, in.st0, 10);
		for (unsigned r = 0; r < 8; r++)
			assert_memory_equal(frames[1].vregs.xmm[r], want.ymm[r], 16);
	}
}

static void test_stub_gprs(void **state)
{
	check_stub(false);
}

static void test_stub_vregs(void **state)
{
	check_stub(true);
}

/* A tail call by a conditional jump: the hit runs only when it is taken. */
static void test_stub_cond(void **state)
{
	/* 0 cmp rdi, 5; 4 je rel32 -> +64 (the "other function": mov eax, 1; ret);
	 * 10 xor eax, eax; 12 ret */
	static const uint8_t code[] = {0x48, 0x83, 0xff, 0x05, 0x0f, 0x84, 0x36, 0, 0, 0, 0x31, 0xc0, 0xc3};
	static const uint8_t other[] = {0xb8, 0x01, 0, 0, 0, 0xc3};
	uint64_t base = (uint64_t)(uintptr_t)ORIG;
	struct regset in, got;
	struct arch_stub_spec s = {
		.at = (uint64_t)(uintptr_t)STUB1, .site_pc = base + 4, .site = 3,
		.hit = (uint64_t)(uintptr_t)test_hit, .post = code + 4, .npost = 6, .post_orig = base + 4, .cond = true,
	};
	struct arch_stub_map map;
	char err[160] = "";
	int n;

	memset(page, 0xcc, 4096);
	memcpy(ORIG, code, sizeof(code));
	memcpy(ORIG + 64, other, sizeof(other));
	n = arch_stub_build(&s, STUB1, 1024, &map, err, sizeof(err));
	if (n < 0)
		fail_msg("stub: %s", err);
	patch(base + 4, STUB1);
	fill_input(&in);
	for (uint64_t v = 4; v <= 6; v++) {
		nframes = 0;
		in.gpr[5] = v;
		regs_call(&in, &got, ORIG);
		assert_int_equal(got.gpr[0], v == 5);
		assert_int_equal(nframes, v == 5);
		if (v == 5) {
			assert_int_equal(frame_sites[0], 3);
			assert_int_equal(frames[0].regs.gpr[DWT_DW_PC], base + 4);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stub_gprs),
		cmocka_unit_test(test_stub_vregs),
		cmocka_unit_test(test_stub_cond),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
