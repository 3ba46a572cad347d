/* Entries held for an exit-decided --filter: record_copy (deep: registers,
 * vector registers, blobs), held_entry_new (the stack's strings copied),
 * and the call stack freeing what its frames hold wherever they go
 * (call_pop, call_drop_below, call_stack_clear/free; a copy for a fork
 * child of its own).  Leaks and double frees show under ASan/LSan. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "call_stack.h"
#include "held_entry.h"

/* A record whose vector registers and blobs live in buf (as in a ring). */
static void make_record(struct capture_record *r, uint8_t *buf, struct dwt_vregs *vr)
{
	memset(r, 0, sizeof(*r));
	r->kind = DWT_REC_ENTRY;
	r->tid = 7;
	r->ts_ns = 123;
	for (int i = 0; i < DWT_NGPR; i++)
		r->regs.gpr[i] = 0x1000u + (uint64_t)i;
	memset(vr, 0x5a, sizeof(*vr));
	r->vregs = vr;
	memcpy(buf, "hello\0world!", 12);
	r->nblobs = 2;
	r->blobs[0] = (struct record_blob){.addr = 0x5000, .len = 6, .data = buf};
	r->blobs[1] = (struct record_blob){.addr = 0x6000, .len = 6, .data = buf + 6};
}

static void test_record_copy(void **state)
{
	uint8_t buf[16];
	struct dwt_vregs vr;
	struct capture_record r, *c;
	uint64_t n;
	const uint8_t *at;

	make_record(&r, buf, &vr);
	c = record_copy(&r);
	/* The producer's buffer is reused: the copy keeps the bytes. */
	memset(buf, 0, sizeof(buf));
	memset(&vr, 0, sizeof(vr));
	assert_int_equal(c->regs.gpr[3], 0x1003);
	assert_int_equal(c->vregs->xmm[2][5], 0x5a);
	assert_ptr_not_equal(c->vregs, &vr);
	at = record_bytes(c, 0x6000, &n);
	assert_non_null(at);
	assert_int_equal(n, 6);
	assert_memory_equal(at, "world!", 6);
	at = record_bytes(c, 0x5000, &n);
	assert_memory_equal(at, "hello", 6);
	record_free(c);
}

static struct held_entry *make_held(void)
{
	uint8_t buf[16];
	struct dwt_vregs vr;
	struct capture_record r;
	char fn[] = "caller", mod[] = "libx.so";
	struct stack_frame frames[2] = {{.addr = 1, .function = fn, .module = mod, .file = NULL},
					{.addr = 2, .function = NULL, .module = mod}};
	struct stack_trace st = {.frames = frames, .n = 2, .stopped = NULL};
	struct event_header h = {.ts_ns = 99, .tid = 7, .call_id = 5, .depth = 1};
	struct held_entry *e;

	make_record(&r, buf, &vr);
	e = held_entry_new(&r, &st, &h);
	/* The symbolizer's strings go away after the event. */
	memset(fn, 'X', sizeof(fn) - 1);
	return e;
}

static void test_held_entry(void **state)
{
	struct held_entry *e = make_held(), *c;

	assert_ptr_equal(e->h.stack, &e->stack);
	assert_int_equal(e->h.call_id, 5);
	assert_string_equal(e->stack.frames[0].function, "caller");
	assert_null(e->stack.frames[1].function);
	c = held_entry_copy(e);
	held_entry_free(e);
	assert_string_equal(c->stack.frames[0].function, "caller");
	assert_ptr_equal(c->h.stack, &c->stack);
	assert_int_equal(c->rec->regs.gpr[0], 0x1000);
	held_entry_free(c);
	held_entry_free(NULL);
}

static void test_call_stack_frees(void **state)
{
	struct call_stack s = {0}, child = {0};

	for (uint64_t sp = 100; sp > 60; sp -= 10)
		call_push(&s, &(struct call_frame){.sp = sp, .held = make_held()});
	call_push(&s, &(struct call_frame){.sp = 50, .rejected = true});
	/* A fork child's copy: its own held entries. */
	call_stack_copy(&child, &s);
	assert_int_equal(child.len, 5);
	assert_ptr_not_equal(child.frames[0].held, s.frames[0].held);
	assert_null(child.frames[4].held);
	call_pop(&s);                           /* the rejected one */
	/* Left by longjmp: the frames at 70 and (inclusive) 80. */
	assert_int_equal(call_drop_below(&s, 80, 1), 2);
	assert_int_equal(s.len, 2);
	call_stack_free(&s);
	call_stack_clear(&child);
	assert_int_equal(child.len, 0);
	call_stack_free(&child);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_record_copy),
		cmocka_unit_test(test_held_entry),
		cmocka_unit_test(test_call_stack_frees),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
