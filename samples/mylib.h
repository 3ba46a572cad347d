/* The classic tracing example: one exported function whose four arguments
 * land in rdi, rsi, xmm0 and rdx (not rcx: the double takes an SSE register,
 * so the pointer is the third INTEGER argument).
 */
#ifndef SAMPLES_MYLIB_H
#define SAMPLES_MYLIB_H

#include <stdint.h>

int my_traced_function(int arg1, uint64_t arg2, double arg3, void *arg4);

#endif
