/* The list of probes -v and --list-probes print: each probe with its module,
 * function, address and file offset, and each function a probe matched that
 * is not probed, with why. */
#ifndef DWTRACE_PROBE_REPORT_H
#define DWTRACE_PROBE_REPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "probe_site.h"

/* Prints set to stderr, one line per function:
 *   dwtrace: probe MODULE FUNCTION 0xADDR elf=0xELFADDR offset=0xOFF[ (NOTE)]
 *   dwtrace: left out MODULE FUNCTION 0xADDR elf=0xELFADDR offset=0xOFF: WHY
 *   dwtrace: pending SPEC: ... (its module, in session s, is not loaded)
 * placed: the probes were placed (after arm_process) rather than only
 * resolved (--list-probes); entry: the program's entry point address, whose
 * probe gets entry events only. */
void probe_report(const struct probe_set *set, struct dw_session *s, bool placed, uint64_t entry);

#endif
