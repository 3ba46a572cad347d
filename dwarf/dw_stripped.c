/* Code of files without symbols for it (stripped: no .symtab), found by a
 * file offset. */
#define _GNU_SOURCE
#include <errno.h>
#include <gelf.h>
#include <inttypes.h>
#include <stdio.h>

#include "dw_internal.h"

static bool elf_has_symtab(Elf *elf)
{
	Elf_Scn *scn = NULL;

	while (elf && (scn = elf_nextscn(elf, scn))) {
		GElf_Shdr shdr;
		if (gelf_getshdr(scn, &shdr) && shdr.sh_type == SHT_SYMTAB && shdr.sh_size)
			return true;
	}
	return false;
}

bool dw_module_has_symtab(struct dw_module *m)
{
	GElf_Addr bias;

	if (elf_has_symtab(dwfl_module_getelf(m->mod, &bias)))
		return true;
	/* libdwfl takes the symbols of a separate debug file (libc6-dbg's)
	 * when the file itself has none. */
	return dw_module_has_dwarf(m) && elf_has_symtab(dwarf_getelf(m->dwarf));
}

struct dw_function *dw_module_function_nosym(struct dw_module *m, uint64_t addr, uint64_t size)
{
	GElf_Addr bias = 0;
	struct dw_function *f;
	char name[64];

	dwfl_module_getelf(m->mod, &bias);
	/* As disassemblers name code without a symbol: by its ELF address. */
	snprintf(name, sizeof(name), "sub_%" PRIx64, addr - bias);
	f = dw_function_at(m, name, NULL, addr, size, false, NULL, NULL);
	f->no_symbol = true;
	return f;
}

bool dw_module_offset_is_code(struct dw_module *m, uint64_t off)
{
	GElf_Addr bias;
	Elf *elf = dwfl_module_getelf(m->mod, &bias);
	size_t n;

	if (!elf || elf_getphdrnum(elf, &n) != 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;
		if (gelf_getphdr(elf, (int)i, &ph) && ph.p_type == PT_LOAD && (ph.p_flags & PF_X) &&
		    off >= ph.p_offset && off < ph.p_offset + ph.p_filesz)
			return true;
	}
	return false;
}

int dw_module_insn_anchor(struct dw_module *m, uint64_t addr, uint64_t *anchor, const uint8_t **code,
			  size_t *avail)
{
	Elf_Data *data = NULL;
	GElf_Shdr sh;
	GElf_Addr bias = 0;
	Elf *elf = dwfl_module_getelf(m->mod, &bias);
	uint64_t vaddr = addr - bias, best = 0;
	Elf_Scn *scn = NULL;
	bool found = false;
	int n;

	/* Section headers survive strip: an executable section starts with
	 * an instruction. */
	while (elf && (scn = elf_nextscn(elf, scn))) {
		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_PROGBITS && (sh.sh_flags & SHF_EXECINSTR) &&
		    vaddr >= sh.sh_addr && vaddr < sh.sh_addr + sh.sh_size) {
			best = sh.sh_addr + bias;
			found = true;
			break;
		}
	}
	/* The file's bytes, not the process's: those may hold breakpoints. */
	if (found)
		data = elf_getdata(scn, NULL);
	if (!found || !data || !data->d_buf || data->d_size != sh.sh_size)
		return -ENOENT;
	/* So does every function symbol (.dynsym in a stripped file): the
	 * nearest one before addr shortens the sweep and resynchronizes it
	 * after data or padding that does not decode as code. */
	n = dwfl_module_getsymtab(m->mod);
	for (int i = 1; i < n; i++) {
		GElf_Sym sym;
		GElf_Addr a;
		if (dwfl_module_getsym_info(m->mod, i, &sym, &a, NULL, NULL, NULL) &&
		    GELF_ST_TYPE(sym.st_info) == STT_FUNC && sym.st_shndx != SHN_UNDEF && a > best && a <= addr)
			best = a;
	}
	*anchor = best;
	*code = (const uint8_t *)data->d_buf + (best - bias - sh.sh_addr);
	*avail = sh.sh_size - (best - bias - sh.sh_addr);
	return 0;
}
