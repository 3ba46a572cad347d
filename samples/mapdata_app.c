/* mapdata_app FILE PASSES: maps FILE (a library the process also runs, such
 * as libc.so.6) as private read-only data, and PASSES times, 20 ms apart,
 * checksums the whole mapping and calls malloc() 50 times.  A tracer that
 * took the data mapping for the library's code would write breakpoints into
 * it.  Prints "checksum changed in N of PASSES passes" and exits 1 when N is
 * not 0, else 0. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct stat st;
	const unsigned char *m;
	unsigned long first = 0;
	int fd, passes, changed = 0;

	if (argc != 3 || (fd = open(argv[1], O_RDONLY)) < 0 || fstat(fd, &st) != 0) {
		fprintf(stderr, "usage: mapdata_app FILE PASSES\n");
		return 2;
	}
	passes = atoi(argv[2]);
	m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (m == MAP_FAILED)
		return 2;
	printf("mapped %s\n", argv[1]);
	fflush(stdout);
	for (int i = 0; i < passes; i++) {
		unsigned long h = 1469598103934665603UL;
		for (off_t k = 0; k < st.st_size; k++)
			h = (h ^ m[k]) * 1099511628211UL;
		if (i == 0)
			first = h;
		else if (h != first)
			changed++;
		for (int j = 0; j < 50; j++) {
			void *volatile p = malloc(100 + (size_t)j);
			free(p);
		}
		usleep(20000);
	}
	printf("checksum changed in %d of %d passes\n", changed, passes);
	return changed ? 1 : 0;
}
