/* --filter EXPR: keep a call only when EXPR holds.
 *
 * The grammar is LTTng's event filter (lttng-enable-event(1), "Filter
 * expression"; lttng-tools src/lib/lttng-ctl/filter/filter-parser.y), so
 * that one expression serves dwtrace and `lttng enable-event --filter`:
 *
 *   expr    := expr || expr | expr && expr | ! expr
 *            | expr OP expr        OP: == != < <= > >=
 *            | expr BIT expr       BIT: & | ^ << >>   (integers)
 *            | ~ expr | - expr | + expr | ( expr )
 *            | INTEGER | FLOAT | "STRING" | FIELD
 *   FIELD   := NAME { . NAME | [ INTEGER ] }   p.x, a[2], s.arr[1].y
 *            | $ctx.NAME                       $ctx.vtid, $ctx.vpid (LTTng's)
 *   NAME    := a parameter (or, at a point, a local) by its DWARF name,
 *              or retval, duration_ns, tid, pid, depth
 *
 * Integers are decimal, 0x hex or 0 octal (C); strings compare with == and
 * != only, where '*' in the literal is a glob matching any run of
 * characters ('\*' is a literal star), as in LTTng.  An enumeration field
 * compares with an enumerator's name written as a bare NAME on the other
 * side (c == GREEN), resolved to its value when bound.  Precedence and
 * associativity are C's.
 *
 * Lifetimes: filter_parse() makes a struct filter the caller owns
 * (filter_free); filter_bind() makes one struct filter_bound per layout,
 * owned by the layout (event_layout.filter, freed with it), pointing into
 * the filter, which must outlive it. */
#ifndef DWTRACE_FILTER_H
#define DWTRACE_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decode.h"
#include "event_layout.h"

enum filter_node_kind {
	FILTER_OR,          /* l || r */
	FILTER_AND,         /* l && r */
	FILTER_NOT,         /* ! l */
	FILTER_CMP,         /* l cmp r */
	FILTER_BIT,         /* l bit r (bit FILTER_BIT_NOT: ~ l) */
	FILTER_NEG,         /* - l */
	FILTER_INT,         /* ival (negative literals fold into it) */
	FILTER_FLOAT,       /* fval */
	FILTER_STRING,      /* str, str_len (escapes resolved; '*' globs kept as glob) */
	FILTER_FIELD,       /* name; resolved per layout by filter_bind */
};

enum filter_cmp { FILTER_EQ, FILTER_NE, FILTER_LT, FILTER_LE, FILTER_GT, FILTER_GE };
enum filter_bit { FILTER_BIT_AND, FILTER_BIT_OR, FILTER_BIT_XOR, FILTER_BIT_SHL, FILTER_BIT_SHR, FILTER_BIT_NOT };

/* One node of the parsed expression.  Nodes live in struct filter. */
struct filter_node {
	enum filter_node_kind kind;
	struct filter_node *l, *r;      /* operands (r NULL for unary nodes) */
	enum filter_cmp cmp;            /* FILTER_CMP */
	enum filter_bit bit;            /* FILTER_BIT */
	int64_t ival;                   /* FILTER_INT; uint64_t values above INT64_MAX wrap, as in LTTng */
	double fval;                    /* FILTER_FLOAT */
	const char *str;                /* FILTER_STRING: the characters, NUL-terminated */
	size_t str_len;
	bool str_glob;                  /* FILTER_STRING has an unescaped '*' */
	const char *name;               /* FILTER_FIELD: as written ("p.x", "a[2]", "$ctx.vtid") */
	unsigned field;                 /* FILTER_FIELD: index in struct filter.fields */
	size_t column;                  /* 1-based column in the expression, for messages */
	/* (Added by F.) FILTER_INT: the literal was above INT64_MAX, so ival
	 * holds a uint64_t's bits and compares as unsigned (C's type for it). */
	bool ival_unsigned;
	/* (Added by F.) FILTER_STRING with str_glob: the literal with '\*'
	 * and '\\' kept escaped and every other escape resolved, for the
	 * glob matcher (str cannot tell a literal star from a glob). */
	const char *pattern;
	/* (Added by X1.) Nodes on the longest path down from this one (1 for
	 * a leaf): the parser refuses a tree higher than FILTER_MAX_DEPTH, so
	 * that binding and evaluating, which recurse, stay shallow. */
	unsigned height;
};

/* How deep an expression may nest: parentheses, unary operators and the
 * operands of binary ones (a || b || c is 3 deep).  Deeper expressions
 * are refused by filter_parse. */
#define FILTER_MAX_DEPTH 256

/* Where a field's value comes from, once bound to a layout. */
enum filter_source {
	FILTER_SRC_ARG,         /* a parameter: struct filter_field.index in the entry's values */
	FILTER_SRC_LOCAL,       /* a LAYOUT_POINT's local: index among the locals */
	FILTER_SRC_RETVAL,      /* the return value (decided at the exit) */
	FILTER_SRC_DURATION,    /* the call's duration in ns (decided at the exit) */
	FILTER_SRC_TID,         /* event_header.tid ($ctx.vtid, $ctx.tid) */
	FILTER_SRC_PID,         /* event_header.pid ($ctx.vpid, $ctx.pid) */
	FILTER_SRC_DEPTH,       /* event_header.depth */
	FILTER_SRC_ENUMERATOR,  /* a bare name that is an enumerator of the other side's type */
	FILTER_SRC_MISSING,     /* this layout has no such field: the comparison is false (LTTng) */
};

/* One step into a value: a struct/union member, or an array element. */
struct filter_step {
	bool is_index;
	size_t member;          /* !is_index: the member's position in dw_type.members */
	size_t index;           /* is_index: the element */
};

#define FILTER_MAX_STEPS 8

/* A field of the expression, resolved against one layout. */
struct filter_field {
	enum filter_source source;
	size_t index;                   /* ARG, LOCAL: which value */
	struct filter_step steps[FILTER_MAX_STEPS];
	size_t nsteps;
	const struct dw_type *type;     /* the leaf's type (NULL for tid, pid, depth, duration_ns) */
	int64_t enum_value;             /* ENUMERATOR */
};

struct filter {
	struct filter_node *root;
	char *text;                     /* the expression as given (owned) */
	size_t nfields;                 /* FILTER_FIELD nodes, numbered 0..nfields-1 */
	struct filter_node **fields;    /* the FILTER_FIELD node of each number */
	/* allocation of the nodes and strings: filter.c's business */
	void *priv;
};

/* A filter bound to one layout. */
struct filter_bound {
	const struct filter *filter;
	const struct event_layout *layout;
	struct filter_field *fields;    /* filter->nfields, by FILTER_FIELD node number */
	bool at_exit;                   /* names retval or duration_ns: decided at the exit */
	size_t nmissing;                /* fields this layout lacks (FILTER_SRC_MISSING) */
	/* (Added by F.) A probe found late (a library loaded, an image run)
	 * the expression could not be bound to: filter_eval keeps none of
	 * its calls (filter_bound_reject_all). */
	bool reject_all;
};

/* Parses expr.  Returns the filter, or NULL with *err a malloc'd one-line
 * message that names what is wrong and its column ("--filter: expected an
 * operand after '&&' at column 9").  The caller frees *err. */
struct filter *filter_parse(const char *expr, char **err);
void filter_free(struct filter *f);

/* Resolves every field of f against l.  Returns the binding (owned by the
 * caller; filter_bound_free), or NULL with *err a malloc'd one-line message
 * naming the field and the probe when the expression cannot apply to l: a
 * string compared with a number, a member or index that l's type lacks
 * (p.z), or an enumerator not in the enum.  A name l lacks altogether
 * (retval of a function returning void, retval and duration_ns at a probe
 * with no exit: a point, an inlined copy) binds as FILTER_SRC_MISSING
 * (counted in nmissing): the caller says that every probe lacking a name
 * is an error only when no probe has it. */
struct filter_bound *filter_bind(const struct filter *f, const struct event_layout *l, char **err);
void filter_bound_free(struct filter_bound *b);

/* (Added by F.) A binding of f to l that keeps no call (reject_all), for
 * a probe filter_bind refused after tracing began. */
struct filter_bound *filter_bound_reject_all(const struct filter *f, const struct event_layout *l);

/* Whether the call is kept.  args: the entry's values (decode_entry: the
 * fields, then a point's locals); ret: the return value (NULL at the entry,
 * or when void); duration_ns: the exit's (0 at the entry); h: tid, pid,
 * depth.  At the entry of an at_exit filter, call it only at the exit with
 * both args and ret.  A missing or unavailable value makes its comparison
 * false (and its negation true), as LTTng does. */
bool filter_eval(const struct filter_bound *b, const struct event_header *h, const struct value *args,
		 const struct value *ret, uint64_t duration_ns);

/* (Added by X1.) Kleene's three-valued logic over a filter at a call's
 * entry, before retval and duration_ns exist. */
enum filter_verdict {
	FILTER_FALSE,
	FILTER_TRUE,
	FILTER_UNKNOWN,         /* the outcome depends on retval or duration_ns */
};

/* (Added by X1.) Whether the entry alone decides b (an at_exit filter):
 * retval and duration_ns are UNKNOWN, so 'n == 1 || retval == 9' is TRUE
 * where n is 1 and 'n == 0 && retval == 9' FALSE where n is 1; only
 * UNKNOWN needs the exit (filter_eval then).  A missing or unavailable
 * value is still known: its comparison is false, as in filter_eval. */
enum filter_verdict filter_eval_entry(const struct filter_bound *b, const struct event_header *h,
				      const struct value *args);

#endif
