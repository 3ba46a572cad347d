/* What dwtrace, its agent (libdwtrace-agent.so) and its in-process LTTng-UST
 * emitter (libdwtrace-ust.so) share for --lttng/--ctf with the agent
 * engine: the description of the events dwtrace builds from DWARF (a
 * compact, position-independent blob), and the mailbox through which
 * dwtrace asks the emitter to register them with lttng-ust.
 *
 * The flow:
 *  1. dwtrace loads libdwtrace-ust.so into the program with the agent's
 *     loader (a thread of the agent's own dlopens it; the library's
 *     DT_NEEDED liblttng-ust.so.1 is loaded and its constructor registers
 *     the program with the session daemon on that thread, so no thread of
 *     the program waits for it).  The emitter's constructor finds the agent
 *     (dlopen("libdwtrace-agent.so", RTLD_NOLOAD): its DT_SONAME), stores
 *     dwt_ust_emit in struct dwt_agent.ust_emit, starts its control
 *     thread, registers its fork handlers (those of liblttng-ust-fork:
 *     lttng_ust_before_fork, lttng_ust_after_fork_parent/child) and sets
 *     struct dwt_ust.status (its exported DWT_UST_SYMBOL) to 1.
 *  2. dwtrace writes a description (struct dwt_ust_desc) at
 *     struct dwt_ust_mailbox.desc, sets desc_size, bumps request and wakes
 *     the control thread (FUTEX_WAKE on request: the mailbox is in the
 *     agent's MAP_SHARED memfd region, which dwtrace maps too).
 *  3. The control thread builds the lttng-ust event descriptions, registers
 *     the events it does not have yet (lttng_ust_probe_register,
 *     lttng_ust_tracepoint_module_register), writes each event's slot
 *     (struct dwt_ust_event_desc.slot) into the blob, then sets result and
 *     done = request.  An event it registered earlier (an earlier dwtrace)
 *     with the same provider, name and fields is reused: same slot.
 *  4. dwtrace sets struct dwt_site.ust_event = slot and DWT_SITE_UST on the
 *     sites; the agent's hot path then, instead of publishing a record in
 *     the ring, passes the record (built in the ring's free space, never
 *     published) to dwt_ust_emit on the hitting thread, with the vector
 *     state saved around the call (xsave/xrstor).
 *
 * Fixed-size types only; offsets are bytes from the start of the blob.
 * Bump DWT_UST_ABI when anything here changes. */
#ifndef DWTRACE_UST_ABI_H
#define DWTRACE_UST_ABI_H

#include <stdint.h>

#define DWT_UST_ABI 2
#define DWT_UST_MAGIC UINT64_C(0x7473752d65636177) /* "wace-ust" */
#define DWT_UST_SYMBOL "dwtrace_ust"
#define DWT_UST_SONAME "libdwtrace-ust.so"

/* ---- the emitter's exported control object --------------------------- */
struct dwt_ust {
	uint64_t magic;           /* DWT_UST_MAGIC once initialized */
	uint32_t abi;             /* DWT_UST_ABI */
	volatile int32_t status;  /* 0 initializing, 1 ready, < 0: -errno of the failed step */
	char error[256];          /* when status < 0: why, one line */
	/* Events written into LTTng by the program's threads (all slots), and
	 * events not written because the channel had no room or the filter
	 * rejected them are lttng-ust's business (it counts discarded events
	 * in the trace itself). */
	volatile uint64_t emitted;
	uint64_t reserved[8];
};

/* ---- the mailbox, in the agent's shared region (struct dwt_agent.ust) - */
#define DWT_UST_DESC_MAX (1u << 22) /* bytes of description dwtrace may write */

struct dwt_ust_mailbox {
	volatile uint32_t request;  /* bumped by dwtrace after writing the blob; the futex word */
	volatile uint32_t done;     /* the emitter sets it to request when handled */
	volatile int32_t result;    /* 0, or -errno of the failed request */
	uint32_t desc_size;         /* bytes of the blob at desc */
	char error[256];            /* result < 0: why, one line */
	uint64_t pad[8];
	/* the blob follows, at offset DWT_UST_MAILBOX_HDR of the mailbox */
};
#define DWT_UST_MAILBOX_HDR 4096u

/* ---- the description blob ---------------------------------------------- */
#define DWT_UST_DESC_MAGIC 0x63736564u /* "desc" */

struct dwt_ust_desc {
	uint32_t magic;           /* DWT_UST_DESC_MAGIC */
	uint32_t size;            /* bytes of the whole blob */
	uint32_t provider;        /* string: the provider name (a CTF identifier) */
	uint32_t nevents;
	uint32_t events;          /* struct dwt_ust_event_desc[nevents] */
	uint32_t flags;           /* 0 */
};

/* One value image per parameter (entry events) or for the return value
 * (exit events): the bytes decode_fetch() would assemble from the fetch
 * plan's pieces (dwarf/fetch_plan.h), read here from the captured record
 * (registers, vector registers, blobs: probes/record.h). */
#define DWT_UST_MAX_PIECES 4
#define DWT_UST_MAX_IMAGE 4096u   /* bytes; a bigger value's fields are unavailable */

enum dwt_ust_piece_kind {
	DWT_UST_PIECE_REG = 0,        /* size low bytes of DWARF register regno */
	DWT_UST_PIECE_MEM = 1,        /* size bytes at register regno + offset */
	DWT_UST_PIECE_MEM_INDIRECT = 2, /* size bytes at the pointer stored at regno + offset */
	DWT_UST_PIECE_ABS = 3,        /* size bytes at address offset (FETCH_ABS) */
	DWT_UST_PIECE_CONST = 4,      /* size (<= 8) bytes of offset, little endian (FETCH_CONST) */
};

struct dwt_ust_piece {
	uint8_t kind;             /* enum dwt_ust_piece_kind (= FETCH_REG/MEM/MEM_INDIRECT/CONST/ABS) */
	uint8_t pad;
	uint16_t regno;
	uint32_t size;
	uint32_t dest;            /* byte offset in the image */
	uint32_t pad2;
	int64_t offset;
};

struct dwt_ust_image {
	uint32_t size;            /* bytes (<= DWT_UST_MAX_IMAGE) */
	uint8_t available;        /* 0: cannot be located; every field from it is unavailable */
	uint8_t npieces;
	uint16_t pad;
	struct dwt_ust_piece pieces[DWT_UST_MAX_PIECES];
};

/* The type of a field as LTTng sees it (lttng/ust-events.h). */
enum dwt_ust_type {
	DWT_UST_INT = 1,          /* integer of size bytes, is_signed, base 10 or 16 */
	DWT_UST_ENUM = 2,         /* integer container of size bytes + entries */
	DWT_UST_FLOAT = 3,        /* size 4 (float) or 8 (double) */
	DWT_UST_STRING = 4,       /* NUL-terminated UTF-8 */
	DWT_UST_CHARS = 5,        /* a char array of length bytes (ctf_array_text) */
	DWT_UST_DEC128 = 6,       /* a 128-bit integer written as its decimal digits (string) */
};

/* Where a field's value comes from. */
enum dwt_ust_from {
	DWT_UST_FROM_IMAGE = 0,   /* image `image`, at offset (and bit_offset/bit_size) */
	DWT_UST_FROM_PID = 1,     /* the traced pid (dwtrace-side emission only) */
	DWT_UST_FROM_TID = 2,     /* the traced tid (dwtrace-side emission only) */
	DWT_UST_FROM_DURATION = 3,/* exit events: ns since the matching entry (0 when unknown) */
	DWT_UST_FROM_STACK = 4,   /* entry events with --stack (dwtrace-side emission only) */
};

/* How the bytes at the source become the value. */
enum dwt_ust_deref {
	DWT_UST_DIRECT = 0,       /* the bytes themselves */
	DWT_UST_CSTRING = 1,      /* an 8-byte char * whose string (at most length bytes) is read */
	DWT_UST_CXXSTRING = 2,    /* std::string / string_view: data pointer at +cxx_ptr,
				   * size at +cxx_len (8 bytes each); at most length bytes read */
};

/* The format of a floating value in the image (DWT_UST_FLOAT). */
enum dwt_ust_float_src {
	DWT_UST_F32 = 4,
	DWT_UST_F64 = 8,
	DWT_UST_F80 = 10,         /* x87 extended (long double on x86-64, 16 bytes in the image) */
	DWT_UST_F128 = 16,        /* IEEE binary128 (__float128, _Float128) */
};

struct dwt_ust_field {
	uint32_t name;            /* string: a CTF identifier */
	uint8_t type;             /* enum dwt_ust_type */
	uint8_t size;             /* INT/ENUM: 1, 2, 4, 8; FLOAT: 4 or 8 (as written) */
	uint8_t is_signed;
	uint8_t base;             /* INT: 10 or 16 */
	uint8_t nofilter;         /* 1: not visible to filters (lttng_ust_event_field.nofilter) */
	uint8_t from;             /* enum dwt_ust_from */
	uint8_t deref;            /* enum dwt_ust_deref */
	uint8_t float_src;        /* FLOAT: enum dwt_ust_float_src */
	uint16_t image;           /* FROM_IMAGE: index in the event's images */
	uint16_t bit_size;        /* 0: whole bytes; else a bit field of bit_size bits */
	uint32_t offset;          /* byte offset in the image */
	uint32_t bit_offset;      /* bit field: bits from offset (little-endian) */
	uint32_t src_size;        /* INT/ENUM/DEC128: bytes of the value in the image (sign-
				   * or zero-extended to size); FLOAT: = float_src size */
	uint32_t length;          /* CHARS: array length; STRING: most bytes read */
	uint32_t cxx_ptr, cxx_len;/* CXXSTRING offsets */
	uint32_t nentries;        /* ENUM */
	uint32_t entries;         /* struct dwt_ust_enum_entry[nentries] */
	uint32_t enum_name;       /* ENUM: string, the enumeration's name */
	uint32_t pad;
};

struct dwt_ust_enum_entry {
	int64_t value;
	uint32_t name;            /* string */
	uint8_t is_signed;        /* the value is negative and signed */
	uint8_t pad[3];
};

struct dwt_ust_event_desc {
	uint32_t name;            /* string: the event name without the provider ("f_entry") */
	uint16_t kind;            /* DWT_REC_ENTRY or DWT_REC_EXIT (agent_abi.h) */
	uint16_t nimages;
	uint32_t images;          /* struct dwt_ust_image[nimages] */
	uint32_t nfields;
	uint32_t fields;          /* struct dwt_ust_field[nfields] */
	uint32_t align;           /* the largest field alignment in the ring buffer (bytes) */
	uint32_t slot;            /* written by the emitter: its table index + 1 (0: failed) */
	uint32_t pad;
};

#endif
