/* Unit tests of the decoding behind exit probes (src/arch/x86_64/flow.c):
 * how instructions leave a function, conditional jumps decided from the
 * flags (against the CPU itself running each jcc with those flags), and
 * indirect jump targets read through registers and memory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include <cmocka.h>

#include "arch.h"

static struct arch_insn decode(const uint8_t *code, size_t len, uint64_t pc)
{
	struct arch_insn in;
	char err[64];

	assert_int_equal(arch_decode_flow(code, len, pc, &in, err, sizeof(err)), 0);
	return in;
}

static void test_kinds(void **state)
{
	static const uint8_t ret[] = {0xc3}, ret_imm[] = {0xc2, 0x08, 0x00}, bnd_ret[] = {0xf2, 0xc3};
	static const uint8_t jmp32[] = {0xe9, 0x10, 0x00, 0x00, 0x00}, je8[] = {0x74, 0x05};
	static const uint8_t rex_je[] = {0x48, 0x74, 0x05}, jne32[] = {0x0f, 0x85, 0x00, 0x01, 0x00, 0x00};
	static const uint8_t jrcxz[] = {0xe3, 0x02}, jmp_rax[] = {0xff, 0xe0}, jmp_rip[] = {0xff, 0x25, 0, 0, 0, 0};
	static const uint8_t call[] = {0xe8, 0, 0, 0, 0}, ud2[] = {0x0f, 0x0b}, nop[] = {0x90};
	struct arch_insn in;

	assert_int_equal(decode(ret, sizeof(ret), 0x1000).flow, ARCH_FLOW_RET);
	assert_int_equal(decode(ret_imm, sizeof(ret_imm), 0x1000).flow, ARCH_FLOW_RET);
	assert_int_equal(decode(bnd_ret, sizeof(bnd_ret), 0x1000).flow, ARCH_FLOW_RET);
	in = decode(jmp32, sizeof(jmp32), 0x1000);
	assert_int_equal(in.flow, ARCH_FLOW_JMP);
	assert_int_equal(in.target, 0x1000 + 5 + 0x10);
	in = decode(je8, sizeof(je8), 0x1000);
	assert_int_equal(in.flow, ARCH_FLOW_JCC);
	assert_int_equal(in.target, 0x1007);
	assert_int_equal(in.cc, 4);
	/* A prefix before the opcode does not change the condition. */
	in = decode(rex_je, sizeof(rex_je), 0x1000);
	assert_int_equal(in.flow, ARCH_FLOW_JCC);
	assert_int_equal(in.cc, 4);
	in = decode(jne32, sizeof(jne32), 0x1000);
	assert_int_equal(in.cc, 5);
	assert_int_equal(in.target, 0x1000 + 6 + 0x100);
	assert_int_equal(decode(jrcxz, sizeof(jrcxz), 0x1000).flow, ARCH_FLOW_JCC_OTHER);
	assert_int_equal(decode(jmp_rax, sizeof(jmp_rax), 0x1000).flow, ARCH_FLOW_JMP_INDIRECT);
	assert_int_equal(decode(jmp_rip, sizeof(jmp_rip), 0x1000).flow, ARCH_FLOW_JMP_INDIRECT);
	in = decode(call, sizeof(call), 0x1000);
	assert_int_equal(in.flow, ARCH_FLOW_NEXT);
	assert_true(in.call); /* a function ending in a call does not run on */
	assert_int_equal(decode(ud2, sizeof(ud2), 0x1000).flow, ARCH_FLOW_STOP);
	in = decode(nop, sizeof(nop), 0x1000);
	assert_int_equal(in.flow, ARCH_FLOW_NEXT);
	assert_false(in.call);
}

/* Runs jcc (condition cc) on this CPU with rflags = flags: 1 when taken. */
static int cpu_jcc(uint8_t *page, unsigned cc, uint32_t flags)
{
	uint8_t code[] = {
		0x68, 0, 0, 0, 0,        /* push imm32 (flags) */
		0x9d,                    /* popfq */
		(uint8_t)(0x70 | cc), 6, /* jcc +6 */
		0xb8, 0, 0, 0, 0,        /* mov eax, 0 */
		0xc3,                    /* ret */
		0xb8, 1, 0, 0, 0,        /* mov eax, 1 */
		0xc3,                    /* ret */
	};
	memcpy(code + 1, &flags, 4);
	memcpy(page, code, sizeof(code));
	return ((int (*)(void))(void *)page)();
}

static void test_jcc_against_cpu(void **state)
{
	/* CF, PF, ZF, SF, OF */
	static const uint32_t bits[] = {1u << 0, 1u << 2, 1u << 6, 1u << 7, 1u << 11};
	uint8_t *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	assert_true(page != MAP_FAILED);
	for (unsigned combo = 0; combo < 32; combo++) {
		uint32_t flags = 0x202; /* IF and the reserved bit 1 */
		struct arch_regs r;

		for (unsigned b = 0; b < 5; b++)
			if (combo & (1u << b))
				flags |= bits[b];
		memset(&r, 0, sizeof(r));
		r.gp.eflags = flags;
		for (unsigned cc = 0; cc < 16; cc++) {
			int want = cpu_jcc(page, cc, flags);
			if (arch_jcc_taken(cc, &r) != (want == 1))
				fail_msg("jcc 0x7%x with flags %#x: CPU says %s", cc, flags, want ? "taken" : "not taken");
		}
	}
	munmap(page, 4096);
}

static uint64_t memory_slot, memory_value;

static ssize_t read_memory(void *ctx, uint64_t addr, void *buf, size_t size)
{
	if (addr != memory_slot || size != 8)
		return -1;
	memcpy(buf, &memory_value, 8);
	return 8;
}

static void test_indirect_targets(void **state)
{
	static const uint8_t jmp_rax[] = {0xff, 0xe0}, jmp_r11[] = {0x41, 0xff, 0xe3};
	static const uint8_t jmp_rip[] = {0xff, 0x25, 0x10, 0, 0, 0};          /* jmp [rip+0x10] */
	static const uint8_t jmp_table[] = {0xff, 0x24, 0xc5, 0x00, 0x10, 0, 0}; /* jmp [rax*8+0x1000] */
	static const uint8_t jmp_fs[] = {0x64, 0xff, 0x24, 0x25, 0x28, 0, 0, 0}; /* jmp fs:[0x28] */
	struct arch_regs r;
	uint64_t target, slot;

	memset(&r, 0, sizeof(r));
	r.gp.rax = 3;
	r.gp.r11 = 0x7f0000001234;
	r.gp.fs_base = 0x7f0000100000;
	assert_int_equal(arch_indirect_target(jmp_rax, sizeof(jmp_rax), 0x400000, &r, read_memory, NULL, &target, &slot),
			 0);
	assert_int_equal(target, 3);
	assert_int_equal(slot, 0);
	assert_int_equal(arch_indirect_target(jmp_r11, sizeof(jmp_r11), 0x400000, &r, read_memory, NULL, &target, NULL),
			 0);
	assert_int_equal(target, 0x7f0000001234);

	memory_slot = 0x400000 + 6 + 0x10;
	memory_value = 0x7f00deadbeef;
	assert_int_equal(arch_indirect_target(jmp_rip, sizeof(jmp_rip), 0x400000, &r, read_memory, NULL, &target, &slot),
			 0);
	assert_int_equal(target, 0x7f00deadbeef);
	assert_int_equal(slot, memory_slot);

	memory_slot = 0x1000 + 3 * 8;
	assert_int_equal(
		arch_indirect_target(jmp_table, sizeof(jmp_table), 0x400000, &r, read_memory, NULL, &target, &slot), 0);
	assert_int_equal(target, 0x7f00deadbeef);

	memory_slot = 0x7f0000100000 + 0x28;
	assert_int_equal(arch_indirect_target(jmp_fs, sizeof(jmp_fs), 0x400000, &r, read_memory, NULL, &target, &slot),
			 0);
	assert_int_equal(target, 0x7f00deadbeef);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kinds),
		cmocka_unit_test(test_jcc_against_cpu),
		cmocka_unit_test(test_indirect_targets),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
