/* Where a value lives when a probe hits: a list of pieces, each copying bytes
 * from a register or from memory into the value's image.
 *
 * Registers are named by their DWARF numbers, so plans made from the ABI and
 * plans made from DWARF location expressions look alike; the architecture
 * maps numbers to its captured registers. */
#ifndef DWTRACE_FETCH_PLAN_H
#define DWTRACE_FETCH_PLAN_H

#include <stdbool.h>
#include <stdint.h>

enum fetch_piece_kind {
	FETCH_REG, /* the low `size` bytes of register regno */
	FETCH_MEM, /* `size` bytes at address (register regno) + offset */
	/* `size` bytes at the address stored at (register regno) + offset: a
	 * C++ object passed by invisible reference in a stack slot. */
	FETCH_MEM_INDIRECT,
	/* From DWARF location descriptions (dwarf/dw_loc.h, dw_loc_plan): */
	FETCH_CONST,       /* `size` bytes of a constant image at `data` (owned by the
			    * session): DW_AT_const_value, DW_OP_implicit_value, or a
			    * DW_OP_stack_value whose value needs no register */
	FETCH_ABS,         /* `size` bytes of memory at address `offset` (DW_OP_addr,
			    * relocated to where the module is loaded); regno unused */
	/* `size` bytes of what the DWARF expression at `data` (a struct
	 * dw_loc_expr, owned by the session) gives when evaluated at the hit
	 * over the captured registers and memory (dw_loc_eval): its value
	 * for a DW_OP_stack_value expression, else the memory at the address
	 * it computes.  Used only for what the kinds above cannot say. */
	FETCH_EXPR,
	FETCH_OPTIMIZED_OUT, /* `size` bytes that no location describes (an empty
			      * DW_OP_piece): the value is shown unavailable */
};

struct fetch_piece {
	uint8_t kind;
	uint16_t regno;
	uint32_t size;
	uint32_t dest;     /* byte offset in the value's image */
	int64_t offset;
	const void *data;  /* FETCH_CONST, FETCH_EXPR */
};

#define FETCH_MAX_PIECES 8

struct fetch_plan {
	bool available;    /* false: the value cannot be located; shown as unavailable */
	uint32_t size;     /* bytes of the value's image */
	uint8_t npieces;
	struct fetch_piece pieces[FETCH_MAX_PIECES];
	/* When !available: why, in a few words shown to the user ("optimized
	 * out" when DWARF has no location at the probe's pc), static text;
	 * NULL means "optimized out". */
	const char *why;
};

#endif
