/* The agent's hot path: dwt_hit(), called by a site's stub (and by the
 * SIGTRAP handler for trap sites), writes one record into the hitting
 * thread's ring.
 *
 * Compiled with -mgeneral-regs-only -ffreestanding -fno-builtin
 * -fno-stack-protector: it may run inside malloc, inside a signal handler,
 * with any vector state, so it calls nothing in libc, takes no lock,
 * allocates nothing and touches no vector register (the stub does not
 * reload them).  The test test_agent_hotpath checks the object file. */
#include <stddef.h>
#include <stdint.h>

#include "agent_internal.h"
#include "agent_syscall.h"
#include "capture_run.h"
#include "filter_run.h"

#define PAGE 4096u /* x86-64; the reader only splits iovecs at this size */

/* Per-thread state: one initial-exec TLS slot, reached through %fs without
 * __tls_get_addr (which may allocate on first touch in a dlopened
 * library). */
struct agent_thread {
	struct dwt_ring *ring; /* claimed on the first hit, 0 before */
	int32_t tid;           /* raw gettid, taken once */
	uint32_t nest;         /* > 0 while this thread is in the agent */
	uint32_t retry;        /* hits to drop before looking for a ring again */
};
static __thread struct agent_thread self __attribute__((tls_model("initial-exec")));

struct iov {
	uint64_t base, len;
};

static void copy64(uint64_t *dst, const uint64_t *src, uint32_t n)
{
	while (n--)
		*dst++ = *src++;
}

/* The direct copy for DWT_OP_STACK ranges: the thread's own stack just
 * above its stack pointer is mapped and readable. */
static void copy_bytes(uint8_t *dst, const uint8_t *src, uint32_t n)
{
	while (n--)
		*dst++ = *src++;
}

/* struct capture_mem's read: process_vm_readv on our own pid, one remote
 * iovec per page, because the kernel never splits an iovec element in a
 * partial transfer: the copy stops at the first unreadable page instead
 * of faulting.  Same-thread-group access needs no ptrace permission. */
static long mem_read(void *ctx, uint64_t addr, void *buf, uint32_t len, int stack)
{
	enum { NIOV = 16 };
	struct iov local, remote[NIOV];
	uint8_t *out = buf;
	uint64_t done = 0;

	/* Trust DWT_OP_STACK only near the hit's stack pointer (red zone
	 * to 64 KiB above it): a wrong flag must not fault the program. */
	uint64_t sp = *(const uint64_t *)ctx;
	if (stack && addr >= sp - 128 && addr <= sp + 65536 && len <= sp + 65536 - addr) {
		copy_bytes(out, (const uint8_t *)(uintptr_t)addr, len);
		return len;
	}
	if (addr + len < addr)
		len = (uint32_t)(0 - addr);
	while (done < len) {
		uint64_t want = 0;
		int n = 0;

		for (; n < NIOV && done + want < len; n++) {
			uint64_t a = addr + done + want;
			uint64_t chunk = PAGE - (a & (PAGE - 1));
			if (chunk > len - done - want)
				chunk = len - done - want;
			remote[n].base = a;
			remote[n].len = chunk;
			want += chunk;
		}
		local.base = (uint64_t)(uintptr_t)(out + done);
		local.len = want;
		long got = agent_syscall6(AGENT_NR_PROCESS_VM_READV, agent_pid, (long)&local, 1,
					  (long)remote, n, 0);
		if (got > 0)
			done += (uint64_t)got;
		if (got < (long)want)
			break;
	}
	return done ? (long)done : -1;
}

static uint64_t now(void)
{
	if (agent.clock == DWT_CLOCK_MONOTONIC) {
		struct {
			int64_t sec, nsec;
		} ts = { 0, 0 };
		long (*vdso)(long, void *) = agent_vdso_clock_gettime;
		if (!vdso || vdso(1 /* CLOCK_MONOTONIC */, &ts) != 0)
			agent_syscall2(AGENT_NR_CLOCK_GETTIME, 1, &ts);
		return (uint64_t)ts.sec * 1000000000u + (uint64_t)ts.nsec;
	}
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

static uint64_t monotonic_us(void)
{
	struct {
		int64_t sec, nsec;
	} ts = { 0, 0 };
	agent_syscall2(AGENT_NR_CLOCK_GETTIME, 1 /* CLOCK_MONOTONIC */, &ts);
	return (uint64_t)ts.sec * 1000000u + (uint64_t)ts.nsec / 1000u;
}

static struct dwt_ring *ring_at(uint32_t i)
{
	return (struct dwt_ring *)(uintptr_t)(agent.rings + i * agent.ring_stride);
}

/* The thread's ring, claimed on its first hit by compare-and-swap of owner
 * 0 -> tid.  With none free, a drained ring whose owner thread has exited
 * is taken over (its head and tail run on; the records' tid tells them
 * apart), so that a program making threads all its life keeps rings.  0
 * when there is none (counted in no_ring); the thread then drops its next
 * 1023 hits before looking again, since a look costs a system call per
 * ring. */
static struct dwt_ring *claim_ring(void)
{
	if (self.retry) {
		self.retry--;
		goto none;
	}
	if (!self.tid)
		self.tid = (int32_t)agent_syscall0(AGENT_NR_GETTID);
	for (uint32_t i = 0; i < agent.nrings; i++) {
		struct dwt_ring *r = ring_at(i);
		int32_t owner = 0;
		if (r->owner == 0 &&
		    __atomic_compare_exchange_n(&r->owner, &owner, self.tid, 0, __ATOMIC_ACQ_REL,
						__ATOMIC_RELAXED))
			return self.ring = r;
	}
	for (uint32_t i = 0; i < agent.nrings; i++) {
		struct dwt_ring *r = ring_at(i);
		int32_t owner = r->owner;
		if (owner <= 0 || __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE) != r->head)
			continue;
		if (agent_syscall3(AGENT_NR_TGKILL, agent_pid, owner, 0) != -3 /* ESRCH */)
			continue;
		if (__atomic_compare_exchange_n(&r->owner, &owner, self.tid, 0, __ATOMIC_ACQ_REL,
						__ATOMIC_RELAXED))
			return self.ring = r;
	}
	self.retry = 1023;
none:
	__atomic_fetch_add(&agent.no_ring, 1, __ATOMIC_RELAXED);
	return 0;
}

/* Waits until need bytes are free in r: spin with pause, then yield, for at
 * most wait_us; 0 on success, -1 (r marked STALLED) on timeout. */
static int wait_space(struct dwt_ring *r, uint64_t head, uint64_t need)
{
	uint64_t size = agent.ring_bytes, deadline = 0;
	uint32_t wait_us = agent.wait_us;

	if (!wait_us)
		goto stalled;
	uint64_t seen = __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE);

	for (uint32_t spin = 0;; spin++) {
		uint64_t tail = __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE);
		if (size - (head - tail) >= need)
			return 0;
		if (spin < 256) {
			__asm__ volatile("pause" ::: "memory");
			continue;
		}
		uint64_t t = monotonic_us();
		/* The bound is on a reader that frees nothing: one that is
		 * reading (tail moved) is waited for, so no event is lost
		 * while dwtrace keeps up at its own pace. */
		if (!deadline || tail != seen)
			deadline = t + wait_us;
		else if (t >= deadline)
			break;
		seen = tail;
		/* Sleep rather than yield: threads spinning for room would
		 * take the CPU from the reader that makes it. */
		struct {
			int64_t sec, nsec;
		} nap = { 0, 20000 };
		agent_syscall2(AGENT_NR_NANOSLEEP, &nap, 0);
	}
stalled:
	r->flags |= DWT_RING_STALLED;
	return -1;
}


/* Pushes the call entering at stack pointer sp on the ring's call stack
 * (struct dwt_call; flags DWT_CALL_*).  A full stack forgets its oldest
 * call: that call's exit is then recorded (dwtrace drops it, finding no
 * call in flight) or, for the emitter, has no duration. */
static void calls_push(struct dwt_ring *r, uint32_t layout, uint64_t sp, uint64_t ts, uint32_t flags)
{
	uint32_t n = r->ncalls;

	if (n > DWT_RING_CALLS)
		n = 0;
	if (n == DWT_RING_CALLS) {
		for (uint32_t i = 1; i < n; i++)
			r->calls[i - 1] = r->calls[i];
		n--;
	}
	r->calls[n].sp = sp;
	r->calls[n].ts = ts;
	r->calls[n].layout = layout;
	r->calls[n].flags = flags;
	r->ncalls = n + 1;
}

/* Pops the call an exit of layout at stack pointer sp ends: 1 and its
 * frame in *c, or 0 when it is not on the stack.  Deeper frames left
 * without a return (longjmp, an exception) are dropped on the way. */
static int calls_pop(struct dwt_ring *r, uint32_t layout, uint64_t sp, struct dwt_call *c)
{
	uint32_t n = r->ncalls;
	int found = 0;

	if (n > DWT_RING_CALLS)
		n = 0;
	while (n && r->calls[n - 1].sp < sp)
		n--;
	if (n && r->calls[n - 1].sp == sp && r->calls[n - 1].layout == layout) {
		n--;
		*c = r->calls[n];
		found = 1;
	}
	r->ncalls = n;
	return found;
}

/* The calls the filter rejected in flight around an entry at stack
 * pointer sp: frames above sp (frames below it were left by a longjmp). */
static uint32_t calls_rejected_above(const struct dwt_ring *r, uint64_t sp)
{
	uint32_t n = r->ncalls, k = 0;

	if (n > DWT_RING_CALLS)
		n = 0;
	for (uint32_t i = 0; i < n; i++)
		k += r->calls[i].sp > sp && (r->calls[i].flags & DWT_CALL_REJECTED);
	return k;
}

/* Whether the entry site s's filter keeps the call (1) or rejects it (0),
 * over the registers in f and the blobs_size bytes of blobs at blobs (NULL
 * before the capture).  A program outside the op area keeps it. */
static int filter_keeps(const struct dwt_site *s, const struct dwt_frame *f, const uint8_t *blobs,
			uint32_t blobs_size)
{
	struct filter_view v = {&f->regs, blobs, blobs_size, (uint32_t)self.tid, (uint32_t)agent_pid};
	uint32_t at = s->filter, size = s->filter_size;

	if (at > agent.nops_max || size > (uint64_t)(agent.nops_max - at) * sizeof(struct dwt_cap_op))
		return 1;
	return filter_run((const uint8_t *)(uintptr_t)agent.ops + (uint64_t)at * sizeof(struct dwt_cap_op), size,
			  s->filter_nops, &v);
}

/* The register state ordinary compiled code may change, saved around the
 * in-process LTTng emitter (glibc's memcpy, lttng-ust, the emitter itself),
 * since the stub never reloads vector registers: every vector register the
 * CPU and kernel enable (zmm0-31 and k0-7 with AVX-512, else ymm0-15 with
 * AVX, else xmm0-15), MXCSR and the x87 control word.  The x87 data
 * registers are left alone (code keeps the x87 stack balanced; the ABI
 * leaves it empty at calls).  Plain moves: XSAVE/XRSTOR of the same state
 * measured 140-160 ns a pair here, the moves 18 ns.  Layout of the area:
 * vector registers at 0, k0-7 at 2048, MXCSR at 2112, x87 CW at 2116. */
#define VSAVE_AREA 2176u

#define Z(op, n) op " %%zmm" #n ", " #n "*64(%0)\n\t"
#define ZL(op, n) op " " #n "*64(%0), %%zmm" #n "\n\t"
#define Y(n) "vmovdqu %%ymm" #n ", " #n "*32(%0)\n\t"
#define YL(n) "vmovdqu " #n "*32(%0), %%ymm" #n "\n\t"
#define X(n) "movdqu %%xmm" #n ", " #n "*16(%0)\n\t"
#define XL(n) "movdqu " #n "*16(%0), %%xmm" #n "\n\t"
#define K(op, n) op " %%k" #n ", 2048+" #n "*8(%0)\n\t"
#define KL(op, n) op " 2048+" #n "*8(%0), %%k" #n "\n\t"
#define EACH8(M, a) M(a, 0) M(a, 1) M(a, 2) M(a, 3) M(a, 4) M(a, 5) M(a, 6) M(a, 7)
#define EACH16(M, a) EACH8(M, a) M(a, 8) M(a, 9) M(a, 10) M(a, 11) M(a, 12) M(a, 13) M(a, 14) M(a, 15)
#define EACH32(M, a)                                                                                          \
	EACH16(M, a) M(a, 16) M(a, 17) M(a, 18) M(a, 19) M(a, 20) M(a, 21) M(a, 22) M(a, 23) M(a, 24) M(a, 25) \
	M(a, 26) M(a, 27) M(a, 28) M(a, 29) M(a, 30) M(a, 31)
#define ONE(M, n) M(n)
#define EACH16_1(M) ONE(M, 0) ONE(M, 1) ONE(M, 2) ONE(M, 3) ONE(M, 4) ONE(M, 5) ONE(M, 6) ONE(M, 7) ONE(M, 8) \
	ONE(M, 9) ONE(M, 10) ONE(M, 11) ONE(M, 12) ONE(M, 13) ONE(M, 14) ONE(M, 15)

static inline __attribute__((always_inline)) void vsave(uint8_t *area)
{
	switch (agent_vsave) {
	case AGENT_VSAVE_AVX512:
		__asm__ volatile(EACH32(Z, "vmovdqu64") : : "r"(area) : "memory");
		if (agent_kmovq)
			__asm__ volatile(EACH8(K, "kmovq") : : "r"(area) : "memory");
		else
			__asm__ volatile(EACH8(K, "kmovw") : : "r"(area) : "memory");
		break;
	case AGENT_VSAVE_AVX:
		__asm__ volatile(EACH16_1(Y) : : "r"(area) : "memory");
		break;
	default:
		__asm__ volatile(EACH16_1(X) : : "r"(area) : "memory");
		break;
	}
	__asm__ volatile("stmxcsr 2112(%0)\n\tfnstcw 2116(%0)" : : "r"(area) : "memory");
}

static inline __attribute__((always_inline)) void vrestore(const uint8_t *area, uint64_t xinuse)
{
	/* ldmxcsr and fldcw cost more than a look: only when they changed. */
	uint32_t mxcsr;
	uint16_t cw;
	__asm__ volatile("stmxcsr %0\n\tfnstcw %1" : "=m"(mxcsr), "=m"(cw));
	if (mxcsr != *(const uint32_t *)(area + 2112))
		__asm__ volatile("ldmxcsr 2112(%0)" : : "r"(area) : "memory");
	if (cw != *(const uint16_t *)(area + 2116))
		__asm__ volatile("fldcw 2116(%0)" : : "r"(area) : "memory");
	switch (agent_vsave) {
	case AGENT_VSAVE_AVX512:
		if (agent_kmovq)
			__asm__ volatile(EACH8(KL, "kmovq") : : "r"(area) : "memory");
		else
			__asm__ volatile(EACH8(KL, "kmovw") : : "r"(area) : "memory");
		__asm__ volatile(EACH32(ZL, "vmovdqu64") : : "r"(area) : "memory");
		break;
	case AGENT_VSAVE_AVX:
		__asm__ volatile(EACH16_1(YL) : : "r"(area) : "memory");
		break;
	default:
		__asm__ volatile(EACH16_1(XL) : : "r"(area) : "memory");
		return;
	}
	/* The upper halves of ymm0-15/zmm0-15 were in their initial state
	 * (zero, XINUSE bits 2 and 6 clear): clean again, or the program's
	 * SSE code would pay for dirty upper halves from now on. */
	if (!(xinuse & ((1u << 2) | (1u << 6))))
		__asm__ volatile("vzeroupper" : : : "memory");
}

/* XINUSE (XGETBV with ECX 1): which state components are not in their
 * initial configuration; all ones when the CPU cannot say. */
static inline __attribute__((always_inline)) uint64_t xinuse(void)
{
	uint32_t lo, hi;

	if (!agent_xinuse)
		return ~UINT64_C(0);
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(1));
	return (uint64_t)hi << 32 | lo;
}

/* Passes the unpublished record h of a DWT_SITE_UST hit to the in-process
 * LTTng emitter, with the vector state saved around the call (vsave). */
static __attribute__((noinline)) void emit_ust(struct dwt_ring *r, const struct dwt_site *s,
					       const struct dwt_rec_hdr *h, uint64_t duration)
{
	uint64_t fn = __atomic_load_n(&agent.ust_emit, __ATOMIC_ACQUIRE);
	/* In the ring, after the record: the emitter's scratch, then the
	 * saved registers (the program's stack carries neither). */
	uint8_t *scratch = (uint8_t *)(((uintptr_t)h + h->size + 63) & ~(uintptr_t)63);
	uint8_t *area = scratch + DWT_UST_SCRATCH;

	if (!fn) {
		r->drops++;
		return;
	}
	if (agent.clock == DWT_CLOCK_TSC)
		duration = (uint64_t)(((unsigned __int128)duration * agent.ust_ns_per_tick) >> 32);
	uint64_t in_use = xinuse();
	vsave(area);
	((void (*)(uint32_t, const void *, uint32_t, uint64_t, uint64_t, void *, uint32_t))(uintptr_t)fn)(
		s->ust_event, h, h->size, duration, s->addr, scratch, DWT_UST_SCRATCH);
	vrestore(area, in_use);
	r->emitted++;
}

void agent_record(uint32_t site_idx, const struct dwt_frame *f)
{
	const struct dwt_site *s = (const struct dwt_site *)(uintptr_t)agent.sites + site_idx;
	uint16_t kind = s->kind, sflags = s->flags;
	uint32_t prog = s->prog, nops = s->nops;
	uint64_t sp = f->regs.gpr[DWT_DW_SP];
	struct dwt_call call = {0, 0, 0, 0};
	int popped = 0, filtered = 0;
	struct dwt_ring *r;

	if (self.nest++) {
		/* A signal handler interrupted this thread inside the agent:
		 * the outer hit owns the ring's head. */
		if (self.ring)
			self.ring->nested++;
		goto out;
	}
	__asm__ volatile("" ::: "memory");
	r = self.ring ? self.ring : claim_ring();
	if (!r)
		goto out;
	/* Before anything is copied: an exit of a call the filter rejected
	 * writes nothing, nor does an entry a register-only filter rejects. */
	if (kind == DWT_REC_EXIT && (sflags & (DWT_SITE_FILTER | DWT_SITE_UST))) {
		popped = calls_pop(r, s->layout, sp, &call);
		if (popped && (call.flags & DWT_CALL_REJECTED))
			goto out;
	}
	if (kind == DWT_REC_ENTRY && (sflags & DWT_SITE_FILTER) && (sflags & DWT_SITE_FILTER_REGS)) {
		if (!filter_keeps(s, f, 0, 0)) {
			if (!(sflags & DWT_SITE_NO_EXIT))
				calls_push(r, s->layout, sp, 0, DWT_CALL_REJECTED);
			r->filtered++;
			goto out;
		}
		filtered = 1;
	}
	if (r->flags & DWT_RING_STALLED) {
		r->drops++;
		goto out;
	}
	if (nops > DWT_MAX_OPS_PER_SITE || prog > agent.nops_max || nops > agent.nops_max - prog) {
		r->drops++;
		goto out;
	}

	const struct dwt_cap_op *ops = (const struct dwt_cap_op *)(uintptr_t)agent.ops + prog;
	uint32_t vregs = (sflags & DWT_SITE_VREGS) ? (uint32_t)sizeof(struct dwt_vregs) : 0;
	uint64_t size = agent.ring_bytes, mask = size - 1;
	uint64_t max = sizeof(struct dwt_rec_hdr) + vregs + capture_max_bytes(ops, nops);
	/* The emitter's scratch follows a record that is never published. */
	uint64_t scratch = (sflags & DWT_SITE_UST) ? DWT_UST_SCRATCH + VSAVE_AREA + 64 : 0;
	uint64_t head = r->head, pos = head & mask, pad = 0;
	uint8_t *data = (uint8_t *)r + DWT_RING_HDR;

	max += scratch;
	if (max > size) {
		r->drops++;
		goto out;
	}
	/* Records never wrap: a PAD record fills the rest of the ring. */
	if (max > size - pos)
		pad = size - pos;
	if (pad + max > size) { /* could never fit: records above half the ring */
		r->drops++;
		goto out;
	}
	if (wait_space(r, head, pad + max) < 0) {
		r->drops++;
		goto out;
	}
	if (pad) {
		/* A record for the emitter is never published: no PAD then. */
		if (!(sflags & DWT_SITE_UST)) {
			struct dwt_rec_hdr *p = (struct dwt_rec_hdr *)(data + pos);
			/* Only size and kind: a PAD may be as short as 8 bytes. */
			p->size = (uint32_t)pad;
			p->kind = DWT_REC_PAD;
			p->flags = 0;
		}
		pos = 0;
	}

	struct dwt_rec_hdr *h = (struct dwt_rec_hdr *)(data + pos);
	uint8_t *body = (uint8_t *)(h + 1);
	h->kind = kind;
	h->flags = vregs ? DWT_REC_VREGS : 0;
	h->site = site_idx;
	h->tid = (uint32_t)self.tid;
	h->ts = now();
	copy64((uint64_t *)&h->regs, (const uint64_t *)&f->regs, sizeof(f->regs) / 8);
	if (vregs) {
		copy64((uint64_t *)body, (const uint64_t *)&f->vregs, sizeof(f->vregs) / 8);
		body += vregs;
	}
	struct capture_mem mem = { &sp, mem_read };
	uint32_t used = capture_run(ops, nops, &f->regs, &mem, body,
				    (uint32_t)(max - scratch - sizeof(*h) - vregs));
	h->size = (uint32_t)(sizeof(*h) + vregs + used);
	if (kind == DWT_REC_ENTRY && (sflags & (DWT_SITE_FILTER | DWT_SITE_UST))) {
		/* The record stays unpublished when the filter rejects it. */
		uint32_t cf = 0;
		if ((sflags & DWT_SITE_FILTER) && !filtered && !filter_keeps(s, f, body, used))
			cf = DWT_CALL_REJECTED;
		if ((sflags & DWT_SITE_UST) || !(sflags & DWT_SITE_NO_EXIT))
			calls_push(r, s->layout, sp, h->ts, cf);
		if (cf) {
			r->filtered++;
			goto out;
		}
	}
	/* Any entry (a layout whose filter dwtrace runs too) may be inside
	 * calls the agent rejected: their count, for its depth. */
	if (kind == DWT_REC_ENTRY && r->ncalls)
		h->flags |= (uint16_t)(calls_rejected_above(r, sp) << DWT_REC_REJECTED_SHIFT);
	if (sflags & DWT_SITE_UST) {
		/* The record was built in the ring's free space and stays
		 * unpublished: the emitter writes the event. */
		uint64_t duration = 0;
		if (popped) {
			duration = h->ts - call.ts;
			if (duration >> 63)
				duration = 0;
		}
		emit_ust(r, s, h, duration);
		goto out;
	}
	__atomic_store_n(&r->head, head + pad + h->size, __ATOMIC_RELEASE);
out:
	__asm__ volatile("" ::: "memory");
	self.nest--;
}

/* Called by a site's stub: site is its index in the site table, f the
 * registers at the probed instruction (on the stub's stack).  Pass-through
 * (returns at once) unless the agent is active and the site LIVE. */
__attribute__((visibility("default"))) void dwt_hit(uint32_t site, struct dwt_frame *f)
{
	if (__builtin_expect(!agent.active, 0))
		return;
	if (__builtin_expect(site >= agent.nsites_max, 0))
		return;
	if (!(((const struct dwt_site *)(uintptr_t)agent.sites)[site].flags & DWT_SITE_LIVE))
		return;
	agent_record(site, f);
}

void agent_forget_rings(void)
{
	/* The child's only thread is the one that forked: its TLS is a copy
	 * of the parent's thread's, whose ring is not the child's (its region
	 * is its own now, see own_region). */
	self.ring = 0;
	self.tid = 0;
	self.nest = 0;
	self.retry = 0;
}
