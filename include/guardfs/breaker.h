#ifndef GUARDFS_BREAKER_H
#define GUARDFS_BREAKER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

/*
 * The breaker: counts deletes, renames and bytes written over a sliding
 * minute and freezes the mount when one crosses its [limits] value.
 * While frozen, every mutation is refused with EROFS and reads go on;
 * only `guardfs unfreeze` (outside the sandbox) thaws it.
 *
 * The hot path costs one atomic load (admit) and, for a counted kind,
 * two atomic adds and a compare (count); a mutex is taken at most once a
 * second per window, to retire the second that left the minute.
 */

/* Seconds a window covers, in one-second buckets. */
#define GFS_WINDOW_SECONDS 60

/*
 * A sliding one-minute sum. Each second has a bucket; total is the sum
 * of the buckets of the last GFS_WINDOW_SECONDS seconds up to head, the
 * newest second seen. Adding to a new second first retires the seconds
 * that fell out of the minute (under lock, once a second).
 */
struct gfs_window {
	atomic_int_fast64_t total;
	atomic_int_fast64_t buckets[GFS_WINDOW_SECONDS];
	atomic_int_fast64_t head; /* the newest second retired up to */
	atomic_flag rotating;
};

/* An empty window whose newest second is now. */
void gfs_window_init(struct gfs_window *w, int64_t now);

/* Adds n at second now; returns the sum over the minute up to now. */
int64_t gfs_window_add(struct gfs_window *w, int64_t now, int64_t n);

/* The sum over the minute up to second now. */
int64_t gfs_window_sum(struct gfs_window *w, int64_t now);

/* What a mutation is, for the breaker. */
enum gfs_breaker_kind {
	GFS_BREAKER_DELETE, /* unlink, rmdir */
	GFS_BREAKER_RENAME, /* rename, exchange */
	GFS_BREAKER_WRITE,  /* bytes into a file */
	GFS_BREAKER_CREATE, /* a new name: create, mkdir, link, ... */
	GFS_BREAKER_OTHER,  /* any other change: setattr, xattrs */
};

/* [limits]; 0 turns one rule off. */
struct gfs_breaker_limits {
	unsigned deletes_per_minute;
	unsigned renames_per_minute;
	uint64_t bytes_written_per_minute;
	/* share of the known entries deleted within a minute, in percent */
	unsigned delete_percent;
	/*
	 * A crossing does not freeze: gfs_breaker_count names the rule and
	 * the caller asks the user ([limits] ask).
	 */
	bool ask_first;
};

/*
 * delete_fraction judges only minutes with at least this many deletes:
 * a small folder may lose half its files to one clean.
 */
#define GFS_BREAKER_FRACTION_FLOOR 200

/* A snapshot of the breaker, for status, the audit trail and the user. */
struct gfs_breaker_state {
	bool frozen;
	char rule[32];	  /* the tripped rule, or "manual" (guardfs freeze) */
	int64_t since;	  /* wall-clock seconds of the freeze, 0 if thawed */
	int64_t deletes;  /* over the last minute */
	int64_t renames;  /* over the last minute */
	int64_t bytes;	  /* written over the last minute */
	int64_t entries;  /* entries known to the mount, -1 until counted */
	uint64_t refused; /* mutations refused while frozen */
	struct gfs_breaker_limits limits;
};

struct gfs_breaker;

/* A thawed breaker with these limits. 0 or -ENOMEM. */
int gfs_breaker_new(struct gfs_breaker **out,
		    const struct gfs_breaker_limits *limits);
void gfs_breaker_free(struct gfs_breaker *b);

/* Whether it is frozen now (nothing counted). NULL: false. */
bool gfs_breaker_frozen(struct gfs_breaker *b);

/* 0, or -EROFS while frozen (and the refusal is counted). NULL: 0. */
int gfs_breaker_admit(struct gfs_breaker *b, enum gfs_breaker_kind kind);

/*
 * Counts a mutation (bytes for GFS_BREAKER_WRITE). Returns the name of
 * the rule ("deletes_per_minute", a static string) when this very count
 * tripped the breaker, the caller then reporting the trip, once; else
 * NULL. NULL breaker: NULL.
 */
const char *gfs_breaker_count(struct gfs_breaker *b, enum gfs_breaker_kind kind,
			      uint64_t bytes);

/*
 * Freezes by hand with rule (the kill switch); false if already frozen.
 * gfs_breaker_unfreeze thaws and empties the windows, so that the burst
 * that tripped it does not trip it again at the next delete; false if it
 * was not frozen.
 */
bool gfs_breaker_freeze(struct gfs_breaker *b, const char *rule);
bool gfs_breaker_unfreeze(struct gfs_breaker *b);

/* A fresh minute, frozen or not: what "allow always" of an ask lifts. */
void gfs_breaker_restart(struct gfs_breaker *b);

/*
 * The entries (files, directories, links) the mount holds: set once they
 * are counted, then kept current by the creates and deletes counted.
 */
void gfs_breaker_set_entries(struct gfs_breaker *b, int64_t entries);

void gfs_breaker_state(struct gfs_breaker *b, struct gfs_breaker_state *out);

/* The seconds the windows use: a coarse monotonic clock. */
int64_t gfs_breaker_now(void);

#endif
