/* Raw x86-64 system calls for the agent's hot path and watchdog: no libc
 * (no errno, no cancellation points, no PLT), so they are safe inside
 * malloc, inside a signal handler, and on a thread the program never
 * expected to run libc code on.  Each returns the kernel's value: >= 0, or
 * -errno. */
#ifndef DWTRACE_AGENT_SYSCALL_H
#define DWTRACE_AGENT_SYSCALL_H

#include <stdint.h>

static inline long agent_syscall6(long nr, long a, long b, long c, long d, long e, long f)
{
	long ret;
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}

#define agent_syscall0(nr) agent_syscall6((nr), 0, 0, 0, 0, 0, 0)
#define agent_syscall1(nr, a) agent_syscall6((nr), (long)(a), 0, 0, 0, 0, 0)
#define agent_syscall2(nr, a, b) agent_syscall6((nr), (long)(a), (long)(b), 0, 0, 0, 0)
#define agent_syscall3(nr, a, b, c) agent_syscall6((nr), (long)(a), (long)(b), (long)(c), 0, 0, 0)
#define agent_syscall4(nr, a, b, c, d) \
	agent_syscall6((nr), (long)(a), (long)(b), (long)(c), (long)(d), 0, 0)

/* x86-64 numbers (arch/x86/entry/syscalls/syscall_64.tbl). */
#define AGENT_NR_POLL 7
#define AGENT_NR_RT_SIGACTION 13
#define AGENT_NR_SCHED_YIELD 24
#define AGENT_NR_GETPID 39
#define AGENT_NR_KILL 62
#define AGENT_NR_GETTID 186
#define AGENT_NR_CLOCK_GETTIME 228
#define AGENT_NR_CLOSE 3
#define AGENT_NR_NANOSLEEP 35
#define AGENT_NR_TGKILL 234
#define AGENT_NR_PROCESS_VM_READV 310
#define AGENT_NR_PIDFD_SEND_SIGNAL 424
#define AGENT_NR_PIDFD_OPEN 434
#define AGENT_NR_MMAP 9
#define AGENT_NR_MUNMAP 11
#define AGENT_NR_FTRUNCATE 77
#define AGENT_NR_MEMFD_CREATE 319
#define AGENT_NR_GETRLIMIT 97
#define AGENT_NR_PREAD64 17
#define AGENT_NR_PWRITE64 18
#define AGENT_NR_OPENAT 257

#endif
