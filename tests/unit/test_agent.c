/* libdwtrace-agent.so driven in-process, as dwtrace drives it from outside:
 * dlopen it, fill sites, ops, the trap table and active through memory,
 * hit it with hand-built frames from several threads, read the rings as
 * the consumer does (head/tail, PAD, records, blobs).
 *
 * Usage: test_agent AGENT.so             (the whole test)
 *        test_agent AGENT.so MODE [noagent]  (a child: one SIGTRAP scenario;
 *        its wait status with the agent must equal the one without)
 *
 * The rings' half is here; the signals' half (watchdog, fork, trap sites)
 * in test_agent_signals.c. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "test_agent.h"

int failures;
struct dwt_agent *A;
void (*hit)(uint32_t, struct dwt_frame *);
static uint32_t next_op;

uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

struct dwt_site *site_at(uint32_t i)
{
	return (struct dwt_site *)(uintptr_t)A->sites + i;
}

/* Writes site i with its capture program, as dwtrace does. */
void set_site(uint32_t i, uint16_t kind, uint16_t flags, const struct dwt_cap_op *ops,
		     uint32_t nops)
{
	struct dwt_site *s = site_at(i);
	struct dwt_cap_op *area = (struct dwt_cap_op *)(uintptr_t)A->ops;

	if (nops)
		memcpy(area + next_op, ops, nops * sizeof(*ops));
	s->addr = 0x400000 + i;
	s->kind = kind;
	s->prog = next_op;
	s->nops = nops;
	s->flags = flags;
	next_op += nops;
	if (i >= A->nsites)
		A->nsites = i + 1;
}

struct dwt_ring *ring_of(pid_t tid)
{
	for (uint32_t i = 0; i < A->nrings; i++) {
		struct dwt_ring *r = (struct dwt_ring *)(uintptr_t)(A->rings + i * A->ring_stride);
		if (r->owner == tid)
			return r;
	}
	return NULL;
}

/* The consumer: the next record after *tail (PADs skipped), or NULL when
 * the ring holds no more.  The caller publishes tail when done. */
const struct dwt_rec_hdr *next_record(struct dwt_ring *r, uint64_t *tail)
{
	const uint8_t *data = (const uint8_t *)r + DWT_RING_HDR;

	for (;;) {
		uint64_t head = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE);
		if (*tail == head)
			return NULL;
		const struct dwt_rec_hdr *h =
			(const struct dwt_rec_hdr *)(data + (*tail & (A->ring_bytes - 1)));
		REQUIRE(h->size >= 8 && h->size % 8 == 0 && h->size <= head - *tail);
		*tail += h->size;
		if (h->kind != DWT_REC_PAD)
			return h;
	}
}

/* Blob i of record h (vregs skipped). */
const struct dwt_blob *blob(const struct dwt_rec_hdr *h, uint32_t i)
{
	const uint8_t *p = (const uint8_t *)(h + 1);

	if (h->flags & DWT_REC_VREGS)
		p += sizeof(struct dwt_vregs);
	for (;; i--) {
		const struct dwt_blob *b = (const struct dwt_blob *)p;
		REQUIRE(p + sizeof(*b) <= (const uint8_t *)h + h->size);
		if (!i)
			return b;
		p += sizeof(*b) + ((b->len + 7u) & ~7u);
	}
}

const char *blob_data(const struct dwt_blob *b)
{
	return (const char *)(b + 1);
}

void frame_init(struct dwt_frame *f, uint64_t seed)
{
	memset(f, 0, sizeof(*f));
	for (int i = 0; i < DWT_NGPR; i++)
		f->regs.gpr[i] = seed * 100 + (uint64_t)i;
	f->regs.rflags = 0x246;
}

/* Makes the test the reader (its pidfd never fires) and activates. */
void become_reader(pid_t pid)
{
	A->reader_pid = pid;
	A->generation++;
	uint64_t t0 = now_us();
	while (A->watch_generation != A->generation && now_us() - t0 < 2000000)
		usleep(1000);
	REQUIRE(A->watch_generation == A->generation);
	A->active = 1;
}


/* ---- records, blobs, unreadable memory ---------------------------------- */

struct named {
	long id;
	const char *name;
};

static void test_records(void)
{
	char *two = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *none = mmap(NULL, PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *gone = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	REQUIRE(two != MAP_FAILED && none != MAP_FAILED && gone != MAP_FAILED);
	REQUIRE(munmap(two + PAGE, PAGE) == 0 && munmap(gone, PAGE) == 0);
	memcpy(two + PAGE - 8, "ABCDEFGH", 8);
	/* A string running into the end of a mapping without a NUL. */
	memset(two + PAGE - 100, 'z', 92);
	static const char greeting[] = "hello, agent";
	struct named n = { 77, "pointed-to" };
	uint64_t stack_words[4] = { 0x1111, 0x2222, 0x3333, 0x4444 };

	struct dwt_cap_op ops[] = {
		{ .kind = DWT_CAP_STRING, .base = DWT_BASE_REG, .regno = 5, .size = 64 },   /* rdi */
		{ .kind = DWT_CAP_STRING, .base = DWT_BASE_REG, .regno = 4, .size = 64 },   /* rsi: unmapped */
		{ .kind = DWT_CAP_STRING, .base = DWT_BASE_REG, .regno = 1, .size = 64 },   /* rdx: PROT_NONE */
		{ .kind = DWT_CAP_MEM, .base = DWT_BASE_REG, .regno = 2, .size = 32 },      /* rcx: 8 then the end */
		{ .kind = DWT_CAP_MEM, .base = DWT_BASE_REG, .regno = 8, .size = 16 },      /* r8: struct named */
		{ .kind = DWT_CAP_STRING, .base = DWT_BASE_PTR, .src_op = 4, .src_off = 8, .size = 64 },
		{ .kind = DWT_CAP_MEM, .base = DWT_BASE_REG, .regno = 7, .size = 8, .offset = 8,
		  .flags = DWT_OP_STACK },                                                  /* rsp + 8 */
		{ .kind = DWT_CAP_STRING, .base = DWT_BASE_REG, .regno = 5, .size = 5 },    /* cut at 5 */
		{ .kind = DWT_CAP_STRING, .base = DWT_BASE_REG, .regno = 9, .size = 200 },  /* r9: runs off */
		/* A wrong DWT_OP_STACK (PROT_NONE, far from rsp): still no fault. */
		{ .kind = DWT_CAP_MEM, .base = DWT_BASE_REG, .regno = 1, .size = 8, .flags = DWT_OP_STACK },
	};
	uint32_t nops = sizeof(ops) / sizeof(ops[0]);
	set_site(1, DWT_REC_ENTRY, DWT_SITE_LIVE, ops, nops);
	set_site(2, DWT_REC_EXIT, DWT_SITE_LIVE | DWT_SITE_VREGS, NULL, 0);
	set_site(3, DWT_REC_ENTRY, 0, ops, 1); /* not LIVE: pass-through */

	struct dwt_frame f;
	frame_init(&f, 1);
	f.regs.gpr[5] = (uint64_t)(uintptr_t)greeting;
	f.regs.gpr[4] = (uint64_t)(uintptr_t)gone;
	f.regs.gpr[1] = (uint64_t)(uintptr_t)none;
	f.regs.gpr[2] = (uint64_t)(uintptr_t)(two + PAGE - 8);
	f.regs.gpr[8] = (uint64_t)(uintptr_t)&n;
	f.regs.gpr[7] = (uint64_t)(uintptr_t)stack_words;
	f.regs.gpr[9] = (uint64_t)(uintptr_t)(two + PAGE - 100);
	f.regs.gpr[16] = 0x401234;

	uint64_t t0 = now_ns();
	hit(1, &f);
	hit(3, &f);
	struct dwt_frame fv;
	frame_init(&fv, 2);
	for (int i = 0; i < 8; i++)
		memset(fv.vregs.xmm[i], 0x10 + i, 16);
	memset(fv.vregs.st0, 0x7f, 10);
	hit(2, &fv);
	uint64_t t1 = now_ns();

	struct dwt_ring *r = ring_of(gettid());
	REQUIRE(r);
	uint64_t tail = r->tail;
	const struct dwt_rec_hdr *h = next_record(r, &tail);
	REQUIRE(h);
	CHECK(h->kind == DWT_REC_ENTRY && h->site == 1 && h->flags == 0);
	CHECK(h->tid == (uint32_t)gettid());
	CHECK(h->ts >= t0 && h->ts <= t1);
	CHECK(memcmp(&h->regs, &f.regs, sizeof(f.regs)) == 0);

	const struct dwt_blob *b = blob(h, 0);
	CHECK(b->addr == (uint64_t)(uintptr_t)greeting && b->flags == 0);
	CHECK(b->len == sizeof(greeting) && strcmp(blob_data(b), greeting) == 0);
	b = blob(h, 1);
	CHECK(b->flags == DWT_BLOB_UNREADABLE && b->len == 0 && b->addr == (uint64_t)(uintptr_t)gone);
	b = blob(h, 2);
	CHECK(b->flags == DWT_BLOB_UNREADABLE && b->len == 0 && b->addr == (uint64_t)(uintptr_t)none);
	b = blob(h, 3);
	CHECK(b->flags == DWT_BLOB_SHORT && b->len == 8 && memcmp(blob_data(b), "ABCDEFGH", 8) == 0);
	b = blob(h, 4);
	CHECK(b->flags == 0 && b->len == 16 && memcmp(blob_data(b), &n, 16) == 0);
	b = blob(h, 5);
	CHECK(b->flags == 0 && b->addr == (uint64_t)(uintptr_t)n.name &&
	      strcmp(blob_data(b), "pointed-to") == 0);
	b = blob(h, 6);
	CHECK(b->flags == 0 && b->len == 8 && *(const uint64_t *)blob_data(b) == 0x2222);
	b = blob(h, 7);
	CHECK(b->flags == DWT_BLOB_SHORT && b->len == 5 && memcmp(blob_data(b), "hello", 5) == 0);
	b = blob(h, 8);
	CHECK(b->flags == DWT_BLOB_SHORT && b->len == 100 && b->addr == f.regs.gpr[9]);
	b = blob(h, 9);
	CHECK(b->flags == DWT_BLOB_UNREADABLE && b->len == 0);

	h = next_record(r, &tail);
	REQUIRE(h);
	CHECK(h->kind == DWT_REC_EXIT && h->site == 2 && h->flags == DWT_REC_VREGS);
	CHECK(h->size == sizeof(*h) + sizeof(struct dwt_vregs));
	CHECK(memcmp(h + 1, &fv.vregs, sizeof(fv.vregs)) == 0);
	CHECK(next_record(r, &tail) == NULL); /* site 3 wrote nothing */
	r->tail = tail;
	CHECK(r->drops == 0 && r->nested == 0);
	munmap(two, PAGE);
	munmap(none, PAGE);
}

/* ---- several threads, and a ring drained while it wraps ----------------- */

enum { NTHREADS = 4, PER_THREAD = 2000 };

static void *hitter(void *arg)
{
	uint64_t seed = (uint64_t)(uintptr_t)arg;
	struct dwt_frame f;
	char name[32];

	snprintf(name, sizeof(name), "thread %llu", (unsigned long long)seed);
	frame_init(&f, seed);
	f.regs.gpr[5] = (uint64_t)(uintptr_t)name;
	for (int i = 0; i < PER_THREAD; i++) {
		f.regs.gpr[12] = (uint64_t)i;
		hit(4, &f);
	}
	return (void *)(uintptr_t)gettid();
}

static void test_threads(void)
{
	struct dwt_cap_op op = { .kind = DWT_CAP_STRING, .base = DWT_BASE_REG, .regno = 5, .size = 32 };
	pthread_t th[NTHREADS];
	void *tid[NTHREADS];

	set_site(4, DWT_REC_ENTRY, DWT_SITE_LIVE, &op, 1);
	for (uintptr_t i = 0; i < NTHREADS; i++)
		REQUIRE(pthread_create(&th[i], NULL, hitter, (void *)(i + 10)) == 0);
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(th[i], &tid[i]);
	for (int i = 0; i < NTHREADS; i++) {
		struct dwt_ring *r = ring_of((pid_t)(uintptr_t)tid[i]);
		char want[32];
		int n = 0, in_order = 1, strings = 1;

		REQUIRE(r);
		snprintf(want, sizeof(want), "thread %d", i + 10);
		uint64_t tail = r->tail;
		for (const struct dwt_rec_hdr *h; (h = next_record(r, &tail)); n++) {
			in_order &= h->regs.gpr[12] == (uint64_t)n && h->tid == (uint32_t)(uintptr_t)tid[i];
			strings &= strcmp(blob_data(blob(h, 0)), want) == 0;
		}
		r->tail = tail;
		CHECK(n == PER_THREAD && in_order && strings);
		CHECK(r->drops == 0);
	}
}

/* More threads over the program's life than rings: a drained ring of an
 * exited thread goes to the next thread that needs one. */
static void *one_hit(void *arg)
{
	struct dwt_frame f;

	frame_init(&f, 8);
	f.regs.gpr[12] = (uint64_t)(uintptr_t)arg;
	hit(11, &f);
	return NULL;
}

static void test_ring_reuse(void)
{
	uint32_t n = A->nrings + 44, seen = 0, tids = 0;
	uint8_t *got = calloc(n, 1);

	set_site(11, DWT_REC_ENTRY, DWT_SITE_LIVE, NULL, 0);
	for (uintptr_t i = 0; i < n; i++) {
		pthread_t th;
		REQUIRE(pthread_create(&th, NULL, one_hit, (void *)i) == 0);
		pthread_join(th, NULL);
		for (uint32_t k = 0; k < A->nrings; k++) { /* the consumer drains */
			struct dwt_ring *r = (struct dwt_ring *)(uintptr_t)(A->rings + k * A->ring_stride);
			uint64_t tail = r->tail;
			for (const struct dwt_rec_hdr *h; (h = next_record(r, &tail));) {
				if (h->site == 11 && h->regs.gpr[12] < n && !got[h->regs.gpr[12]]++)
					seen++;
				tids += h->site == 11;
			}
			r->tail = tail;
		}
	}
	CHECK(seen == n && tids == n);
	CHECK(A->no_ring == 0);
	free(got);
}

/* A consumer draining while one thread writes 20 MiB through its 1 MiB
 * ring: PADs at the end, no loss, order kept. */
static volatile int producer_done;
static volatile pid_t producer_tid;
enum { BIG = 1000, NBIG = 20000 };
static char big[BIG];

static void *big_producer(void *arg)
{
	struct dwt_frame f;

	frame_init(&f, 3);
	f.regs.gpr[5] = (uint64_t)(uintptr_t)big;
	producer_tid = gettid();
	for (int i = 0; i < NBIG; i++) {
		f.regs.gpr[12] = (uint64_t)i;
		hit(5, &f);
	}
	producer_done = 1;
	return NULL;
}

static void test_drain_while_writing(void)
{
	struct dwt_cap_op op = { .kind = DWT_CAP_MEM, .base = DWT_BASE_REG, .regno = 5, .size = BIG };
	pthread_t th;
	struct dwt_ring *r = NULL;
	uint64_t tail = 0, n = 0, pads = 0;
	int in_order = 1;

	memset(big, 'b', sizeof(big));
	set_site(5, DWT_REC_ENTRY, DWT_SITE_LIVE, &op, 1);
	A->wait_us = 2000000; /* the consumer always frees space in time */
	REQUIRE(pthread_create(&th, NULL, big_producer, NULL) == 0);
	for (;;) {
		int done = producer_done;
		if (!r && producer_tid)
			r = ring_of(producer_tid);
		if (r) {
			const uint8_t *data = (const uint8_t *)r + DWT_RING_HDR;
			tail = r->tail;
			while (tail != __atomic_load_n(&r->head, __ATOMIC_ACQUIRE)) {
				const struct dwt_rec_hdr *h =
					(const void *)(data + (tail & (A->ring_bytes - 1)));
				if (h->kind == DWT_REC_PAD)
					pads++;
				else
					in_order &= h->regs.gpr[12] == n++ && blob(h, 0)->len == BIG;
				tail += h->size;
			}
			__atomic_store_n(&r->tail, tail, __ATOMIC_RELEASE);
		}
		if (done && r && tail == r->head)
			break;
	}
	pthread_join(th, NULL);
	CHECK(n == NBIG && in_order);
	CHECK(pads > 0);
	CHECK(r->drops == 0 && !(r->flags & DWT_RING_STALLED));
	A->wait_us = 1000;
}

/* ---- full ring: a bounded wait, then STALLED drops at once --------------- */

static char *huge;
enum { HUGE = 60000 };

static void *stall_thread(void *arg)
{
	struct dwt_frame f;
	struct dwt_ring *r;
	uint64_t slow = 0, t;
	int i;

	frame_init(&f, 4);
	f.regs.gpr[5] = (uint64_t)(uintptr_t)huge;
	hit(6, &f);
	r = ring_of(gettid());
	REQUIRE(r);
	/* 1 MiB holds 17 records of 60 KiB; the 18th waits, then drops. */
	for (i = 0; i < 40 && r->drops == 0; i++) {
		t = now_us();
		hit(6, &f);
		t = now_us() - t;
		if (t > slow)
			slow = t;
	}
	CHECK(r->drops == 1);
	CHECK(r->flags & DWT_RING_STALLED);
	CHECK(slow >= 20000 && slow < 20000 + 200000); /* wait_us = 20 ms */
	t = now_us();
	hit(6, &f);
	t = now_us() - t;
	CHECK(r->drops == 2 && t < 5000); /* stalled: at once */
	/* The consumer frees space and clears STALLED: records again. */
	uint64_t head = r->head;
	r->tail = head;
	r->flags = 0;
	hit(6, &f);
	CHECK(r->head > head && r->drops == 2);
	r->tail = r->head;
	return NULL;
}

static void test_full_ring(void)
{
	struct dwt_cap_op op = { .kind = DWT_CAP_MEM, .base = DWT_BASE_REG, .regno = 5, .size = HUGE };
	pthread_t th;

	huge = calloc(1, HUGE);
	set_site(6, DWT_REC_ENTRY, DWT_SITE_LIVE, &op, 1);
	A->wait_us = 20000;
	REQUIRE(pthread_create(&th, NULL, stall_thread, NULL) == 0);
	pthread_join(th, NULL);
	A->wait_us = 1000;
	free(huge);
}

/* ---- a hit inside a hit (a signal handler): dropped and counted ---------- */

static volatile int alarms;

static void on_alarm(int sig)
{
	struct dwt_frame f;

	frame_init(&f, 5);
	hit(7, &f);
	alarms++;
}

static void test_nested(void)
{
	struct dwt_cap_op op = { .kind = DWT_CAP_MEM, .base = DWT_BASE_REG, .regno = 5, .size = HUGE };
	struct itimerval every_ms = { { 0, 1000 }, { 0, 1000 } }, off = { { 0, 0 }, { 0, 0 } };
	struct dwt_frame f;
	struct dwt_ring *r;
	uint64_t tail, inner = 0, t0 = now_us();

	huge = calloc(1, HUGE);
	set_site(7, DWT_REC_ENTRY, DWT_SITE_LIVE, NULL, 0);
	set_site(8, DWT_REC_ENTRY, DWT_SITE_LIVE, &op, 1);
	frame_init(&f, 6);
	f.regs.gpr[5] = (uint64_t)(uintptr_t)huge;
	hit(8, &f);
	r = ring_of(gettid());
	REQUIRE(r);
	tail = r->tail;
	signal(SIGALRM, on_alarm);
	setitimer(ITIMER_REAL, &every_ms, NULL);
	/* Most of the time is spent in the 60 KiB copy of site 8. */
	while ((r->nested == 0 || alarms < 20) && now_us() - t0 < 5000000) {
		hit(8, &f);
		for (const struct dwt_rec_hdr *h; (h = next_record(r, &tail));)
			inner += h->site == 7;
		r->tail = tail;
	}
	setitimer(ITIMER_REAL, &off, NULL);
	signal(SIGALRM, SIG_DFL);
	for (const struct dwt_rec_hdr *h; (h = next_record(r, &tail));)
		inner += h->site == 7;
	r->tail = tail;
	CHECK(r->nested > 0);
	CHECK(inner + r->nested == (uint64_t)alarms); /* every alarm recorded or counted */
	CHECK(r->drops == 0);
	free(huge);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s libdwtrace-agent.so\n", argv[0]);
		return 2;
	}
	if (argc >= 3)
		return scenario(argv[1], argv[2], argc < 4);

	install_program_trap_handler();

	struct sigaction program, before;
	sigaction(SIGTRAP, NULL, &program);
	void *so = dlopen(argv[1], RTLD_NOW);
	if (!so) {
		fprintf(stderr, "dlopen %s: %s\n", argv[1], dlerror());
		return 1;
	}
	A = dlsym(so, DWT_AGENT_SYMBOL);
	hit = (void (*)(uint32_t, struct dwt_frame *))dlsym(so, "dwt_hit");
	REQUIRE(A && hit);
	uint64_t t0 = now_us();
	while (A->status == 0 && now_us() - t0 < 2000000)
		usleep(1000);
	REQUIRE(A->status == 1);
	CHECK(A->magic == DWT_MAGIC && A->abi == DWT_ABI);
	CHECK(A->hit == (uint64_t)(uintptr_t)hit);
	CHECK(A->active == 0);
	CHECK(A->nsites_max == 65536 && A->nops_max == (1u << 20) && A->ntraps_max == (1u << 16));
	CHECK(A->nrings == 256 && A->ring_bytes == (1u << 20));
	/* The program's SIGTRAP action is untouched until dwtrace arms the
	 * agent's handler, before its first int3 patch. */
	sigaction(SIGTRAP, NULL, &before);
	CHECK(before.sa_handler == program.sa_handler);
	CHECK(A->arm_traps && !A->traps_armed);
	CHECK(((long (*)(uint64_t))(uintptr_t)A->arm_traps)(1) == 0 && A->traps_armed);

	/* Inactive: pass-through, no ring claimed. */
	struct dwt_frame f;
	frame_init(&f, 0);
	set_site(0, DWT_REC_ENTRY, DWT_SITE_LIVE, NULL, 0);
	hit(0, &f);
	CHECK(ring_of(gettid()) == NULL);

	A->clock = DWT_CLOCK_MONOTONIC;
	become_reader(getpid());
	test_records();
	test_threads();
	test_drain_while_writing();
	test_ring_reuse();
	test_full_ring();
	test_nested();
	test_filter_sites();
	test_trap_site();
	test_foreign_raise();
	test_rearm();
	test_fork();
	test_pidfd_closed();
	test_reader_exit();
	test_foreign_dispositions(argv[0], argv[1]);
	CHECK(A->no_ring == 0);
	if (failures)
		fprintf(stderr, "%d checks failed\n", failures);
	return failures != 0;
}

