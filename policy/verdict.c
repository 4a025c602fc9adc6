/*
 * The verdict cache and scanning a file through it.
 *
 * A set-associative table: the (dev, ino) hash picks a set of four
 * slots, each set guarded by one of a fixed array of mutexes, so FUSE
 * threads opening different files rarely contend. A slot holds the full
 * key (dev, ino, size, mtime ns, ctime ns); any change to the file
 * changes ctime at least, so a hit is always current. When a set is full
 * its least recently used slot is replaced.
 *
 * Beside it, the taint: an open-addressed set of (dev, ino) of every file
 * found holding a credential, never evicted, so that a verdict belongs to
 * the file and not to how it was last reached (see gfs_scan_fd).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guardfs/scan.h"
#include "guardfs/util.h"
#include "scan_internal.h"

#define VERDICT_WAYS  4
#define VERDICT_LOCKS 64
/* bytes read per pread when a file is streamed */
#define SCAN_READ_CHUNK (1u << 20)
/* up to this size a file is read whole and scanned in one piece */
#define SCAN_WHOLE_MAX (8u << 20)

enum taint_state { TAINT_FREE, TAINT_USED, TAINT_GONE };

struct taint_slot {
	enum taint_state state;
	dev_t dev;
	ino_t ino;
	struct gfs_scan_finding finding;
};

struct verdict_slot {
	bool used;
	dev_t dev;
	ino_t ino;
	off_t size;
	int64_t mtime_ns;
	int64_t ctime_ns;
	uint64_t last_use;
	struct gfs_verdict verdict;
};

struct gfs_verdict_cache {
	struct verdict_slot *slots;
	size_t n_sets; /* a power of two */
	uint64_t clock[VERDICT_LOCKS];
	pthread_mutex_t locks[VERDICT_LOCKS];
	pthread_mutex_t taint_lock;
	struct taint_slot *taints;
	size_t taint_cap;   /* a power of two, or 0 */
	size_t taint_used;  /* slots not free (used or gone) */
	size_t taint_count; /* used slots */
};

int gfs_verdict_cache_new(struct gfs_verdict_cache **out, size_t max_entries)
{
	struct gfs_verdict_cache *c;
	size_t sets = 1;
	int i;

	*out = NULL;
	if (max_entries < VERDICT_WAYS)
		max_entries = VERDICT_WAYS;
	while (sets * 2 * VERDICT_WAYS <= max_entries)
		sets *= 2;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->slots = calloc(sets * VERDICT_WAYS, sizeof(*c->slots));
	if (!c->slots) {
		free(c);
		return -ENOMEM;
	}
	c->n_sets = sets;
	for (i = 0; i < VERDICT_LOCKS; i++)
		pthread_mutex_init(&c->locks[i], NULL);
	pthread_mutex_init(&c->taint_lock, NULL);
	*out = c;
	return 0;
}

void gfs_verdict_cache_free(struct gfs_verdict_cache *c)
{
	int i;

	if (!c)
		return;
	for (i = 0; i < VERDICT_LOCKS; i++)
		pthread_mutex_destroy(&c->locks[i]);
	pthread_mutex_destroy(&c->taint_lock);
	free(c->taints);
	free(c->slots);
	free(c);
}

static int64_t ts_ns(const struct timespec *t)
{
	return (int64_t)t->tv_sec * 1000000000 + t->tv_nsec;
}

static size_t verdict_set(const struct gfs_verdict_cache *c,
			  const struct stat *st)
{
	uint64_t key[2] = {(uint64_t)st->st_dev, (uint64_t)st->st_ino};

	return (size_t)(gfs_hash(key, sizeof(key)) & (c->n_sets - 1));
}

static bool slot_matches(const struct verdict_slot *sl, const struct stat *st)
{
	return sl->used && sl->dev == st->st_dev && sl->ino == st->st_ino &&
	       sl->size == st->st_size && sl->mtime_ns == ts_ns(&st->st_mtim) &&
	       sl->ctime_ns == ts_ns(&st->st_ctim);
}

bool gfs_verdict_cache_get(struct gfs_verdict_cache *c, const struct stat *st,
			   struct gfs_verdict *v)
{
	size_t set = verdict_set(c, st), lock = set % VERDICT_LOCKS, i;
	struct verdict_slot *slots = &c->slots[set * VERDICT_WAYS];
	bool hit = false;

	pthread_mutex_lock(&c->locks[lock]);
	for (i = 0; i < VERDICT_WAYS; i++) {
		if (slot_matches(&slots[i], st)) {
			slots[i].last_use = ++c->clock[lock];
			*v = slots[i].verdict;
			hit = true;
			break;
		}
	}
	pthread_mutex_unlock(&c->locks[lock]);
	return hit;
}

void gfs_verdict_cache_put(struct gfs_verdict_cache *c, const struct stat *st,
			   const struct gfs_verdict *v)
{
	size_t set = verdict_set(c, st), lock = set % VERDICT_LOCKS, i;
	struct verdict_slot *slots = &c->slots[set * VERDICT_WAYS];
	struct verdict_slot *victim = &slots[0];

	pthread_mutex_lock(&c->locks[lock]);
	for (i = 0; i < VERDICT_WAYS; i++) {
		struct verdict_slot *sl = &slots[i];

		/* the same file's older verdict is replaced, never kept */
		if (sl->used && sl->dev == st->st_dev &&
		    sl->ino == st->st_ino) {
			victim = sl;
			break;
		}
		if (!sl->used) {
			if (victim->used)
				victim = sl;
		} else if (victim->used && sl->last_use < victim->last_use) {
			victim = sl;
		}
	}
	victim->used = true;
	victim->dev = st->st_dev;
	victim->ino = st->st_ino;
	victim->size = st->st_size;
	victim->mtime_ns = ts_ns(&st->st_mtim);
	victim->ctime_ns = ts_ns(&st->st_ctim);
	victim->last_use = ++c->clock[lock];
	victim->verdict = *v;
	pthread_mutex_unlock(&c->locks[lock]);
}

static size_t taint_hash(dev_t dev, ino_t ino)
{
	uint64_t key[2] = {(uint64_t)dev, (uint64_t)ino};

	return (size_t)gfs_hash(key, sizeof(key));
}

/* The slot of (dev, ino), or NULL; under taint_lock. */
static struct taint_slot *taint_find(struct gfs_verdict_cache *c, dev_t dev,
				     ino_t ino)
{
	size_t mask = c->taint_cap - 1, i, n;

	if (!c->taint_count)
		return NULL;
	i = taint_hash(dev, ino) & mask;
	for (n = 0; n < c->taint_cap; n++, i = (i + 1) & mask) {
		struct taint_slot *t = &c->taints[i];

		if (t->state == TAINT_FREE)
			return NULL;
		if (t->state == TAINT_USED && t->dev == dev && t->ino == ino)
			return t;
	}
	return NULL;
}

/* Rebuilds the set at twice the size, dropping tombstones. */
static int taint_grow(struct gfs_verdict_cache *c)
{
	size_t cap = c->taint_cap ? c->taint_cap * 2 : 64, i;
	struct taint_slot *old = c->taints, *slots;

	slots = calloc(cap, sizeof(*slots));
	if (!slots)
		return -ENOMEM;
	for (i = 0; i < c->taint_cap; i++) {
		size_t j;

		if (old[i].state != TAINT_USED)
			continue;
		j = taint_hash(old[i].dev, old[i].ino) & (cap - 1);
		while (slots[j].state != TAINT_FREE)
			j = (j + 1) & (cap - 1);
		slots[j] = old[i];
	}
	free(old);
	c->taints = slots;
	c->taint_cap = cap;
	c->taint_used = c->taint_count;
	return 0;
}

static void taint_set(struct gfs_verdict_cache *c, const struct stat *st,
		      const struct gfs_scan_finding *f)
{
	struct taint_slot *t;
	size_t i;

	pthread_mutex_lock(&c->taint_lock);
	t = taint_find(c, st->st_dev, st->st_ino);
	if (t) {
		t->finding = *f;
		goto out;
	}
	/* keep a free slot in every probe run: grow at half full */
	if ((c->taint_used + 1) * 2 > c->taint_cap && taint_grow(c))
		goto out; /* out of memory: the verdict itself still holds */
	i = taint_hash(st->st_dev, st->st_ino) & (c->taint_cap - 1);
	while (c->taints[i].state == TAINT_USED)
		i = (i + 1) & (c->taint_cap - 1);
	if (c->taints[i].state == TAINT_FREE)
		c->taint_used++;
	c->taints[i].state = TAINT_USED;
	c->taints[i].dev = st->st_dev;
	c->taints[i].ino = st->st_ino;
	c->taints[i].finding = *f;
	__atomic_store_n(&c->taint_count, c->taint_count + 1, __ATOMIC_RELAXED);
out:
	pthread_mutex_unlock(&c->taint_lock);
}

void gfs_verdict_untaint(struct gfs_verdict_cache *c, const struct stat *st)
{
	struct taint_slot *t;

	if (!c || !__atomic_load_n(&c->taint_count, __ATOMIC_RELAXED))
		return;
	pthread_mutex_lock(&c->taint_lock);
	t = taint_find(c, st->st_dev, st->st_ino);
	if (t) {
		t->state = TAINT_GONE;
		__atomic_store_n(&c->taint_count, c->taint_count - 1,
				 __ATOMIC_RELAXED);
	}
	pthread_mutex_unlock(&c->taint_lock);
}

bool gfs_verdict_tainted(struct gfs_verdict_cache *c, const struct stat *st,
			 struct gfs_scan_finding *f)
{
	struct taint_slot *t;

	if (!__atomic_load_n(&c->taint_count, __ATOMIC_RELAXED))
		return false;
	pthread_mutex_lock(&c->taint_lock);
	t = taint_find(c, st->st_dev, st->st_ino);
	if (t && f)
		*f = t->finding;
	pthread_mutex_unlock(&c->taint_lock);
	return t != NULL;
}

bool gfs_verdict_same_key(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino &&
	       a->st_size == b->st_size &&
	       ts_ns(&a->st_mtim) == ts_ns(&b->st_mtim) &&
	       ts_ns(&a->st_ctim) == ts_ns(&b->st_ctim);
}

/* Reads up to len bytes at off, short only at end of file. */
static ssize_t read_full(int fd, uint8_t *buf, size_t len, off_t off)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = pread(fd, buf + got, len - got, off + (off_t)got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

/*
 * Streams the file's data through the scanner, skipping holes (so a
 * file grown by truncate costs nothing to scan), at most max_size bytes
 * of data from the start. Sets *partial when data was left unscanned.
 */
static int scan_stream_fd(const struct gfs_scanner *s, int fd, off_t size,
			  uint64_t max_size, struct gfs_scan_finding *f,
			  bool *partial)
{
	struct scan_stream *st;
	uint8_t *buf = malloc(SCAN_READ_CHUNK);
	uint64_t budget = max_size;
	off_t pos = 0;
	int rc;

	if (!buf)
		return -ENOMEM;
	rc = scan_stream_new(&st, s, 0);
	if (rc) {
		free(buf);
		return rc;
	}
	while (pos < size && !rc) {
		off_t data = lseek(fd, pos, SEEK_DATA), hole;

		if (data < 0) {
			if (errno == ENXIO)
				break; /* only a hole is left */
			data = pos;    /* no SEEK_DATA here: read everything */
			hole = size;
		} else {
			hole = lseek(fd, data, SEEK_HOLE);
			if (hole < 0 || hole > size)
				hole = size;
		}
		pos = data;
		while (pos < hole && !rc) {
			size_t want = (size_t)(hole - pos) < SCAN_READ_CHUNK
					      ? (size_t)(hole - pos)
					      : SCAN_READ_CHUNK;
			ssize_t n;

			if (!budget) {
				*partial = true;
				goto done;
			}
			if (want > budget)
				want = (size_t)budget;
			n = read_full(fd, buf, want, pos);
			if (n < 0) {
				rc = (int)n;
				goto done;
			}
			if (n == 0)
				goto done; /* shrank meanwhile */
			rc = scan_stream_feed(st, buf, (size_t)n);
			pos += n;
			budget -= (uint64_t)n;
		}
	}
done:
	if (rc >= 0) {
		bool decoded_partial = false;

		rc = scan_stream_finish(st, f, &decoded_partial);
		*partial |= decoded_partial;
	}
	scan_stream_free(st);
	free(buf);
	return rc;
}

/* Reads a small file whole, as one buffer, and scans it in place. */
static int scan_whole_fd(const struct gfs_scanner *s, int fd, size_t len,
			 struct gfs_scan_finding *f, bool *partial,
			 bool *shrank)
{
	uint8_t *data = malloc(len);
	ssize_t got;
	int rc;

	if (!data)
		return -ENOMEM;
	got = read_full(fd, data, len, 0);
	if (got < 0) {
		free(data);
		return (int)got;
	}
	*shrank = (size_t)got < len;
	rc = scan_buffer(s, data, (size_t)got, f, partial);
	free(data);
	return rc;
}

/*
 * What happens above max_size, and why: the agent cannot move a
 * credential's bytes further into a file without reading them (FUSE
 * passes no insert-range fallocate, and a grown file's new tail is a
 * hole or junk after the credential), so the first max_size bytes are
 * where a file it made large still holds it. What stays open is a
 * credential that already lay deeper than max_size in a file never
 * refused before: raise max_size to cover the largest files that matter.
 *
 * The taint: a file found holding a credential stays refused, whatever
 * is done to it, until it is emptied (a scan that finds it empty, or
 * gfs_verdict_untaint when it is truncated to nothing or created). So
 * overwriting one byte of a key in place, or cutting its tail off, does
 * not make the rest of it readable, and a later clean verdict from a
 * partial scan does not either.
 */
int gfs_scan_fd_as(const struct gfs_scanner *s, struct gfs_verdict_cache *c,
		   int fd, const struct stat *judged, uint64_t max_size,
		   struct gfs_verdict *v)
{
	const struct stat st = *judged;
	struct stat after;
	bool shrank = false;
	int rc;

	memset(v, 0, sizeof(v[0]));
	if (!S_ISREG(st.st_mode))
		return 0;
	if (st.st_size == 0) {
		gfs_verdict_untaint(c, &st); /* nothing left of what it held */
		return 0;
	}
	if (c && gfs_verdict_cache_get(c, &st, v))
		goto taint;
	if ((uint64_t)st.st_size <= SCAN_WHOLE_MAX &&
	    (uint64_t)st.st_size <= max_size)
		rc = scan_whole_fd(s, fd, (size_t)st.st_size, &v->finding,
				   &v->partial, &shrank);
	else
		rc = scan_stream_fd(s, fd, st.st_size, max_size, &v->finding,
				    &v->partial);
	if (rc < 0)
		return rc;
	v->secret = rc == 1;
	if (!v->secret)
		memset(&v->finding, 0, sizeof(v->finding));
	if (c && v->secret)
		taint_set(c, &st, &v->finding);
	/*
	 * Cache only when the file did not change while it was read, or the
	 * verdict would be filed under a key its bytes do not belong to.
	 */
	if (c && !fstat(fd, &after) && gfs_verdict_same_key(&st, &after) &&
	    !shrank)
		gfs_verdict_cache_put(c, &st, v);
taint:
	if (c && !v->secret && gfs_verdict_tainted(c, &st, &v->finding)) {
		v->secret = true;
		v->tainted = true;
	}
	return v->secret ? 1 : 0;
}

int gfs_scan_fd(const struct gfs_scanner *s, struct gfs_verdict_cache *c,
		int fd, uint64_t max_size, struct gfs_verdict *v)
{
	struct stat st;

	memset(v, 0, sizeof(v[0]));
	if (fstat(fd, &st))
		return -errno;
	return gfs_scan_fd_as(s, c, fd, &st, max_size, v);
}
