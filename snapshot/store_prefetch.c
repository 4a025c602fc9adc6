/*
 * Reading ahead of the first baseline's reading thread.
 *
 * The first mount reads every file of the folder on one thread
 * (store_scan.c), and with the folder not in the page cache each open
 * and read waits for the disk in turn: the kernel tree's first mount
 * took 22.6 s from disk against 14 to 17.5 s from memory (bench/README.md,
 * sessions 12 and 13), and reading the tree on one thread took 11.7 s
 * from disk where a walk that only asks for each file's bytes
 * (POSIX_FADV_WILLNEED, which queues the reads and returns) took 3.9 s.
 * So a second thread walks the same tree in the same order ahead of the
 * reader and asks for each regular file's first bytes, and the disk
 * serves many requests at once while the reader hashes.
 *
 * Bounded: it stays at most `lead` entries ahead of the reader (whose
 * count refresh_dir reports through gfs_store_prefetch_passed) and has
 * at most `lead_bytes` (plus one file's PREFETCH_FILE_BYTES) asked for
 * beyond it, so it cannot push the reader's next files out of the cache
 * or run through a large folder alone. It holds one descriptor per
 * directory level (at most PREFETCH_DEPTH_MAX) and one file at a time.
 *
 * With the folder already cached the walk is pure cost (about 0.5 s of
 * CPU for the kernel tree, on cores the writers need), so it probes:
 * after PREFETCH_WARM_AFTER files in a row found cached (cachestat, or
 * a one-byte RWF_NOWAIT read before Linux 6.5), it opens
 * only one regular file in PREFETCH_WARM_PROBE, and the first one found
 * uncached starts it reading ahead every file again.
 *
 * It reaches the folder as the reader does: from the root descriptor,
 * one name at a time relative to its directory's descriptor, O_NOFOLLOW
 * (a symlink is never followed, so the walk never leaves the folder),
 * O_NONBLOCK (a FIFO swapped in does not block), O_NOATIME where
 * allowed. It records nothing and returns nothing to the reader: what
 * the store holds does not depend on it. Its errors only skip an entry.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "guardfs/util.h"
#include "store_internal.h"
#include "store_prefetch.h"

/*
 * About 0.75 s of the reader's work on the kernel tree (5,500 entries a
 * second), 20 MiB of it at its mean file size: enough to cover a slow
 * stretch of the disk, far from what the page cache holds.
 */
#define PREFETCH_LEAD	    4096
#define PREFETCH_LEAD_BYTES (64u << 20)
/*
 * Per file: the reader reads files of up to 16 MiB whole and larger ones
 * in 1 MiB pieces; the kernel reads ahead of a sequential reader by
 * itself, so only the first MiB is worth asking for.
 */
#define PREFETCH_FILE_BYTES (1u << 20)
#define PREFETCH_DEPTH_MAX  64
#define PREFETCH_WARM_AFTER 64
#define PREFETCH_WARM_PROBE 16

/* A file read ahead: the entry it was, and the bytes asked for. */
struct prefetch_ahead {
	uint64_t entry;
	uint64_t bytes;
};

/*
 * The reader writes reader_at; the walk reads it, and sleeps on moved
 * (under lock) until the reader reaches wake_at. Everything else but
 * the counters belongs to the walk's thread.
 */
struct gfs_store_prefetch {
	struct gfs_store_prefetch_opts opts;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t moved;
	_Atomic uint64_t reader_at; /* entries the reader reached */
	_Atomic uint64_t wake_at;   /* 0, or the entry that wakes the walk */
	atomic_bool stop;

	_Atomic uint64_t at; /* entries the walk reached */
	_Atomic uint64_t files, advised, bytes, waits;
	atomic_bool waiting, done;

	/* the files read ahead beyond the reader, oldest first (a ring) */
	struct prefetch_ahead *ahead;
	size_t ahead_first, ahead_len;
	uint64_t ahead_bytes;
	bool gave_up; /* too deep: the walk ends */
	/* warm: the folder looks cached, one file in PREFETCH_WARM_PROBE */
	bool warm;
	unsigned cached_run, since_probe;
	struct gfs_buf rel; /* the entry's path below the root */
};

/* Forgets the files the reader has reached. */
static void ahead_trim(struct gfs_store_prefetch *p, uint64_t reader)
{
	while (p->ahead_len && p->ahead[p->ahead_first].entry <= reader) {
		p->ahead_bytes -= p->ahead[p->ahead_first].bytes;
		p->ahead_first = (p->ahead_first + 1) % p->opts.lead;
		p->ahead_len--;
	}
}

static void ahead_push(struct gfs_store_prefetch *p, uint64_t entry,
		       uint64_t bytes)
{
	/* never full: every entry held lies within lead of the reader */
	if (p->ahead_len == p->opts.lead)
		abort();
	p->ahead[(p->ahead_first + p->ahead_len) % p->opts.lead] =
		(struct prefetch_ahead){entry, bytes};
	p->ahead_len++;
	p->ahead_bytes += bytes;
}

/*
 * The entry whose reaching lets the walk go on: a quarter of the lead
 * consumed, and a quarter of lead_bytes, so that it wakes in bursts and
 * not at every entry the reader reaches.
 */
static uint64_t wake_point(struct gfs_store_prefetch *p, uint64_t at)
{
	uint64_t wake = 0, left = p->ahead_bytes;
	size_t i;

	if (at > atomic_load(&p->reader_at) + p->opts.lead)
		wake = at - p->opts.lead + (p->opts.lead + 3) / 4;
	for (i = 0; i < p->ahead_len && left > p->opts.lead_bytes / 4 * 3;
	     i++) {
		const struct prefetch_ahead *a =
			&p->ahead[(p->ahead_first + i) % p->opts.lead];

		left -= a->bytes;
		if (a->entry > wake)
			wake = a->entry;
	}
	return wake;
}

/*
 * Waits until entry `at` is within the lead of the reader and the bytes
 * asked for beyond it are under lead_bytes. False when told to stop.
 */
static bool keep_pace(struct gfs_store_prefetch *p, uint64_t at)
{
	for (;;) {
		uint64_t reader = atomic_load(&p->reader_at), wake;

		if (atomic_load(&p->stop))
			return false;
		ahead_trim(p, reader);
		if (at <= reader + p->opts.lead &&
		    p->ahead_bytes < p->opts.lead_bytes)
			return true;
		wake = wake_point(p, at);
		pthread_mutex_lock(&p->lock);
		/* stored before reader_at is read again: see _passed */
		atomic_store(&p->wake_at, wake);
		atomic_store(&p->waiting, true);
		atomic_fetch_add(&p->waits, 1);
		while (!atomic_load(&p->stop) &&
		       atomic_load(&p->reader_at) < wake)
			pthread_cond_wait(&p->moved, &p->lock);
		atomic_store(&p->wake_at, 0);
		atomic_store(&p->waiting, false);
		pthread_mutex_unlock(&p->lock);
	}
}

/* cachestat(2), Linux 6.5: newer than Debian 12's headers. */
#ifndef __NR_cachestat
#define __NR_cachestat 451
#endif
struct cachestat_range {
	uint64_t off, len;
};
struct cachestat {
	uint64_t nr_cache, nr_dirty, nr_writeback, nr_evicted,
		nr_recently_evicted;
};

/*
 * Whether the file's first byte is in the page cache. cachestat asks
 * without touching the file. Where the kernel lacks it, a one-byte
 * RWF_NOWAIT read does, and when it fails the kernel starts reading the
 * page: the probe of an uncached file is then a read-ahead of its own,
 * which a fast disk may even finish before the read looks again (the
 * file then counts as found cached, not as read ahead).
 */
static bool cached(int fd)
{
	static atomic_bool no_cachestat;
	struct cachestat_range range = {0, 1};
	struct cachestat cs;
	char byte;
	struct iovec v = {&byte, 1};

	if (!atomic_load_explicit(&no_cachestat, memory_order_relaxed)) {
		if (syscall(__NR_cachestat, fd, &range, &cs, 0) == 0)
			return cs.nr_cache > 0;
		if (errno == ENOSYS)
			atomic_store(&no_cachestat, true);
	}
	return preadv2(fd, &v, 1, 0, RWF_NOWAIT) == 1;
}

/* Asks for the first bytes of regular file name, entry `at`. */
static void read_ahead(struct gfs_store_prefetch *p, int dirfd,
		       const char *name, uint64_t at)
{
	struct stat st;
	uint64_t len;
	int fd;

	if (p->warm && ++p->since_probe < PREFETCH_WARM_PROBE)
		return;
	p->since_probe = 0;
	if (p->opts.excluded &&
	    p->opts.excluded(p->opts.excluded_arg, p->rel.data, false))
		return;
	fd = gfs_store_open_quietly(dirfd, name,
				    O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
					    O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size == 0 ||
	    (p->opts.max_file_size &&
	     (uint64_t)st.st_size > p->opts.max_file_size))
		goto out;
	atomic_fetch_add(&p->files, 1);
	if (cached(fd)) {
		if (++p->cached_run >= PREFETCH_WARM_AFTER)
			p->warm = true;
		goto out;
	}
	p->warm = false;
	p->cached_run = 0;
	len = (uint64_t)st.st_size < PREFETCH_FILE_BYTES ? (uint64_t)st.st_size
							 : PREFETCH_FILE_BYTES;
	if (posix_fadvise(fd, 0, (off_t)len, POSIX_FADV_WILLNEED) == 0) {
		ahead_push(p, at, len);
		atomic_fetch_add(&p->advised, 1);
		atomic_fetch_add(&p->bytes, len);
	}
out:
	close(fd);
}

/* Walks directory fd (taken over) at depth, as refresh_dir would. */
static void walk_dir(struct gfs_store_prefetch *p, int fd, unsigned depth)
{
	size_t base = p->rel.len;
	struct dirent *de;
	DIR *d = fdopendir(fd);

	if (!d) {
		close(fd);
		return;
	}
	while (!p->gave_up && (de = readdir(d))) {
		uint64_t at;
		unsigned char type = de->d_type;
		bool behind;
		struct stat st;
		int cfd;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		at = atomic_load(&p->at) + 1;
		if (!keep_pace(p, at)) {
			p->gave_up = true;
			break;
		}
		atomic_store(&p->at, at);
		p->rel.len = base;
		if ((base && gfs_buf_addch(&p->rel, '/')) ||
		    gfs_buf_adds(&p->rel, de->d_name)) {
			p->gave_up = true;
			break;
		}
		/* what the reader already reached is only walked past */
		behind = at <= atomic_load(&p->reader_at);
		if (type == DT_UNKNOWN) {
			if (fstatat(dirfd(d), de->d_name, &st,
				    AT_SYMLINK_NOFOLLOW) < 0)
				continue;
			type = S_ISDIR(st.st_mode)   ? DT_DIR
			       : S_ISREG(st.st_mode) ? DT_REG
						     : DT_LNK;
		}
		if (type == DT_DIR) {
			if (p->opts.excluded &&
			    p->opts.excluded(p->opts.excluded_arg, p->rel.data,
					     true))
				continue;
			if (depth + 1 >= PREFETCH_DEPTH_MAX) {
				/* its count would part from the reader's */
				p->gave_up = true;
				break;
			}
			cfd = gfs_store_open_quietly(dirfd(d), de->d_name,
						     O_RDONLY | O_DIRECTORY |
							     O_NOFOLLOW |
							     O_CLOEXEC);
			if (cfd >= 0)
				walk_dir(p, cfd, depth + 1);
		} else if (behind) {
			continue;
		} else if (type == DT_REG) {
			read_ahead(p, dirfd(d), de->d_name, at);
		} else if (!p->warm) {
			/* the reader's fstatat of it finds the inode read */
			(void)fstatat(dirfd(d), de->d_name, &st,
				      AT_SYMLINK_NOFOLLOW);
		}
	}
	closedir(d);
	p->rel.len = base;
	if (p->rel.data)
		p->rel.data[base] = '\0';
}

static void *prefetch_main(void *arg)
{
	struct gfs_store_prefetch *p = arg;
	int fd;

	pthread_setname_np(pthread_self(), "gfs-prefetch");
	fd = gfs_open_beneath(p->opts.root_fd, ".", O_RDONLY | O_DIRECTORY,
			      false);
	if (fd >= 0)
		walk_dir(p, fd, 0);
	atomic_store(&p->done, true);
	return NULL;
}

int gfs_store_prefetch_start(struct gfs_store_prefetch **out,
			     const struct gfs_store_prefetch_opts *opts)
{
	struct gfs_store_prefetch *p = calloc(1, sizeof(*p));
	int rc;

	*out = NULL;
	if (!p)
		return -ENOMEM;
	p->opts = *opts;
	if (!p->opts.lead)
		p->opts.lead = PREFETCH_LEAD;
	if (!p->opts.lead_bytes)
		p->opts.lead_bytes = PREFETCH_LEAD_BYTES;
	p->ahead = calloc(p->opts.lead, sizeof(*p->ahead));
	if (!p->ahead) {
		free(p);
		return -ENOMEM;
	}
	p->rel = (struct gfs_buf)GFS_BUF_INIT;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->moved, NULL);
	rc = pthread_create(&p->thread, NULL, prefetch_main, p);
	if (rc) {
		pthread_mutex_destroy(&p->lock);
		pthread_cond_destroy(&p->moved);
		free(p->ahead);
		free(p);
		return -rc;
	}
	*out = p;
	return 0;
}

void gfs_store_prefetch_passed(struct gfs_store_prefetch *p)
{
	uint64_t reached = atomic_fetch_add(&p->reader_at, 1) + 1;

	/*
	 * The walk stores wake_at, then reads reader_at; this adds to
	 * reader_at, then reads wake_at (all sequentially consistent): when
	 * this misses the new wake_at the walk sees the count and does not
	 * sleep. The lock makes the signal wait until the walk sleeps.
	 */
	if (reached == atomic_load(&p->wake_at)) {
		pthread_mutex_lock(&p->lock);
		pthread_cond_signal(&p->moved);
		pthread_mutex_unlock(&p->lock);
	}
}

void gfs_store_prefetch_stats(struct gfs_store_prefetch *p,
			      struct gfs_store_prefetch_stats *out)
{
	out->entries = atomic_load(&p->at);
	out->files = atomic_load(&p->files);
	out->advised = atomic_load(&p->advised);
	out->bytes = atomic_load(&p->bytes);
	out->waits = atomic_load(&p->waits);
	out->waiting = atomic_load(&p->waiting);
	out->done = atomic_load(&p->done);
}

void gfs_store_prefetch_stop(struct gfs_store_prefetch *p,
			     struct gfs_store_prefetch_stats *out)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	atomic_store(&p->stop, true);
	pthread_cond_broadcast(&p->moved);
	pthread_mutex_unlock(&p->lock);
	pthread_join(p->thread, NULL);
	if (out)
		gfs_store_prefetch_stats(p, out);
	gfs_buf_release(&p->rel);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->moved);
	free(p->ahead);
	free(p);
}
