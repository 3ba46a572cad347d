/* libfork.so: the functions fork_app calls before and after fork(). */
#ifndef SAMPLES_FORK_LIB_H
#define SAMPLES_FORK_LIB_H

/* Returns who * 100 + i * i + 1. */
int fk_work(int who, int i);

/* Calls fork() and returns its result: a traced call that returns twice,
 * in the parent and in the child. */
int fk_fork(void);

#endif
