/* FDE ranges through libunwind: libdw's dwarf_cfi_addrframe gives only the
 * range of one row of an FDE's table (dwarf_frame_info), which ends at the
 * next push in a prologue, while libunwind's unw_proc_info_t has the FDE's
 * own [start_ip, end_ip), looked up in the module's .eh_frame_hdr. */
#define _GNU_SOURCE
#include "fde_extent.h"
#include "procfs.h"

#include <errno.h>
#include <fcntl.h>
#include <libunwind-ptrace.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* libunwind-ptrace reads memory with PTRACE_PEEKDATA, which needs the task
 * stopped; /proc/PID/mem needs it traced only, so memory is read there. */
struct fde_ctx {
	int memfd;
	void *upt;
};

static struct fde_ctx *current;

static int find_proc_info(unw_addr_space_t as, unw_word_t ip, unw_proc_info_t *pi, int need, void *arg)
{
	return _UPT_find_proc_info(as, ip, pi, need, current->upt);
}

static void put_unwind_info(unw_addr_space_t as, unw_proc_info_t *pi, void *arg)
{
	_UPT_put_unwind_info(as, pi, current->upt);
}

static int get_dyn_info_list_addr(unw_addr_space_t as, unw_word_t *addr, void *arg)
{
	return -UNW_ENOINFO;
}

static int access_mem(unw_addr_space_t as, unw_word_t addr, unw_word_t *val, int write, void *arg)
{
	if (write || pread(current->memfd, val, sizeof(*val), (off_t)addr) != (ssize_t)sizeof(*val))
		return -UNW_EINVAL;
	return 0;
}

static int access_reg(unw_addr_space_t as, unw_regnum_t reg, unw_word_t *val, int write, void *arg)
{
	return -UNW_EBADREG;
}

static int access_fpreg(unw_addr_space_t as, unw_regnum_t reg, unw_fpreg_t *val, int write, void *arg)
{
	return -UNW_EBADREG;
}

static int resume(unw_addr_space_t as, unw_cursor_t *c, void *arg)
{
	return -UNW_EINVAL;
}

static int get_proc_name(unw_addr_space_t as, unw_word_t ip, char *buf, size_t len, unw_word_t *off, void *arg)
{
	return -UNW_ENOINFO;
}

static unw_accessors_t accessors = {
	.find_proc_info = find_proc_info,
	.put_unwind_info = put_unwind_info,
	.get_dyn_info_list_addr = get_dyn_info_list_addr,
	.access_mem = access_mem,
	.access_reg = access_reg,
	.access_fpreg = access_fpreg,
	.resume = resume,
	.get_proc_name = get_proc_name,
};

int fde_extent(pid_t pid, uint64_t addr, uint64_t *start, uint64_t *end)
{
	struct fde_ctx ctx;
	unw_addr_space_t as;
	unw_proc_info_t pi;
	int rc = -ENOENT;

	ctx.memfd = procfs_open(pid, "mem", O_RDONLY);
	if (ctx.memfd < 0)
		return -ENOENT;
	ctx.upt = _UPT_create(pid);
	as = unw_create_addr_space(&accessors, 0);
	if (ctx.upt && as) {
		current = &ctx;
		memset(&pi, 0, sizeof(pi));
		if (unw_get_proc_info_by_ip(as, addr, &pi, NULL) == 0 && pi.start_ip <= addr && addr < pi.end_ip) {
			*start = pi.start_ip;
			*end = pi.end_ip;
			rc = 0;
		}
		current = NULL;
	}
	if (as)
		unw_destroy_addr_space(as);
	if (ctx.upt)
		_UPT_destroy(ctx.upt);
	close(ctx.memfd);
	return rc;
}
