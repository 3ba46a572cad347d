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
};

struct fetch_piece {
	uint8_t kind;
	uint16_t regno;
	uint32_t size;
	uint32_t dest;     /* byte offset in the value's image */
	int64_t offset;
};

#define FETCH_MAX_PIECES 4

struct fetch_plan {
	bool available;    /* false: the value cannot be located; shown as unavailable */
	uint32_t size;     /* bytes of the value's image */
	uint8_t npieces;
	struct fetch_piece pieces[FETCH_MAX_PIECES];
};

#endif
