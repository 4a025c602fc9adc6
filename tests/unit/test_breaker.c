/* fs/breaker.c: the sliding minute and the rules that trip on it. */
#include <errno.h>
#include <pthread.h>

#include "check.h"
#include "guardfs/breaker.h"

static void test_window(void)
{
	struct gfs_window w;
	int64_t t = 1000;

	gfs_window_init(&w, t);
	CHECK(gfs_window_sum(&w, t) == 0);
	CHECK(gfs_window_add(&w, t, 5) == 5);
	CHECK(gfs_window_add(&w, t + 30, 7) == 12);
	/* the first second is still inside the minute at t + 59 ... */
	CHECK(gfs_window_sum(&w, t + 59) == 12);
	/* ... and leaves it at t + 60 */
	CHECK(gfs_window_sum(&w, t + 60) == 7);
	CHECK(gfs_window_add(&w, t + 60, 1) == 8);
	CHECK(gfs_window_sum(&w, t + 89) == 8);
	CHECK(gfs_window_sum(&w, t + 90) == 1);
	/* a long quiet spell empties it, whatever the buckets held */
	CHECK(gfs_window_sum(&w, t + 1000) == 0);
	CHECK(gfs_window_add(&w, t + 1000, 3) == 3);
	/* a caller whose clock read is late still counts, in its second */
	CHECK(gfs_window_add(&w, t + 999, 2) == 5);
	CHECK(gfs_window_sum(&w, t + 1059) == 3);
	CHECK(gfs_window_sum(&w, t + 1060) == 0);
	/* one a minute late counts as now */
	CHECK(gfs_window_add(&w, t + 900, 4) == 4);
	CHECK(gfs_window_sum(&w, t + 1119) == 4);
	CHECK(gfs_window_sum(&w, t + 1120) == 0);
}

/* A steady rate: the sum holds at one minute's worth. */
static void test_window_steady(void)
{
	struct gfs_window w;
	int64_t s, sum = 0;

	gfs_window_init(&w, 0);
	for (s = 0; s < 300; s++)
		sum = gfs_window_add(&w, s, 10);
	CHECK(sum == 600);
}

struct adder {
	struct gfs_window *w;
	int64_t start;
};

static void *add_many(void *arg)
{
	struct adder *a = arg;
	int i;

	for (i = 0; i < 100000; i++)
		gfs_window_add(a->w, a->start + i / 4000, 1);
	return NULL;
}

/* Threads crossing second boundaries together lose nothing. */
static void test_window_threads(void)
{
	struct gfs_window w;
	struct adder a = {&w, 0};
	pthread_t t[4];
	int i;

	gfs_window_init(&w, 0);
	for (i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, add_many, &a);
	for (i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	/* seconds 0..24, 4000 adds per thread each: all within the minute */
	CHECK(gfs_window_sum(&w, 24) == 400000);
	CHECK(gfs_window_sum(&w, 84) == 0);
}

static void test_deletes(void)
{
	struct gfs_breaker_limits l = {.deletes_per_minute = 3};
	struct gfs_breaker_state st;
	struct gfs_breaker *b;
	int i;

	CHECK(gfs_breaker_new(&b, &l) == 0);
	CHECK(gfs_breaker_admit(b, GFS_BREAKER_DELETE) == 0);
	for (i = 0; i < 3; i++)
		CHECK(!gfs_breaker_count(b, GFS_BREAKER_DELETE, 0));
	/* renames and writes have no limit here */
	for (i = 0; i < 10; i++)
		CHECK(!gfs_breaker_count(b, GFS_BREAKER_RENAME, 0));
	CHECK(!gfs_breaker_count(b, GFS_BREAKER_WRITE, 1 << 30));
	/* the fourth trips it, once */
	CHECK(gfs_breaker_count(b, GFS_BREAKER_DELETE, 0));
	CHECK(!gfs_breaker_count(b, GFS_BREAKER_DELETE, 0));
	CHECK(gfs_breaker_admit(b, GFS_BREAKER_WRITE) == -EROFS);
	CHECK(gfs_breaker_admit(b, GFS_BREAKER_OTHER) == -EROFS);
	gfs_breaker_state(b, &st);
	CHECK(st.frozen);
	CHECK_STR(st.rule, "deletes_per_minute");
	CHECK(st.deletes == 5);
	CHECK(st.renames == 10);
	CHECK(st.refused == 2);
	CHECK(st.since > 0);
	CHECK(st.entries == -1);
	/* a manual freeze of a frozen mount changes nothing */
	CHECK(!gfs_breaker_freeze(b, "manual"));
	/* thawing starts a fresh minute */
	CHECK(gfs_breaker_unfreeze(b));
	CHECK(!gfs_breaker_unfreeze(b));
	gfs_breaker_state(b, &st);
	CHECK(!st.frozen && st.deletes == 0 && st.rule[0] == '\0');
	CHECK(gfs_breaker_admit(b, GFS_BREAKER_DELETE) == 0);
	CHECK(!gfs_breaker_count(b, GFS_BREAKER_DELETE, 0));
	CHECK(gfs_breaker_freeze(b, "manual"));
	gfs_breaker_state(b, &st);
	CHECK_STR(st.rule, "manual");
	gfs_breaker_free(b);
}

static void test_renames_and_bytes(void)
{
	struct gfs_breaker_limits l = {.renames_per_minute = 2,
				       .bytes_written_per_minute = 100};
	struct gfs_breaker_state st;
	struct gfs_breaker *b;

	CHECK(gfs_breaker_new(&b, &l) == 0);
	CHECK(!gfs_breaker_count(b, GFS_BREAKER_WRITE, 60));
	CHECK(!gfs_breaker_count(b, GFS_BREAKER_WRITE, 40));
	CHECK(gfs_breaker_count(b, GFS_BREAKER_WRITE, 1));
	gfs_breaker_state(b, &st);
	CHECK_STR(st.rule, "bytes_written_per_minute");
	CHECK(st.bytes == 101);
	gfs_breaker_unfreeze(b);
	CHECK(!gfs_breaker_count(b, GFS_BREAKER_RENAME, 0));
	CHECK(!gfs_breaker_count(b, GFS_BREAKER_RENAME, 0));
	CHECK(gfs_breaker_count(b, GFS_BREAKER_RENAME, 0));
	gfs_breaker_state(b, &st);
	CHECK_STR(st.rule, "renames_per_minute");
	gfs_breaker_free(b);
}

static void test_fraction(void)
{
	struct gfs_breaker_limits l = {.delete_percent = 25};
	struct gfs_breaker_state st;
	struct gfs_breaker *b;
	int i;
	bool tripped = false;

	CHECK(gfs_breaker_new(&b, &l) == 0);
	/* not judged until the entries are counted */
	for (i = 0; i < GFS_BREAKER_FRACTION_FLOOR + 10; i++)
		CHECK(!gfs_breaker_count(b, GFS_BREAKER_DELETE, 0));
	gfs_breaker_unfreeze(b); /* (not frozen: no fresh minute) */
	gfs_breaker_free(b);

	CHECK(gfs_breaker_new(&b, &l) == 0);
	gfs_breaker_set_entries(b, 2000);
	/* creates grow the folder: 2000 + 400 entries */
	for (i = 0; i < 400; i++)
		gfs_breaker_count(b, GFS_BREAKER_CREATE, 0);
	/* a quarter of 2400 is 600: the 601st delete trips */
	for (i = 1; i <= 601 && !tripped; i++) {
		tripped = gfs_breaker_count(b, GFS_BREAKER_DELETE, 0);
		if (tripped)
			CHECK(i == 601);
	}
	CHECK(tripped);
	gfs_breaker_state(b, &st);
	CHECK_STR(st.rule, "delete_fraction");
	CHECK(st.entries == 2400 - 600); /* the 601st was refused */
	gfs_breaker_free(b);

	/* a small folder: below the floor nothing trips */
	CHECK(gfs_breaker_new(&b, &l) == 0);
	gfs_breaker_set_entries(b, 100);
	for (i = 0; i < 100; i++)
		CHECK(!gfs_breaker_count(b, GFS_BREAKER_DELETE, 0));
	gfs_breaker_free(b);
}

/* ask_first: a crossing names its rule and leaves the mount thawed. */
static void test_ask_first(void)
{
	struct gfs_breaker_limits l = {.deletes_per_minute = 2,
				       .ask_first = true};
	struct gfs_breaker_state st;
	struct gfs_breaker *b;

	CHECK(gfs_breaker_new(&b, &l) == 0);
	CHECK(!gfs_breaker_count(b, GFS_BREAKER_DELETE, 0));
	CHECK(!gfs_breaker_count(b, GFS_BREAKER_DELETE, 0));
	CHECK_STR(gfs_breaker_count(b, GFS_BREAKER_DELETE, 0),
		  "deletes_per_minute");
	CHECK(gfs_breaker_admit(b, GFS_BREAKER_DELETE) == 0);
	gfs_breaker_state(b, &st);
	CHECK(!st.frozen && st.deletes == 3);
	/* allowed always: a fresh minute */
	gfs_breaker_restart(b);
	gfs_breaker_state(b, &st);
	CHECK(st.deletes == 0);
	CHECK(!gfs_breaker_count(b, GFS_BREAKER_DELETE, 0));
	gfs_breaker_free(b);
}

static void test_null(void)
{
	CHECK(gfs_breaker_admit(NULL, GFS_BREAKER_DELETE) == 0);
	CHECK(!gfs_breaker_count(NULL, GFS_BREAKER_DELETE, 0));
}

int main(void)
{
	test_window();
	test_window_steady();
	test_window_threads();
	test_deletes();
	test_renames_and_bytes();
	test_fraction();
	test_ask_first();
	test_null();
	return failures != 0;
}
