/* cxx_names_std: C++ names that the standard library makes long (g++).
 *
 * As in cxx_names, every traced function is noinline and prints one line
 * per call naming itself as the demangler (and gdb) does, then a number:
 *
 *   call lib::mk[abi:cxx11](int) 3
 *
 * Covered: a function returning std::string (an ABI tag in its name), a
 * std::function parameter (a function type inside template arguments),
 * std::string, std::string_view, std::wstring, std::u16string,
 * std::u32string and std::ostream parameters (typedefs a user writes, that
 * the demangler spells out or abbreviates), a template instance over
 * std::string, a function whose exception handler GCC splits off into a
 * ".cold" part at -O2 (lib::catcher), a static function called with a
 * constant argument (a ".constprop" clone at -O2: lib::scale), and
 * functions ending in a call of operator new / operator delete (tail calls
 * at -O2: lib::grab, lib::drop).  Exits 0.
 */
#include <cstdio>
#include <functional>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>

#define NOINLINE __attribute__((noinline))

namespace lib {

NOINLINE std::string mk(int n)
{
	std::printf("call lib::mk[abi:cxx11](int) %d\n", n);
	return std::string((size_t)n, 'z');
}

NOINLINE int call_fn(std::function<int(int)> f, int x)
{
	std::printf("call lib::call_fn(std::function<int (int)>, int) %d\n", x);
	return f(x);
}

struct Pad {
	long total = 0;
	NOINLINE long m(const std::string &s);
	NOINLINE long m(long x);
};

long Pad::m(const std::string &s)
{
	std::printf("call lib::Pad::m(std::__cxx11::basic_string<char, std::char_traits<char>, "
		    "std::allocator<char> > const&) %zu\n", s.size());
	return total += (long)s.size();
}

long Pad::m(long x)
{
	std::printf("call lib::Pad::m(long) %ld\n", x);
	return total += x;
}

template <typename T> NOINLINE T twice(T x)
{
	if constexpr (sizeof(T) == sizeof(int))
		std::printf("call lib::twice<int>(int) %d\n", (int)x);
	else
		std::printf("call lib::twice<std::__cxx11::basic_string<char, std::char_traits<char>, "
			    "std::allocator<char> > >(std::__cxx11::basic_string<char, std::char_traits<char>, "
			    "std::allocator<char> >) %zu\n", x.size());
	return x + x;
}

NOINLINE size_t view(std::string_view v)
{
	std::printf("call lib::view(std::basic_string_view<char, std::char_traits<char> >) %zu\n", v.size());
	return v.size();
}

NOINLINE size_t wide(const std::wstring &s)
{
	std::printf("call lib::wide(std::__cxx11::basic_string<wchar_t, std::char_traits<wchar_t>, "
		    "std::allocator<wchar_t> > const&) %zu\n", s.size());
	return s.size();
}

NOINLINE size_t u16(const std::u16string &s)
{
	std::printf("call lib::u16(std::__cxx11::basic_string<char16_t, std::char_traits<char16_t>, "
		    "std::allocator<char16_t> > const&) %zu\n", s.size());
	return s.size();
}

NOINLINE size_t u32(std::u32string s)
{
	std::printf("call lib::u32(std::__cxx11::basic_string<char32_t, std::char_traits<char32_t>, "
		    "std::allocator<char32_t> >) %zu\n", s.size());
	return s.size();
}

NOINLINE int put(std::ostream &os, int x)
{
	std::printf("call lib::put(std::ostream&, int) %d\n", x);
	os << x;
	return x;
}

NOINLINE std::string thrower(int n)
{
	std::printf("call lib::thrower[abi:cxx11](int) %d\n", n);
	if (n > 1)
		throw std::runtime_error("boom");
	return "ok";
}

/* The handler is cold code: at -O2 GCC puts it in "lib::catcher(int)
 * [clone .cold]", a part that is entered by a jump, never called. */
NOINLINE int catcher(int n)
{
	std::printf("call lib::catcher(int) %d\n", n);
	try {
		return (int)thrower(n).size();
	} catch (const std::exception &e) {
		return -1;
	}
}

/* Every call passes f = 7: at -O2 only a ".constprop" clone is left. */
static NOINLINE long scale(long x, long f)
{
	std::printf("call lib::scale(long, long) %ld\n", x);
	return x * f + (x >> 3);
}

NOINLINE void *grab(size_t n)
{
	std::printf("call lib::grab(unsigned long) %zu\n", n);
	return ::operator new(n);
}

NOINLINE void drop(void *p)
{
	std::printf("call lib::drop(void*) %d\n", p != nullptr);
	::operator delete(p);
}

} // namespace lib

static volatile int k = 10;

int main(int argc, char **)
{
	long r = 0;
	lib::Pad pad;
	std::ostringstream os;

	for (int i = 0; i < 2; i++) {
		r += (long)lib::mk(3 + i).size();
		r += lib::call_fn([](int x) { return x * k; }, 4 + i);
		r += pad.m(std::string("a string longer than the small-string buffer"));
		r += pad.m(5L + i);
		r += lib::twice<int>(21 + i);
		r += (long)lib::twice<std::string>("ab").size();
		r += (long)lib::view("view");
		r += (long)lib::wide(L"wide");
		r += (long)lib::u16(u"u16");
		r += (long)lib::u32(U"u32!");
		r += lib::put(os, 7 + i);
		r += lib::scale(i + argc, 7);
		void *p = lib::grab(16 + (size_t)i);
		lib::drop(p);
	}
	for (int i = 0; i < 4; i++)
		r += lib::catcher(i);
	std::printf("out %s sum %ld\n", os.str().c_str(), r);
	return 0;
}
