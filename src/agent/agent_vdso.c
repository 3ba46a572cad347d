/* The vDSO's clock_gettime for the hot path's DWT_CLOCK_MONOTONIC
 * timestamps: about 20 ns instead of a system call's 250-600 ns (measured
 * in this VM).  The kernel builds the vDSO without SSE (arch/x86/Makefile
 * -mno-sse ... also applies to it) and it calls nothing, so calling it
 * keeps the hot path's promises.  Found once at init, as
 * tools/testing/selftests/vDSO/parse_vdso.c does: program headers for the
 * load offset and PT_DYNAMIC, then DT_HASH's chain count bounds the
 * symbol table. */
#define _GNU_SOURCE
#include <elf.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/auxv.h>

#include "agent_internal.h"

long (*agent_vdso_clock_gettime)(long clock, void *ts);

void agent_find_vdso(void)
{
	uintptr_t base = (uintptr_t)getauxval(AT_SYSINFO_EHDR);
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)base;
	const Elf64_Dyn *dyn = NULL;
	uintptr_t load = 0;
	int have_load = 0;

	if (!base || memcmp(eh->e_ident, ELFMAG, SELFMAG) || eh->e_ident[EI_CLASS] != ELFCLASS64)
		return;
	const Elf64_Phdr *ph = (const Elf64_Phdr *)(base + eh->e_phoff);
	for (int i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type == PT_LOAD && !have_load) {
			load = base + ph[i].p_offset - ph[i].p_vaddr;
			have_load = 1;
		} else if (ph[i].p_type == PT_DYNAMIC) {
			dyn = (const Elf64_Dyn *)(base + ph[i].p_offset);
		}
	}
	if (!have_load || !dyn)
		return;

	const Elf64_Sym *sym = NULL;
	const char *str = NULL;
	const Elf64_Word *hash = NULL;
	for (; dyn->d_tag != DT_NULL; dyn++) {
		if (dyn->d_tag == DT_SYMTAB)
			sym = (const Elf64_Sym *)(load + dyn->d_un.d_ptr);
		else if (dyn->d_tag == DT_STRTAB)
			str = (const char *)(load + dyn->d_un.d_ptr);
		else if (dyn->d_tag == DT_HASH)
			hash = (const Elf64_Word *)(load + dyn->d_un.d_ptr);
	}
	if (!sym || !str || !hash)
		return;
	for (Elf64_Word i = 0; i < hash[1]; i++) {
		if (ELF64_ST_TYPE(sym[i].st_info) != STT_FUNC || sym[i].st_shndx == SHN_UNDEF)
			continue;
		if (!strcmp(str + sym[i].st_name, "__vdso_clock_gettime")) {
			agent_vdso_clock_gettime = (long (*)(long, void *))(load + sym[i].st_value);
			return;
		}
	}
}
