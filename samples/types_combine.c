/* libtypes.so: the step t_recurse applies to its recursive result.  It lives
 * in a translation unit of its own so that gcc -O2 cannot see through it and
 * turn the recursion into a loop.
 */
#include "types_lib.h"

int recurse_combine(int inner, int n)
{
	return inner * 3 + n;
}
