/*
 * The copy of /etc that the sandbox of `guardfs run` and `guardfs exec`
 * shows (see sandbox_etc.h for what it is and why).
 *
 * The copies of a user lie in RUNTIME/etc (RUNTIME: the runtime
 * directory of guardfs, 0700, never shown in the sandbox), one directory
 * each: HASH once complete and published, new.XXXXXX while being made
 * (or when made for one sandbox alone), old.XXXXXX while being removed.
 * A sandbox holds a shared flock on its copy's directory for as long as
 * it runs; a copy is removed only under an exclusive one, after it was
 * renamed out of reach, so no sandbox starts on a copy half removed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include <xxhash.h>

#include "guardfs/control.h"
#include "guardfs/util.h"
#include "sandbox_etc.h"

/*
 * What the copies may hold in all: /etc holds a few MiB of text, and a
 * copy lies in the runtime directory (a tmpfs, as a rule), so a larger
 * /etc refuses the sandbox rather than fill it.
 */
#define ETC_COPY_MAX_BYTES ((uint64_t)64 << 20)

/*
 * A file changed within this many nanoseconds before the copy began may
 * change again without its ctime moving (the kernel stamps times from a
 * coarse clock, and some filesystems keep whole seconds): such a copy is
 * used, but not published for later sandboxes to reuse.
 */
#define ETC_SETTLED_NS (2 * 1000000000LL)

/* Bumped whenever what a copy holds, or how it is named, changes. */
static const char copy_format[] = "guardfs /etc copy 1";

int gfs_etc_shown_mode(mode_t mode)
{
	mode_t others = mode & S_IRWXO;

	return (int)((mode & (S_ISVTX | 0777)) | others << 3 | others << 6);
}

/* The directory of copies, made when missing: this user's alone. */
static int copies_dir_open(struct gfs_buf *path, char *err, size_t err_size)
{
	struct stat st;
	int fd, rc;

	rc = gfs_control_runtime_dir(path);
	if (!rc)
		rc = gfs_mkdir_p(path->data, 0700);
	if (!rc && gfs_buf_adds(path, "/etc"))
		rc = -ENOMEM;
	if (!rc && mkdir(path->data, 0700) && errno != EEXIST)
		rc = -errno;
	fd = rc ? -1
		: open(path->data,
		       O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (!rc && fd < 0)
		rc = -errno;
	if (rc) {
		snprintf(err, err_size,
			 "cannot make the sandbox's /etc in '%s': %s",
			 path->data ? path->data : "", strerror(-rc));
		return -1;
	}
	/* another user's, or open to others: its copies cannot be trusted */
	if (fstat(fd, &st) || st.st_uid != geteuid() || (st.st_mode & 077)) {
		snprintf(err, err_size,
			 "cannot make the sandbox's /etc in '%s': not a "
			 "directory of this user's alone",
			 path->data);
		close(fd);
		return -1;
	}
	return fd;
}

static void hash_entry(XXH3_state_t *h, const struct gfs_etc_entry *e)
{
	uint64_t v[] = {
		(uint64_t)e->kind,	    (uint64_t)e->depth,
		(uint64_t)e->holds_mount,   (uint64_t)e->mode,
		(uint64_t)e->dev,	    (uint64_t)e->ino,
		(uint64_t)e->size,	    (uint64_t)e->mtime.tv_sec,
		(uint64_t)e->mtime.tv_nsec, (uint64_t)e->ctime.tv_sec,
		(uint64_t)e->ctime.tv_nsec,
	};

	XXH3_128bits_update(h, v, sizeof(v));
	if (e->path)
		XXH3_128bits_update(h, e->path, strlen(e->path) + 1);
}

/*
 * The name of the copy of what f shows: a hash of all the walk saw.
 * Any change the host makes in /etc changes some entry's times, mode or
 * inode, or the entries listed, and so the name.
 */
static int copy_name(char *out, size_t size, const struct gfs_forbidden *f)
{
	XXH3_state_t *h = XXH3_createState();
	XXH128_hash_t sum;
	size_t i;

	if (!h)
		return -ENOMEM;
	XXH3_128bits_reset(h);
	XXH3_128bits_update(h, copy_format, sizeof(copy_format));
	hash_entry(h, &f->etc_root);
	for (i = 0; i < f->etc_len; i++)
		hash_entry(h, &f->etc[i]);
	sum = XXH3_128bits_digest(h);
	XXH3_freeState(h);
	snprintf(out, size, "%016llx%016llx", (unsigned long long)sum.high64,
		 (unsigned long long)sum.low64);
	return 0;
}

/* Whether name in dir is still the directory fd holds. */
static bool still_named(int dir, const char *name, int fd)
{
	struct stat a, b;

	return !fstatat(dir, name, &a, AT_SYMLINK_NOFOLLOW) && !fstat(fd, &b) &&
	       a.st_dev == b.st_dev && a.st_ino == b.st_ino &&
	       b.st_uid == geteuid();
}

/* Opens and holds the published copy name: fd, or -1 when there is none. */
static int copy_take(int dir, const char *name)
{
	int fd = openat(dir, name,
			O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return -1;
	/* (a copy being removed is held exclusively, and renamed first) */
	if (flock(fd, LOCK_SH | LOCK_NB) || !still_named(dir, name, fd)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Fills name (at least 11 bytes) with prefix "new." or "old." and 6 more. */
static void temp_name(char *name, const char *prefix)
{
	static const char digits[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	unsigned char raw[6];
	size_t i;

	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
		for (i = 0; i < sizeof(raw); i++)
			raw[i] = (unsigned char)rand();
	strcpy(name, prefix);
	for (i = 0; i < sizeof(raw); i++)
		name[4 + i] = digits[raw[i] % (sizeof(digits) - 1)];
	name[4 + sizeof(raw)] = '\0';
}

/*
 * Empties the directory fd (ours: a copy) and everything below it. Its
 * directories get u+rwx first: a copy keeps the modes of /etc, and an
 * ordinary user could not remove what a 0555 directory holds. 0, or -1
 * when something stays.
 */
static int remove_inside(int fd, int depth)
{
	struct dirent *de;
	DIR *d;
	int rc = 0, sub;

	if (depth > GFS_ETC_MAX_DEPTH + 2)
		return -1;
	fchmod(fd, 0700);
	sub = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	d = sub < 0 ? NULL : fdopendir(sub);
	if (!d) {
		if (sub >= 0)
			close(sub);
		return -1;
	}
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (!unlinkat(fd, de->d_name, 0))
			continue;
		if (errno != EISDIR && errno != EPERM) {
			rc = -1;
			continue;
		}
		sub = openat(fd, de->d_name,
			     O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub < 0 || remove_inside(sub, depth + 1) ||
		    unlinkat(fd, de->d_name, AT_REMOVEDIR))
			rc = -1;
		if (sub >= 0)
			close(sub);
	}
	closedir(d);
	return rc;
}

/*
 * Removes what lies in the directory of copies and no sandbox holds:
 * earlier copies, and what a guardfs killed meanwhile left behind. A
 * copy is renamed out of reach before it is emptied.
 */
static void copies_sweep(int dir, const char *keep)
{
	char old[16];
	struct dirent *de;
	DIR *d;
	int fd;

	fd = openat(dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	d = fd < 0 ? NULL : fdopendir(fd);
	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((de = readdir(d))) {
		const char *name = de->d_name;

		if (!strcmp(name, ".") || !strcmp(name, "..") ||
		    !strcmp(name, keep))
			continue;
		fd = openat(dir, name,
			    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0) {
			if (errno == ENOTDIR || errno == ELOOP)
				unlinkat(dir, name, 0);
			continue;
		}
		if (flock(fd, LOCK_EX | LOCK_NB) ||
		    !still_named(dir, name, fd)) {
			close(fd); /* a sandbox holds it, or it went */
			continue;
		}
		if (strncmp(name, "old.", 4)) {
			temp_name(old, "old.");
			if (renameat(dir, name, dir, old)) {
				close(fd);
				continue;
			}
			name = old;
		}
		if (!remove_inside(fd, 0))
			unlinkat(dir, name, AT_REMOVEDIR);
		close(fd);
	}
	closedir(d);
}

/* The making of one copy: a directory per level, /etc's at 0. */
struct copy_level {
	int src; /* -1: left out, and what it holds with it */
	int dst;
	mode_t mode;
};

struct copy_build {
	struct copy_level level[GFS_ETC_MAX_DEPTH + 2];
	int top; /* the deepest level open */
	uint64_t bytes;
	int64_t began_ns; /* CLOCK_REALTIME, as file times are */
	/* what it holds is not what the walk saw: not to be reused */
	bool unshared;
	const char *path; /* the copy's, for messages */
	char *err;
	size_t err_size;
};

static int build_refuse(struct copy_build *b, const char *what, const char *why,
			int errnum)
{
	snprintf(b->err, b->err_size,
		 "cannot copy '%s' into the sandbox's /etc ('%s'): %s%s%s",
		 what, b->path, why, errnum ? ": " : "",
		 errnum ? strerror(errnum) : "");
	return -1;
}

/* Whether an error opening an entry of /etc means it went or changed. */
static bool gone(int errnum)
{
	return errnum == ENOENT || errnum == ELOOP || errnum == ENOTDIR ||
	       errnum == EACCES || errnum == EPERM || errnum == ENXIO ||
	       errnum == EISDIR;
}

static bool same_time(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec;
}

/* Whether st is what the walk saw of e. */
static bool as_walked(const struct gfs_etc_entry *e, const struct stat *st)
{
	return st->st_mode == e->mode && st->st_dev == e->dev &&
	       st->st_ino == e->ino && st->st_size == e->size &&
	       same_time(&st->st_mtim, &e->mtime) &&
	       same_time(&st->st_ctim, &e->ctime);
}

/* Whether a file's bytes changed while they were copied. */
static bool changed_meanwhile(const struct stat *a, const struct stat *b)
{
	return a->st_mode != b->st_mode || a->st_size != b->st_size ||
	       !same_time(&a->st_mtim, &b->st_mtim) ||
	       !same_time(&a->st_ctim, &b->st_ctim);
}

static bool settled(const struct copy_build *b, const struct stat *st)
{
	int64_t ctime_ns = (int64_t)st->st_ctim.tv_sec * 1000000000LL +
			   st->st_ctim.tv_nsec;

	return ctime_ns < b->began_ns - ETC_SETTLED_NS;
}

/* Copies with read and write: a filesystem sendfile cannot read. */
static ssize_t copy_chunk_plain(int src, int dst, size_t max)
{
	char buf[65536];
	ssize_t n, w, k;

	n = read(src, buf, max < sizeof(buf) ? max : sizeof(buf));
	for (w = 0; n > 0 && w < n; w += k) {
		k = write(dst, buf + w, (size_t)(n - w));
		if (k < 0)
			return -1;
	}
	return n;
}

/*
 * Copies the bytes of src into dst, within what the copies may hold
 * (asking for one byte more than is left, to tell a file too large).
 */
static int copy_bytes(struct copy_build *b, const char *path, int src, int dst)
{
	bool plain = false;
	ssize_t n;

	for (;;) {
		size_t max = (size_t)(ETC_COPY_MAX_BYTES - b->bytes) + 1;

		n = plain ? copy_chunk_plain(src, dst, max)
			  : sendfile(dst, src, NULL, max);
		if (n < 0 && !plain && (errno == EINVAL || errno == ENOSYS)) {
			plain = true;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return build_refuse(b, path, "copy", errno);
		if (n == 0)
			return 0;
		b->bytes += (uint64_t)n;
		if (b->bytes > ETC_COPY_MAX_BYTES)
			return build_refuse(b, path,
					    "more than 64 MiB of files to copy",
					    0);
	}
}

/*
 * A regular file: opened without following a link, judged on that
 * descriptor before its bytes are read and again after, so a file made
 * private in place meanwhile (chmod, then the secret written) is left
 * out rather than copied with the secret.
 */
static int copy_file(struct copy_build *b, const struct gfs_etc_entry *e,
		     const char *name, int src_dir, int dst_dir)
{
	struct stat before, after;
	int src, dst, rc;

	src = openat(src_dir, name,
		     O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (src < 0) {
		b->unshared = true;
		return gone(errno) ? 0
				   : build_refuse(b, e->path, "open", errno);
	}
	if (fstat(src, &before)) {
		rc = build_refuse(b, e->path, "stat", errno);
		goto out_src;
	}
	if (!as_walked(e, &before) || !settled(b, &before))
		b->unshared = true;
	rc = 0;
	if (!S_ISREG(before.st_mode) ||
	    !gfs_forbidden_others_may_read(before.st_mode))
		goto out_src;
	dst = openat(dst_dir, name,
		     O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		     0600);
	if (dst < 0) {
		rc = build_refuse(b, e->path, "create", errno);
		goto out_src;
	}
	rc = copy_bytes(b, e->path, src, dst);
	if (!rc && fstat(src, &after))
		rc = build_refuse(b, e->path, "stat", errno);
	if (!rc && (changed_meanwhile(&before, &after) ||
		    !gfs_forbidden_others_may_read(after.st_mode))) {
		b->unshared = true;
		unlinkat(dst_dir, name, 0);
	} else if (!rc &&
		   fchmod(dst, (mode_t)gfs_etc_shown_mode(after.st_mode))) {
		rc = build_refuse(b, e->path, "chmod", errno);
	}
	close(dst);
out_src:
	close(src);
	return rc;
}

static int copy_link(struct copy_build *b, const struct gfs_etc_entry *e,
		     const char *name, int src_dir, int dst_dir)
{
	char target[PATH_MAX];
	struct stat st;
	ssize_t n;

	n = readlinkat(src_dir, name, target, sizeof(target) - 1);
	if (n < 0) {
		b->unshared = true;
		return gone(errno) || errno == EINVAL
			       ? 0
			       : build_refuse(b, e->path, "readlink", errno);
	}
	target[n] = '\0';
	/* a link replaced between the walk and now: this copy only */
	if (fstatat(src_dir, name, &st, AT_SYMLINK_NOFOLLOW) ||
	    !as_walked(e, &st))
		b->unshared = true;
	if (symlinkat(target, dst_dir, name))
		return build_refuse(b, e->path, "symlink", errno);
	return 0;
}

/* Closes the levels below depth, giving each directory its mode. */
static int close_levels(struct copy_build *b, int depth)
{
	int rc = 0;

	for (; b->top > depth; b->top--) {
		struct copy_level *l = &b->level[b->top];

		if (l->dst >= 0 && l->src >= 0 && fchmod(l->dst, l->mode))
			rc = build_refuse(b, "a directory", "chmod", errno);
		if (l->src >= 0)
			close(l->src);
		if (l->dst >= 0)
			close(l->dst);
		l->src = l->dst = -1;
	}
	return rc;
}

/* A directory: made, and opened as the level of what it holds. */
static int copy_dir(struct copy_build *b, const struct gfs_etc_entry *e,
		    const char *name, int src_dir, int dst_dir)
{
	struct copy_level *l = &b->level[e->depth + 1];
	struct stat st;

	b->top = e->depth + 1;
	l->src = openat(src_dir, name,
			O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (l->src < 0) {
		b->unshared = true;
		return gone(errno) ? 0
				   : build_refuse(b, e->path, "open", errno);
	}
	if (fstat(l->src, &st))
		return build_refuse(b, e->path, "stat", errno);
	if (!as_walked(e, &st))
		b->unshared = true;
	if (!gfs_forbidden_others_may_read(st.st_mode) && !e->holds_mount) {
		close(l->src); /* turned private since: left out, whole */
		l->src = -1;
		return 0;
	}
	l->mode = (mode_t)gfs_etc_shown_mode(st.st_mode);
	if (mkdirat(dst_dir, name, 0700))
		return build_refuse(b, e->path, "mkdir", errno);
	l->dst = openat(dst_dir, name,
			O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return l->dst < 0 ? build_refuse(b, e->path, "open", errno) : 0;
}

static int copy_entry(struct copy_build *b, const struct gfs_etc_entry *e)
{
	const struct copy_level *parent = &b->level[e->depth];
	const char *name = strrchr(e->path, '/') + 1;

	if (parent->src < 0)
		return 0; /* its directory was left out */
	switch (e->kind) {
	case GFS_ETC_DIR:
		return copy_dir(b, e, name, parent->src, parent->dst);
	case GFS_ETC_FILE:
		return copy_file(b, e, name, parent->src, parent->dst);
	case GFS_ETC_LINK:
		return copy_link(b, e, name, parent->src, parent->dst);
	case GFS_ETC_PLACE:
		if (mkdirat(parent->dst, name, 0755))
			return build_refuse(b, e->path, "mkdir", errno);
		return 0;
	}
	return 0;
}

/* Fills the empty directory dst with the copy of what f shows. */
static int copy_fill(struct copy_build *b, const struct gfs_forbidden *f,
		     int dst)
{
	struct timespec now;
	struct stat st;
	size_t i;
	int rc = 0;

	clock_gettime(CLOCK_REALTIME, &now);
	b->began_ns = (int64_t)now.tv_sec * 1000000000LL + now.tv_nsec;
	for (i = 0; i < sizeof(b->level) / sizeof(b->level[0]); i++)
		b->level[i].src = b->level[i].dst = -1;
	if (fstat(f->etc_fd, &st))
		return build_refuse(b, "/etc", "stat", errno);
	if (!as_walked(&f->etc_root, &st))
		b->unshared = true;
	/* level 0 is borrowed: /etc and the copy itself, never closed */
	b->level[0].src = f->etc_fd;
	b->level[0].dst = dst;
	for (i = 0; !rc && i < f->etc_len; i++) {
		rc = close_levels(b, f->etc[i].depth);
		if (!rc)
			rc = copy_entry(b, &f->etc[i]);
	}
	if (!rc)
		rc = close_levels(b, 0);
	else
		close_levels(b, 0);
	if (!rc && fchmod(dst, (mode_t)gfs_etc_shown_mode(st.st_mode)))
		rc = build_refuse(b, "/etc", "chmod", errno);
	return rc;
}

/*
 * Makes a new directory for a copy, held from the start so that no
 * sweep takes it: its fd, or -1 with the reason in err.
 */
static int copy_start(struct gfs_etc_copy *c, char *err, size_t err_size)
{
	int tries, fd;

	for (tries = 0; tries < 8; tries++) {
		temp_name(c->name, "new.");
		if (mkdirat(c->parent_fd, c->name, 0700)) {
			if (errno == EEXIST)
				continue;
			break;
		}
		fd = openat(c->parent_fd, c->name,
			    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd >= 0 && !flock(fd, LOCK_SH | LOCK_NB) &&
		    still_named(c->parent_fd, c->name, fd))
			return fd;
		if (fd >= 0)
			close(fd); /* swept meanwhile: another */
	}
	snprintf(err, err_size, "cannot make the sandbox's /etc in '%s': %s",
		 c->path, strerror(errno));
	return -1;
}

/* Makes the copy named name; published under it unless unshared. */
static int copy_make(struct gfs_etc_copy *c, const struct gfs_forbidden *f,
		     const char *name, char *err, size_t err_size)
{
	struct copy_build b = {.err = err, .err_size = err_size};
	struct gfs_buf where = GFS_BUF_INIT;
	int rc;

	c->fd = copy_start(c, err, err_size);
	if (c->fd < 0)
		return -1;
	c->unshared = true; /* until published */
	gfs_buf_addf(&where, "%s/%s", c->path, c->name);
	b.path = where.data ? where.data : c->path;
	rc = copy_fill(&b, f, c->fd);
	gfs_buf_release(&where);
	if (rc)
		return -1;
	if (!b.unshared && !renameat2(c->parent_fd, c->name, c->parent_fd, name,
				      RENAME_NOREPLACE)) {
		snprintf(c->name, sizeof(c->name), "%s", name);
		c->unshared = false;
	}
	/* earlier copies no sandbox holds, now that this one exists */
	copies_sweep(c->parent_fd, c->name);
	return 0;
}

int gfs_etc_copy_get(struct gfs_etc_copy *c, const struct gfs_forbidden *f,
		     char *err, size_t err_size)
{
	struct gfs_buf dir = GFS_BUF_INIT;
	char name[40];
	int rc = -1;

	c->parent_fd = copies_dir_open(&dir, err, err_size);
	if (c->parent_fd < 0)
		goto out;
	c->path = gfs_buf_detach(&dir);
	if (copy_name(name, sizeof(name), f)) {
		snprintf(err, err_size, "cannot make the sandbox's /etc: %s",
			 strerror(ENOMEM));
		goto out;
	}
	c->fd = copy_take(c->parent_fd, name);
	if (c->fd >= 0) {
		snprintf(c->name, sizeof(c->name), "%s", name);
		rc = 0;
		goto out;
	}
	rc = copy_make(c, f, name, err, err_size);
out:
	gfs_buf_release(&dir);
	return rc;
}

void gfs_etc_copy_release(struct gfs_etc_copy *c)
{
	if (c->fd >= 0 && c->unshared && c->name[0] &&
	    still_named(c->parent_fd, c->name, c->fd) &&
	    !remove_inside(c->fd, 0))
		unlinkat(c->parent_fd, c->name, AT_REMOVEDIR);
	if (c->fd >= 0)
		close(c->fd);
	if (c->parent_fd >= 0)
		close(c->parent_fd);
	free(c->path);
	c->fd = c->parent_fd = -1;
	c->path = NULL;
	c->name[0] = '\0';
}
