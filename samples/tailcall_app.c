/* tailcall_app: calls tc_outer() (which tail-calls tc_inner()) and
 * tc_multi() (three return paths), printing each call and its result:
 *   tc_outer(x) = r
 *   tc_multi(x) = r */
#include <stdio.h>

#include "tailcall_lib.h"

int main(void)
{
	for (int x = 0; x < 3; x++)
		printf("tc_outer(%d) = %d\n", x, tc_outer(x));
	for (int x = -1; x < 3; x++)
		printf("tc_multi(%d) = %d\n", x, tc_multi(x));
	return 0;
}
