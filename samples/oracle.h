/* The oracle printer of libtypes.so: each traced function of types_app
 * describes, on stdout, the arguments it received and the value it returns,
 * as one JSON object per line in exactly the form dwtrace's JSON sink uses:
 *
 *   {"type":"entry","function":"t_ints","args":{"a":-5,"b":200}}
 *   {"type":"exit","function":"t_ints","retval":195}
 *
 * The integration tests compare these lines with dwtrace's events, call by
 * call (strace's test style: the program prints what the tracer must print).
 *
 * Usage: oracle_entry(), one value call per argument, oracle_end(); or
 * oracle_exit(), one value call with key "retval" (none for void),
 * oracle_end().  Inside oracle_begin_array() the key is NULL.
 */
#ifndef SAMPLES_ORACLE_H
#define SAMPLES_ORACLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* dwtrace's default string limit (-s): longer strings are cut to this many
 * bytes and "..." is appended inside the JSON string. */
#define ORACLE_STRING_LIMIT 256

void oracle_entry(const char *function);
void oracle_exit(const char *function);
void oracle_end(void);

void oracle_int(const char *key, int64_t v);
void oracle_uint(const char *key, uint64_t v);
void oracle_bool(const char *key, bool v);
/* float and double: "%.17g" of the value as a double. */
void oracle_double(const char *key, double v);
/* long double: "%.21Lg". */
void oracle_ldouble(const char *key, long double v);
/* Pointers that are not strings (function pointers too): "0x%lx". */
void oracle_ptr(const char *key, uintptr_t p);
/* char pointers: the contents as a JSON string, cut at ORACLE_STRING_LIMIT;
 * NULL is null. */
void oracle_str(const char *key, const char *s);
/* char arrays: a JSON string up to the first NUL or the array's end. */
void oracle_chars(const char *key, const char *a, size_t size);
/* Enums: the enumerator's name, or the number when name is NULL. */
void oracle_enum(const char *key, const char *name, int64_t v);

void oracle_begin_object(const char *key);
void oracle_end_object(void);
void oracle_begin_array(const char *key);
void oracle_end_array(void);

#endif
