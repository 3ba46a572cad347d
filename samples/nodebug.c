/* libnodebug.so: a library without debug information, linked stripped (only
 * .dynsym is left).  dwtrace finds nd_add through the dynamic symbol table and
 * must still trace it, showing the raw integer-register arguments.
 */
#include "nodebug.h"

long nd_add(long a, long b, long c)
{
	return a + b + c;
}
