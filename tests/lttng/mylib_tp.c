/* The probe of the hand-written provider (see mylib_tp.h). */
#define TRACEPOINT_CREATE_PROBES
#define TRACEPOINT_DEFINE
#include "mylib_tp.h"
