/* The probe of the hand-written provider mylib_own (see mylib_own_tp.h). */
#define TRACEPOINT_CREATE_PROBES
#define TRACEPOINT_DEFINE
#include "mylib_own_tp.h"
