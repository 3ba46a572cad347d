/* What dwtrace and its in-process agent (libdwtrace-agent.so, loaded into
 * the traced program) share: the agent's control object, the site table,
 * capture programs, per-thread rings and the records in them.
 *
 * Fixed-size types only: dwtrace reads and writes these in the program's
 * memory (process_vm_readv/writev, /proc/PID/mem); the agent never calls
 * into dwtrace.  The design is in ../shared/DESIGN.md ("The in-process
 * agent").  Bump DWT_ABI when anything here changes: a dwtrace that finds
 * an agent of another ABI in a process refuses to reuse it. */
#ifndef DWTRACE_AGENT_ABI_H
#define DWTRACE_AGENT_ABI_H

#include <stdint.h>

#if defined(__x86_64__)
#include "../arch/x86_64/agent_regs.h"
#else
#error "the agent supports x86-64 only so far (add src/arch/<arch>/agent_regs.h)"
#endif

#define DWT_MAGIC UINT64_C(0x2165636172747764) /* "dwtrace!" */
#define DWT_ABI 5
/* The agent's exported control object, found by dwtrace in the agent's
 * ELF symbol table (load base from /proc/PID/maps + st_value). */
#define DWT_AGENT_SYMBOL "dwtrace_agent"
#define DWT_AGENT_SONAME "libdwtrace-agent.so"

/* ---- capture programs --------------------------------------------------
 * Compiled by dwtrace from an event layout (probes/capture_prog.c), run at
 * the hit by capture_run() (src/agent/capture_run.c: the same code in the
 * agent and in dwtrace's ptrace engine).  Op i produces blob i of the
 * record, in order. */
enum dwt_cap_kind {
	DWT_CAP_MEM = 1,     /* size bytes at base + offset */
	DWT_CAP_STRING = 2,  /* a NUL-terminated string at base + offset: at most
			      * size bytes, the NUL included when found within them */
	DWT_CAP_MEM_LEN = 3, /* min(len, size) bytes at base + offset, len being the
			      * 8-byte integer at byte len_off of blob len_op */
};

enum dwt_cap_base {
	DWT_BASE_REG = 0,    /* base = register regno (DWARF number) at the hit */
	DWT_BASE_PTR = 1,    /* base = the 8-byte pointer at byte src_off of blob
			      * src_op (an earlier op); when that blob does not
			      * hold those bytes, this blob is unreadable */
	DWT_BASE_ABS = 2,    /* base = 0: offset is the address (a variable at a
			      * fixed address, DW_OP_addr); read without faulting */
};

struct dwt_cap_op {
	uint8_t kind;        /* enum dwt_cap_kind */
	uint8_t base;        /* enum dwt_cap_base */
	uint16_t regno;      /* DWT_BASE_REG */
	uint16_t src_op;     /* DWT_BASE_PTR */
	uint16_t len_op;     /* DWT_CAP_MEM_LEN */
	uint32_t size;       /* bytes, or the most bytes */
	uint32_t src_off;    /* DWT_BASE_PTR */
	uint32_t len_off;    /* DWT_CAP_MEM_LEN */
	uint32_t flags;      /* DWT_OP_STACK: base + offset is in the thread's
			      * stack above its stack pointer (a direct copy
			      * is safe); otherwise the copy must not fault */
	int64_t offset;
};
#define DWT_OP_STACK 1u
#define DWT_MAX_OPS_PER_SITE 64
#define DWT_MAX_RECORD 65536 /* bytes: programs are compiled to stay below */

/* ---- records ------------------------------------------------------------
 * One per hit, in the hitting thread's ring, 8-byte aligned, never split
 * across the ring's end (a DWT_REC_PAD record fills the rest). */
enum dwt_rec_kind {
	DWT_REC_PAD = 0,     /* skip size bytes */
	DWT_REC_ENTRY = 1,
	DWT_REC_EXIT = 2,
};

#define DWT_REC_VREGS 1u     /* struct dwt_vregs follows the registers */
/* ABI 5, entry records: bits 8-15 of flags are the
 * calls the agent's filter rejected that are in flight around this one on
 * its thread (struct dwt_call frames marked DWT_CALL_REJECTED above its
 * stack pointer; at most DWT_RING_CALLS): dwtrace never sees them, and
 * adds them to the call's depth. */
#define DWT_REC_REJECTED_SHIFT 8
#define DWT_REC_REJECTED_MASK 0xff00u

struct dwt_rec_hdr {
	uint32_t size;       /* bytes of the whole record, a multiple of 8 */
	uint16_t kind;       /* enum dwt_rec_kind */
	uint16_t flags;      /* DWT_REC_* */
	uint32_t site;       /* index in the site table */
	uint32_t tid;
	uint64_t ts;         /* struct dwt_agent.clock: TSC ticks or CLOCK_MONOTONIC ns */
	struct dwt_regs regs;
	/* [struct dwt_vregs] when DWT_REC_VREGS, then one blob per op */
};

#define DWT_BLOB_UNREADABLE 1u /* nothing could be read at addr */
#define DWT_BLOB_SHORT 2u      /* fewer bytes than asked: a fault, or a string cut at the limit */

struct dwt_blob {
	uint64_t addr;       /* where the bytes were read (0 when the base was unreadable) */
	uint32_t len;        /* bytes that follow, padded to 8 in the record */
	uint32_t flags;      /* DWT_BLOB_* */
};

/* ---- filter programs (ABI 4) -----------------------------------------
 * An entry-only --filter, compiled by dwtrace (probes/filter_agent.c) from
 * the layout's struct filter_bound and the entry's capture program, run at
 * the hit by filter_run() (src/agent/filter_run.c) over the record being
 * captured: a stack machine whose values are 64-bit integers that may be
 * unavailable (a blob that does not hold the bytes, an unreadable string,
 * a field the layout lacks).  A comparison with an unavailable operand is
 * false (its negation true), as in LTTng and filter_eval().  Straight-line
 * code, no jumps: the steps are bounded by filter_nops.  A program dwtrace
 * did not make well (stack under/overflow, a bad code, a read out of
 * bounds) and a string cut at the capture limit decide nothing: the call
 * is recorded, and dwtrace's own filter decides. */
enum dwt_filter_code {
	DWT_F_LOAD_REG = 1,  /* push size (1, 2, 4, 8) bytes from byte off of register
			      * arg (DWARF number), DWT_F_SIGNED: sign-extended */
	DWT_F_LOAD_BLOB = 2, /* push size bytes at byte off of blob arg */
	DWT_F_CONST = 3,     /* push imm */
	DWT_F_TID = 4,       /* push the hitting thread's id */
	DWT_F_PID = 5,       /* push the process id */
	DWT_F_NONE = 6,      /* push an unavailable value */
	DWT_F_EQ = 7,        /* pop b, pop a, push a OP b (0 or 1) */
	DWT_F_NE = 8,
	DWT_F_LT = 9,        /* DWT_F_LT..DWT_F_GE compare as signed, or as */
	DWT_F_LE = 10,       /* unsigned with DWT_F_UNSIGNED */
	DWT_F_GT = 11,
	DWT_F_GE = 12,
	DWT_F_AND = 13,      /* logical: an unavailable value is false */
	DWT_F_OR = 14,
	DWT_F_NOT = 15,
	DWT_F_BAND = 16,     /* bitwise: unavailable when an operand is */
	DWT_F_BOR = 17,
	DWT_F_BXOR = 18,
	DWT_F_SHL = 19,      /* a shift count outside 0..63 decides nothing */
	DWT_F_SHR = 20,      /* logical, or arithmetic with DWT_F_SIGNED */
	DWT_F_BNOT = 21,
	DWT_F_NEG = 22,
	DWT_F_STR_EQ = 23,   /* push whether blob arg (a DWT_CAP_STRING) equals the
			      * len bytes at byte off of the program (DWT_F_GLOB: a
			      * pattern where '*' matches any run and '\\' quotes the
			      * next byte); unavailable when the blob is unreadable */
	DWT_F_STR_NE = 24,
};
#define DWT_F_SIGNED 1u
#define DWT_F_UNSIGNED 2u
#define DWT_F_GLOB 4u

struct dwt_filter_op {
	uint8_t code;        /* enum dwt_filter_code */
	uint8_t size;        /* loads: 1, 2, 4 or 8 */
	uint8_t flags;       /* DWT_F_SIGNED, DWT_F_UNSIGNED, DWT_F_GLOB */
	uint8_t pad0;
	uint16_t arg;        /* register number or blob index */
	uint16_t pad1;
	uint32_t off;        /* byte offset in the register, blob or program */
	uint32_t len;        /* DWT_F_STR_*: pattern bytes */
	int64_t imm;         /* DWT_F_CONST */
};
#define DWT_FILTER_MAX_OPS 256
#define DWT_FILTER_STACK 32
#define DWT_FILTER_MAX_BYTES 16384 /* a program and its strings */

/* ---- sites ----------------------------------------------------------------
 * One per patched instruction, written by dwtrace before the patch. */
#define DWT_SITE_VREGS 1u    /* the stub stored xmm0-7 and st(0) (struct dwt_vregs) */
#define DWT_SITE_TRAP 2u     /* an int3 the agent's SIGTRAP handler serves */
#define DWT_SITE_LIVE 4u     /* records are written (cleared: the site is pass-through) */
#define DWT_SITE_UST 8u      /* the hit goes to the in-process LTTng emitter (event
			      * ust_event, struct dwt_agent.ust_emit) instead of the
			      * ring: src/agent/ust_abi.h */
/* The layout has a --filter the agent runs (struct dwt_site.filter): at an
 * entry site the filter decides, and the call is pushed on the ring's call
 * stack (struct dwt_call) marked rejected or not; at an exit site the
 * call's frame is popped, and a rejected call's exit writes nothing. */
#define DWT_SITE_FILTER 16u
/* The entry's filter reads registers, tid and pid only: it runs before the
 * capture program, so that a rejected call copies nothing. */
#define DWT_SITE_FILTER_REGS 32u
/* A DWT_SITE_FILTER entry site of a function without exit sites: its
 * calls are not pushed (nothing would pop them). */
#define DWT_SITE_NO_EXIT 64u

struct dwt_site {
	uint64_t addr;       /* the probed instruction, in the program's code */
	uint64_t resume;     /* DWT_SITE_TRAP: where the handler sends the thread
			      * (the out-of-line copy of the displaced instruction) */
	uint32_t layout;     /* dwtrace's layout id (the agent does not use it) */
	uint16_t kind;       /* DWT_REC_ENTRY or DWT_REC_EXIT */
	uint16_t flags;      /* DWT_SITE_* */
	uint32_t prog;       /* index of the first op in the op area */
	uint32_t nops;
	/* What dwtrace wrote over the program's code for this site, so that a
	 * later dwtrace can put it back after this one died (SIGKILL) without
	 * restoring: patch_len bytes at patch_addr (a jump to the stub, or
	 * the int3), whose original bytes are orig.  patch_len 0: none. */
	uint64_t patch_addr;
	uint8_t patch_len;
	uint8_t orig[15];
	uint32_t ust_event;  /* DWT_SITE_UST: the emitter's slot (struct dwt_ust_event_desc.slot) */
	uint32_t pad;
	/* ABI 4, DWT_SITE_FILTER entry sites: the filter program, compiled by
	 * dwtrace from the layout's --filter (probes/filter_agent.c), in the
	 * op area: filter_size bytes from op slot filter (struct dwt_cap_op
	 * slots, 32 bytes each), of which the first filter_nops * 24 are
	 * struct dwt_filter_op and the rest the strings they compare with. */
	uint32_t filter;
	uint32_t filter_nops;
	uint32_t filter_size;
	uint32_t pad5;
};

/* ---- rings ------------------------------------------------------------------
 * Single producer (the owning thread), single consumer (dwtrace).  head and
 * tail count bytes since the ring was claimed; data starts DWT_RING_HDR bytes
 * into the ring.  The producer publishes a record with a store-release of
 * head; the consumer frees space with a store (process_vm_writev) of tail. */
#define DWT_RING_HDR 4096
#define DWT_RING_STALLED 1u  /* a hit timed out waiting for space: hits drop
			      * (counted) until the consumer frees space and clears it */

/* A call in flight on the ring's thread, for the durations of the exit
 * events the in-process LTTng emitter writes (DWT_SITE_UST sites), and for
 * the exits of calls a filter rejected (DWT_SITE_FILTER sites): pushed
 * at an entry, matched at the exit by layout and stack pointer (equal at a
 * function's first instruction and at its ret or tail jump); frames left
 * without a return (longjmp, exceptions) are dropped when an exit finds
 * them below its stack pointer. */
struct dwt_call {
	uint64_t sp;
	uint64_t ts;               /* the entry hit's struct dwt_rec_hdr.ts */
	uint32_t layout;
	uint32_t flags;            /* DWT_CALL_REJECTED */
};
/* The site's filter rejected the call: its exit writes nothing. */
#define DWT_CALL_REJECTED 1u
#define DWT_RING_CALLS 64
/* Bytes of the ring after a DWT_SITE_UST record lent to the emitter. */
#define DWT_UST_SCRATCH 32768u

struct dwt_ring {
	volatile int32_t owner;    /* tid; 0 free (claimed by compare-and-swap) */
	volatile uint32_t flags;   /* DWT_RING_* */
	uint64_t pad0[7];
	volatile uint64_t head;    /* written by the owner */
	uint64_t pad1[7];
	volatile uint64_t tail;    /* written by dwtrace */
	uint64_t pad2[7];
	volatile uint64_t drops;   /* records dropped: no space within the bound, or stalled */
	volatile uint64_t nested;  /* hits dropped: the thread was in the agent already */
	volatile uint64_t emitted; /* DWT_SITE_UST hits passed to the emitter */
	uint64_t pad3[5];
	/* DWT_SITE_UST and DWT_SITE_FILTER sites only; written by the owner */
	uint32_t ncalls;
	uint32_t pad4;
	struct dwt_call calls[DWT_RING_CALLS];
	/* ABI 4: calls the agent's filter rejected on this thread (no record
	 * at their entry nor at their exit) */
	volatile uint64_t filtered;
};

/* ---- the agent's control object ------------------------------------------- */
enum dwt_clock {
	DWT_CLOCK_TSC = 0,       /* rdtsc: dwtrace converts (constant_tsc, nonstop_tsc) */
	DWT_CLOCK_MONOTONIC = 1, /* clock_gettime(CLOCK_MONOTONIC) as a raw system call */
};

struct dwt_agent {
	uint64_t magic;           /* DWT_MAGIC once initialized */
	uint32_t abi;             /* DWT_ABI */
	volatile int32_t status;  /* 0 initializing, 1 ready, < 0: -errno of the failed step */
	/* 1: live sites record; 0: every probe is pass-through.  Set by
	 * dwtrace; cleared by the watchdog when the reader is gone and in a
	 * fork child. */
	volatile uint32_t active;
	volatile int32_t reader_pid;  /* dwtrace; the watchdog watches its pidfd */
	volatile uint32_t generation; /* bumped by dwtrace at each attach */
	uint32_t clock;           /* enum dwt_clock, set by dwtrace before active */
	uint32_t wait_us;         /* longest a hit waits for ring space (dwtrace sets; default 1000) */
	uint32_t pad0;
	uint64_t hit;             /* address of dwt_hit(uint32_t site, struct dwt_frame *) */
	uint64_t sites;           /* struct dwt_site[nsites_max] */
	uint32_t nsites_max, nsites;
	uint64_t ops;             /* struct dwt_cap_op[nops_max] */
	uint32_t nops_max, nops;
	/* DWT_SITE_TRAP sites by address: open addressing, key addr (0 empty),
	 * value site index + 1; ntraps_max is a power of two. */
	uint64_t traps;           /* struct dwt_trap[ntraps_max] */
	uint32_t ntraps_max, pad1;
	uint64_t rings;           /* ring i at rings + i * ring_stride */
	uint32_t nrings;
	uint32_t ring_bytes;      /* data bytes per ring, a power of two */
	uint64_t ring_stride;
	/* counters, written by the agent */
	volatile uint64_t no_ring;      /* hits dropped: every ring taken */
	volatile uint64_t traps_foreign;/* SIGTRAPs not ours, passed to the program's handler */
	volatile uint64_t hits;         /* hits recorded (all threads) -- for the bench; may be 0 */
	uint64_t reserved[8];
	/* The rings, site table, op area and trap table are in one memfd
	 * mapped MAP_SHARED at shared (shared_size bytes): dwtrace maps
	 * /proc/PID/fd/memfd too, so that what a thread wrote just before the
	 * process exited can still be read.  A fork child shares it, and
	 * stops writing when its atfork handler clears active. */
	int32_t memfd;
	uint32_t pad2;
	uint64_t shared;
	uint64_t shared_size;
	/* The generation whose reader_pid the watchdog watches (has a pidfd
	 * for): dwtrace bumps generation, lets the program run, waits for
	 * this to match, then sets active, so that the watchdog can never
	 * clear active on behalf of a previous reader's death.  0 in a fork
	 * child (no watchdog there: threads do not survive fork). */
	volatile uint32_t watch_generation;
	volatile int32_t watchdog_tid;  /* the watchdog thread; 0 when there is none */
	/* times the program replaced the agent's SIGTRAP handler and the
	 * watchdog put it back (chaining to the program's) */
	volatile uint64_t traps_rearmed;
	/* long dwt_arm_traps(uint64_t on): installs the agent's SIGTRAP handler
	 * (on 1), or gives the program its own action back (on 0); dwtrace
	 * calls it in a stopped thread before it writes the first int3 and
	 * after it took the last out.  Until then the program's SIGTRAP
	 * action is untouched.  0 or -errno. */
	uint64_t arm_traps;
	volatile uint32_t traps_armed;  /* 1 while the handler is the agent's */
	uint32_t pad3;
	/* The in-process LTTng emitter (src/agent/ust_abi.h): its mailbox,
	 * in the shared region (struct dwt_ust_mailbox, then the description
	 * blob; ust_size bytes in all), and
	 * void dwt_ust_emit(uint32_t slot, const void *record, uint32_t size,
	 *                   uint64_t duration_ns, uint64_t ip,
	 *                   void *scratch, uint32_t scratch_size)
	 * once libdwtrace-ust.so is loaded (0 before): called on the hitting
	 * thread with the record of a DWT_SITE_UST hit (a struct dwt_rec_hdr
	 * and what follows, as in a ring, never published), the duration of
	 * the call for exits (0 when unknown), the probed instruction's
	 * address, and DWT_UST_SCRATCH bytes of the thread's ring after the
	 * record (64-byte aligned) for the emitter's buffers, so that the program's
	 * thread stack carries only what a compiled-in tracepoint needs;
	 * vector registers may be used (the agent saved them). */
	uint64_t ust;
	uint64_t ust_size;
	volatile uint64_t ust_emit;
	/* With clock DWT_CLOCK_TSC: ns per tick in 32.32 fixed point, for the
	 * durations the agent passes to ust_emit (written by dwtrace, refined
	 * as its clock fit improves). */
	volatile uint64_t ust_ns_per_tick;
};

_Static_assert(sizeof(struct dwt_ring) <= DWT_RING_HDR, "the ring header outgrew DWT_RING_HDR");

struct dwt_trap {
	uint64_t addr;
	uint64_t site;            /* site index + 1 */
};

/* What a stub passes to dwt_hit: the registers as they were at the probed
 * instruction, and the vector registers when the site has DWT_SITE_VREGS. */
struct dwt_frame {
	struct dwt_regs regs;
	struct dwt_vregs vregs;
};

#endif
