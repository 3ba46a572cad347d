/* libspin.so: spin_step(), cheap and deterministic, so that spin_app can
 * recompute every result without calling it. */
#include "spin_lib.h"

long spin_step(long acc, int i)
{
	return (acc * 31 + i) % SPIN_MODULUS;
}
