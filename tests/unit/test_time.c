/* common/util.c: gfs_time_parse, the WHEN of log, diff and restore. */
#include <stdlib.h>
#include <time.h>

#include "check.h"
#include "guardfs/util.h"

/* The epoch seconds of a local wall-clock time in the current TZ. */
static time_t local(int y, int mo, int d, int h, int mi, int s)
{
	struct tm tm = {.tm_year = y - 1900,
			.tm_mon = mo - 1,
			.tm_mday = d,
			.tm_hour = h,
			.tm_min = mi,
			.tm_sec = s,
			.tm_isdst = -1};

	return mktime(&tm);
}

static time_t parsed(const char *text, time_t now)
{
	time_t t = 0;

	if (gfs_time_parse(text, now, &t)) {
		fprintf(stderr, "cannot parse '%s'\n", text);
		return -1;
	}
	return t;
}

static void check_zone(const char *tz)
{
	/* 2026-12-06 14:20:05 local */
	time_t now;

	setenv("TZ", tz, 1);
	tzset();
	now = local(2026, 12, 6, 14, 20, 5);
	CHECK(parsed("90s", now) == now - 90);
	CHECK(parsed("2h", now) == now - 7200);
	CHECK(parsed("today", now) == local(2026, 12, 6, 0, 0, 0));
	CHECK(parsed("yesterday", now) == local(2026, 12, 5, 0, 0, 0));
	CHECK(parsed("10:30", now) == local(2026, 12, 6, 10, 30, 0));
	CHECK(parsed("10:30:15", now) == local(2026, 12, 6, 10, 30, 15));
	/* still to come today: yesterday's */
	CHECK(parsed("15:00", now) == local(2026, 12, 5, 15, 0, 0));
	CHECK(parsed("yesterday 10:30", now) == local(2026, 12, 5, 10, 30, 0));
	CHECK(parsed("today 09:05", now) == local(2026, 12, 6, 9, 5, 0));
	CHECK(parsed("2026-12-06 10:30", now) == local(2026, 12, 6, 10, 30, 0));
	CHECK(parsed("2026-12-06T10:30:00Z", now) == 1796553000);
	CHECK(parsed("2026-12-06T11:30:00+01:00", now) == 1796553000);
	/* across the month: yesterday of the 1st */
	now = local(2026, 3, 1, 8, 0, 0);
	CHECK(parsed("yesterday 23:59", now) == local(2026, 2, 28, 23, 59, 0));
	CHECK(parsed("09:00", now) == local(2026, 2, 28, 9, 0, 0));
}

int main(void)
{
	static const char *const bad[] = {
		"",
		"x",
		"yesterdy",
		"yesterday 25:00",
		"10:60",
		"10:",
		":30",
		"1030",
		"today10:30",
		"10:30pm",
		"tomorrow",
		"15",
		"yesterday-ish",
		"2026-13-01",
	};
	size_t i;
	time_t t;

	check_zone("UTC");
	check_zone("America/New_York");
	check_zone("Asia/Kolkata");
	/* a zone unlike UTC: 10:30 local is not 10:30 UTC */
	setenv("TZ", "Asia/Kolkata", 1);
	tzset();
	CHECK(parsed("2026-12-06 10:30", 1796600000) == 1796553000 - 19800);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (gfs_time_parse(bad[i], 1796600000, &t) != -22) {
			fprintf(stderr, "accepted '%s'\n", bad[i]);
			failures++;
		}
	}
	return failures != 0;
}
