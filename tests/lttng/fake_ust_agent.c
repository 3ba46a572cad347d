/* A stand-in for libdwtrace-agent.so in ust_emit_tool: only its control
 * object (DWT_AGENT_SYMBOL), under the agent's DT_SONAME, which is how the
 * emitter finds the agent (dlopen RTLD_NOLOAD).  ust_emit_tool fills it. */
#include "agent_abi.h"

struct dwt_agent dwtrace_agent;
