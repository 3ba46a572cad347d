/* DWARF location descriptions: a pure evaluator, and where a function's
 * parameters and the variables in scope are at a code address.
 *
 * The evaluator (dw_loc_eval) follows DWARF 5 section 2.5 (DWARF
 * expressions: stack operations, arithmetic, deref, call_frame_cfa, fbreg,
 * entry_value) and section 2.6 (location descriptions: register, memory,
 * implicit value, implicit pointer, composite pieces).  It reads registers,
 * memory, the frame base, the CFA and entry values only through a struct
 * dw_loc_env, so it runs over a captured record (decode, either engine)
 * and over hand-built inputs in unit tests alike.  libdw hands out the
 * expressions (dwarf_getlocation_addr) but evaluates none.
 *
 * Nothing here prints or exits. */
#ifndef DWTRACE_DW_LOC_H
#define DWTRACE_DW_LOC_H

#include <elfutils/libdw.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dw_session.h"
#include "fetch_plan.h"

/* ---- the evaluator -------------------------------------------------- */

/* An expression with what evaluating it at one pc needs besides registers
 * and memory.  Owned by the session that made it (dw_loc_plan), or by the
 * caller in tests. */
struct dw_loc_expr {
	const Dwarf_Op *ops;
	size_t nops;
	/* DW_OP_fbreg's frame base at this pc: the subprogram's
	 * DW_AT_frame_base already resolved at pc (itself an expression,
	 * usually DW_OP_call_frame_cfa); NULL when none. */
	const struct dw_loc_expr *frame_base;
	/* DW_OP_call_frame_cfa at this pc: the CFI's CFA rule as an
	 * expression (libdw's dwarf_frame_cfa gives DW_OP_bregN off for a
	 * register+offset rule); NULL when the CFI does not cover pc. */
	const struct dw_loc_expr *cfa;
	uint64_t pc;                 /* where it is evaluated (load address) */
	/* DW_OP_addr / DW_OP_addrx operands are link-time addresses: add bias. */
	uint64_t bias;
	/* DW_OP_entry_value / DW_OP_GNU_entry_value: at a function's first
	 * instruction the entry value of a register is the register itself;
	 * at_entry says pc is that instruction.  Elsewhere entry values come
	 * from env->entry_value, or are unavailable. */
	bool at_entry;
	/* The module the expression comes from, for entry_value and
	 * implicit_pointer lookups; NULL in unit tests. */
	Dwarf *dwarf;
	/* DW_OP_piece/bit_piece/implicit_value blocks and DW_OP_implicit_pointer
	 * DIE offsets refer into this CU (libdw ops' `number2` pointers stay
	 * valid as long as the Dwarf). */
	/* (Added by helper A.)  Entry values away from the entry, through the
	 * caller's DW_TAG_call_site (DWARF 5 section 3.4.2,
	 * dw_loc_entry_value): the session whose modules' call sites are
	 * looked up by return address (opaque, indexed once per module as
	 * needed: decode runs on one thread; NULL: none), and where the
	 * caller's registers are at pc by the CFI. */
	const void *call_sites;
	const struct dw_caller_regs *caller_regs;
};

/* Where the caller's value of each general register (DWARF 0-16) is at a
 * pc of the callee, from the CFI's register rules (DWARF 5 section 6.4.1):
 * the register itself (same value), the 8 bytes at CFA + offset (saved
 * there), or unknown.  The caller's rsp is the CFA; its rip the return
 * address at CFA - 8 (x86-64). */
enum dw_caller_reg_kind {
	DW_CALLER_REG_UNKNOWN = 0,
	DW_CALLER_REG_SAME,
	DW_CALLER_REG_AT_CFA,
};

#define DW_CALLER_NREGS 17

struct dw_caller_regs {
	uint8_t kind[DW_CALLER_NREGS];
	int64_t offset[DW_CALLER_NREGS]; /* DW_CALLER_REG_AT_CFA */
};

/* The kinds of location a piece of an evaluated expression has (DWARF 5
 * section 2.6.1.1: register, memory, implicit and empty locations). */
enum dw_loc_kind {
	DW_LOC_REG,          /* in register regno */
	DW_LOC_MEM,          /* in memory at addr */
	DW_LOC_VALUE,        /* DW_OP_stack_value: value is the datum itself (little endian) */
	DW_LOC_IMPLICIT,     /* DW_OP_implicit_value: len bytes at bytes */
	DW_LOC_IMPLICIT_PTR, /* DW_OP_implicit_pointer: a pointer to the variable at
			      * DIE offset die, plus ptr_offset bytes, that has no address */
	DW_LOC_EMPTY,        /* no location: optimized out (an empty piece) */
};

/* One piece of an evaluated location (DWARF 5 section 2.6.1.2), its fields
 * used by kind as marked; bytes point into the expression's data (not
 * owned, valid as long as the expression). */
struct dw_loc_piece {
	enum dw_loc_kind kind;
	unsigned regno;              /* DW_LOC_REG */
	uint64_t addr;               /* DW_LOC_MEM */
	uint64_t value;              /* DW_LOC_VALUE */
	const uint8_t *bytes;        /* DW_LOC_IMPLICIT (not owned) */
	uint64_t len;
	uint64_t die;                /* DW_LOC_IMPLICIT_PTR */
	int64_t ptr_offset;
	/* Size of the piece in bits; 0 when the expression has no DW_OP_piece
	 * (one location for the whole value).  bit_offset: DW_OP_bit_piece's
	 * offset into the location. */
	uint64_t size_bits;
	uint64_t bit_offset;
};

#define DW_LOC_MAX_PIECES 16

/* What dw_loc_eval gives: the pieces of a value in the expression's order
 * (the first at the value's lowest byte), one piece for a location
 * without DW_OP_piece; at most DW_LOC_MAX_PIECES. */
struct dw_loc_result {
	struct dw_loc_piece pieces[DW_LOC_MAX_PIECES];
	size_t npieces;
};

/* What the evaluator may read.  Each callback returns 0, or -1 when the
 * datum is not available (not captured, unreadable). */
struct dw_loc_env {
	void *arg;
	/* The full 64-bit value of DWARF register regno (x86-64: 0-16 the
	 * general registers and rip; vector registers are read as pieces by
	 * the caller, never through this). */
	int (*reg)(void *arg, unsigned regno, uint64_t *val);
	/* size bytes (1..8 for deref, any for the caller) at addr. */
	int (*mem)(void *arg, uint64_t addr, void *buf, size_t size);
	/* The value DW_OP_entry_value's sub-expression (ops, n) had when the
	 * current function was entered (through the caller's
	 * DW_TAG_call_site_parameter); NULL or -1: unavailable. */
	int (*entry_value)(void *arg, const struct dw_loc_expr *e, const Dwarf_Op *ops, size_t n, uint64_t *val);
};

/* (Added by helper A.)  The entry value of the sub-expression ops[0..n) of
 * e (DW_OP_entry_value's operand, a register location DW_OP_regN/regx or
 * DW_OP_regval_type),
 * away from the entry: reads the CFA (e->cfa) and the return address at
 * CFA - 8 through env, finds the caller's DW_TAG_call_site (or
 * DW_TAG_GNU_call_site) whose return address it is, in whichever module
 * of the session e->call_sites the return address is, its
 * DW_TAG_call_site_parameter for that register, and evaluates its
 * DW_AT_call_value in the caller's frame (registers by e->caller_regs).
 * Returns 0 and *val, or -1 (no call site known, no parameter for the
 * register, a value that needs what was not captured). */
int dw_loc_entry_value(const struct dw_loc_expr *e, const struct dw_loc_env *env, const Dwarf_Op *ops, size_t n,
		       uint64_t *val);

/* Evaluates e at e->pc.  Returns 0 and the location in *out (npieces >= 1),
 * or -1 with why in *why (static text: "optimized out" when a datum is
 * unavailable, "unsupported DWARF operation" for an opcode it does not
 * know, "malformed DWARF expression" for a stack underflow, a bad piece or a
 * deref size, ...): never a guessed value. */
int dw_loc_eval(const struct dw_loc_expr *e, const struct dw_loc_env *env, struct dw_loc_result *out,
		const char **why);

/* Reads the value of the location r for a value of size bytes into buf:
 * registers through reg_bytes (the low bytes of any DWARF register,
 * vector ones included: 0 or -1), memory through env->mem, implicit and
 * stack values from r.  Returns 0, or -1 with why (an empty piece:
 * "optimized out"; an implicit pointer: "implicit pointer"). */
int dw_loc_read(const struct dw_loc_result *r, size_t size, const struct dw_loc_env *env,
		int (*reg_bytes)(void *arg, unsigned regno, void *buf, size_t size), uint8_t *buf,
		const char **why);

/* The bytes of the block operand of op (DW_OP_implicit_value,
 * DW_OP_entry_value/GNU_entry_value): libdw's number is the block's length
 * and number2 points at the block *with* its ULEB128 length before it
 * (libdw/dwarf_getlocation.c: "start of block inc. len.").  NULL when
 * that length does not read as number.  (Added by helper A.) */
const uint8_t *dw_loc_op_block(const Dwarf_Op *op);

/* Parses the raw DWARF expression block p (len bytes: DW_OP_entry_value's
 * operand, number2/number of its Dwarf_Op) into ops (at most max), with
 * operands as libdw gives them.  Only the ops an entry value's
 * sub-expression holds in practice (reg*, regx, regval_type, breg*, bregx,
 * fbreg, lit*, const1u, constu, consts, deref, deref_size, plus, minus,
 * plus_uconst, stack_value, call_frame_cfa, nop).  Returns the count, or
 * 0 for anything else or a truncated block.  (Added by helper A.) */
size_t dw_loc_parse_block(const uint8_t *p, size_t len, Dwarf_Op *ops, size_t max);

/* ---- variables at a code address ------------------------------------ */

/* A parameter or variable of the function at a pc, and where it is there. */
struct dw_var {
	const char *name;            /* "argN" for an unnamed parameter */
	const struct dw_type *type;
	bool is_param;
	bool unnamed;
	bool artificial;             /* DW_AT_artificial (this, Go's ~r0 results are not) */
	/* Where it is at pc: pieces of registers, memory relative to
	 * registers, constants; FETCH_EXPR for the rest.  !available (why
	 * set) when DWARF gives no location covering pc. */
	struct fetch_plan plan;
	/* Block depth: 0 for the function's own parameters and outermost
	 * locals; each nested DW_TAG_lexical_block or inlined subroutine
	 * containing pc adds one. */
	int depth;
	/* Set for the parameters and variables of an inlined subroutine
	 * containing pc: its name. */
	const char *inlined_in;
};

/* What is in scope at a code address of a module. */
struct dw_scope {
	uint64_t pc;                 /* load address */
	const char *function;        /* the concrete (outermost) function's name, NULL: no DWARF subprogram covers pc */
	uint64_t function_start;     /* its entry (load address) */
	const char *file;            /* the line table's row for pc; NULL when none */
	int line;
	bool is_stmt;                /* the row starts a statement */
	/* The outermost function's parameters, in declaration order, located at pc. */
	struct dw_var *params;
	size_t nparams;
	/* Every other variable in scope at pc, innermost block first (then
	 * declaration order): locals, and the parameters and locals of the
	 * inlined subroutines containing pc. */
	struct dw_var *locals;
	size_t nlocals;
	/* The inlined subroutines containing pc, innermost first. */
	const char **inlined;
	size_t ninlined;
};

/* Where each variable in scope at pc (a load address in m) is, as plans over
 * the registers and memory a hit captures.  Returns 0 and *out (owned by m,
 * built once per pc), or -ENOENT when m has no DWARF subprogram covering
 * pc, -errno otherwise (message in dw_session_error). */
int dw_scope_at(struct dw_module *m, uint64_t pc, const struct dw_scope **out);

/* The plans of f's parameters at pc (a load address in f's code, f->addr
 * for its entry), from DWARF locations instead of the calling convention
 * (compiler clones, other languages, inlined copies, mid-function probes):
 * plans[f->nparams].  A parameter no location covers at pc is !available;
 * one the clone no longer receives but whose DW_AT_const_value DWARF gives
 * is a FETCH_CONST.  Returns 0, or -ENOENT when f has no DWARF subprogram. */
int dw_function_plan_params_at(const struct dw_function *f, uint64_t pc, struct fetch_plan *plans);

/* The plan of the variable or parameter DIE die (of m's DWARF) at pc, within
 * the subprogram DIE subprogram (its frame base): what dw_scope_at and
 * dw_function_plan_params_at build each plan with.  size: the bytes of its
 * type.  Never fails: what it cannot locate is !available with why. */
void dw_loc_plan(struct dw_module *m, Dwarf_Die *die, Dwarf_Die *subprogram, uint64_t pc, uint32_t size,
		 struct fetch_plan *out);

/* Whether op names a register as the location (DW_OP_reg0..31, DW_OP_regx;
 * DWARF 5 section 2.6.1.1.3): true with *regno its DWARF register number. */
bool dw_op_reg(const Dwarf_Op *op, unsigned *regno);

/* Whether op is a register plus offset (DW_OP_breg0..31, DW_OP_bregx; DWARF 5
 * section 2.5.1.2): true with *regno the DWARF register number, *off the
 * signed offset in bytes. */
bool dw_op_breg(const Dwarf_Op *op, unsigned *regno, int64_t *off);

#endif
