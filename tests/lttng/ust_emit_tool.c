/* ust_emit_tool: drives the in-process LTTng emitter (libdwtrace-ust.so)
 * the way dwtrace and the agent do, without either, for
 * tests/integration/test_ust_emitter.py.
 *
 * It loads fake_agent/libdwtrace-agent.so next to itself (a stand-in
 * agent of that DT_SONAME: the emitter finds it with dlopen(RTLD_NOLOAD)),
 * gives it a MAP_SHARED memfd region
 * with the mailbox, dlopens the emitter, writes a hand-built description
 * blob of two events (PROVIDER:f_entry: a int32 from rdi, b uint64 hex
 * from rsi, c double from xmm0, s a char * in rdx, e an enum int32 from
 * rcx, t a char[8] at [rsp+8]; PROVIDER:f_exit: retval int64 from rax,
 * duration_ns) into the mailbox, wakes the control thread and waits for
 * done, then calls the agent's ust_emit hook with hand-built records.
 *
 *   ust_emit_tool LIB PROVIDER CALLS A B C S E T RET DURATION IP
 *     CALLS pairs of events with those values (S, T: strings), at IP.
 *     Prints "register 0 slots ENTRY EXIT", "emitted N" and the time per
 *     event (building the record included) "ns_per_event T".
 *   ust_emit_tool LIB PROVIDER check
 *     Requests: the blob twice (same slots), an f_entry of other fields
 *     (slot 0, error), a corrupt blob (-EINVAL); prints each result.
 *
 * Exit status 0, or 1 with a one-line error. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/futex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "agent_abi.h"
#include "ust_abi.h"

/* The stand-in agent's control object. */
static struct dwt_agent *agent;

#define REGION (8u << 20)

static struct dwt_ust_mailbox *mb;

static void die(const char *fmt, const char *arg)
{
	fprintf(stderr, "ust_emit_tool: ");
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	exit(1);
}

/* ---- building a blob -------------------------------------------------- */

struct blob {
	uint8_t *p;
	uint32_t len;
};

static uint32_t take(struct blob *b, size_t n)
{
	uint32_t at = (b->len + 7u) & ~7u;

	memset(b->p + b->len, 0, at - b->len + n);
	b->len = at + (uint32_t)n;
	return at;
}

static uint32_t str(struct blob *b, const char *s)
{
	uint32_t at = take(b, strlen(s) + 1);

	memcpy(b->p + at, s, strlen(s) + 1);
	return at;
}

#define AT(b, type, off) ((type *)((b)->p + (off)))

static uint32_t reg_image(struct blob *b, uint32_t images, unsigned i, unsigned regno, unsigned size)
{
	struct dwt_ust_image *im = AT(b, struct dwt_ust_image, images) + i;

	im->size = size;
	im->available = 1;
	im->npieces = 1;
	im->pieces[0] = (struct dwt_ust_piece){.kind = DWT_UST_PIECE_REG, .regno = (uint16_t)regno, .size = size};
	return i;
}

/* The events; other_fields: f_entry's a is an int64 instead. */
static uint32_t build(struct blob *b, const char *provider, int other_fields)
{
	uint32_t hdr = take(b, sizeof(struct dwt_ust_desc));
	uint32_t evs = take(b, 2 * sizeof(struct dwt_ust_event_desc));
	uint32_t images = take(b, 6 * sizeof(struct dwt_ust_image));
	uint32_t fields = take(b, 6 * sizeof(struct dwt_ust_field));
	uint32_t ximages = take(b, sizeof(struct dwt_ust_image));
	uint32_t xfields = take(b, 2 * sizeof(struct dwt_ust_field));
	uint32_t entries = take(b, 3 * sizeof(struct dwt_ust_enum_entry));
	static const char *const names[] = {"RED", "GREEN", "BLUE"};
	struct dwt_ust_field *f;
	struct dwt_ust_image *t;
	uint32_t pv = str(b, provider);

	for (int i = 0; i < 3; i++) {
		struct dwt_ust_enum_entry *en = AT(b, struct dwt_ust_enum_entry, entries) + i;
		uint32_t name = str(b, names[i]);
		en = AT(b, struct dwt_ust_enum_entry, entries) + i;
		en->value = i;
		en->name = name;
	}
	reg_image(b, images, 0, 5, 8);  /* rdi */
	reg_image(b, images, 1, 4, 8);  /* rsi */
	reg_image(b, images, 2, 17, 8); /* xmm0 */
	reg_image(b, images, 3, 1, 8);  /* rdx */
	reg_image(b, images, 4, 2, 4);  /* rcx */
	t = AT(b, struct dwt_ust_image, images) + 5;
	t->size = 8;
	t->available = 1;
	t->npieces = 1;
	t->pieces[0] = (struct dwt_ust_piece){.kind = DWT_UST_PIECE_MEM, .regno = 7, .size = 8, .offset = 8};
	reg_image(b, ximages, 0, 0, 8); /* rax */

	static const struct {
		const char *name;
		uint8_t type, size, is_signed, base, from, deref, float_src;
		uint32_t src_size, length;
	} fd[] = {
		{"a", DWT_UST_INT, 4, 1, 10, 0, 0, 0, 4, 0},
		{"b", DWT_UST_INT, 8, 0, 16, 0, 0, 0, 8, 0},
		{"c", DWT_UST_FLOAT, 8, 0, 0, 0, 0, DWT_UST_F64, 8, 0},
		{"s", DWT_UST_STRING, 0, 0, 0, 0, DWT_UST_CSTRING, 0, 8, 256},
		{"e", DWT_UST_ENUM, 4, 1, 10, 0, 0, 0, 4, 0},
		{"t", DWT_UST_CHARS, 0, 0, 0, 0, 0, 0, 8, 8},
		{"retval", DWT_UST_INT, 8, 1, 10, 0, 0, 0, 8, 0},
		{"duration_ns", DWT_UST_INT, 8, 0, 10, DWT_UST_FROM_DURATION, 0, 0, 0, 0},
	};
	for (unsigned i = 0; i < 8; i++) {
		uint32_t name = str(b, fd[i].name);
		uint32_t ename = i == 4 ? str(b, "color") : 0;
		f = i < 6 ? AT(b, struct dwt_ust_field, fields) + i : AT(b, struct dwt_ust_field, xfields) + (i - 6);
		f->name = name;
		f->type = fd[i].type;
		f->size = fd[i].size;
		f->is_signed = fd[i].is_signed;
		f->base = fd[i].base;
		f->from = fd[i].from;
		f->deref = fd[i].deref;
		f->float_src = fd[i].float_src;
		f->image = (uint16_t)(i < 6 ? i : 0);
		f->src_size = fd[i].src_size;
		f->length = fd[i].length;
		f->nofilter = fd[i].type == DWT_UST_CHARS;
		if (i == 4) {
			f->nentries = 3;
			f->entries = entries;
			f->enum_name = ename;
		}
		if (i == 0 && other_fields)
			f->size = f->src_size = 8;
	}
	struct dwt_ust_event_desc *ev = AT(b, struct dwt_ust_event_desc, evs);
	uint32_t n0 = str(b, "f_entry"), n1 = str(b, "f_exit");
	ev = AT(b, struct dwt_ust_event_desc, evs);
	ev[0] = (struct dwt_ust_event_desc){.name = n0, .kind = DWT_REC_ENTRY, .nimages = 6, .images = images,
					    .nfields = 6, .fields = fields, .align = 8};
	ev[1] = (struct dwt_ust_event_desc){.name = n1, .kind = DWT_REC_EXIT, .nimages = 1, .images = ximages,
					    .nfields = 2, .fields = xfields, .align = 8};
	*AT(b, struct dwt_ust_desc, hdr) = (struct dwt_ust_desc){
		.magic = DWT_UST_DESC_MAGIC, .size = b->len, .provider = pv, .nevents = 2, .events = evs};
	return evs;
}

/* ---- the mailbox ---------------------------------------------------- */

/* Sends the blob at the mailbox (size bytes); returns the result. */
static int request(uint32_t size)
{
	uint32_t req = mb->request + 1;
	struct timespec ts = {1, 0};

	mb->desc_size = size;
	__atomic_store_n(&mb->request, req, __ATOMIC_RELEASE);
	syscall(SYS_futex, &mb->request, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
	for (int i = 0; i < 30 && __atomic_load_n(&mb->done, __ATOMIC_ACQUIRE) != req; i++)
		syscall(SYS_futex, &mb->done, FUTEX_WAIT, mb->done, &ts, NULL, 0);
	if (__atomic_load_n(&mb->done, __ATOMIC_ACQUIRE) != req)
		die("the emitter did not answer request %s within 30 s", "");
	return mb->result;
}

static void slots(struct blob *b, uint32_t evs, uint32_t *entry, uint32_t *exit_)
{
	*entry = AT(b, struct dwt_ust_event_desc, evs)[0].slot;
	*exit_ = AT(b, struct dwt_ust_event_desc, evs)[1].slot;
}

/* ---- records -------------------------------------------------------- */

struct rec_buf {
	uint64_t q[512];
	uint32_t len;
};

static void add_blob(struct rec_buf *r, uint64_t addr, const void *data, uint32_t len)
{
	struct dwt_blob bl = {addr, len, 0};

	memcpy((uint8_t *)r->q + r->len, &bl, sizeof(bl));
	r->len += sizeof(bl);
	memcpy((uint8_t *)r->q + r->len, data, len);
	r->len += (len + 7u) & ~7u;
}

static void emit(uint32_t slot, struct rec_buf *r, struct dwt_rec_hdr *h, uint64_t duration, uint64_t ip)
{
	static uint64_t scratch[DWT_UST_SCRATCH / 8];
	void (*fn)(uint32_t, const void *, uint32_t, uint64_t, uint64_t, void *, uint32_t) =
		(void (*)(uint32_t, const void *, uint32_t, uint64_t, uint64_t, void *, uint32_t))(uintptr_t)
			__atomic_load_n(&agent->ust_emit, __ATOMIC_ACQUIRE);

	h->size = r->len;
	memcpy(r->q, h, sizeof(*h));
	fn(slot, r->q, r->len, duration, ip, scratch, sizeof(scratch));
}

int main(int argc, char **argv)
{
	struct blob b;
	uint32_t evs, entry, exit_;
	int fd, rc;
	void *region, *lib;
	struct dwt_ust *ust;
	char path[PATH_MAX];

	if (argc != 4 && argc != 13)
		die("usage: ust_emit_tool LIB PROVIDER check | CALLS A B C S E T RET DURATION IP%s", "");
	fd = memfd_create("ust_emit_tool", 0);
	if (fd < 0 || ftruncate(fd, REGION) < 0)
		die("memfd: %s", strerror(errno));
	region = mmap(NULL, REGION, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (region == MAP_FAILED)
		die("mmap: %s", strerror(errno));
	mb = region;
	snprintf(path, sizeof(path), "%s", argv[0]);
	*(strrchr(path, '/') ? strrchr(path, '/') + 1 : path) = '\0';
	strncat(path, "fake_agent/" DWT_AGENT_SONAME, sizeof(path) - strlen(path) - 1);
	agent = dlsym(dlopen(path, RTLD_NOW), DWT_AGENT_SYMBOL);
	if (!agent)
		die("no stand-in agent: %s", dlerror());
	agent->abi = DWT_ABI;
	agent->status = 1;
	agent->ust = (uint64_t)(uintptr_t)region;
	agent->ust_size = REGION;
	__atomic_store_n(&agent->magic, DWT_MAGIC, __ATOMIC_RELEASE);
	if (!(lib = dlopen(argv[1], RTLD_NOW)))
		die("dlopen: %s", dlerror());
	ust = dlsym(lib, DWT_UST_SYMBOL);
	if (!ust || ust->magic != DWT_UST_MAGIC || ust->abi != DWT_UST_ABI || ust->status != 1)
		die("the emitter is not ready: %s", ust ? ust->error : "no " DWT_UST_SYMBOL);
	b.p = (uint8_t *)region + DWT_UST_MAILBOX_HDR;
	b.len = 0;
	evs = build(&b, argv[2], 0);
	rc = request(b.len);
	slots(&b, evs, &entry, &exit_);
	printf("register %d slots %u %u\n", rc, entry, exit_);
	if (argc == 4) {
		/* again: the same slots */
		AT(&b, struct dwt_ust_event_desc, evs)[0].slot = 99;
		rc = request(b.len);
		slots(&b, evs, &entry, &exit_);
		printf("again %d slots %u %u\n", rc, entry, exit_);
		/* f_entry with other fields */
		b.len = 0;
		evs = build(&b, argv[2], 1);
		rc = request(b.len);
		slots(&b, evs, &entry, &exit_);
		printf("other %d slots %u %u error %s\n", rc, entry, exit_, mb->error);
		/* a corrupt blob: the event array past the end */
		AT(&b, struct dwt_ust_desc, 0)->events = b.len - 8;
		rc = request(b.len);
		printf("corrupt %d error %s\n", rc, mb->error);
		/* bigger than the mailbox */
		rc = request(REGION);
		printf("huge %d error %s\n", rc, mb->error);
		return 0;
	}

	long calls = strtol(argv[3], NULL, 0);
	int32_t a = (int32_t)strtol(argv[4], NULL, 0);
	uint64_t bv = strtoull(argv[5], NULL, 0);
	double c = strtod(argv[6], NULL);
	const char *s = argv[7];
	int32_t e = (int32_t)strtol(argv[8], NULL, 0);
	char t[8] = {0};
	int64_t ret = strtoll(argv[10], NULL, 0);
	uint64_t duration = strtoull(argv[11], NULL, 0), ip = strtoull(argv[12], NULL, 0);
	uint64_t s_addr = 0x7f0000001000, sp = 0x7ffd00002000;

	memcpy(t, argv[9], strlen(argv[9]) < sizeof(t) ? strlen(argv[9]) : sizeof(t));
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (long i = 0; i < calls; i++) {
		struct rec_buf r;
		struct dwt_rec_hdr h = {.kind = DWT_REC_ENTRY, .flags = DWT_REC_VREGS, .tid = (uint32_t)gettid()};
		struct dwt_vregs v;
		uint64_t stack[2] = {0, 0};

		memset(&v, 0, sizeof(v));
		h.regs.gpr[5] = (uint64_t)(int64_t)a;
		h.regs.gpr[4] = bv;
		h.regs.gpr[1] = s_addr;
		h.regs.gpr[2] = (uint64_t)(uint32_t)e;
		h.regs.gpr[7] = sp;
		memcpy(v.xmm[0], &c, 8);
		memcpy(&stack[1], t, 8);
		r.len = sizeof(h);
		memcpy((uint8_t *)r.q + r.len, &v, sizeof(v));
		r.len += sizeof(v);
		add_blob(&r, s_addr, s, (uint32_t)strlen(s) + 1);
		add_blob(&r, sp, stack, sizeof(stack));
		emit(entry, &r, &h, 0, ip);

		struct dwt_rec_hdr x = {.kind = DWT_REC_EXIT, .tid = h.tid};
		x.regs.gpr[0] = (uint64_t)ret;
		r.len = sizeof(x);
		emit(exit_, &r, &x, duration, ip + 1);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("emitted %" PRIu64 "\n", ust->emitted);
	/* records built and emitted, per event: for the record, not checked */
	printf("ns_per_event %.0f\n",
	       calls ? ((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec)) / (2.0 * calls) : 0.0);
	return 0;
}
