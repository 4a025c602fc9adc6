/*
 * Reading the real folder into the store. The folder is hidden under the
 * FUSE mount, so it is only ever reached through opts.root_fd: openat2()
 * with RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS for a path, *at() calls with
 * O_NOFOLLOW from directory fds below it. A path string would go through
 * the mount and deadlock.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

#include "guardfs/ignore.h"
#include "guardfs/util.h"
#include "store_internal.h"

/* Content read whole into memory up to this size, streamed above it. */
#define READ_WHOLE_MAX (16u << 20)

bool gfs_store_excluded(const struct gfs_store *s, const char *path,
			bool is_dir)
{
	if (!*path)
		return false;
	if (s->opts.hidden &&
	    gfs_policy_hides_tree(s->opts.hidden, path, is_dir, NULL))
		return true;
	if (!s->opts.exclude)
		return false;
	return gfs_ignore_match_tree(s->opts.exclude, path, is_dir, NULL) ==
	       GFS_IGNORE_MATCH;
}

int gfs_store_open_quietly(int dirfd, const char *name, int flags)
{
	int fd = openat(dirfd, name, flags | O_NOATIME);

	if (fd < 0 && errno == EPERM)
		fd = openat(dirfd, name, flags);
	return fd;
}

static int64_t ts_ns(const struct timespec *t)
{
	return (int64_t)t->tv_sec * 1000000000LL + t->tv_nsec;
}

/*
 * When a read of a file's bytes starts. File times are taken from the
 * kernel's coarse clock (or later, with multigrain timestamps), so a
 * write that lands after this instant is stamped no earlier than it.
 */
static int64_t read_clock(void)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME_COARSE, &t);
	return ts_ns(&t);
}

/*
 * The coarsest step the filesystem could have cut time t to, told by
 * its trailing zeros: ext4 and tmpfs keep nanoseconds, others keep
 * microseconds, 10 ms or 2 s (FAT). A time that truly ends in zeros only
 * makes its entry racy a little longer.
 */
static int64_t time_step(int64_t t)
{
	int64_t step = 1, ns = t % 1000000000LL;

	if (ns == 0)
		return 2000000000LL;
	while (ns % (step * 10) == 0)
		step *= 10;
	return step;
}

/*
 * Whether a write after read_start could leave time t as it is: only if
 * it falls in the same step of the filesystem's clock.
 */
static bool same_step(int64_t read_start, int64_t t)
{
	return read_start < t + time_step(t);
}

static uint32_t git_mode_of(const struct stat *st)
{
	if (S_ISLNK(st->st_mode))
		return 0120000;
	if (S_ISDIR(st->st_mode))
		return 040000;
	return (st->st_mode & 0111) ? 0100755 : 0100644;
}

static bool stat_matches(const struct gfs_store_node *n, const struct stat *st)
{
	return n->ino && n->ino == (uint64_t)st->st_ino &&
	       n->size == (uint64_t)st->st_size &&
	       n->mtime_ns == ts_ns(&st->st_mtim) &&
	       n->ctime_ns == ts_ns(&st->st_ctim) &&
	       n->git_mode == git_mode_of(st);
}

static void set_stat(struct gfs_store_node *n, const struct stat *st,
		     int64_t read_start)
{
	n->ino = st->st_ino;
	n->size = st->st_size;
	n->mtime_ns = ts_ns(&st->st_mtim);
	n->ctime_ns = ts_ns(&st->st_ctim);
	n->racy = same_step(read_start, n->mtime_ns) ||
		  same_step(read_start, n->ctime_ns);
}

/* Splits path into an open parent directory and its last component. */
static int open_parent(const struct gfs_store *s, const char *path, int flags,
		       const char **base)
{
	const char *slash = strrchr(path, '/');
	char *parent;
	int fd;

	if (!slash) {
		*base = path;
		return gfs_open_beneath(s->opts.root_fd, ".",
					flags | O_DIRECTORY, false);
	}
	*base = slash + 1;
	parent = strndup(path, slash - path);
	if (!parent)
		return -ENOMEM;
	fd = gfs_open_beneath(s->opts.root_fd, parent, flags | O_DIRECTORY,
			      false);
	free(parent);
	return fd;
}

static bool gone_errno(int rc)
{
	return rc == -ENOENT || rc == -ENOTDIR || rc == -ELOOP || rc == -EXDEV;
}

static int read_fd(int fd, struct gfs_buf *out, size_t size_hint)
{
	int rc = gfs_buf_grow(out, size_hint + 1);

	while (!rc) {
		ssize_t n =
			read(fd, out->data + out->len, out->cap - out->len - 1);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		out->len += n;
		out->data[out->len] = '\0';
		if (out->cap - out->len - 1 == 0)
			rc = gfs_buf_grow(out, 65536);
	}
	return rc;
}

/* Reads up to len bytes at the file's offset; 0 at its end. */
static ssize_t read_some(int fd, char *buf, size_t len)
{
	ssize_t n;

	do
		n = read(fd, buf, len);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

/*
 * Streams a large file into a blob, hashing it with xxh3 on the way. A
 * file whose first bytes do not shrink (a git pack, an archive, media)
 * is written stored, zlib level 0: level 1 deflates such bytes at about
 * 40 MB/s to save nothing, 5 of the first mount's 20 s for the kernel
 * tree's 240 MB pack.
 */
int gfs_store_stream_blob(struct gfs_store *s, git_odb *odb, int fd,
			  uint64_t size, git_oid *oid, uint64_t *xxh,
			  _Atomic uint64_t *read_bytes)
{
	XXH3_state_t *state = XXH3_createState();
	git_odb_stream *stream = NULL;
	git_odb *stored = NULL;
	char *chunk = malloc(1 << 20);
	uint64_t left = size;
	ssize_t n;
	int rc = 0;

	if (!state || !chunk) {
		rc = -ENOMEM;
		goto out;
	}
	XXH3_64bits_reset(state);
	n = read_some(fd, chunk, left < (1u << 20) ? left : 1u << 20);
	if (n > 0 && gfs_store_incompressible(chunk, (size_t)n) &&
	    !gfs_store_odb_open_stored(s, odb, &stored))
		odb = stored;
	if (n >= 0 &&
	    git_odb_open_wstream(&stream, odb, size, GIT_OBJECT_BLOB)) {
		rc = gfs_store_git_error("open blob stream");
		goto out;
	}
	while (left) {
		if (n < 0) {
			rc = (int)n;
			goto out;
		}
		if (n == 0) {
			/* shrank while read: the caller rereads */
			rc = -EAGAIN;
			goto out;
		}
		XXH3_64bits_update(state, chunk, n);
		if (read_bytes)
			atomic_fetch_add(read_bytes, (uint64_t)n);
		if (git_odb_stream_write(stream, chunk, n)) {
			rc = gfs_store_git_error("write blob stream");
			goto out;
		}
		left -= n;
		if (left)
			n = read_some(fd, chunk,
				      left < (1u << 20) ? left : 1u << 20);
	}
	if (git_odb_stream_finalize_write(oid, stream))
		rc = gfs_store_git_error("finish blob stream");
	*xxh = XXH3_64bits_digest(state);
	gfs_store_packer_kick(s, 1);
out:
	git_odb_stream_free(stream);
	git_odb_free(stored);
	XXH3_freeState(state);
	free(chunk);
	return rc;
}

static bool starts_with_magic(int fd)
{
	char head[sizeof(GFS_CHUNKS_MAGIC)];
	ssize_t n = pread(fd, head, sizeof(head) - 1, 0);

	return n > 0 && gfs_chunks_magic(head, (size_t)n);
}

/*
 * Chunks that n's bytes may share, a hint only (by xxh3, so any is safe):
 * those of its last version, else (for a file read from disk, not
 * from memory) of the copy the lane is storing of the job's path set
 * aside, else of the rename's source, whose node is still in the
 * picture. NULL: none, every chunk is hashed.
 */
static const git_oid *chunks_hint(struct gfs_store *s,
				  const struct gfs_store_node *n,
				  bool from_disk, git_oid *lane)
{
	const char *job = s->job_paths[0], *base;
	const struct gfs_store_node *src;

	if (!git_oid_is_zero(&n->chunks))
		return &n->chunks;
	base = job ? strrchr(job, '/') : NULL;
	base = base ? base + 1 : job;
	if (from_disk && base && !strcmp(base, n->name) &&
	    gfs_store_lane_chunks(s, job, lane))
		return lane;
	src = s->job_paths[1] ? gfs_store_node_lookup(s->root, s->job_paths[1])
			      : NULL;
	if (src && src != n && !git_oid_is_zero(&src->chunks))
		return &src->chunks;
	return NULL;
}

/*
 * Records regular file fd (st, read from read_start on) in chunks: size
 * bytes read from fd, or held in mem when not NULL. The chunks of n's
 * previous version that did not change are kept as they are.
 */
static int record_chunks(struct gfs_store *s, int fd, const void *mem,
			 uint64_t size, const struct stat *st,
			 int64_t read_start, struct gfs_store_node *n,
			 bool *changed)
{
	uint32_t mode = git_mode_of(st);
	struct gfs_chunks_result res;
	git_oid lane;
	const git_oid *prev = chunks_hint(s, n, !mem, &lane);
	int rc;

	/* told as large files left to read (gfs_store_ingest_left) */
	atomic_store(&s->chunks_read, 0);
	atomic_store(&s->chunks_size, size);
	rc = gfs_chunks_write(&(struct gfs_chunks_odb){s->odb, s->loose,
						       s->objects_dir,
						       &s->loose_whole},
			      fd, mem, size, prev, &res, &s->chunks_read);
	atomic_store(&s->chunks_size, 0);
	if (rc)
		return rc;
	gfs_store_packer_kick(s, res.written);
	if (n->unrecorded || !n->chunked || n->git_mode != mode ||
	    !git_oid_equal(&res.manifest, &n->oid)) {
		rc = gfs_store_will_change(s, n);
		if (rc)
			return rc;
		gfs_store_touched(s, n);
		*changed = true;
	}
	git_oid_cpy(&n->oid, &res.manifest);
	git_oid_cpy(&n->chunks, &res.tree);
	n->chunked = true;
	n->git_mode = mode;
	n->unrecorded = false;
	n->spilled = false;
	n->xxh = res.xxh;
	set_stat(n, st, read_start);
	return 0;
}

/*
 * Waits, up to 20 ms, until the clock has left the step of st's times:
 * a file read in the step it was written in stays racy, and the next
 * change would have to read all of it again to be sure of it.
 */
static void leave_step(const struct stat *st)
{
	int i;

	for (i = 0; i < 20; i++) {
		int64_t now = read_clock();

		if (!same_step(now, ts_ns(&st->st_mtim)) &&
		    !same_step(now, ts_ns(&st->st_ctim)))
			return;
		nanosleep(&(struct timespec){.tv_nsec = 1000000}, NULL);
	}
}

/* How the store opens a file of the folder to read its bytes. */
#define READ_FLAGS (O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)

/*
 * Opens a large file to read it whole once the clock has left the step
 * of its times (leave_step); st is its stat after that and *start the
 * instant the read begins. -errno.
 */
static int open_past_step(int dirfd, const char *name, struct stat *st,
			  int64_t *start)
{
	int fd = gfs_store_open_quietly(dirfd, name, READ_FLAGS);

	if (fd < 0)
		return -errno;
	if (fstat(fd, st) == 0)
		leave_step(st);
	*start = read_clock();
	if (fstat(fd, st) < 0) {
		int rc = -errno;

		close(fd);
		return rc;
	}
	return fd;
}

/*
 * A chunked file whose entry is racy (read in the clock step of its last
 * change, or given a time in whole seconds just before) at the
 * session's first commit, which reads no large file: its bytes are
 * compared with its chunks instead (xxh3 per chunk), and kept if they
 * match. Left out, it would be missing from that commit, as if deleted,
 * until its first change set it aside. 1: held, as the entry says.
 */
static int recheck_chunked(struct gfs_store *s, int dirfd, const char *name,
			   struct gfs_store_node *n)
{
	struct stat st, after;
	int64_t start;
	int fd = open_past_step(dirfd, name, &st, &start), rc = 0;

	if (fd < 0)
		return 0;
	if (stat_matches(n, &st) &&
	    gfs_chunks_match(s->odb, &n->chunks, st.st_size, fd) == 1 &&
	    fstat(fd, &after) == 0 && stat_matches(n, &after)) {
		set_stat(n, &after, start);
		rc = 1;
	}
	close(fd);
	return rc;
}

/* read_entry of a file over max_file_size, outside the first commit. */
static int read_chunked(struct gfs_store *s, int dirfd, const char *name,
			struct gfs_store_node *n, bool *changed)
{
	int64_t start;
	struct stat st;
	int fd = open_past_step(dirfd, name, &st, &start), rc;

	if (fd < 0)
		return fd;
	rc = S_ISREG(st.st_mode) ? record_chunks(s, fd, NULL, st.st_size, &st,
						 start, n, changed)
				 : -ENOENT;
	close(fd);
	return rc;
}

/*
 * Reads the content of a regular file or symlink (dirfd, name) into node,
 * which holds its previous state (or zeroes). Sets *changed when the
 * recorded content or mode differs. A file over max_file_size becomes an
 * unrecorded node unless its content is already held.
 */
static int read_entry(struct gfs_store *s, int dirfd, const char *name,
		      const struct stat *st0, struct gfs_store_node *n,
		      bool *changed)
{
	struct gfs_buf data = GFS_BUF_INIT;
	int64_t start = read_clock();
	uint32_t mode = git_mode_of(st0);
	struct stat st = *st0;
	uint64_t xxh;
	size_t read_len = 0;
	git_oid oid;
	int fd = -1, rc = 0;

	/* (a large file left out of the first commit is read now) */
	if (stat_matches(n, st0) && !n->racy &&
	    (!n->unrecorded || s->session_scan))
		return 0;
	if (s->session_scan && n->racy && n->chunked && !n->unrecorded &&
	    !git_oid_is_zero(&n->chunks) && stat_matches(n, st0) &&
	    recheck_chunked(s, dirfd, name, n))
		return 0;
	/*
	 * A large file is stored in chunks, except while the session's
	 * first commit reads the whole folder: reading every large file
	 * there would make each mount wait for gigabytes. Its content is
	 * set aside before its first change instead (store_spill.c).
	 */
	if (S_ISREG(st0->st_mode) && s->opts.max_file_size &&
	    (uint64_t)st0->st_size > s->opts.max_file_size && !s->session_scan)
		return read_chunked(s, dirfd, name, n, changed);
	if (S_ISREG(st0->st_mode) && s->opts.max_file_size &&
	    (uint64_t)st0->st_size > s->opts.max_file_size) {
		if (!n->unrecorded || n->git_mode != mode) {
			rc = gfs_store_will_change(s, n);
			if (rc)
				return rc;
			gfs_store_touched(s, n);
			*changed = true;
		}
		/* n->chunks stays: the chunks its next reading may keep */
		n->unrecorded = true;
		n->spilled = false;
		n->chunked = false;
		n->git_mode = mode;
		set_stat(n, st0, start);
		return 0;
	}
	/* from here every way out goes through out, which gives data back */
	if (s->baseline)
		gfs_store_baseline_take(s, &data);
	if (S_ISLNK(st0->st_mode)) {
		rc = gfs_buf_grow(&data, 4096);
		if (!rc) {
			ssize_t len = readlinkat(dirfd, name, data.data, 4095);

			if (len < 0)
				rc = -errno;
			else
				data.len = len;
		}
	} else {
		fd = gfs_store_open_quietly(dirfd, name, READ_FLAGS);
		if (fd < 0) {
			rc = -errno;
			goto out;
		}
		if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
			rc = fd < 0 ? -errno : -ENOENT;
			goto out;
		}
		mode = git_mode_of(&st);
		if ((uint64_t)st.st_size > READ_WHOLE_MAX &&
		    starts_with_magic(fd)) {
			rc = record_chunks(s, fd, NULL, st.st_size, &st, start,
					   n, changed);
			goto out;
		}
		if ((uint64_t)st.st_size > READ_WHOLE_MAX) {
			rc = gfs_store_stream_blob(s, s->odb, fd, st.st_size,
						   &oid, &xxh, NULL);
			if (!rc)
				goto have_oid;
			goto out;
		}
		rc = read_fd(fd, &data, st.st_size);
	}
	if (rc)
		goto out;
	if (S_ISREG(st.st_mode) && gfs_chunks_magic(data.data, data.len)) {
		/* bytes that would read as a manifest: chunks, so they don't */
		rc = record_chunks(s, fd, data.data, data.len, &st, start, n,
				   changed);
		goto out;
	}
	xxh = XXH3_64bits(data.data ? data.data : "", data.len);
	read_len = data.len;
	if (n->ino && !n->unrecorded && n->xxh == xxh && n->size == data.len &&
	    !git_oid_is_zero(&n->oid)) {
		git_oid_cpy(&oid, &n->oid);
	} else if (s->baseline) {
		/* hashed here, deflated and written by another thread */
		if (git_odb_hash(&oid, data.data ? data.data : "", data.len,
				 GIT_OBJECT_BLOB)) {
			rc = gfs_store_git_error("hash blob");
			goto out;
		}
		if (!git_odb_exists_ext(s->odb, &oid,
					GIT_ODB_LOOKUP_NO_REFRESH)) {
			rc = gfs_store_baseline_write(s, &oid, &data);
			if (rc)
				goto out;
		}
	} else {
		if (gfs_store_odb_write(s, &oid, data.data, data.len,
					GIT_OBJECT_BLOB)) {
			rc = gfs_store_git_error("write blob");
			goto out;
		}
		gfs_store_packer_kick(s, 1);
	}
have_oid:
	if (n->unrecorded || n->chunked || n->git_mode != mode ||
	    !git_oid_equal(&oid, &n->oid)) {
		rc = gfs_store_will_change(s, n);
		if (rc)
			goto out;
		gfs_store_touched(s, n);
		*changed = true;
	}
	git_oid_cpy(&n->oid, &oid);
	n->git_mode = mode;
	n->unrecorded = false;
	n->spilled = false;
	n->chunked = false;
	n->xxh = xxh;
	set_stat(n, &st, start);
	/* the stat that was read may lag the bytes: keep it racy if so */
	if (S_ISREG(st.st_mode) && (uint64_t)st.st_size != read_len &&
	    (uint64_t)st.st_size <= READ_WHOLE_MAX)
		n->racy = true;
out:
	if (fd >= 0)
		close(fd);
	if (s->baseline)
		gfs_store_baseline_give(s, &data);
	else
		gfs_buf_release(&data);
	return rc;
}

/* Marks every directory from the root down to path's parent dirty. */
static void mark_dirty(struct gfs_store *s, const char *path)
{
	struct gfs_store_node *n = s->root;

	gfs_store_touched(s, n);
	while (n && *path) {
		const char *slash = strchr(path, '/');

		if (!slash)
			break;
		n = gfs_store_node_child(n, path, slash - path);
		if (n)
			gfs_store_touched(s, n);
		path = slash + 1;
	}
}

/* Finds or creates node for path's parent directory chain. */
static int ensure_parent(struct gfs_store *s, const char *path,
			 struct gfs_store_node **out, bool *replaced)
{
	struct gfs_store_node *n = s->root;
	int rc;

	for (;;) {
		const char *slash = strchr(path, '/');
		struct gfs_store_node *c;

		if (!slash) {
			*out = n;
			return 0;
		}
		c = gfs_store_node_child(n, path, slash - path);
		if (!c || c->git_mode != 040000) {
			/* a file where a directory now is: it goes */
			if (c) {
				rc = gfs_store_will_change(s, c);
				if (rc)
					return rc;
				*replaced = true;
			}
			c = gfs_store_node_new(path, slash - path);
			if (!c || gfs_store_node_insert(n, c)) {
				gfs_store_node_free(c);
				return -ENOMEM;
			}
			c->git_mode = 040000;
			c->dirty = true;
		}
		n = c;
		path = slash + 1;
	}
}

static int refresh_dir(struct gfs_store *s, int dirfd,
		       struct gfs_store_node *dir, struct gfs_buf *rel,
		       unsigned depth, bool *changed);

/*
 * Drops n, a child of dir whose name is gone from the folder, keeping
 * what was relied upon of it (gfs_store_will_change). The removal reads
 * n's name only to find it, before freeing it.
 */
static int drop_child(struct gfs_store *s, struct gfs_store_node *dir,
		      struct gfs_store_node *n, bool *changed)
{
	int rc = gfs_store_will_change(s, n);

	if (rc)
		return rc;
	gfs_store_node_remove(dir, n->name);
	*changed = true;
	gfs_store_touched(s, dir);
	return 0;
}

/*
 * Brings the child called name of dir (open as dirfd) up to date with
 * the folder. rel holds the child's path relative to the root.
 */
static int refresh_child(struct gfs_store *s, int dirfd,
			 struct gfs_store_node *dir, const char *name,
			 struct gfs_buf *rel, unsigned depth, bool *changed)
{
	struct gfs_store_node *n =
		gfs_store_node_child(dir, name, strlen(name));
	bool child_changed = false;
	struct stat st;
	int rc = 0;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		rc = -errno;
		if (!gone_errno(rc))
			return rc;
		goto remove;
	}
	if (!S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode) &&
	    !S_ISDIR(st.st_mode))
		goto remove;
	if (gfs_store_excluded(s, rel->data, S_ISDIR(st.st_mode)))
		goto remove;
	if (n && (n->git_mode == 040000) != S_ISDIR(st.st_mode)) {
		rc = gfs_store_will_change(s, n);
		if (rc)
			return rc;
		gfs_store_node_remove(dir, name);
		n = NULL;
		child_changed = true;
	}
	if (!n) {
		n = gfs_store_node_new(name, strlen(name));
		if (!n || gfs_store_node_insert(dir, n)) {
			gfs_store_node_free(n);
			return -ENOMEM;
		}
		n->dirty = true;
		if (S_ISDIR(st.st_mode)) {
			/* a new directory is a change even while empty */
			n->git_mode = 040000;
			child_changed = true;
		}
	}
	if (S_ISDIR(st.st_mode)) {
		int fd = gfs_store_open_quietly(dirfd, name,
						O_RDONLY | O_DIRECTORY |
							O_NOFOLLOW | O_CLOEXEC);

		if (fd < 0) {
			rc = -errno;
			return gone_errno(rc) ? 0 : rc;
		}
		rc = refresh_dir(s, fd, n, rel, depth + 1, &child_changed);
		close(fd);
	} else {
		rc = read_entry(s, dirfd, name, &st, n, &child_changed);
		/* it changed size while read: the next job reads it again */
		if (rc == -EAGAIN)
			rc = 0;
		if (gone_errno(rc)) {
			rc = 0;
			goto remove;
		}
	}
	if (child_changed) {
		*changed = true;
		gfs_store_touched(s, dir);
	}
	return rc;
remove:
	return n ? drop_child(s, dir, n, changed) : 0;
}

static int refresh_dir(struct gfs_store *s, int dirfd,
		       struct gfs_store_node *dir, struct gfs_buf *rel,
		       unsigned depth, bool *changed)
{
	size_t base = rel->len, i;
	struct dirent *de;
	DIR *d;
	int fd, rc = 0;

	if (depth > 4096)
		return -ELOOP;
	/* the store's own listing leaves the directory's atime alone */
	fd = gfs_store_open_quietly(dirfd, ".",
				    O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	for (i = 0; i < dir->nchildren; i++)
		dir->children[i]->seen = false;
	while (!rc && (de = readdir(d))) {
		struct gfs_store_node *n;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (s->reading_baseline)
			gfs_store_baseline_entry(s);
		if (s->prefetch)
			gfs_store_prefetch_passed(s->prefetch);
		rel->len = base;
		if (base)
			rc = gfs_buf_addch(rel, '/');
		if (!rc)
			rc = gfs_buf_adds(rel, de->d_name);
		if (!rc)
			rc = refresh_child(s, dirfd, dir, de->d_name, rel,
					   depth, changed);
		n = gfs_store_node_child(dir, de->d_name, strlen(de->d_name));
		if (n)
			n->seen = true;
	}
	closedir(d);
	rel->len = base;
	if (rel->data)
		rel->data[base] = '\0';
	if (rc)
		return rc;
	for (i = dir->nchildren; i-- > 0;) {
		if (!dir->children[i]->seen) {
			rc = drop_child(s, dir, dir->children[i], changed);
			if (rc)
				return rc;
		}
	}
	return 0;
}

int gfs_store_forget(struct gfs_store *s, const char *path, bool *changed)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	struct gfs_store_node *parent = s->root, *n;
	int rc;

	*changed = false;
	if (slash) {
		char *dir = strndup(path, slash - path);

		if (!dir)
			return -ENOMEM;
		parent = gfs_store_node_lookup(s->root, dir);
		free(dir);
	}
	n = parent ? gfs_store_node_child(parent, base, strlen(base)) : NULL;
	if (!n || !*path)
		return 0;
	rc = drop_child(s, parent, n, changed);
	if (!rc)
		mark_dirty(s, path);
	return rc;
}

int gfs_store_refresh(struct gfs_store *s, const char *path, bool *changed)
{
	struct gfs_buf rel = GFS_BUF_INIT;
	struct gfs_store_node *parent;
	const char *base;
	int dirfd, rc;

	*changed = false;
	if (!*path) {
		dirfd = gfs_open_beneath(s->opts.root_fd, ".",
					 O_RDONLY | O_DIRECTORY, false);
		if (dirfd < 0)
			return dirfd;
		rc = refresh_dir(s, dirfd, s->root, &rel, 0, changed);
		close(dirfd);
		gfs_buf_release(&rel);
		return rc;
	}
	/* below an excluded directory: no nodes, not even its parents */
	{
		const char *slash = strrchr(path, '/');
		char *dir = slash ? strndup(path, slash - path) : NULL;
		bool excluded = dir && gfs_store_excluded(s, dir, true);

		free(dir);
		if (excluded)
			return 0;
	}
	dirfd = open_parent(s, path, O_RDONLY, &base);
	if (dirfd < 0 && !gone_errno(dirfd))
		return dirfd;
	if (dirfd < 0) {
		/* the parent is gone: so is everything the store had there */
		return strchr(path, '/') ? gfs_store_forget(s, path, changed)
					 : 0;
	}
	rc = ensure_parent(s, path, &parent, changed);
	if (!rc)
		rc = gfs_buf_adds(&rel, path);
	if (!rc)
		rc = refresh_child(s, dirfd, parent, base, &rel, 0, changed);
	if (*changed)
		mark_dirty(s, path);
	close(dirfd);
	gfs_buf_release(&rel);
	return rc;
}

/*
 * Records that path now holds blob oid (a large file's preserved
 * content, stored in chunks when chunks is not NULL): it enters the trees
 * until the path is next refreshed.
 */
int gfs_store_set_blob(struct gfs_store *s, const char *path, uint32_t git_mode,
		       const git_oid *oid, const git_oid *chunks, bool *changed)
{
	const char *base = strrchr(path, '/');
	struct gfs_store_node *parent, *n;
	bool replaced = false;
	int rc;

	*changed = false;
	rc = ensure_parent(s, path, &parent, &replaced);
	if (rc)
		return rc;
	if (replaced) {
		*changed = true;
		mark_dirty(s, path);
	}
	base = base ? base + 1 : path;
	n = gfs_store_node_child(parent, base, strlen(base));
	if (n && !n->unrecorded && n->git_mode == git_mode &&
	    git_oid_equal(&n->oid, oid) && n->chunked == (chunks != NULL))
		return 0;
	rc = gfs_store_will_change(s, n);
	if (rc)
		return rc;
	if (!n || n->git_mode == 040000) {
		if (n)
			gfs_store_node_remove(parent, base);
		n = gfs_store_node_new(base, strlen(base));
		if (!n || gfs_store_node_insert(parent, n)) {
			gfs_store_node_free(n);
			return -ENOMEM;
		}
	}
	n->git_mode = git_mode;
	gfs_store_touched(s, n);
	git_oid_cpy(&n->oid, oid);
	n->chunked = chunks != NULL;
	if (chunks)
		git_oid_cpy(&n->chunks, chunks);
	/* the stat stays: it describes exactly these bytes */
	n->unrecorded = false;
	*changed = true;
	mark_dirty(s, path);
	return 0;
}

/*
 * The request-path check of before(): 0 when the store already holds
 * path's current content (or there is none to hold), 1 when the worker
 * must capture it, 2 when it is a large file to set aside, or -errno.
 * With 1, *seen (unless NULL) is the lstat of path it judged by.
 */
int gfs_store_preimage_check(struct gfs_store *s, const char *path,
			     unsigned flags, struct stat *seen)
{
	struct gfs_store_node *n;
	const char *base;
	struct stat st;
	uint64_t xxh = 0, size = 0;
	bool rehash = false;
	int dirfd, fd, rc = 0;

	dirfd = open_parent(s, path, O_PATH, &base);
	if (dirfd < 0)
		return gone_errno(dirfd) ? 0 : dirfd;
	if (!*path)
		rc = fstat(dirfd, &st);
	else
		rc = fstatat(dirfd, base, &st, AT_SYMLINK_NOFOLLOW);
	if (rc < 0) {
		rc = gone_errno(-errno) ? 0 : -errno;
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		rc = (flags & GFS_STORE_SUBTREE) &&
		     !gfs_store_excluded(s, path, true);
		if (rc) {
			/*
			 * Nothing recorded below (the rmdirs of an rm -rf):
			 * nothing to lose. What was created below went
			 * through after() jobs, which are done by now.
			 */
			pthread_rwlock_rdlock(&s->tree_lock);
			n = gfs_store_node_lookup(s->root, path);
			if (n && n->git_mode == 040000 && !n->nchildren)
				rc = 0;
			pthread_rwlock_unlock(&s->tree_lock);
		}
		goto out;
	}
	if ((!S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode)) ||
	    gfs_store_excluded(s, path, false))
		goto out;
	pthread_rwlock_rdlock(&s->tree_lock);
	n = gfs_store_node_lookup(s->root, path);
	if (S_ISREG(st.st_mode) && s->opts.max_file_size &&
	    (uint64_t)st.st_size > s->opts.max_file_size &&
	    !(n && n->chunked && !n->unrecorded && stat_matches(n, &st) &&
	      !n->racy)) {
		/*
		 * Too large to read here. One the store had in chunks, as
		 * it stands or not: the worker reads it against them and
		 * writes only the chunks that differ. Else it is set aside,
		 * unless already done.
		 */
		if (n && !git_oid_is_zero(&n->chunks))
			rc = 1;
		else
			rc = n && n->spilled && stat_matches(n, &st) ? 0 : 2;
		pthread_rwlock_unlock(&s->tree_lock);
		goto out;
	}
	if (n && stat_matches(n, &st) && !n->racy &&
	    (!n->unrecorded || n->spilled)) {
		/* readers share the lock: the flag is only ever set here */
		if (!(flags & GFS_STORE_METADATA)) {
			__atomic_store_n(&n->relied, true, __ATOMIC_RELAXED);
			if (n->changed_gen == s->commit_gen)
				gfs_store_journal_add(s, path, n);
		}
		pthread_rwlock_unlock(&s->tree_lock);
		goto out;
	}
	if (n && !n->unrecorded && S_ISREG(st.st_mode) &&
	    n->git_mode == git_mode_of(&st) &&
	    n->size == (uint64_t)st.st_size &&
	    (uint64_t)st.st_size <= READ_WHOLE_MAX) {
		rehash = true;
		xxh = n->xxh;
		size = n->size;
	}
	pthread_rwlock_unlock(&s->tree_lock);
	rc = 1;
	if (!rehash)
		goto out;
	/* same size and mode, new stat: an xxh3 of the bytes tells */
	fd = gfs_store_open_quietly(
		dirfd, base, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd >= 0) {
		struct gfs_buf data = GFS_BUF_INIT;
		int64_t start = read_clock();
		struct stat st2;

		if (fstat(fd, &st2) == 0 && !read_fd(fd, &data, size) &&
		    data.len == size &&
		    XXH3_64bits(data.data ? data.data : "", data.len) == xxh) {
			pthread_rwlock_wrlock(&s->tree_lock);
			n = gfs_store_node_lookup(s->root, path);
			if (n && !n->unrecorded && n->xxh == xxh &&
			    n->size == size &&
			    n->git_mode == git_mode_of(&st2) &&
			    (uint64_t)st2.st_size == size) {
				set_stat(n, &st2, start);
				if (!(flags & GFS_STORE_METADATA)) {
					n->relied = true;
					if (n->changed_gen == s->commit_gen)
						gfs_store_journal_add(s, path,
								      n);
				}
				rc = 0;
			}
			pthread_rwlock_unlock(&s->tree_lock);
		}
		gfs_buf_release(&data);
		close(fd);
	}
out:
	if (rc == 1 && seen)
		*seen = st;
	close(dirfd);
	return rc;
}
