/* liblongjmp.so: recursive functions that longjmp_app leaves with longjmp()
 * and siglongjmp(). */
#ifndef SAMPLES_LONGJMP_LIB_H
#define SAMPLES_LONGJMP_LIB_H

/* From now on, lj_inner(depth) calls jump() when its depth is jump_depth
 * (-1: never).  jump() must not return. */
void lj_set_jump(int jump_depth, void (*jump)(void));

/* lj_inner(1) (a call that returns normally), then lj_inner(depth);
 * returns their sum. */
int lj_outer(int depth);

/* Recursive: 1 for depth <= 0, else lj_inner(depth - 1) * 2 + depth. */
int lj_inner(int depth);

#endif
