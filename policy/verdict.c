/*
 * The verdict cache and scanning a file through it.
 *
 * A set-associative table: the (dev, ino) hash picks a set of four
 * slots, each set guarded by one of a fixed array of mutexes, so FUSE
 * threads opening different files rarely contend. A slot holds the full
 * key (dev, ino, size, mtime ns, ctime ns); any change to the file
 * changes ctime at least, so a hit is always current. When a set is full
 * its least recently used slot is replaced.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guardfs/scan.h"
#include "guardfs/util.h"

#define VERDICT_WAYS  4
#define VERDICT_LOCKS 64

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

static bool same_key(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino &&
	       a->st_size == b->st_size &&
	       ts_ns(&a->st_mtim) == ts_ns(&b->st_mtim) &&
	       ts_ns(&a->st_ctim) == ts_ns(&b->st_ctim);
}

int gfs_scan_fd(const struct gfs_scanner *s, struct gfs_verdict_cache *c,
		int fd, uint64_t max_size, struct gfs_verdict *v)
{
	struct stat st, after;
	uint8_t *data = NULL;
	size_t len, got = 0;
	int rc;

	memset(v, 0, sizeof(*v));
	if (fstat(fd, &st))
		return -errno;
	if (!S_ISREG(st.st_mode) || st.st_size == 0 ||
	    (uint64_t)st.st_size > max_size)
		return 0;
	if (c && gfs_verdict_cache_get(c, &st, v))
		return v->secret ? 1 : 0;
	len = (size_t)st.st_size;
	data = malloc(len);
	if (!data)
		return -ENOMEM;
	while (got < len) {
		ssize_t n = pread(fd, data + got, len - got, (off_t)got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			goto out;
		}
		if (n == 0)
			break; /* shrank meanwhile: scan what is there */
		got += (size_t)n;
	}
	rc = gfs_scanner_scan(s, data, got, &v->finding);
	if (rc < 0)
		goto out;
	v->secret = rc == 1;
	if (!v->secret)
		memset(&v->finding, 0, sizeof(v->finding));
	/*
	 * Cache only when the file did not change while it was read, or the
	 * verdict would be filed under a key its bytes do not belong to.
	 */
	if (c && !fstat(fd, &after) && same_key(&st, &after) && got == len)
		gfs_verdict_cache_put(c, &st, v);
out:
	free(data);
	return rc;
}
