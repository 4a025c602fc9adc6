/*
 * Loose objects whose zlib stream stores their bytes (level 0), for bytes
 * that would not shrink: media, archives, git packs, encrypted or random
 * data. zlib's level 1 deflates those at about 40 MB/s here, level 0
 * copies them at about 400 MB/s; a 2 GiB file's chunks took 70 s at
 * level 1 and the kernel tree's 240 MB pack 5 s of its first mount.
 *
 * libgit2's loose backend cannot write them: at level 0 it writes the
 * bytes without any zlib stream, which git then reads as corrupt. So
 * this file writes the object itself, whole (gfs_stored_write, for a
 * large file's chunks) or as a stream (an odb whose only backend is this
 * writer, gfs_store_odb_open_stored): git_odb_open_wstream hashes what
 * goes through the stream with libgit2's own SHA-1 (with its collision
 * detection), and the object is named by that id when it is finished.
 * Either way it is written to a temporary file in objects/ and renamed
 * into place, as git does.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <git2/sys/odb_backend.h>
#include <libdeflate.h>
#include <zlib.h>

#include "guardfs/util.h"
#include "store_internal.h"

#define OUT_BYTES (1u << 20) /* deflated bytes gathered per write(2) */

/*
 * Whether the first 4 KiB of data would not shrink. libdeflate's level 1
 * answers in about 15 us with its state allocated for the call; zlib's
 * compress2 took about 750 us here, most of it allocating and touching
 * its window and tables for a single 4 KiB call.
 */
bool gfs_store_incompressible(const void *data, size_t len)
{
	struct libdeflate_compressor *c;
	unsigned char out[4200];
	size_t out_len;

	if (len < 4096)
		return false;
	c = libdeflate_alloc_compressor(1);
	if (!c)
		return true; /* as zlib's probe answered when it failed */
	out_len = libdeflate_deflate_compress(c, data, 4096, out, sizeof(out));
	libdeflate_free_compressor(c);
	return !out_len || out_len >= 4096 - 64;
}

/* One object being written: its zlib stream into a temporary file. */
struct stored {
	z_stream z;
	bool z_open;
	int fd;
	char tmp[PATH_MAX];
	unsigned char out[OUT_BYTES];
};

static int stored_begin(struct stored *w, const char *objects,
			git_object_size_t size, git_object_t type)
{
	char head[64];
	int head_len = snprintf(head, sizeof(head), "%s %llu",
				git_object_type2string(type),
				(unsigned long long)size) +
		       1;

	w->fd = -1;
	if (deflateInit(&w->z, 0) != Z_OK)
		return -ENOMEM;
	w->z_open = true;
	snprintf(w->tmp, sizeof(w->tmp), "%s/tmp_stored_XXXXXX", objects);
	w->fd = mkostemp(w->tmp, O_CLOEXEC);
	if (w->fd < 0) {
		w->tmp[0] = '\0';
		return -errno;
	}
	w->z.next_out = w->out;
	w->z.avail_out = sizeof(w->out);
	w->z.next_in = (unsigned char *)head;
	w->z.avail_in = (uInt)head_len;
	return deflate(&w->z, Z_NO_FLUSH) == Z_OK ? 0 : -EIO;
}

/* Deflates len bytes (Z_FINISH: and ends the stream), writing as it goes. */
static int stored_add(struct stored *w, const void *data, size_t len, int flush)
{
	const unsigned char *p = data;

	do {
		uInt take = len > (1u << 30) ? 1u << 30 : (uInt)len;
		int zrc;

		w->z.next_in = (unsigned char *)p;
		w->z.avail_in = take;
		p += take;
		len -= take;
		do {
			zrc = deflate(&w->z, len ? Z_NO_FLUSH : flush);
			if (zrc != Z_OK && zrc != Z_STREAM_END &&
			    zrc != Z_BUF_ERROR)
				return -EIO;
			if (!w->z.avail_out || zrc == Z_STREAM_END) {
				int rc = gfs_write_all(w->fd, w->out,
						       sizeof(w->out) -
							       w->z.avail_out);

				if (rc)
					return rc;
				w->z.next_out = w->out;
				w->z.avail_out = sizeof(w->out);
			}
		} while (w->z.avail_in ||
			 (!len && flush == Z_FINISH && zrc != Z_STREAM_END));
	} while (len);
	return 0;
}

/* Ends the stream and renames the file to the object's name. */
static int stored_finish(struct stored *w, const char *objects,
			 const git_oid *oid)
{
	char hex[GIT_OID_HEXSZ + 1], path[PATH_MAX];
	int rc = stored_add(w, "", 0, Z_FINISH);

	if (!rc && fchmod(w->fd, 0444) < 0)
		rc = -errno;
	if (close(w->fd) < 0 && !rc)
		rc = -errno;
	w->fd = -1;
	if (rc)
		return rc;
	git_oid_tostr(hex, sizeof(hex), oid);
	snprintf(path, sizeof(path), "%s/%.2s", objects, hex);
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		return -errno;
	snprintf(path, sizeof(path), "%s/%.2s/%s", objects, hex, hex + 2);
	if (rename(w->tmp, path) < 0)
		return -errno;
	w->tmp[0] = '\0';
	return 0;
}

/* Gives back what a writer holds; a file not renamed goes. */
static void stored_end(struct stored *w)
{
	if (w->fd >= 0)
		close(w->fd);
	if (w->tmp[0])
		unlink(w->tmp);
	if (w->z_open)
		deflateEnd(&w->z);
}

int gfs_stored_write(const char *objects, const git_oid *oid, const void *data,
		     size_t len, git_object_t type)
{
	struct stored *w = calloc(1, sizeof(*w));
	int rc;

	if (!w)
		return -ENOMEM;
	rc = stored_begin(w, objects, len, type);
	if (!rc)
		rc = stored_add(w, data, len, Z_NO_FLUSH);
	if (!rc)
		rc = stored_finish(w, objects, oid);
	stored_end(w);
	free(w);
	return rc;
}

/* The odb's backend: it writes, as streams, and finds nothing. */
struct stored_backend {
	git_odb_backend parent;
	git_odb *known; /* the store's objects, loose and packed */
	char objects[];
};

struct stored_stream {
	git_odb_stream parent;
	struct stored w;
};

static const char *objects_of(git_odb_stream *stream)
{
	return ((struct stored_backend *)stream->backend)->objects;
}

static int stream_write(git_odb_stream *stream, const char *buf, size_t len)
{
	struct stored_stream *st = (struct stored_stream *)stream;
	int rc = stored_add(&st->w, buf, len, Z_NO_FLUSH);

	if (rc)
		git_error_set_str(GIT_ERROR_OS, strerror(-rc));
	return rc ? -1 : 0;
}

static int stream_finalize(git_odb_stream *stream, const git_oid *oid)
{
	struct stored_stream *st = (struct stored_stream *)stream;
	int rc = stored_finish(&st->w, objects_of(stream), oid);

	if (rc)
		git_error_set_str(GIT_ERROR_OS, strerror(-rc));
	return rc ? -1 : 0;
}

static void stream_free(git_odb_stream *stream)
{
	struct stored_stream *st = (struct stored_stream *)stream;

	stored_end(&st->w);
	free(st);
}

static int backend_writestream(git_odb_stream **out, git_odb_backend *b,
			       git_object_size_t size, git_object_t type)
{
	struct stored_stream *st = calloc(1, sizeof(*st));
	int rc;

	*out = NULL;
	if (!st) {
		git_error_set_oom();
		return -1;
	}
	st->parent.backend = b;
	st->parent.mode = GIT_STREAM_WRONLY;
	st->parent.write = stream_write;
	st->parent.finalize_write = stream_finalize;
	st->parent.free = stream_free;
	rc = stored_begin(&st->w, ((struct stored_backend *)b)->objects, size,
			  type);
	if (rc) {
		git_error_set_str(GIT_ERROR_OS, strerror(-rc));
		stream_free(&st->parent);
		return -1;
	}
	*out = &st->parent;
	return 0;
}

/*
 * git_odb_stream_finalize_write asks the odb first: an object the store
 * holds already (a large file written back as it was) is not written a
 * second time.
 */
static int backend_exists(git_odb_backend *b, const git_oid *oid)
{
	return git_odb_exists_ext(((struct stored_backend *)b)->known, oid,
				  GIT_ODB_LOOKUP_NO_REFRESH);
}

static void backend_free(git_odb_backend *b)
{
	free(b);
}

int gfs_store_odb_open_stored(const struct gfs_store *s, git_odb *known,
			      git_odb **out)
{
	size_t len = strlen(s->objects_dir) + 1;
	struct stored_backend *b = calloc(1, sizeof(*b) + len);

	*out = NULL;
	if (!b)
		return -ENOMEM;
	memcpy(b->objects, s->objects_dir, len);
	if (git_odb_init_backend(&b->parent, GIT_ODB_BACKEND_VERSION)) {
		free(b);
		return -EIO;
	}
	b->known = known;
	b->parent.writestream = backend_writestream;
	b->parent.exists = backend_exists;
	b->parent.free = backend_free;
	if (git_odb_new(out)) {
		free(b);
		return -EIO;
	}
	if (git_odb_add_backend(*out, &b->parent, 1)) {
		free(b);
		git_odb_free(*out);
		*out = NULL;
		return -EIO;
	}
	return 0;
}
