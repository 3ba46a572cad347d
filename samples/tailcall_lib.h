#ifndef SAMPLES_TAILCALL_LIB_H
#define SAMPLES_TAILCALL_LIB_H

int tc_inner(int x);
int tc_outer(int x);
int tc_multi(int x);

#endif
