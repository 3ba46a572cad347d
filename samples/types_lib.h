/* libtypes.so: one traced function per kind of parameter and return value
 * that dwtrace must decode (SysV x86-64: INTEGER, SSE, MEMORY and x87
 * classes, structs split into eightbytes, stack overflow, hidden return
 * pointers).  Every traced function starts with "t_"; none of them is called
 * from inside the library except t_recurse, which calls itself.
 */
#ifndef SAMPLES_TYPES_LIB_H
#define SAMPLES_TYPES_LIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum color { RED, GREEN = 5, BLUE };              /* unsigned underlying type */
enum level { LEVEL_LOW = -1, LEVEL_MID, LEVEL_HIGH }; /* signed underlying type */

typedef unsigned int u32_t;
typedef u32_t handle_t;

struct small {          /* 16 bytes: INTEGER (id, ratio) + SSE (value) */
	int32_t id;
	float ratio;
	double value;
};

struct vec2 {           /* 8 bytes: one SSE eightbyte */
	float x, y;
};

struct vec3 {           /* 12 bytes: two SSE eightbytes */
	float a, b, c;
};

struct dpair {          /* 16 bytes: two SSE eightbytes */
	double a, b;
};

struct big {            /* 40 bytes: MEMORY */
	int64_t a, b, c;
	double d;
	char name[8];
};

union num {             /* 8 bytes: INTEGER (the merge of INTEGER and SSE) */
	int64_t i;
	double d;
};

struct inner {
	int16_t x, y;
};

struct rich {           /* 40 bytes: MEMORY */
	struct inner pos;
	enum color color;
	int v[3];
	const char *label;
	unsigned int flags : 3;
	unsigned int mode : 5;
	int delta : 4;
};

/* Integers. */
int64_t t_int_widths(int8_t i8, uint8_t u8, int16_t i16, uint16_t u16,
		     int32_t i32, uint32_t u32);
uint64_t t_int64s(int64_t i64, uint64_t u64);
int t_c_types(bool flag, char c, signed char sc, unsigned char uc, short s,
	      long long ll);
bool t_ret_bool(int x);
char t_ret_char(int x);
int8_t t_ret_i8(int x);

/* Enums. */
enum color t_enums(enum color c, enum level l);

/* Pointers and strings. */
int t_pointers(void *vp, int *ip, int (*cb)(int), const void *np);
int *t_ret_ptr(int *p);
size_t t_string(const char *s);
int t_strings(char *text, unsigned char *bytes, signed char *schars);
const char *t_ret_str(int which);

/* Floating point. */
double t_floats(float f, double d, long double ld);
float t_ret_float(float x);
double t_ret_double(double x);
long double t_ret_ldouble(long double x);

/* Aggregates by value. */
struct small t_small(struct small s, double scale);
struct vec2 t_vec2(struct vec2 v);
struct vec3 t_vec3(struct vec3 v);
struct dpair t_dpair(struct dpair p);
struct big t_big(struct big b, int k);
union num t_union(union num u);
int t_rich(struct rich r);

/* Typedef chains and qualifiers. */
handle_t t_typedefs(handle_t h, const volatile handle_t cvh, const u32_t *p);

/* Register exhaustion: arguments on the stack. */
long t_many_ints(long a1, long a2, long a3, long a4, long a5, long a6,
		 long a7, long a8);
double t_many_doubles(double d1, double d2, double d3, double d4, double d5,
		      double d6, double d7, double d8, double d9, double d10);
double t_mixed(int i1, double d1, int i2, double d2, int i3, int i4, int i5,
	       int i6, struct small s, double d3, long tail);

/* Variadic, recursive, void. */
int t_variadic(const char *fmt, int count, ...);
int t_recurse(int n);
void t_void_fn(int x);

/* Not traced: defined in types_combine.c, a separate translation unit, so
 * that gcc -O2 cannot turn t_recurse into a loop. */
int recurse_combine(int inner, int n);

#endif
