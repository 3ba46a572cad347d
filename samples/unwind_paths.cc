/* unwind_paths [SECTION...]: ways of leaving or reading a traced frame other
 * than a plain return, each in a section that prints what it saw (the same
 * text in every run, traced or not).  The traced functions are the extern
 * "C" functions up_*; sections (all by default, in this order):
 *
 *   throw      a C++ exception thrown through 3 traced frames
 *              (up_throw3 -> up_throw2 -> up_throw1 throws)
 *   longjmp    longjmp out of 5 traced frames (up_lj(4) .. up_lj(0))
 *   siglongjmp siglongjmp from a SIGUSR1 handler out of up_sig_wait()
 *   exit       pthread_exit from up_thread_exit() in a thread
 *   cancel     pthread_cancel of a thread blocked in up_cancel_wait()
 *   recursion  up_rec() 10 000 deep
 *   stack      backtrace() and __builtin_return_address(0) inside up_bt(),
 *              called by up_bt_caller(): names of the frames (dladdr) and
 *              whether the return address is inside up_bt_caller
 *   handler    up_in_handler() called from a SIGALRM handler (1 ms timer)
 *              50 times while main calls up_main_work() in a loop
 *   children   fork, vfork + exec and posix_spawn children calling
 *              up_child() (the exec'd ones run this program with --child N)
 *   rtld_next  dlsym(RTLD_NEXT, "getpid") from the traced up_dlsym()
 *   badptr     up_str(s, n) with s pointing to unmapped and to PROT_NONE
 *              memory (up_str never reads *s)
 */
#include <dlfcn.h>
#include <execinfo.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <spawn.h>
#include <stdexcept>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#define TRACED extern "C" __attribute__((noinline, noipa))

extern char **environ;

/* ---- throw ---- */
TRACED int up_throw1(int x)
{
	if (x > 0)
		throw std::runtime_error("thrown in up_throw1");
	return x;
}

TRACED int up_throw2(int x)
{
	return up_throw1(x + 1) + 1;
}

TRACED int up_throw3(int x)
{
	return up_throw2(x + 1) + 1;
}

static void section_throw(void)
{
	try {
		printf("throw: up_throw3 returned %d\n", up_throw3(1));
	} catch (const std::exception &e) {
		printf("throw: caught '%s'\n", e.what());
	}
	printf("throw: up_throw3(-5) = %d\n", up_throw3(-5));
}

/* ---- longjmp ---- */
static jmp_buf lj_env;

TRACED int up_lj(int depth)
{
	volatile int here = depth; /* read after the call: no tail recursion */

	if (depth < 0)
		return -1;
	if (depth == 0)
		longjmp(lj_env, 7);
	return up_lj(depth - 1) + here;
}

static void section_longjmp(void)
{
	int v = setjmp(lj_env);

	if (v == 0)
		up_lj(4);
	printf("longjmp: setjmp returned %d\n", v);
}

/* ---- siglongjmp ---- */
static sigjmp_buf sig_env;

static void on_usr1(int sig)
{
	siglongjmp(sig_env, sig);
}

TRACED int up_sig_wait(int x)
{
	raise(SIGUSR1);
	return x;
}

static void section_siglongjmp(void)
{
	struct sigaction sa = {}, old;
	int v;

	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, &old);
	v = sigsetjmp(sig_env, 1);
	if (v == 0)
		up_sig_wait(3);
	sigaction(SIGUSR1, &old, NULL);
	printf("siglongjmp: sigsetjmp returned %s\n", v == SIGUSR1 ? "SIGUSR1" : "something else");
}

/* ---- pthread_exit and pthread_cancel ---- */
TRACED int up_thread_exit(long v)
{
	pthread_exit((void *)v);
}

TRACED int up_cancel_wait(int x)
{
	for (;;)
		pause(); /* a cancellation point */
	return x;
}

static void *exit_thread(void *)
{
	up_thread_exit(77);
	return NULL;
}

static void *cancel_thread(void *)
{
	up_cancel_wait(1);
	return NULL;
}

static void section_exit(void)
{
	pthread_t t;
	void *ret;

	pthread_create(&t, NULL, exit_thread, NULL);
	pthread_join(t, &ret);
	printf("exit: pthread_exit value %ld\n", (long)ret);
}

static void section_cancel(void)
{
	pthread_t t;
	void *ret;

	pthread_create(&t, NULL, cancel_thread, NULL);
	usleep(20000);
	pthread_cancel(t);
	pthread_join(t, &ret);
	printf("cancel: %s\n", ret == PTHREAD_CANCELED ? "PTHREAD_CANCELED" : "not cancelled");
}

/* ---- recursion ---- */
TRACED long up_rec(long n)
{
	volatile long here = n; /* read after the call: no tail recursion */

	if (n == 0)
		return 0;
	return up_rec(n - 1) + here;
}

static void section_recursion(void)
{
	printf("recursion: up_rec(10000) = %ld\n", up_rec(10000));
}

/* ---- stack ---- */
static const char *name_of(void *pc)
{
	Dl_info info;

	if (dladdr(pc, &info) && info.dli_sname)
		return info.dli_sname;
	return "?";
}

TRACED int up_bt(int x)
{
	void *frames[64];
	int n = backtrace(frames, 64);
	void *ra = __builtin_return_address(0);

	/* frames[0] is inside up_bt itself, frames[1] its caller */
	int main_at = -1;

	for (int i = n - 1; i >= 0; i--)
		if (!strcmp(name_of(frames[i]), "main"))
			main_at = i;
	printf("stack: backtrace: %s < %s, main %s\n", n > 0 ? name_of(frames[0]) : "-",
	       n > 1 ? name_of(frames[1]) : "-", main_at > 1 ? "reached" : "missing");
	printf("stack: return address in %s, backtrace agrees: %s\n", name_of(ra),
	       n > 1 && frames[1] == ra ? "yes" : "no");
	return x + n * 0;
}

TRACED int up_bt_caller(int x)
{
	volatile int r = up_bt(x);

	return r + 1;
}

static void section_stack(void)
{
	up_bt_caller(1);
}

/* ---- handler ---- */
static volatile sig_atomic_t handler_calls;

TRACED int up_in_handler(int k)
{
	return k + 1;
}

TRACED long up_main_work(long i)
{
	return i * 2;
}

static void on_alarm(int)
{
	if (handler_calls < 50)
		handler_calls = up_in_handler(handler_calls);
}

static void section_handler(void)
{
	struct sigaction sa = {}, old;
	struct itimerval it = {{0, 1000}, {0, 1000}}, off = {};
	volatile long sink = 0;

	sa.sa_handler = on_alarm;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGALRM, &sa, &old);
	setitimer(ITIMER_REAL, &it, NULL);
	for (long i = 0; handler_calls < 50; i++)
		sink += up_main_work(i);
	setitimer(ITIMER_REAL, &off, NULL);
	sigaction(SIGALRM, &old, NULL);
	printf("handler: up_in_handler called %d times\n", (int)handler_calls);
}

/* ---- children ---- */
TRACED int up_child(int k)
{
	return k * 10;
}

static void wait_child(pid_t pid, const char *how)
{
	int status;

	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		printf("children: %s failed\n", how);
	else
		printf("children: %s child exited %d\n", how, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

static void section_children(const char *self)
{
	char arg2[] = "2", arg3[] = "3", child[] = "--child";
	char *argv2[] = {(char *)self, child, arg2, NULL};
	char *argv3[] = {(char *)self, child, arg3, NULL};
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		printf("children: fork child up_child(1) = %d\n", up_child(1));
		fflush(stdout);
		_exit(0);
	}
	wait_child(pid, "fork");
	fflush(stdout);
	pid = vfork();
	if (pid == 0) {
		execv(self, argv2);
		_exit(127);
	}
	wait_child(pid, "vfork+exec");
	fflush(stdout);
	if (posix_spawn(&pid, self, NULL, NULL, argv3, environ) != 0)
		pid = -1;
	wait_child(pid, "posix_spawn");
}

/* ---- rtld_next ---- */
TRACED void *up_dlsym(const char *name)
{
	return dlsym(RTLD_NEXT, name);
}

static void section_rtld_next(void)
{
	pid_t (*fn)(void) = (pid_t (*)(void))up_dlsym("getpid");

	printf("rtld_next: dlsym(RTLD_NEXT, \"getpid\") %s\n",
	       !fn ? "is NULL" : fn() == getpid() ? "works" : "is wrong");
}

/* ---- badptr ---- */
TRACED int up_str(const char *s, int n)
{
	return n * 2 + (s == NULL);
}

static void section_badptr(void)
{
	long page = sysconf(_SC_PAGESIZE);
	char *unmapped = (char *)mmap(NULL, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *none = (char *)mmap(NULL, page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	munmap(unmapped, page);
	printf("badptr: up_str(unmapped, 7) = %d\n", up_str(unmapped, 7));
	printf("badptr: up_str(prot_none, 8) = %d\n", up_str(none, 8));
	printf("badptr: up_str(unmapped + 100, 9) = %d\n", up_str(unmapped + 100, 9));
	munmap(none, page);
}

int main(int argc, char **argv)
{
	static const char *all[] = {"throw", "longjmp", "siglongjmp", "exit", "cancel", "recursion",
				    "stack", "handler", "children", "rtld_next", "badptr"};
	const char **sections = all;
	int n = sizeof(all) / sizeof(all[0]);

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 3 && !strcmp(argv[1], "--child")) {
		int k = atoi(argv[2]);

		printf("children: exec child up_child(%d) = %d\n", k, up_child(k));
		return 0;
	}
	if (argc > 1) {
		sections = (const char **)argv + 1;
		n = argc - 1;
	}
	for (int i = 0; i < n; i++) {
		const char *s = sections[i];

		if (!strcmp(s, "throw")) section_throw();
		else if (!strcmp(s, "longjmp")) section_longjmp();
		else if (!strcmp(s, "siglongjmp")) section_siglongjmp();
		else if (!strcmp(s, "exit")) section_exit();
		else if (!strcmp(s, "cancel")) section_cancel();
		else if (!strcmp(s, "recursion")) section_recursion();
		else if (!strcmp(s, "stack")) section_stack();
		else if (!strcmp(s, "handler")) section_handler();
		else if (!strcmp(s, "children")) section_children("/proc/self/exe");
		else if (!strcmp(s, "rtld_next")) section_rtld_next();
		else if (!strcmp(s, "badptr")) section_badptr();
		else {
			fprintf(stderr, "unwind_paths: unknown section '%s'\n", s);
			return 2;
		}
	}
	return 0;
}
