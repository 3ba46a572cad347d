/* libsignals.so: the function signals_app calls while signals arrive. */
#ifndef SAMPLES_SIGNALS_LIB_H
#define SAMPLES_SIGNALS_LIB_H

/* Returns i * 7 + 3. */
int sig_work(int i);

#endif
