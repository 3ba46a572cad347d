/* The capture ops a FETCH_EXPR piece needs (capture_expr.c): the memory
 * dw_loc_eval will read when decode evaluates the expression over the
 * record, where that is computable before the hit. */
#ifndef DWTRACE_CAPTURE_EXPR_H
#define DWTRACE_CAPTURE_EXPR_H

#include <stdint.h>

#include "agent_abi.h"
#include "dw_loc.h"

/* Adds through add (which returns the op's index, or -1 when it does not
 * fit) an op for each memory read of e whose address is a register, a
 * constant or a copied pointer plus a constant: DW_OP_deref(_size),
 * memory pieces, and the whole value of size bytes when e is one memory
 * location; for an entry value away from the entry, the stack from the
 * callee's saved registers below the CFA (the return address at CFA - 8
 * finds the caller's call site) to 512 bytes above it (the caller's
 * frame, where call values of its locals are).  Returns the op
 * holding the whole value's bytes, or -1 when there is none (a register,
 * a stack value, pieces, or an address only known at the hit). */
int capture_expr_ops(const struct dw_loc_expr *e, uint32_t size, int (*add)(void *arg, struct dwt_cap_op op),
		     void *arg);

#endif
