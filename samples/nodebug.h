/* libnodebug.so: see nodebug.c. */
#ifndef SAMPLES_NODEBUG_H
#define SAMPLES_NODEBUG_H

long nd_add(long a, long b, long c);

#endif
