/*
 * The breaker's arithmetic: sliding one-minute windows and the freeze
 * they trip. No FUSE, no I/O: fs/freeze.c reports the trips and serves
 * the control verbs.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "guardfs/breaker.h"

/* Empties w; adds racing with it may be lost, which is harmless. */
static void window_reset(struct gfs_window *w, int64_t now)
{
	int i;

	atomic_store(&w->total, 0);
	for (i = 0; i < GFS_WINDOW_SECONDS; i++)
		atomic_store(&w->buckets[i], 0);
	atomic_store(&w->head, now);
}

void gfs_window_init(struct gfs_window *w, int64_t now)
{
	atomic_flag_clear(&w->rotating);
	window_reset(w, now);
}

static atomic_int_fast64_t *bucket_of(struct gfs_window *w, int64_t second)
{
	return &w->buckets[(uint64_t)second % GFS_WINDOW_SECONDS];
}

/*
 * Retires the seconds after head up to now: their buckets still hold
 * what came a minute (or more) earlier. One thread does it while the
 * others of that same second wait a moment; an add of the current second
 * never lands in a bucket being retired, which belong to later seconds.
 */
static void retire(struct gfs_window *w, int64_t now)
{
	int64_t head, s;

	while (atomic_flag_test_and_set_explicit(&w->rotating,
						 memory_order_acquire))
		;
	head = atomic_load_explicit(&w->head, memory_order_relaxed);
	if (now > head) {
		s = now - head > GFS_WINDOW_SECONDS
			    ? now - GFS_WINDOW_SECONDS + 1
			    : head + 1;
		for (; s <= now; s++)
			atomic_fetch_sub(&w->total,
					 atomic_exchange(bucket_of(w, s), 0));
		atomic_store_explicit(&w->head, now, memory_order_release);
	}
	atomic_flag_clear_explicit(&w->rotating, memory_order_release);
}

int64_t gfs_window_add(struct gfs_window *w, int64_t now, int64_t n)
{
	int64_t head = atomic_load_explicit(&w->head, memory_order_acquire);

	if (now > head)
		retire(w, now);
	else if (now + GFS_WINDOW_SECONDS <= head)
		now = head; /* a caller a minute late: count it as now */
	/*
	 * The total first: a retire that takes the bucket in between
	 * subtracts only what the total already holds.
	 */
	atomic_fetch_add(&w->total, n);
	atomic_fetch_add(bucket_of(w, now), n);
	return atomic_load_explicit(&w->total, memory_order_relaxed);
}

int64_t gfs_window_sum(struct gfs_window *w, int64_t now)
{
	if (now > atomic_load_explicit(&w->head, memory_order_acquire))
		retire(w, now);
	return atomic_load(&w->total);
}

struct gfs_breaker {
	struct gfs_breaker_limits limits;
	struct gfs_window deletes, renames, bytes;
	atomic_bool frozen;
	atomic_uint_fast64_t refused;
	/* -1 until the walk (freeze.c) has counted them */
	atomic_int_fast64_t entries_base;
	/* creates minus deletes since the mount started */
	atomic_int_fast64_t entries_delta;
	pthread_mutex_t lock; /* rule and since: written at a freeze */
	char rule[32];
	int64_t since;
};

int64_t gfs_breaker_now(void)
{
	struct timespec t;

	/* the vDSO's coarse clock: no system call on the hot path */
	clock_gettime(CLOCK_MONOTONIC_COARSE, &t);
	return (int64_t)t.tv_sec;
}

int gfs_breaker_new(struct gfs_breaker **out,
		    const struct gfs_breaker_limits *limits)
{
	struct gfs_breaker *b = calloc(1, sizeof(*b));
	int64_t now = gfs_breaker_now();

	*out = NULL;
	if (!b)
		return -ENOMEM;
	b->limits = *limits;
	gfs_window_init(&b->deletes, now);
	gfs_window_init(&b->renames, now);
	gfs_window_init(&b->bytes, now);
	atomic_init(&b->frozen, false);
	atomic_init(&b->refused, 0);
	atomic_init(&b->entries_base, -1);
	atomic_init(&b->entries_delta, 0);
	pthread_mutex_init(&b->lock, NULL);
	*out = b;
	return 0;
}

void gfs_breaker_free(struct gfs_breaker *b)
{
	if (!b)
		return;
	pthread_mutex_destroy(&b->lock);
	free(b);
}

bool gfs_breaker_frozen(struct gfs_breaker *b)
{
	return b && atomic_load_explicit(&b->frozen, memory_order_acquire);
}

int gfs_breaker_admit(struct gfs_breaker *b, enum gfs_breaker_kind kind)
{
	(void)kind; /* every kind of mutation stops */
	if (!b || !atomic_load_explicit(&b->frozen, memory_order_acquire))
		return 0;
	atomic_fetch_add_explicit(&b->refused, 1, memory_order_relaxed);
	return -EROFS;
}

/* Freezes with rule unless frozen already; rule if this call froze it. */
static const char *trip(struct gfs_breaker *b, const char *rule)
{
	bool tripped = false;

	pthread_mutex_lock(&b->lock);
	if (!atomic_load(&b->frozen)) {
		snprintf(b->rule, sizeof(b->rule), "%s", rule);
		b->since = (int64_t)time(NULL);
		atomic_store_explicit(&b->frozen, true, memory_order_release);
		tripped = true;
	}
	pthread_mutex_unlock(&b->lock);
	return tripped ? rule : NULL;
}

/* A limit crossed: freeze, or (ask_first) name it for the caller to ask. */
static const char *cross(struct gfs_breaker *b, const char *rule)
{
	return b->limits.ask_first ? rule : trip(b, rule);
}

/*
 * The share of the entries deleted within the minute: of those there
 * now plus those deleted, which is roughly what there was a minute ago.
 */
static bool fraction_crossed(struct gfs_breaker *b, int64_t deletes)
{
	int64_t base =
		atomic_load_explicit(&b->entries_base, memory_order_relaxed);
	int64_t known;

	if (!b->limits.delete_percent || base < 0 ||
	    deletes < GFS_BREAKER_FRACTION_FLOOR)
		return false;
	/* (deletes includes this one, not yet taken off the entries) */
	known = base + atomic_load(&b->entries_delta) + deletes - 1;
	return deletes * 100 > (int64_t)b->limits.delete_percent * known;
}

const char *gfs_breaker_count(struct gfs_breaker *b, enum gfs_breaker_kind kind,
			      uint64_t bytes)
{
	const struct gfs_breaker_limits *l;
	int64_t now, sum;

	if (!b)
		return NULL;
	l = &b->limits;
	switch (kind) {
	case GFS_BREAKER_CREATE:
		atomic_fetch_add_explicit(&b->entries_delta, 1,
					  memory_order_relaxed);
		return NULL;
	case GFS_BREAKER_DELETE:
		now = gfs_breaker_now();
		sum = gfs_window_add(&b->deletes, now, 1);
		if (l->deletes_per_minute && sum > l->deletes_per_minute)
			return cross(b, "deletes_per_minute");
		if (fraction_crossed(b, sum))
			return cross(b, "delete_fraction");
		/* (the delete that trips is refused: it removes nothing) */
		atomic_fetch_sub_explicit(&b->entries_delta, 1,
					  memory_order_relaxed);
		return NULL;
	case GFS_BREAKER_RENAME:
		now = gfs_breaker_now();
		sum = gfs_window_add(&b->renames, now, 1);
		if (l->renames_per_minute && sum > l->renames_per_minute)
			return cross(b, "renames_per_minute");
		return NULL;
	case GFS_BREAKER_WRITE:
		if (!bytes)
			return NULL;
		now = gfs_breaker_now();
		sum = gfs_window_add(&b->bytes, now, (int64_t)bytes);
		if (l->bytes_written_per_minute &&
		    (uint64_t)sum > l->bytes_written_per_minute)
			return cross(b, "bytes_written_per_minute");
		return NULL;
	case GFS_BREAKER_OTHER:
		break;
	}
	return NULL;
}

bool gfs_breaker_freeze(struct gfs_breaker *b, const char *rule)
{
	return b && trip(b, rule) != NULL;
}

void gfs_breaker_restart(struct gfs_breaker *b)
{
	int64_t now = gfs_breaker_now();

	if (!b)
		return;
	pthread_mutex_lock(&b->lock);
	window_reset(&b->deletes, now);
	window_reset(&b->renames, now);
	window_reset(&b->bytes, now);
	pthread_mutex_unlock(&b->lock);
}

bool gfs_breaker_unfreeze(struct gfs_breaker *b)
{
	int64_t now = gfs_breaker_now();
	bool was;

	if (!b)
		return false;
	pthread_mutex_lock(&b->lock);
	was = atomic_load(&b->frozen);
	if (was) {
		/* a fresh minute: the burst that tripped it is judged */
		window_reset(&b->deletes, now);
		window_reset(&b->renames, now);
		window_reset(&b->bytes, now);
		b->rule[0] = '\0';
		b->since = 0;
		atomic_store_explicit(&b->frozen, false, memory_order_release);
	}
	pthread_mutex_unlock(&b->lock);
	return was;
}

void gfs_breaker_set_entries(struct gfs_breaker *b, int64_t entries)
{
	if (b)
		atomic_store(&b->entries_base, entries);
}

void gfs_breaker_state(struct gfs_breaker *b, struct gfs_breaker_state *out)
{
	int64_t now = gfs_breaker_now(), base;

	memset(out, 0, sizeof(*out));
	out->entries = -1;
	if (!b)
		return;
	pthread_mutex_lock(&b->lock);
	out->frozen = atomic_load(&b->frozen);
	memcpy(out->rule, b->rule, sizeof(out->rule));
	out->since = b->since;
	pthread_mutex_unlock(&b->lock);
	out->deletes = gfs_window_sum(&b->deletes, now);
	out->renames = gfs_window_sum(&b->renames, now);
	out->bytes = gfs_window_sum(&b->bytes, now);
	base = atomic_load(&b->entries_base);
	if (base >= 0)
		out->entries = base + atomic_load(&b->entries_delta);
	out->refused = atomic_load(&b->refused);
	out->limits = b->limits;
}
