/* Shared by the description compiler's unit tests (test_ust_desc*.c). */
#ifndef DWTRACE_TEST_UST_DESC_H
#define DWTRACE_TEST_UST_DESC_H

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "arch.h"
#include "decode.h"
#include "dw_session.h"
#include "ust_desc.h"

extern const char *types_path, *wide_path, *cxx_path;

/* A layout of the function named fn in the file at path, with the plans
 * dwtrace makes for it (event_layout_new() + arch_plan_call()). */
struct loaded {
	struct dw_session *s;
	struct event_layout *l;
};
struct loaded load(const char *path, const char *fn);
void unload(struct loaded *ld);

/* One layout compiled alone: the blob, its entry (events[0]) and exit
 * (events[1]) and the paths. */
struct compiled {
	void *blob;
	size_t size;
	struct ust_desc_paths *paths;
	const struct dwt_ust_event_desc *entry, *exit;
};
extern const struct ust_desc_opts plain;
struct compiled compile(const struct event_layout *l, const struct ust_desc_opts *o);
void release(struct compiled *c);

/* Fails unless every offset of the blob is in it, 8-aligned, every string terminated. */
void check_blob(const void *blob, size_t size);
const char *str(const struct compiled *c, uint32_t off);
const struct dwt_ust_field *fields(const struct compiled *c, const struct dwt_ust_event_desc *ev);
const struct dwt_ust_image *images(const struct compiled *c, const struct dwt_ust_event_desc *ev);
/* The field named name of ev (fails the test when there is none), its index in *index. */
const struct dwt_ust_field *field(const struct compiled *c, const struct dwt_ust_event_desc *ev, const char *name,
				  uint32_t *index);
void assert_names(const struct compiled *c, const struct dwt_ust_event_desc *ev, const char *const *want, size_t n);
void assert_int_field(const struct dwt_ust_field *f, unsigned size, bool is_signed, unsigned base);
uint64_t image_int(const struct dwt_ust_field *f, const uint8_t *image);
void assert_image_is_plan(const struct dwt_ust_image *im, const struct fetch_plan *p);

/* A fake thread at the entry: registers by DWARF number (gprs 0-16, xmm
 * 17-32, st 33-40) and 4 KiB of memory at FAKE_BASE; rsp = FAKE_SP. */
struct fake {
	uint8_t reg[41][16];
	uint64_t base;
	uint8_t mem[4096];
};
#define FAKE_BASE 0x7ffe0000ull
#define FAKE_SP (FAKE_BASE + 0x800)
struct fake *fake_new(void);
int fake_reg(void *ctx, unsigned regno, void *buf, size_t size);
ssize_t fake_mem(void *ctx, uint64_t addr, void *buf, size_t size);
void set_reg(struct fake *f, unsigned regno, const void *v, size_t size);
void set_reg64(struct fake *f, unsigned regno, uint64_t v);

/* Entry scalars of c over decode's values of the fake thread; strings
 * outside buf are copied (free them with free_strs()). */
void entry_scalars(const struct compiled *c, const struct event_layout *l, struct fake *f,
		   const struct event_header *h, struct ust_scalar *out, char *buf, size_t bufsize);
void free_strs(const struct ust_scalar *out, size_t n, const char *buf, size_t bufsize);

void test_rich(void **state);
void test_enums(void **state);
void test_small_and_floats(void **state);
void test_strings_and_pointers(void **state);
void test_big_chars(void **state);
void test_pid_tid_stack(void **state);
void test_int_widths(void **state);
void test_wide(void **state);
void test_cxx(void **state);
void test_oversize_image(void **state);
void test_many_layouts(void **state);
void test_record_equals_values(void **state);
void test_record_equals_values_locations(void **state);

#endif
