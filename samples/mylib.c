/* libmylib.so: the function the classic example traces.  The return value
 * depends on all four arguments, so a tracer that reads any of them from the
 * wrong register shows a retval that does not match its arguments.
 */
#include "mylib.h"

int my_traced_function(int arg1, uint64_t arg2, double arg3, void *arg4)
{
	return arg1 + (int)(arg2 & 0xff) + (int)arg3 + (int)((uintptr_t)arg4 & 0xf);
}
