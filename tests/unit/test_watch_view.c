/* cli/jsonl.c and cli/watch_view.c: reading the stream, showing it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "jsonl.c"
#include "watch_view.c"

static void test_jsonl(void)
{
	struct gfs_jsonl o = {GFS_BUF_INIT, {0}, {0}, 0};

	CHECK(gfs_jsonl_parse(&o, "{\"a\":\"x\\\"y\\u00e9\\n\",\"n\":12,"
				  "\"t\":true, \"z\" : null}") == 0);
	CHECK(o.count == 4);
	CHECK_STR(gfs_jsonl_get(&o, "a"), "x\"y\xc3\xa9\n");
	CHECK_STR(gfs_jsonl_get(&o, "n"), "12");
	CHECK_STR(gfs_jsonl_get(&o, "t"), "true");
	CHECK_STR(gfs_jsonl_get(&o, "z"), "null");
	CHECK(gfs_jsonl_get(&o, "missing") == NULL);
	CHECK(gfs_jsonl_parse(&o, "{}") == 0 && o.count == 0);
	CHECK(gfs_jsonl_parse(&o, "{\"a\":\"open") != 0);
	CHECK(gfs_jsonl_parse(&o, "[1]") != 0);
	CHECK(gfs_jsonl_parse(&o, "{\"a\" 1}") != 0);
	CHECK(gfs_jsonl_parse(&o, "{\"a\":\"\\q\"}") != 0);
	gfs_jsonl_release(&o);
}

/* Feeds line to v in second now; returns what was printed. */
static void feed(struct gfs_watch_view *v, const char *line, time_t now)
{
	struct gfs_jsonl o = {GFS_BUF_INIT, {0}, {0}, 0};

	CHECK(gfs_jsonl_parse(&o, line) == 0);
	gfs_watch_view_event(v, &o, now);
	gfs_jsonl_release(&o);
}

static void test_view(void)
{
	struct gfs_watch_view v;
	char *text = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&text, &size);
	int i;

	setenv("TZ", "UTC", 1);
	gfs_watch_view_init(&v, out, false);
	feed(&v,
	     "{\"time\":\"2026-12-06T11:00:00.1Z\",\"event\":\"op\","
	     "\"op\":\"rename\",\"path\":\"a\",\"path2\":\"b\\u001b[2J\","
	     "\"result\":\"ok\",\"pid\":7,\"process\":\"mv\"}",
	     100);
	feed(&v,
	     "{\"time\":\"2026-12-06T11:00:00.2Z\",\"op\":\"lookup\","
	     "\"path\":\".env\",\"result\":\"ENOENT\",\"refused\":true,"
	     "\"rule\":\"builtin:3\",\"pid\":8,\"process\":\"cat\"}",
	     100);
	fflush(out);
	/* the agent's names cannot drive the terminal */
	CHECK_STR(text, "11:00:00 mv[7] rename a -> b\\x1b[2J ok\n"
			"11:00:00 cat[8] lookup .env REFUSED ENOENT by "
			"builtin:3\n");
	/* a burst: 25 shown, the rest folded into one line at the tick */
	for (i = 0; i < 1000; i++)
		feed(&v,
		     i % 4 ? "{\"op\":\"unlink\",\"path\":\"f\"}"
			   : "{\"op\":\"write\",\"path\":\"f\"}",
		     101);
	feed(&v, "{\"op\":\"open\",\"path\":\"g\",\"refused\":true}", 101);
	feed(&v, "{\"event\":\"trip\",\"rule\":\"deletes_per_minute\"}", 101);
	gfs_watch_view_tick(&v, 102);
	fflush(out);
	CHECK(strstr(text, "+975 ops (unlink 732, write 243), 0 refused\n"));
	CHECK(strstr(text,
		     "--:--:-- ?[?] open g REFUSED ?\n")); /* its own budget */
	CHECK(strstr(text, "BREAKER TRIPPED: deletes_per_minute"));
	if (failures)
		fprintf(stderr, "%s", text);
	fclose(out);
	free(text);
}

int main(void)
{
	test_jsonl();
	test_view();
	printf("%s: %d failure(s)\n", failures ? "FAIL" : "ok", failures);
	return failures ? 1 : 0;
}
