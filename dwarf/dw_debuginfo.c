/* Finding ELF files and their separate debug info without ever opening
 * anything but a regular file.
 *
 * libdwfl's dwfl_standard_find_debuginfo open()s its candidates with plain
 * O_RDONLY: a .gnu_debuglink naming a FIFO (or a FIFO at
 * /usr/lib/debug/.build-id/xx/yyyy.debug) blocks it for ever, a device may
 * block its reads.  The wrapper below lists every file the standard search
 * could open for a module, in the order and with the names of elfutils 0.188
 * (libdwfl/find-debuginfo.c, dwfl_build_id_find_elf.c), and hands the
 * standard function a search path without the elements that lead to
 * something that exists and is not a regular file.  The search order and the
 * validation (build ID, CRC, dwz alternate files) stay elfutils' own.
 *
 * Left open: a file replaced by a FIFO between our stat() and libdwfl's
 * open() (a race someone would have to win on purpose), and the build-ID
 * path of a dwz alternate file, whose ID is only known inside libdwfl.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dw_internal.h"
#include "xalloc.h"

/* libdwfl's DEFAULT_DEBUGINFO_PATH (libdwflP.h), what it uses when
 * Dwfl_Callbacks.debuginfo_path points to NULL. */
#define STANDARD_DEBUGINFO_PATH ":.debug:/usr/lib/debug"

/* What both callback tables point their debuginfo_path at: NULL (the
 * standard path) except during a filtered call. */
char *dw_debuginfo_path;

const char *dw_file_kind(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFIFO:
		return "a FIFO";
	case S_IFCHR:
		return "a character device";
	case S_IFBLK:
		return "a block device";
	case S_IFDIR:
		return "a directory";
	case S_IFSOCK:
		return "a socket";
	case S_IFLNK:
		return "a symbolic link";
	default:
		return "not a regular file";
	}
}

int dw_open_regular(const char *path, mode_t *kind)
{
	struct stat st;
	int fd;

	*kind = 0;
	if (stat(path, &st) != 0)
		return -errno;
	if (!S_ISREG(st.st_mode)) {
		*kind = st.st_mode;
		return -EINVAL;
	}
	/* O_NONBLOCK: should it have become a FIFO since, open returns at once. */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		*kind = st.st_mode;
		close(fd);
		return -EINVAL;
	}
	/* Back to blocking reads: libelf does not expect EAGAIN. */
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	return fd;
}

/* True when path exists and is not a regular file: opening or reading it
 * might block. */
static bool unsafe_path(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && !S_ISREG(st.st_mode);
}

/* try_open()'s file name: [DIR/][SUBDIR/]FILE. */
static bool unsafe_candidate(const char *dir, const char *subdir, const char *file)
{
	char *name;
	bool bad;

	if (!dir && !subdir)
		name = xstrdup(file);
	else if (!subdir)
		name = xasprintf("%s/%s", dir, file);
	else if (!dir)
		name = xasprintf("%s/%s", subdir, file);
	else
		name = xasprintf("%s/%s/%s", dir, subdir, file);
	bad = unsafe_path(name);
	free(name);
	return bad;
}

static const char *last_component(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

/* The candidates DIR/SUB/LINK (and DIR/SUB/BASE when base is not NULL),
 * then the same with one leading directory of SUB less each time, down to
 * DIR/LINK: find_debuginfo_in_path()'s "explore_dir" loop, which it runs for
 * absolute and relative path elements alike. */
static bool explore_unsafe(const char *dir, const char *sub, const char *link, const char *base)
{
	for (;;) {
		if (unsafe_candidate(dir, sub, link) || (base && unsafe_candidate(dir, sub, base)))
			return true;
		if (!sub)
			return false;
		sub = strchr(sub, '/');
		if (sub && !*++sub)
			return false;
	}
}

/* Whether one element of the search path (without its +/- prefix) makes
 * find_debuginfo_in_path() open something unsafe for the module file
 * file_name (NULL when unknown) and the debuglink name link (NULL: none).
 * Both the separate-debug-file and the dwz-alternate-file variants are
 * checked, since the caller cannot tell which one libdwfl looks for. */
static bool element_unsafe_for(const char *elem, const char *file_name, const char *link)
{
	const char *base = file_name ? last_component(file_name) : NULL;
	char *dirname = NULL, *invented = NULL;
	bool bad = false;

	if (!link) {
		if (!base)
			return false;
		invented = xasprintf("%s.debug", base);
		link = invented;
	}
	if (base && base != file_name)
		dirname = strndup(file_name, (size_t)(base - 1 - file_name));
	if (elem[0] == '\0') {
		bad = unsafe_candidate(dirname, NULL, link) ||
		      unsafe_candidate(dirname, ".dwz", last_component(link));
	} else if (elem[0] == '/') {
		/* dwz alternate file: ELEM/LINK's basename, or in .dwz/ below. */
		bad = unsafe_candidate(elem, NULL, last_component(link)) ||
		      unsafe_candidate(elem, ".dwz", last_component(link));
		/* separate debug file: ELEM/DIRNAME/LINK and shorter. */
		if (!bad && dirname && dirname[0] == '/' && dirname[1])
			bad = explore_unsafe(elem, dirname + 1, link, invented ? base : NULL);
	} else {
		bad = explore_unsafe(dirname, elem, link, invented ? base : NULL);
	}
	free(dirname);
	free(invented);
	return bad;
}

/* The same for the build-ID look-up: ELEM/.build-id/xx/yyyy.debug. */
static bool element_unsafe_by_build_id(const char *elem, const unsigned char *id, int id_len)
{
	char *name, *p;
	bool bad;

	if (elem[0] != '/' || id_len < 3 || id_len > 64)
		return false;
	name = xmalloc(strlen(elem) + sizeof("/.build-id/xx/") + 2 * (size_t)id_len + sizeof(".debug"));
	p = name + sprintf(name, "%s/.build-id/%02x/", elem, id[0]);
	for (int i = 1; i < id_len; i++)
		p += sprintf(p, "%02x", id[i]);
	strcpy(p, ".debug");
	bad = unsafe_path(name);
	free(name);
	return bad;
}

int dw_find_debuginfo(Dwfl_Module *mod, void **userdata, const char *modname, GElf_Addr base,
		      const char *file_name, const char *debuglink_file, GElf_Word debuglink_crc,
		      char **debuginfo_file_name)
{
	char *path = xstrdup(STANDARD_DEBUGINFO_PATH), *rest = path, *elem, *canon = NULL;
	const unsigned char *id = NULL;
	GElf_Addr id_vaddr;
	int id_len = dwfl_module_build_id(mod, &id, &id_vaddr);
	size_t kept_len = 0, dropped = 0, total = 0;
	char *kept = xcalloc(1, strlen(path) + 1);
	int fd;

	/* libdwfl tries the symlink's target too when nothing is found. */
	if (file_name)
		canon = realpath(file_name, NULL);
	while ((elem = strsep(&rest, ":"))) {
		const char *bare = elem + (elem[0] == '+' || elem[0] == '-');
		bool bad = element_unsafe_by_build_id(bare, id, id_len) ||
			   element_unsafe_for(bare, file_name, debuglink_file) ||
			   (canon && element_unsafe_for(bare, canon, debuglink_file));

		total++;
		if (bad) {
			dropped++;
			continue;
		}
		/* elements may be empty: count them, not the bytes */
		kept_len += (size_t)sprintf(kept + kept_len, "%s%s", total - dropped > 1 ? ":" : "", elem);
	}
	free(canon);
	free(path);
	if (dropped == total) {
		free(kept);
		errno = 0;
		return -1;
	}
	dw_debuginfo_path = dropped ? kept : NULL;
	fd = dwfl_standard_find_debuginfo(mod, userdata, modname, base, file_name, debuglink_file, debuglink_crc,
					  debuginfo_file_name);
	dw_debuginfo_path = NULL;
	free(kept);
	return fd;
}

int dw_find_elf_proc(Dwfl_Module *mod, void **userdata, const char *module_name, Dwarf_Addr base,
		     char **file_name, Elf **elfp)
{
	struct stat st;
	mode_t kind;
	int fd;

	/* Mapped files that are still there; the rest ((deleted), [vdso])
	 * are read from the process's memory by libdwfl. */
	if (module_name[0] != '/' || stat(module_name, &st) != 0 || !S_ISREG(st.st_mode))
		return dwfl_linux_proc_find_elf(mod, userdata, module_name, base, file_name, elfp);
	fd = dw_open_regular(module_name, &kind);
	if (fd < 0)
		return -1;
	*file_name = xstrdup(module_name);
	return fd;
}
