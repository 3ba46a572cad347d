/* cxx_names: C++ functions to probe by their demangled names (g++).
 *
 * Every traced function is noinline and prints one line per call, naming
 * itself the way the demangler (and gdb) does, then what it received:
 *
 *   call shop::Till::add(long) 5
 *
 * so the output is the oracle of which function was called how often and
 * with what.  Covered: namespaces, a nested class, overloads of one method
 * (int, long, char const*, double), a template function and a method of a
 * class template, static and virtual methods, operators (<, (), +=), a
 * constructor and a destructor (objects on the stack: complete-object
 * constructor and destructor only), and a function in an anonymous
 * namespace, and integer types spelled many ways (shop::units(unsigned),
 * shop::mix(signed char, short int)).  shop::Till::add(double) calls shop::Till::tax(10), the only
 * call not made by main.  Arguments are scalars, pointers and C strings.
 * Exits 0.
 */
#include <cstdio>

#define NOINLINE __attribute__((noinline))

namespace shop {

class Till {
public:
	NOINLINE Till(long start) : total(start)
	{
		std::printf("call shop::Till::Till(long) %ld\n", start);
	}
	NOINLINE ~Till()
	{
		std::printf("call shop::Till::~Till() %ld\n", total);
	}
	NOINLINE long add(int x);
	NOINLINE long add(long x);
	NOINLINE long add(const char *label);
	NOINLINE long add(double x);
	NOINLINE static int tax(int cents);
	NOINLINE bool operator<(const Till &other) const;
	NOINLINE Till &operator+=(long x);

	struct Drawer {
		int coins;
		NOINLINE int count(int extra);
	};

	long total;
};

long Till::add(int x)
{
	std::printf("call shop::Till::add(int) %d\n", x);
	return total += x;
}

long Till::add(long x)
{
	std::printf("call shop::Till::add(long) %ld\n", x);
	return total += x;
}

long Till::add(const char *label)
{
	std::printf("call shop::Till::add(char const*) %s\n", label);
	return total;
}

long Till::add(double x)
{
	std::printf("call shop::Till::add(double) %g\n", x);
	/* A call from a method (not a tail call): for stack frames. */
	total += (long)x + tax(10) / 100;
	return total;
}

int Till::tax(int cents)
{
	std::printf("call shop::Till::tax(int) %d\n", cents);
	return cents / 5;
}

bool Till::operator<(const Till &other) const
{
	std::printf("call shop::Till::operator<(shop::Till const&) const %ld\n", other.total);
	return total < other.total;
}

Till &Till::operator+=(long x)
{
	std::printf("call shop::Till::operator+=(long) %ld\n", x);
	total += x;
	return *this;
}

int Till::Drawer::count(int extra)
{
	std::printf("call shop::Till::Drawer::count(int) %d\n", extra);
	return coins + extra;
}

struct Shape {
	NOINLINE virtual int area(int scale) const;
	virtual ~Shape() = default;
};

struct Square : Shape {
	int side = 3;
	NOINLINE int area(int scale) const override;
};

int Shape::area(int scale) const
{
	std::printf("call shop::Shape::area(int) const %d\n", scale);
	return 0;
}

int Square::area(int scale) const
{
	std::printf("call shop::Square::area(int) const %d\n", scale);
	return side * side * scale;
}

template <typename T> NOINLINE T twice(T x)
{
	std::printf("call shop::twice<%s>(%s) %g\n", sizeof(T) == 4 ? "int" : "double",
		    sizeof(T) == 4 ? "int" : "double", (double)x);
	return x + x;
}

template <typename T> struct Box {
	T value;
	NOINLINE T get(int times) const
	{
		std::printf("call shop::Box<int>::get(int) const %d\n", times);
		return value * times;
	}
};

struct Scale {
	int factor;
	NOINLINE int operator()(int x) const
	{
		std::printf("call shop::Scale::operator()(int) const %d\n", x);
		return factor * x;
	}
};

/* Integer types that C++ spells many ways: "unsigned" is "unsigned int",
 * "short int" is "short" (as gdb's parser and the demangler spell them). */
NOINLINE int units(unsigned n)
{
	std::printf("call shop::units(unsigned int) %u\n", n);
	return (int)n * 2;
}

NOINLINE int mix(signed char c, short int s)
{
	std::printf("call shop::mix(signed char, short) %d\n", c + s);
	return c + s;
}

} // namespace shop

namespace {

NOINLINE int hidden(int x)
{
	std::printf("call (anonymous namespace)::hidden(int) %d\n", x);
	return x - 1;
}

} // namespace

/* The compiler must not see through these to the objects' dynamic types. */
static shop::Shape *volatile shape_ptr;
static const char *volatile label = "coffee";

int main()
{
	long sum = 0;
	{
		shop::Till till(100), other(7);
		shop::Till::Drawer drawer{4};
		shop::Square square;
		shop::Shape base;
		shop::Box<int> box{6};
		shop::Scale scale{3};

		sum += till.add(5);
		sum += till.add(6L);
		sum += till.add(7L);
		sum += till.add(label);
		sum += till.add(2.5);
		sum += shop::Till::tax(250);
		sum += till < other;
		till += 9;
		sum += drawer.count(2);
		shape_ptr = &square;
		sum += shape_ptr->area(2);
		shape_ptr = &base;
		sum += shape_ptr->area(4);
		sum += shop::twice(21);
		sum += (long)shop::twice(1.5);
		sum += box.get(2);
		sum += scale(11);
		sum += hidden(8);
		sum += shop::units(3);
		sum += shop::mix(1, 2);
	}
	std::printf("sum %ld\n", sum);
	return 0;
}
