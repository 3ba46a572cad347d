/* cxx_exceptions: C++ exceptions leaving traced functions.  The functions a
 * test traces (extern "C", so that their names are plain) are:
 *
 *   cx_thrower(x)  throws std::runtime_error when x < 0, else returns 2x;
 *   cx_pass(x)     calls cx_thrower(x) with a Guard on its stack, so a throw
 *                  passes through it; the Guard's destructor prints during
 *                  the unwinding;
 *   cx_catcher(x)  calls cx_thrower(x), catches, and returns -1 then.
 *
 * main runs seven cases and prints one result line per case:
 *
 *   case N: ... = R          a normal return
 *   case N: caught "MSG"     the exception reached main
 *
 * and at the end
 *
 *   left by exception: L, returned: R
 *
 * L counts the calls of the three functions that were left by an exception
 * (counted by the program itself: by cx_thrower before it throws, and by the
 * Guard of cx_pass when std::uncaught_exceptions() says it is unwinding);
 * R counts the calls that returned.  Exits 0, or 1 if a case went wrong.
 */
#include <cstdio>
#include <exception>
#include <stdexcept>

static int left_by_exception;
static int returned;

namespace {

struct Guard {
	int x;
	int uncaught;
	explicit Guard(int v) : x(v), uncaught(std::uncaught_exceptions()) {}
	~Guard()
	{
		bool unwinding = std::uncaught_exceptions() > uncaught;

		std::printf("  ~Guard(%d)%s\n", x, unwinding ? " during unwinding" : "");
		if (unwinding)
			left_by_exception++;
	}
};

} // namespace

extern "C" {

__attribute__((noinline)) int cx_thrower(int x)
{
	if (x < 0) {
		left_by_exception++;
		throw std::runtime_error("negative " + std::to_string(x));
	}
	returned++;
	return 2 * x;
}

__attribute__((noinline)) int cx_pass(int x)
{
	Guard g(x);
	int r = cx_thrower(x) + 1;

	returned++;
	return r;
}

__attribute__((noinline)) int cx_catcher(int x)
{
	int r;

	try {
		r = cx_thrower(x);
	} catch (const std::exception &e) {
		std::printf("  cx_catcher(%d) caught \"%s\"\n", x, e.what());
		r = -1;
	}
	returned++;
	return r;
}

} // extern "C"

int main()
{
	int bad = 0;

	std::printf("case 1: cx_thrower(4) = %d\n", cx_thrower(4));
	try {
		std::printf("case 2: cx_thrower(-2) = %d\n", cx_thrower(-2));
		bad = 1;
	} catch (const std::runtime_error &e) {
		std::printf("case 2: caught \"%s\"\n", e.what());
	}
	try {
		std::printf("case 3: cx_pass(-3) = %d\n", cx_pass(-3));
		bad = 1;
	} catch (const std::runtime_error &e) {
		std::printf("case 3: caught \"%s\"\n", e.what());
	}
	std::printf("case 4: cx_catcher(-4) = %d\n", cx_catcher(-4));
	std::printf("case 5: cx_pass(5) = %d\n", cx_pass(5));
	for (int i = 0; i < 10; i++) {
		try {
			cx_pass(-10 - i);
			bad = 1;
		} catch (const std::runtime_error &) {
		}
	}
	std::printf("case 6: 10 throws through cx_pass caught\n");
	/* A traced call after the last throw: a tracer notices calls left by
	 * an exception at the thread's next event. */
	std::printf("case 7: cx_thrower(0) = %d\n", cx_thrower(0));
	std::printf("left by exception: %d, returned: %d\n", left_by_exception, returned);
	return bad;
}
