/* Unit tests of instruction relocation: each instruction class is relocated
 * into a slot, and the slot is executed for real; the result must be what
 * running the original gives. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include <cmocka.h>

#include "arch.h"

/* One RWX page: original code at 0, data at 1024, slot at 2048, helpers at 3072. */
static uint8_t *page;

#define ORIG (page)
#define DATA (page + 1024)
#define SLOT (page + 2048)
#define HELPER (page + 3072)

static int setup(void **state)
{
	page = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return page == MAP_FAILED ? -1 : 0;
}

static int teardown(void **state)
{
	munmap(page, 4096);
	return 0;
}

static void reset(void)
{
	memset(page, 0xcc, 4096);
}

static void put(uint8_t *at, const void *bytes, size_t n)
{
	memcpy(at, bytes, n);
}

static void put_rel32(uint8_t *field, const uint8_t *insn_end, const uint8_t *target)
{
	int32_t rel = (int32_t)(target - insn_end);
	memcpy(field, &rel, 4);
}

/* Relocates the instruction at ORIG into SLOT; returns its length. */
static size_t relocate(void)
{
	char err[128] = "";
	size_t len = 0;
	int n = arch_relocate(ORIG, 64, (uint64_t)(uintptr_t)ORIG, (uint64_t)(uintptr_t)SLOT, SLOT, &len, err,
			      sizeof(err));
	if (n <= 0)
		fail_msg("relocation failed: %s", err);
	assert_true(n <= ARCH_OOL_MAX);
	return len;
}

typedef uint64_t (*fn0)(void);
typedef uint64_t (*fn1)(uint64_t);

static uint64_t run_orig(void)
{
	return ((fn0)(uintptr_t)ORIG)();
}

static uint64_t run_slot(void)
{
	return ((fn0)(uintptr_t)SLOT)();
}

static const uint8_t ret = 0xc3;

static void test_rip_relative_load(void **state)
{
	/* mov rax, [rip+d]; ret */
	uint8_t mov[] = {0x48, 0x8b, 0x05, 0, 0, 0, 0};
	uint64_t v = 0x1122334455667788ULL;

	reset();
	put(ORIG, mov, sizeof(mov));
	put_rel32(ORIG + 3, ORIG + 7, DATA);
	put(ORIG + 7, &ret, 1);
	put(DATA, &v, 8);
	assert_int_equal(relocate(), 7);
	assert_int_equal(run_orig(), v);
	assert_int_equal(run_slot(), v);
}

static void test_rip_relative_lea(void **state)
{
	/* lea rax, [rip+d]; ret */
	uint8_t lea[] = {0x48, 0x8d, 0x05, 0, 0, 0, 0};

	reset();
	put(ORIG, lea, sizeof(lea));
	put_rel32(ORIG + 3, ORIG + 7, DATA + 8);
	put(ORIG + 7, &ret, 1);
	relocate();
	assert_int_equal(run_orig(), (uint64_t)(uintptr_t)(DATA + 8));
	assert_int_equal(run_slot(), (uint64_t)(uintptr_t)(DATA + 8));
}

static void test_rip_relative_cmp(void **state)
{
	/* cmp qword [rip+d], 5; sete al; movzx eax, al; ret */
	uint8_t cmp[] = {0x48, 0x83, 0x3d, 0, 0, 0, 0, 0x05};
	uint8_t rest[] = {0x0f, 0x94, 0xc0, 0x0f, 0xb6, 0xc0, 0xc3};
	uint64_t five = 5, six = 6;

	reset();
	put(ORIG, cmp, sizeof(cmp));
	put_rel32(ORIG + 3, ORIG + 8, DATA);
	put(ORIG + 8, rest, sizeof(rest));
	put(DATA, &five, 8);
	assert_int_equal(relocate(), 8);
	assert_int_equal(run_slot(), 1);
	put(DATA, &six, 8);
	assert_int_equal(run_slot(), 0);
	assert_int_equal(run_orig(), 0);
}

static void test_vex_rip_relative(void **state)
{
	/* vmovdqu xmm0, [rip+d]; vmovq rax, xmm0; ret */
	uint8_t vload[] = {0xc5, 0xfa, 0x6f, 0x05, 0, 0, 0, 0};
	uint8_t rest[] = {0xc4, 0xe1, 0xf9, 0x7e, 0xc0, 0xc3};
	uint64_t v[2] = {0xdeadbeefcafef00dULL, 1};

	reset();
	put(ORIG, vload, sizeof(vload));
	put_rel32(ORIG + 4, ORIG + 8, DATA);
	put(ORIG + 8, rest, sizeof(rest));
	put(DATA, v, sizeof(v));
	assert_int_equal(relocate(), 8);
	assert_int_equal(run_slot(), v[0]);
}

static void test_relative_call(void **state)
{
	/* call helper; ret    helper: mov eax, 42; ret */
	uint8_t call[] = {0xe8, 0, 0, 0, 0};
	uint8_t helper[] = {0xb8, 42, 0, 0, 0, 0xc3};

	reset();
	put(ORIG, call, sizeof(call));
	put_rel32(ORIG + 1, ORIG + 5, HELPER);
	put(ORIG + 5, &ret, 1);
	put(HELPER, helper, sizeof(helper));
	relocate();
	assert_int_equal(run_orig(), 42);
	assert_int_equal(run_slot(), 42);
}

static void test_indirect_call(void **state)
{
	/* call [rip+d]; ret    with the helper's address at d */
	uint8_t call[] = {0xff, 0x15, 0, 0, 0, 0};
	uint8_t helper[] = {0xb8, 43, 0, 0, 0, 0xc3};
	uint64_t addr = (uint64_t)(uintptr_t)HELPER;

	reset();
	put(ORIG, call, sizeof(call));
	put_rel32(ORIG + 2, ORIG + 6, DATA);
	put(ORIG + 6, &ret, 1);
	put(DATA, &addr, 8);
	put(HELPER, helper, sizeof(helper));
	relocate();
	assert_int_equal(run_slot(), 43);
}

static void test_relative_jmp(void **state)
{
	/* jmp helper (rel8 and rel32 forms) */
	uint8_t jmp8[] = {0xeb, 0};
	uint8_t jmp32[] = {0xe9, 0, 0, 0, 0};
	uint8_t helper[] = {0xb8, 7, 0, 0, 0, 0xc3};

	reset();
	put(ORIG, jmp8, sizeof(jmp8));
	ORIG[1] = 0x10; /* to ORIG + 0x12 */
	put(ORIG + 0x12, helper, sizeof(helper));
	relocate();
	assert_int_equal(run_slot(), 7);

	reset();
	put(ORIG, jmp32, sizeof(jmp32));
	put_rel32(ORIG + 1, ORIG + 5, HELPER);
	put(HELPER, helper, sizeof(helper));
	relocate();
	assert_int_equal(run_slot(), 7);
}

static void test_conditional_jump(void **state)
{
	/* ORIG: jne +6 ; mov eax,1 ; ret ; mov eax,2 ; ret
	 * entered through a stub "cmp edi, 0; jmp SLOT" placed at HELPER. */
	uint8_t code[] = {0x75, 0x06, 0xb8, 1, 0, 0, 0, 0xc3, 0xb8, 2, 0, 0, 0, 0xc3};
	uint8_t stub[] = {0x83, 0xff, 0x00, 0xe9, 0, 0, 0, 0};

	reset();
	put(ORIG, code, sizeof(code));
	relocate();
	put(HELPER, stub, sizeof(stub));
	put_rel32(HELPER + 4, HELPER + 8, SLOT);
	assert_int_equal(((fn1)(uintptr_t)HELPER)(0), 1);
	assert_int_equal(((fn1)(uintptr_t)HELPER)(1), 2);
}

static void test_push_and_endbr(void **state)
{
	/* push rbx; pop rbx; mov eax, 9; ret */
	uint8_t code[] = {0x53, 0x5b, 0xb8, 9, 0, 0, 0, 0xc3};
	/* endbr64; mov eax, 3; ret */
	uint8_t endbr[] = {0xf3, 0x0f, 0x1e, 0xfa, 0xb8, 3, 0, 0, 0, 0xc3};

	reset();
	put(ORIG, code, sizeof(code));
	assert_int_equal(relocate(), 1);
	assert_int_equal(run_slot(), 9);

	reset();
	put(ORIG, endbr, sizeof(endbr));
	assert_int_equal(relocate(), 4);
	assert_int_equal(run_slot(), 3);
}

static void test_refused(void **state)
{
	uint8_t jrcxz[] = {0xe3, 0x10};
	char err[128] = "";
	size_t len;

	reset();
	put(ORIG, jrcxz, sizeof(jrcxz));
	assert_int_equal(arch_relocate(ORIG, 64, (uint64_t)(uintptr_t)ORIG, (uint64_t)(uintptr_t)SLOT, SLOT, &len, err,
				       sizeof(err)),
			 -1);
	assert_non_null(strstr(err, "jrcxz"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rip_relative_load), cmocka_unit_test(test_rip_relative_lea),
		cmocka_unit_test(test_rip_relative_cmp),  cmocka_unit_test(test_vex_rip_relative),
		cmocka_unit_test(test_relative_call),     cmocka_unit_test(test_indirect_call),
		cmocka_unit_test(test_relative_jmp),      cmocka_unit_test(test_conditional_jump),
		cmocka_unit_test(test_push_and_endbr),    cmocka_unit_test(test_refused),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
