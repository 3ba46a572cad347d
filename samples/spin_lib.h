/* libspin.so: the step function spin_app's threads call forever. */
#ifndef SAMPLES_SPIN_LIB_H
#define SAMPLES_SPIN_LIB_H

#define SPIN_MODULUS 1000003L /* spin_step's results are in [0, SPIN_MODULUS) */
#define SPIN_I_LIMIT 1000000  /* spin_app passes i in [0, SPIN_I_LIMIT) */

/* Returns (acc * 31 + i) % SPIN_MODULUS, for 0 <= acc < SPIN_MODULUS, i >= 0. */
long spin_step(long acc, int i);

#endif
