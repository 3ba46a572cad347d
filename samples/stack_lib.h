#ifndef SAMPLES_STACK_LIB_H
#define SAMPLES_STACK_LIB_H

int st_leaf(int depth);
int lib_level2(int depth);
int lib_level3(int depth);
int lib_compare(const void *a, const void *b);
int st_recurse(int n);

#endif
