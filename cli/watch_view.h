#ifndef GUARDFS_CLI_WATCH_VIEW_H
#define GUARDFS_CLI_WATCH_VIEW_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "jsonl.h"

/*
 * How `guardfs watch` shows the stream to a person: one line per event,
 * refusals, trips and asks highlighted when coloured, and, once more
 * than burst_limit events arrive within a second, the rest of that
 * second folded into one summary line ("+1234 ops (unlink 1200, write
 * 34), 3 refused"), so that a flood stays readable. Refusals have a
 * budget of their own, so that one amid a flood of writes still shows;
 * trips, asks and drops are never folded.
 */
#define GFS_WATCH_VIEW_OPS 8

struct gfs_watch_view {
	FILE *out;
	bool color;
	int burst_limit;   /* events shown one by one each second */
	time_t second;	   /* the second being counted */
	int shown;	   /* events shown one by one in it */
	int shown_refused; /* refusals: a budget of their own */
	uint64_t folded;   /* and folded into its summary */
	uint64_t folded_refused;
	struct {
		char op[16];
		uint64_t count;
	} ops[GFS_WATCH_VIEW_OPS]; /* the folded ones by op; "other" last */
	int nops;
};

void gfs_watch_view_init(struct gfs_watch_view *v, FILE *out, bool color);

/* Shows (or folds) one event of the stream, arrived in second now. */
void gfs_watch_view_event(struct gfs_watch_view *v, const struct gfs_jsonl *ev,
			  time_t now);

/* Called at least once a second: ends a second, printing its summary. */
void gfs_watch_view_tick(struct gfs_watch_view *v, time_t now);

/*
 * Appends text to line with control characters escaped (\x1b): names
 * come from the agent, and must not drive the terminal.
 */
void gfs_watch_view_add_safe(struct gfs_buf *line, const char *text);

#endif
