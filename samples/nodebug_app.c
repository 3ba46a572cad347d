/* nodebug_app: calls nd_add() of the stripped libnodebug.so three times with
 * known values and prints "nd_add(A, B, C) = R" for each call, so a test can
 * compare the raw arguments dwtrace reads from the registers.
 */
#include <stdio.h>

#include "nodebug.h"

int main(void)
{
	static const long calls[3][3] = {
		{ 1, 2, 3 },
		{ 1000000007, -42, 0x7fffffff00 },
		{ -1, -2, -3 },
	};

	for (int i = 0; i < 3; i++) {
		long a = calls[i][0], b = calls[i][1], c = calls[i][2];
		long r = nd_add(a, b, c);

		printf("nd_add(%ld, %ld, %ld) = %ld\n", a, b, c, r);
	}
	return 0;
}
