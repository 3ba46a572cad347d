/* libsignals.so: sig_work(), called by signals_app between and while its
 * signals arrive, and from its SIGALRM handler. */
#include "signals_lib.h"

int sig_work(int i)
{
	return i * 7 + 3;
}
