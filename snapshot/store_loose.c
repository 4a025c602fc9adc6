/*
 * The worker's loose objects, written whole.
 *
 * Each small object the worker writes (a journal's blob, a tree, a
 * commit: three or four per sqlite transaction) cost libgit2's loose
 * backend about eight system calls and a zlib stream set up and torn
 * down: an access() for the object (which the store has just looked
 * up), a named temporary file in objects/, a stat of objects/xx, the
 * write, a close, a link to the object's name and an unlink of the
 * temporary name. Here the object is deflated in one call by libdeflate
 * (a zlib stream, as git reads it) into a file without a name
 * (O_TMPFILE) in objects/xx, which is linked into place once it is
 * whole: four calls, and a kill at any point leaves either the whole
 * object or nothing, and no temporary file behind.
 *
 * Where the file system has no O_TMPFILE, or /proc is not there for
 * the link, gfs_loose_write answers -EOPNOTSUPP for good and the caller
 * goes back to libgit2's backend.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <libdeflate.h>

#include "guardfs/util.h"
#include "store_internal.h"

/*
 * Larger objects go through libgit2's stream, which deflates them
 * without a second copy of the bytes (a file of up to 16 MiB is read
 * whole): what is saved here is per object, not per byte.
 */
#define WHOLE_MAX (1u << 20)

void gfs_loose_init(struct gfs_loose *l, const char *objects_dir)
{
	memset(l, 0, sizeof(*l));
	pthread_mutex_init(&l->lock, NULL);
	l->ready = true;
	l->objects = objects_dir ? strdup(objects_dir) : NULL;
	l->deflate = libdeflate_alloc_compressor(GFS_STORE_LOOSE_ZLIB_LEVEL);
	/* the link from a file without a name goes through /proc */
	l->unsupported = !l->objects || !l->deflate ||
			 access("/proc/self/fd", X_OK) != 0;
}

void gfs_loose_release(struct gfs_loose *l)
{
	if (!l->ready)
		return;
	l->ready = false;
	free(l->objects);
	l->objects = NULL;
	libdeflate_free_compressor(l->deflate);
	l->deflate = NULL;
	free(l->in);
	free(l->out);
	l->in = l->out = NULL;
	l->in_cap = l->out_cap = 0;
	pthread_mutex_destroy(&l->lock);
}

static int grow(unsigned char **buf, size_t *cap, size_t want)
{
	unsigned char *p;

	if (*cap >= want)
		return 0;
	p = realloc(*buf, want);
	if (!p)
		return -ENOMEM;
	*buf = p;
	*cap = want;
	return 0;
}

/*
 * objects/xx (first: the id's first byte), made if it is not there yet;
 * again: it was known, yet went (a prune).
 */
static int fan_dir(struct gfs_loose *l, unsigned char first, const char *dir,
		   bool again)
{
	uint64_t *word = &l->dirs[first >> 6], bit = 1ull << (first & 63);

	if ((*word & bit) && !again)
		return 0;
	if (mkdir(dir, 0777) < 0 && errno != EEXIST)
		return -errno;
	*word |= bit;
	return 0;
}

/* The header and the bytes, deflated into l->out; returns its length. */
static int deflate_object(struct gfs_loose *l, const void *data, size_t len,
			  git_object_t type, size_t *out_len)
{
	char head[64];
	int head_len = snprintf(head, sizeof(head), "%s %zu",
				git_object_type2string(type), len) +
		       1;
	size_t in_len = (size_t)head_len + len;
	int rc = grow(&l->in, &l->in_cap, in_len);

	if (!rc)
		rc = grow(&l->out, &l->out_cap,
			  libdeflate_zlib_compress_bound(l->deflate, in_len));
	if (rc)
		return rc;
	memcpy(l->in, head, (size_t)head_len);
	if (len)
		memcpy(l->in + head_len, data, len);
	*out_len = libdeflate_zlib_compress(l->deflate, l->in, in_len, l->out,
					    l->out_cap);
	return *out_len ? 0 : -EIO;
}

/* Writes the file without a name in dir and links it to path. */
static int link_whole(struct gfs_loose *l, const char *dir, const char *path,
		      size_t out_len)
{
	char proc[64];
	int fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0444);
	int rc;

	if (fd < 0)
		return errno == EISDIR || errno == EOPNOTSUPP || errno == EINVAL
			       ? -EOPNOTSUPP
			       : -errno;
	rc = gfs_write_all(fd, l->out, out_len);
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	if (!rc &&
	    linkat(AT_FDCWD, proc, AT_FDCWD, path, AT_SYMLINK_FOLLOW) < 0 &&
	    errno != EEXIST)
		rc = -errno;
	close(fd);
	return rc;
}

int gfs_loose_write(struct gfs_loose *l, const git_oid *oid, const void *data,
		    size_t len, git_object_t type)
{
	char hex[GIT_OID_HEXSZ + 1], dir[PATH_MAX], path[PATH_MAX];
	size_t out_len = 0;
	int rc;

	if (!l->ready)
		return -EOPNOTSUPP;
	if (len > WHOLE_MAX)
		return -E2BIG;
	git_oid_tostr(hex, sizeof(hex), oid);
	pthread_mutex_lock(&l->lock);
	/*
	 * By name, as libgit2 does: an objects/ moved away or replaced
	 * under the store fails the write instead of filling the old one.
	 */
	if (l->unsupported ||
	    snprintf(dir, sizeof(dir), "%s/%.2s", l->objects, hex) >=
		    (int)sizeof(dir) ||
	    snprintf(path, sizeof(path), "%s/%s", dir, hex + 2) >=
		    (int)sizeof(path)) {
		rc = -EOPNOTSUPP; /* libgit2 writes, or says what is wrong */
		goto out;
	}
	rc = deflate_object(l, data, len, type, &out_len);
	if (!rc)
		rc = fan_dir(l, oid->id[0], dir, false);
	if (!rc)
		rc = link_whole(l, dir, path, out_len);
	if (rc == -ENOENT) {
		/* objects/xx went since it was made (a prune): once more */
		rc = fan_dir(l, oid->id[0], dir, true);
		if (!rc)
			rc = link_whole(l, dir, path, out_len);
	}
	if (rc == -EOPNOTSUPP)
		l->unsupported = true;
out:
	pthread_mutex_unlock(&l->lock);
	return rc;
}
