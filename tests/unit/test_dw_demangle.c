/* dw_demangle: C++ names as gdb demangles, spells and compares them.  The
 * expected strings are the demangler's spelling (what c++filt -p and gdb's
 * "info functions" print), written here by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dw_demangle.h"

static void check_demangle(const char *mangled, const char *want)
{
	char *got = dw_demangle(mangled);
	if (!want) {
		assert_null(got);
		return;
	}
	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static void test_demangle(void **state)
{
	(void)state;
	check_demangle("_ZN4shop4Till3addEl", "shop::Till::add(long)");
	check_demangle("_ZN4shop4Till3addEPKc", "shop::Till::add(char const*)");
	/* A template function without its return type, as gdb shows it. */
	check_demangle("_ZN4shop5twiceIiEET_S1_", "shop::twice<int>(int)");
	check_demangle("_ZN12_GLOBAL__N_16hiddenEi.constprop.0",
		       "(anonymous namespace)::hidden(int) [clone .constprop.0]");
	check_demangle("main", NULL);
	check_demangle("my_traced_function", NULL);
	check_demangle("_Znot_a_name", NULL);
}

/* Rust, legacy (Itanium-shaped, a hash last) and v0 ("_R"): the path
 * without the hash, as gdb and rustfilt show it (libiberty's
 * rust-demangle.c); expected strings written by hand. */
static void test_demangle_rust(void **state)
{
	(void)state;
	check_demangle("_ZN8rust_app7compute17h4f1196f8c3d804ceE", "rust_app::compute");
	check_demangle("_ZN4core3fmt9Formatter3pad17h0123456789abcdefE", "core::fmt::Formatter::pad");
	check_demangle("_ZN8rust_app4main28_$u7b$$u7b$closure$u7d$$u7d$17h43eb6b68be773493E",
		       "rust_app::main::{{closure}}");
	check_demangle("_RNvCs1234_8rust_app7compute", "rust_app::compute");
	check_demangle("_RNvMs_NtCs4fqI2P2rA04_4core3fmtNtB4_9Formatter3pad", "<core::fmt::Formatter>::pad");
	/* A hash libiberty finds implausible (fewer than 5 distinct digits)
	 * is no Rust hash: then it is the C++ reading, with it as a name. */
	check_demangle("_ZN8rust_app7compute17h1111111111111111E", "rust_app::compute::h1111111111111111");
	/* No hash: C++, not Rust. */
	check_demangle("_ZN4shop4Till3addEl", "shop::Till::add(long)");
	assert_int_equal(dw_demangled_qualified_len("rust_app::compute"), strlen("rust_app::compute"));
	assert_true(dw_cxx_matches("rust_app::compute", "rust_app::compute", "rust_app::compute", false));
	assert_true(dw_cxx_matches("rust_app::compute", "rust_app::*", "rust_app::*", true));
	assert_false(dw_cxx_matches("rust_app::compute", "rust_app::greet", "rust_app::greet", false));
}

static void check_qualified(const char *demangled, const char *want)
{
	assert_int_equal(dw_demangled_qualified_len(demangled), strlen(want));
	assert_memory_equal(demangled, want, strlen(want));
}

static void test_qualified_len(void **state)
{
	(void)state;
	check_qualified("shop::Till::add(long)", "shop::Till::add");
	check_qualified("shop::twice<int>(int)", "shop::twice<int>");
	check_qualified("shop::Box<int>::get(int) const", "shop::Box<int>::get");
	check_qualified("shop::Scale::operator()(int) const", "shop::Scale::operator()");
	check_qualified("shop::Scale::operator()", "shop::Scale::operator()");
	check_qualified("(anonymous namespace)::hidden(int) [clone .constprop.0]", "(anonymous namespace)::hidden");
	check_qualified("(anonymous namespace)::hidden", "(anonymous namespace)::hidden");
	check_qualified("main::{lambda(int)#1}::operator()(int) const", "main::{lambda(int)#1}::operator()");
	check_qualified("A::f() &&", "A::f");
	check_qualified("plain", "plain");
}

static void check_canonical(const char *spelling, const char *want)
{
	char *got = dw_cxx_canonical(spelling);
	assert_string_equal(got, want);
	free(got);
}

static void test_canonical(void **state)
{
	(void)state;
	check_canonical("ns::C::m (long int)", "ns::C::m(long)");
	check_canonical("ns::C::m(const char *)", "ns::C::m(char const*)");
	check_canonical("ns::C::m(char const *)", "ns::C::m(char const*)");
	check_canonical("f(unsigned long int, short int)", "f(unsigned long, short)");
	check_canonical("f(const std::vector<int, std::allocator<int>>&)",
			"f(std::vector<int, std::allocator<int> > const&)");
	check_canonical("ns::C::operator < (const ns::C &) const", "ns::C::operator<(ns::C const&) const");
	check_canonical("ns::S::operator () (int) const", "ns::S::operator()(int) const");
	check_canonical("ns::C::operator new(unsigned long)", "ns::C::operator new(unsigned long)");
	check_canonical("( anonymous namespace )::hidden", "(anonymous namespace)::hidden");
	check_canonical("my_traced_function", "my_traced_function");
	/* Integer types as gdb's cp-name-parser (and the demangler) spell them. */
	check_canonical("ns::f(unsigned)", "ns::f(unsigned int)");
	check_canonical("ns::f(unsigned int)", "ns::f(unsigned int)");
	check_canonical("ns::f(signed)", "ns::f(int)");
	check_canonical("ns::f(signed int, int signed)", "ns::f(int, int)");
	check_canonical("f(long int, int long, long long int, long int long)", "f(long, long, long long, long long)");
	check_canonical("f(unsigned long int, long unsigned, unsigned long long int)",
			"f(unsigned long, unsigned long, unsigned long long)");
	check_canonical("f(short int, signed short, short unsigned int)", "f(short, short, unsigned short)");
	check_canonical("f(signed char, unsigned char, char)", "f(signed char, unsigned char, char)");
	check_canonical("f(const unsigned *, unsigned&)", "f(unsigned int const*, unsigned int&)");
	check_canonical("f(long double, unsigned __int128)", "f(long double, unsigned __int128)");
	check_canonical("ns::g(signed char, short int)", "ns::g(signed char, short)");
	check_canonical("ns::Box<unsigned>::get", "ns::Box<unsigned int>::get");
	/* A function type in template arguments, as the demangler spells it
	 * ("std::function<int (int)>"), lambdas and operators' templates. */
	check_canonical("ns::call_fn(std::function<int(int)>, int)", "ns::call_fn(std::function<int (int)>, int)");
	check_canonical("f(std::function<void (*)(long)>)", "f(std::function<void (*)(long)>)");
	check_canonical("f(main::{lambda(int)#1} const&)", "f(main::{lambda(int)#1} const&)");
	check_canonical("std::operator+<char>(char const*)", "std::operator+<char>(char const*)");
	check_canonical("f(const char * const &)", "f(char const* const&)");
	/* The standard typedefs the demangler spells out. */
	check_canonical("ns::C::m(std::string const&)",
			"ns::C::m(std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> > const&)");
	check_canonical("ns::twice<std::string>",
			"ns::twice<std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> > >");
	check_canonical("f(std::string_view, std::u16string)",
			"f(std::basic_string_view<char, std::char_traits<char> >, "
			"std::__cxx11::basic_string<char16_t, std::char_traits<char16_t>, std::allocator<char16_t> >)");
	/* ... but not the ones it abbreviates itself, nor other scopes'. */
	check_canonical("f(std::ostream&)", "f(std::ostream&)");
	check_canonical("f(my::std::string)", "f(my::std::string)");
	check_canonical("std::string::size",
			"std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> >::size");
	/* ABI tags and clone suffixes as the demangler prints them. */
	check_canonical("ns::mk[abi:cxx11](int)", "ns::mk[abi:cxx11](int)");
	check_canonical("f(int) [clone .cold]", "f(int) [clone .cold]");
}

static void test_is_glob(void **state)
{
	(void)state;
	assert_true(dw_name_is_glob("ns::*"));
	assert_true(dw_name_is_glob("*::add*"));
	assert_true(dw_name_is_glob("my_[ab]?"));
	assert_false(dw_name_is_glob("ns::C::m(char const*)"));
	assert_false(dw_name_is_glob("f(int[3])"));
	assert_false(dw_name_is_glob("ns::V::operator*"));
	assert_false(dw_name_is_glob("ns::V::operator[]"));
	assert_false(dw_name_is_glob("my_traced_function"));
	/* An ABI tag or a clone suffix is part of a name. */
	assert_false(dw_name_is_glob("ns::mk[abi:cxx11](int)"));
	assert_false(dw_name_is_glob("ns::mk[abi:cxx11]"));
	assert_false(dw_name_is_glob("f(int) [clone .cold]"));
	assert_true(dw_name_is_glob("ns::mk[abi:cxx11]*"));
	/* A pointer among template arguments is no glob; a lone '*' is. */
	assert_false(dw_name_is_glob("std::_Any_data::_M_access<Foo*>()"));
	assert_false(dw_name_is_glob("a<int*, char const*>::f"));
	assert_true(dw_name_is_glob("shop::twice<*"));
	assert_true(dw_name_is_glob("a<*>::f"));
}

static bool matches(const char *demangled, const char *pattern)
{
	bool glob = dw_name_is_glob(pattern);
	char *canonical = glob ? NULL : dw_cxx_canonical(pattern);
	bool ok = dw_cxx_matches(demangled, pattern, canonical, glob);
	free(canonical);
	return ok;
}

static void test_matches(void **state)
{
	(void)state;
	assert_true(matches("shop::Till::add(long)", "shop::Till::add"));
	assert_true(matches("shop::Till::add(long)", "shop::Till::add(long int)"));
	assert_false(matches("shop::Till::add(long)", "shop::Till::add(int)"));
	assert_true(matches("shop::Till::add(long)", "Till::add"));
	assert_false(matches("shop::Till::add(long)", "add"));
	assert_false(matches("shop::Till::add(long)", "ill::add"));
	assert_true(matches("shop::twice<int>(int)", "shop::twice<int>"));
	assert_true(matches("shop::twice<int>(int)", "shop::twice"));
	assert_false(matches("shop::twice<int>(int)", "shop::twice<long>"));
	assert_true(matches("shop::Box<int>::get(int) const", "shop::Box::get(int) const"));
	assert_false(matches("shop::Box<int>::get(int) const", "shop::Box::get(int)"));
	assert_true(matches("ns::operator<(ns::P const&, ns::P const&)", "ns::operator<"));
	assert_true(matches("ns::operator<<(std::ostream&, ns::P const&)", "ns::operator<<"));
	assert_false(matches("ns::operator<<(std::ostream&, ns::P const&)", "ns::operator<"));
	assert_true(matches("(anonymous namespace)::hidden(int) [clone .constprop.0]", "(anonymous namespace)::hidden"));
	assert_true(matches("(anonymous namespace)::hidden(int) [clone .constprop.0]", "(anonymous namespace)::hidden(int)"));
	assert_true(matches("shop::Till::add(long)", "shop::*"));
	assert_true(matches("shop::Till::add(long)", "*::add*"));
	assert_false(matches("shop::Till::add(long)", "*::ad"));
	assert_true(matches("shop::Till::add(long)", "shop::Till::a*(long)"));
	assert_false(matches("shop::Till::add(long)", "shop::Till::a*(int)"));
	/* ABI tags are optional; when given they must be the name's. */
	assert_true(matches("ns::mk[abi:cxx11](int)", "ns::mk"));
	assert_true(matches("ns::mk[abi:cxx11](int)", "ns::mk(int)"));
	assert_true(matches("ns::mk[abi:cxx11](int)", "ns::mk[abi:cxx11](int)"));
	assert_true(matches("ns::mk[abi:cxx11](int)", "ns::mk[abi:cxx11]"));
	assert_false(matches("ns::mk[abi:cxx11](int)", "ns::mk[abi:other]"));
	assert_true(matches("ns::mk[abi:cxx11](int)", "ns::mk*"));
	assert_true(matches("ns::mk[abi:cxx11](int)", "*::mk(int)"));
	assert_true(matches("ns::mk[abi:cxx11](int)", "*::mk[abi:cxx11]"));
	/* A clone suffix in the pattern names that clone only. */
	assert_true(matches("f(int) [clone .cold]", "f(int) [clone .cold]"));
	assert_false(matches("f(int) [clone .isra.0]", "f(int) [clone .cold]"));
	assert_false(matches("f(int)", "f(int) [clone .cold]"));
	assert_true(matches("ns::twice<std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> > >"
			    "(std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> >)",
			    "ns::twice<std::string>"));
	assert_true(matches("ns::call_fn(std::function<int (int)>, int)", "ns::call_fn(std::function<int(int)>, int)"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_demangle), cmocka_unit_test(test_demangle_rust), cmocka_unit_test(test_qualified_len), cmocka_unit_test(test_canonical),
		cmocka_unit_test(test_is_glob),    cmocka_unit_test(test_matches),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
