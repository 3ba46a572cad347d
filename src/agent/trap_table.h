/* The trap table's hashing, shared by the agent (lookup in its SIGTRAP
 * handler) and dwtrace (insertion through process_vm_writev): struct
 * dwt_trap[ntraps_max] in agent_abi.h, open addressing with linear probing.
 *
 * Entries are never removed (a restored site keeps its entry; a site whose
 * patch is gone never traps), so lookups need no tombstones.  dwtrace
 * writes an entry's site before its addr, and both before the int3. */
#ifndef DWTRACE_TRAP_TABLE_H
#define DWTRACE_TRAP_TABLE_H

#include <stdint.h>

#include "agent_abi.h"

/* The first slot to probe for addr in a table of mask + 1 slots (a power
 * of two); the next ones follow by + 1 modulo the size. */
static inline uint32_t dwt_trap_hash(uint64_t addr, uint32_t mask)
{
	return (uint32_t)((addr * UINT64_C(0x9e3779b97f4a7c15)) >> 32) & mask;
}

/* The slot holding addr, or the empty slot where it goes; -1 when the
 * table (ntraps slots, a power of two) is full without addr in it. */
static inline int64_t dwt_trap_slot(const struct dwt_trap *t, uint32_t ntraps, uint64_t addr)
{
	uint32_t mask = ntraps - 1, i = dwt_trap_hash(addr, mask);

	for (uint32_t n = 0; n < ntraps; n++, i = (i + 1) & mask) {
		uint64_t a = ((const volatile struct dwt_trap *)&t[i])->addr;
		if (a == addr || a == 0)
			return i;
	}
	return -1;
}

#endif
