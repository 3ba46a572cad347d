/* libplugin.so: a plug-in that dlopen_app loads with dlopen(), unloads and
 * loads again; no program links it.  plugin_fn() counts its calls in a
 * static variable, which starts again at 0 each time the library is loaded,
 * so the results show that the second dlopen() really loaded it afresh. */

int plugin_fn(int x);

static int calls;

int plugin_fn(int x)
{
	return x * 100 + ++calls;
}
