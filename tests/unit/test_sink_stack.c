/* Golden output of the stack frames in the text and JSON sinks (--stack):
 * a normal frame, an inlined one, a tail-call one (found from DWARF call
 * sites, marked as gdb marks its TAILCALL_FRAMEs) and the marker of an
 * unwinding that stopped early, fed straight to the sinks' entry.  The
 * expected lines are written from the formats the man page documents
 * (STACKS). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sink.h"

/* The sinks with their default options. */
static struct sink *text_sink_new(FILE *out)
{
	return sink_text_new(out, NULL);
}

static struct sink *json_sink_new(FILE *out)
{
	return sink_json_new(out, NULL);
}

static const struct stack_frame frames[] = {
	{.addr = 0x7f0000001120, .function = "st_target", .offset = 0, .module = "app", .file = "app.c", .line = 23},
	{.addr = 0x7f0000001194, .function = "st_hop2", .offset = 4, .module = "app", .file = "app.c", .line = 29,
	 .tail_call = true},
	{.addr = 0x7f00000011bd, .function = "st_wrap", .offset = 0, .module = "app", .file = "app.c", .line = 39,
	 .inlined = true},
	{.addr = 0x7f00000011bd, .function = "st_caller", .offset = 13, .module = "app", .file = "app.c", .line = 45},
	{.addr = 0x7f00000010b1, .function = NULL, .offset = 0, .module = NULL, .file = NULL, .line = 0},
};

static char *entry(struct sink *(*make)(FILE *))
{
	struct event_layout l = {.function = "st_target", .module = "app"};
	struct stack_trace st = {.frames = frames, .n = sizeof(frames) / sizeof(frames[0]),
				 .stopped = "no unwind information"};
	struct event_header h = {.ts_ns = 1000000000ull, .pid = 100, .tid = 101, .call_id = 1, .stack = &st};
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	struct sink *s = make(f);

	s->ops->entry(s, &l, &h, NULL);
	s->ops->flush(s);
	s->ops->destroy(s);
	fclose(f);
	return text;
}

static void test_text(void **state)
{
	char *text = entry(text_sink_new);
	const char *frames_text = "    #0 0x7f0000001120 st_target (app) app.c:23\n"
				  "    #1 0x7f0000001194 st_hop2+0x4 (tail call) (app) app.c:29\n"
				  "    #2 0x7f00000011bd st_wrap (inlined) (app) app.c:39\n"
				  "    #3 0x7f00000011bd st_caller+0xd (app) app.c:45\n"
				  "    #4 0x7f00000010b1 \?\? (\?\?)\n"
				  "    #5 ... (unwinding stopped: no unwind information)\n";
	const char *nl = strchr(text, '\n');

	/* The entry line's time is local time: only what follows it. */
	assert_non_null(nl);
	assert_string_equal(nl + 1, frames_text);
	free(text);
}

static void test_json(void **state)
{
	char *text = entry(json_sink_new);

	assert_string_equal(
		text, "{\"type\":\"entry\",\"ts_ns\":1000000000,\"pid\":100,\"tid\":101,\"call\":1,\"depth\":0,\"function\":\"st_target\","
		      "\"module\":\"app\",\"args\":{},\"stack\":["
		      "{\"addr\":\"0x7f0000001120\",\"function\":\"st_target\",\"offset\":0,\"module\":\"app\","
		      "\"file\":\"app.c\",\"line\":23},"
		      "{\"addr\":\"0x7f0000001194\",\"function\":\"st_hop2\",\"offset\":4,\"module\":\"app\","
		      "\"file\":\"app.c\",\"line\":29,\"tail_call\":true},"
		      "{\"addr\":\"0x7f00000011bd\",\"function\":\"st_wrap\",\"offset\":0,\"module\":\"app\","
		      "\"file\":\"app.c\",\"line\":39,\"inlined\":true},"
		      "{\"addr\":\"0x7f00000011bd\",\"function\":\"st_caller\",\"offset\":13,\"module\":\"app\","
		      "\"file\":\"app.c\",\"line\":45},"
		      "{\"addr\":\"0x7f00000010b1\",\"function\":null,\"offset\":0,\"module\":null,\"file\":null,"
		      "\"line\":null},"
		      "{\"truncated\":\"no unwind information\"}]}\n");
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_json),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
