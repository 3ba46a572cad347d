#ifndef BACKTRACE_LIB_H
#define BACKTRACE_LIB_H

/* The return address each bt_K function saw (__builtin_return_address(0)),
 * indexed by K; bt_3 and bt_4 live in libbtchain.so, the others in
 * backtrace_app. */
extern void *bt_seen_ra[7];

void bt_set_next(int (*next)(int));
int bt_3(int x);
int bt_4(int x);

#endif
