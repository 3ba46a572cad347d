/* The extent of a function as the call frame information of a live process
 * says: the range of the .eh_frame FDE covering an address. */
#ifndef DWTRACE_FDE_EXTENT_H
#define DWTRACE_FDE_EXTENT_H

#include <stdint.h>
#include <sys/types.h>

/* The FDE of process pid (traced by dwtrace, in any state) covering the
 * code address addr: 0 and [*start, *end) (addresses where loaded), or
 * -ENOENT when no FDE covers addr (or its module cannot be read). */
int fde_extent(pid_t pid, uint64_t addr, uint64_t *start, uint64_t *end);

#endif
