/* libthreads.so: the function threads_app's threads call. */
#ifndef SAMPLES_THREADS_LIB_H
#define SAMPLES_THREADS_LIB_H

/* Returns thread * 1000003 + i * 3 (computed in 64 bits, truncated to int). */
int th_work(int thread, int i);

#endif
