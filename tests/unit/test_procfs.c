/* procfs: each reading checked against what the process knows of itself
 * by other means (getauxval, getpid, gettid, its own mmap, readlink). */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cmocka.h>

#include "procfs.h"

static void test_auxv(void **state)
{
	uint64_t v = 0;

	assert_int_equal(procfs_auxv(getpid(), AT_ENTRY, &v), 0);
	assert_int_equal(v, getauxval(AT_ENTRY));
	assert_int_equal(procfs_auxv(getpid(), AT_PAGESZ, &v), 0);
	assert_int_equal(v, (uint64_t)sysconf(_SC_PAGESIZE));
	assert_int_equal(procfs_auxv(getpid(), 0x7fff, &v), -ENOENT);
	assert_int_equal(procfs_auxv(-5, AT_ENTRY, &v), -ENOENT);
}

static pthread_barrier_t barrier;

/* Says its tid, then lives until the main thread has read its status. */
static void *thread_tid(void *arg)
{
	*(pid_t *)arg = gettid();
	pthread_barrier_wait(&barrier);
	pthread_barrier_wait(&barrier);
	return NULL;
}

static void test_status(void **state)
{
	pthread_t thr;
	pid_t tid = 0;
	long v = -1;

	assert_int_equal(procfs_status_long(getpid(), 0, "Pid", &v), 0);
	assert_int_equal(v, getpid());
	assert_int_equal(procfs_status_long(getpid(), 0, "PPid", &v), 0);
	assert_int_equal(v, getppid());
	assert_int_equal(procfs_status_long(getpid(), 0, "NoSuchKey", &v), -ENOENT);
	/* "Pid" must not match "PPid" or "TracerPid" lines. */
	assert_int_equal(procfs_status_long(getpid(), 0, "id", &v), -ENOENT);
	/* A thread's own file: its Pid line is its tid. */
	pthread_barrier_init(&barrier, NULL, 2);
	assert_int_equal(pthread_create(&thr, NULL, thread_tid, &tid), 0);
	pthread_barrier_wait(&barrier);
	assert_int_equal(procfs_status_long(getpid(), tid, "Pid", &v), 0);
	assert_int_equal(v, tid);
	assert_int_equal(procfs_status_long(getpid(), tid, "Tgid", &v), 0);
	assert_int_equal(v, getpid());
	pthread_barrier_wait(&barrier);
	pthread_join(thr, NULL);
	pthread_barrier_destroy(&barrier);
}

static void test_read_comm_and_stat(void **state)
{
	char buf[512];
	const char *p;
	ssize_t n;

	prctl(PR_SET_NAME, "p r) (x", 0, 0, 0);
	n = procfs_read(getpid(), 0, "comm", buf, sizeof(buf));
	assert_int_equal(n, 8);
	assert_string_equal(buf, "p r) (x\n");
	/* A buffer too small: truncated, still a string. */
	assert_int_equal(procfs_read(getpid(), 0, "comm", buf, 4), 3);
	assert_string_equal(buf, "p r");
	/* The state follows the last ')' even when the name holds one. */
	n = procfs_read(getpid(), 0, "stat", buf, sizeof(buf));
	assert_true(n > 0);
	p = proc_stat_field(buf, (size_t)n, 3);
	assert_non_null(p);
	assert_int_equal(*p, 'R');
	p = proc_stat_field(buf, (size_t)n, 4);
	assert_non_null(p);
	assert_int_equal(strtol(p, NULL, 10), getppid());
	assert_int_equal(procfs_read(-5, 0, "stat", buf, sizeof(buf)), -1);
}

static void test_maps(void **state)
{
	long page = sysconf(_SC_PAGESIZE);
	char *anon = mmap(NULL, 3 * (size_t)page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char exe[PATH_MAX];
	uint64_t code = (uint64_t)(uintptr_t)test_maps, stack = (uint64_t)(uintptr_t)&page;
	struct procfs_maps it;
	struct procfs_map m;
	int seen = 0;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	assert_true(n > 0);
	exe[n] = '\0';
	assert_true(anon != MAP_FAILED);
	assert_int_equal(procfs_maps_open(&it, getpid()), 0);
	for (int pass = 0; pass < 2; pass++) {
		while (procfs_maps_next(&it, &m)) {
			if (code >= m.start && code < m.end) {
				assert_int_equal(m.perms[2], 'x');
				assert_string_equal(m.path, exe);
				assert_true(m.inode != 0);
				seen |= 1;
			} else if (stack >= m.start && stack < m.end) {
				assert_string_equal(m.path, "[stack]");
				seen |= 2;
			} else if (m.start == (uint64_t)(uintptr_t)anon) {
				assert_int_equal(m.end - m.start, 3 * page);
				assert_string_equal(m.perms, "r--p");
				assert_int_equal(m.inode, 0);
				assert_string_equal(m.path, "");
				seen |= 4;
			}
		}
		assert_int_equal(seen, 7);
		seen = 0;
		procfs_maps_rewind(&it);
	}
	procfs_maps_close(&it);
	munmap(anon, 3 * (size_t)page);
	assert_int_equal(procfs_maps_open(&it, -5), -ENOENT);
}

static void test_mem(void **state)
{
	static volatile uint64_t word = 0x1122334455667788ull;
	uint64_t got = 0, put = 42;
	int fd = procfs_open_mem(getpid());

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &got, sizeof(got), (off_t)(uintptr_t)&word), sizeof(got));
	assert_int_equal(got, word);
	assert_int_equal(pwrite(fd, &put, sizeof(put), (off_t)(uintptr_t)&word), sizeof(put));
	assert_int_equal(word, 42);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_auxv),
		cmocka_unit_test(test_status),
		cmocka_unit_test(test_read_comm_and_stat),
		cmocka_unit_test(test_maps),
		cmocka_unit_test(test_mem),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
