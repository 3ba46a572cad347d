/* libthreads.so: th_work(), called concurrently by every thread of
 * threads_app.  Its result depends on both arguments, so an exit event whose
 * retval does not match the entry's arguments shows a mix-up between threads.
 */
#include "threads_lib.h"

int th_work(int thread, int i)
{
	return (int)((long long)thread * 1000003 + (long long)i * 3);
}
