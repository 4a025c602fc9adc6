/*
 * Large files in pieces.
 *
 * As one blob, a file over max_file_size costs its whole size in the
 * store, and its whole size to read, hash and deflate, on every change:
 * 1 MiB written into a 2 GiB file took 20 s and 470 MB. It is stored in
 * fixed chunks of GFS_CHUNK_BYTES instead, so a change in place writes
 * only the chunks it touched (fixed, not content-defined, chunks: the
 * large files that change in place, databases and disk images, keep
 * their offsets; an insertion near the start costs the rest of the file).
 *
 * The layout, which git reads as it is:
 *  - at the file's own name, a short text blob, the manifest: the line
 *    GFS_CHUNKS_MAGIC, then "size N", "chunk N" and "tree OID";
 *  - next to it, the entry NAME~guardfs-chunks: that tree, holding one
 *    subtree per 256 chunks ("000000", "000001", ...), each holding its
 *    chunks as blobs named "IIIIIIII-XXXXXXXXXXXXXXXX", the chunk's index
 *    and the xxh3 of its bytes in hex. The file is their concatenation
 *    in name order.
 * The xxh3 in the names lets the next version of the file skip the
 * chunks that did not change without hashing them again with SHA-1.
 *
 * Nothing from the folder can pose as either: a folder name ending in
 * ~guardfs-chunks is stored with the usual ~guardfs suffix (store_tree.c),
 * and a file whose bytes begin with the manifest's first line is itself
 * stored in chunks (store_scan.c).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <fcntl.h>
#include <git2/sys/odb_backend.h>
#include <xxhash.h>

#include "guardfs/buf.h"
#include "guardfs/util.h"
#include "store_internal.h"

#define CHUNKS_PER_TREE 256
#define CHUNK_NAME_LEN	25 /* IIIIIIII-XXXXXXXXXXXXXXXX */

bool gfs_chunks_magic(const void *data, size_t len)
{
	size_t ml = strlen(GFS_CHUNKS_MAGIC);

	return data && len >= ml && !memcmp(data, GFS_CHUNKS_MAGIC, ml);
}

bool gfs_chunks_dir_name(const char *name, size_t len)
{
	size_t sl = strlen(GFS_CHUNKS_SUFFIX);

	return len > sl && !memcmp(name + len - sl, GFS_CHUNKS_SUFFIX, sl);
}

bool gfs_chunks_in_path(const char *path)
{
	while (path && *path) {
		size_t len = strcspn(path, "/");

		if (gfs_chunks_dir_name(path, len))
			return true;
		path += len;
		if (*path == '/')
			path++;
	}
	return false;
}

int gfs_chunks_parse(const void *data, size_t len, uint64_t *size,
		     git_oid *tree)
{
	char buf[512], *p, *end;
	size_t n = len < sizeof(buf) - 1 ? len : sizeof(buf) - 1;
	bool have_size = false, have_tree = false;

	if (!gfs_chunks_magic(data, len))
		return -EINVAL;
	memcpy(buf, data, n);
	buf[n] = '\0';
	for (p = buf + strlen(GFS_CHUNKS_MAGIC); *p && *p != '\n';
	     p = end + 1) {
		end = strchr(p, '\n');
		if (!end)
			break;
		*end = '\0';
		if (!strncmp(p, "size ", 5)) {
			*size = strtoull(p + 5, NULL, 10);
			have_size = true;
		} else if (!strncmp(p, "tree ", 5) &&
			   strlen(p + 5) == GIT_OID_HEXSZ &&
			   !git_oid_fromstr(tree, p + 5)) {
			have_tree = true;
		}
	}
	return have_size && have_tree ? 0 : -EINVAL;
}

int gfs_chunks_of_blob(git_odb *odb, const git_oid *blob, uint64_t *size,
		       git_oid *tree)
{
	git_odb_object *obj = NULL;
	git_object_t type;
	size_t len;
	int rc;

	if (git_odb_read_header(&len, &type, odb, blob))
		return -EIO;
	if (type != GIT_OBJECT_BLOB || len > 4096 ||
	    len < strlen(GFS_CHUNKS_MAGIC))
		return 0;
	if (git_odb_read(&obj, odb, blob))
		return -EIO;
	rc = gfs_chunks_parse(git_odb_object_data(obj),
			      git_odb_object_size(obj), size, tree)
		     ? 0
		     : 1;
	git_odb_object_free(obj);
	return rc;
}

/* One chunk of a previous version: what lets an unchanged one be kept. */
struct prev_chunk {
	uint64_t xxh;
	git_oid oid;
	bool known;
};

/*
 * Calls visit for each entry of raw tree object oid, in order: its
 * mode, name (not terminated: len bytes) and oid.
 */
static int each_entry(git_odb *odb, const git_oid *oid,
		      int (*visit)(void *arg, unsigned mode, const char *name,
				   size_t len, const git_oid *id),
		      void *arg)
{
	git_odb_object *obj = NULL;
	const char *p, *end;
	int rc = 0;

	if (git_odb_read(&obj, odb, oid))
		return -EIO;
	if (git_odb_object_type(obj) != GIT_OBJECT_TREE) {
		git_odb_object_free(obj);
		return -EINVAL;
	}
	p = git_odb_object_data(obj);
	end = p + git_odb_object_size(obj);
	while (!rc && p < end) {
		const char *sp = memchr(p, ' ', (size_t)(end - p));
		const char *nul =
			sp ? memchr(sp, '\0', (size_t)(end - sp)) : NULL;
		git_oid id;

		if (!nul || (size_t)(end - nul) < 1 + GIT_OID_RAWSZ) {
			rc = -EINVAL;
			break;
		}
		git_oid_fromraw(&id, (const unsigned char *)nul + 1);
		rc = visit(arg, (unsigned)strtoul(p, NULL, 8), sp + 1,
			   (size_t)(nul - sp - 1), &id);
		p = nul + 1 + GIT_OID_RAWSZ;
	}
	git_odb_object_free(obj);
	return rc;
}

/* Parses a chunk's name: 0, or -EINVAL for a name not of this layout. */
static int chunk_name(const char *name, size_t len, uint64_t *index,
		      uint64_t *xxh)
{
	char buf[CHUNK_NAME_LEN + 1], *end;

	if (len != CHUNK_NAME_LEN || name[8] != '-')
		return -EINVAL;
	memcpy(buf, name, len);
	buf[len] = '\0';
	*index = strtoull(buf, &end, 16);
	if (end != buf + 8)
		return -EINVAL;
	*xxh = strtoull(buf + 9, &end, 16);
	return end == buf + len ? 0 : -EINVAL;
}

struct walk {
	git_odb *odb;
	uint64_t next; /* the index the next chunk must have */
	int (*chunk)(struct walk *w, uint64_t index, uint64_t xxh,
		     const git_oid *id);
	/* gfs_chunks_each */
	int (*each)(void *arg, uint64_t index, uint64_t xxh, const git_oid *id);
	/* load_prev */
	struct prev_chunk *prev;
	size_t nprev;
	/* gfs_chunks_read */
	int (*cb)(void *arg, const void *data, size_t len);
	void *arg;
};

static int visit_chunk(void *arg, unsigned mode, const char *name, size_t len,
		       const git_oid *id)
{
	struct walk *w = arg;
	uint64_t index, xxh;

	if (mode != 0100644 || chunk_name(name, len, &index, &xxh) ||
	    index != w->next)
		return -EINVAL;
	w->next++;
	return w->chunk(w, index, xxh, id);
}

static int visit_group(void *arg, unsigned mode, const char *name, size_t len,
		       const git_oid *id)
{
	(void)name;
	(void)len;
	if (mode != 040000)
		return -EINVAL;
	return each_entry(((struct walk *)arg)->odb, id, visit_chunk, arg);
}

static int keep_prev(struct walk *w, uint64_t index, uint64_t xxh,
		     const git_oid *id)
{
	if (index >= w->nprev)
		return 0; /* the new version is shorter */
	w->prev[index].xxh = xxh;
	git_oid_cpy(&w->prev[index].oid, id);
	w->prev[index].known = true;
	return 0;
}

/* What the previous version's chunks were; a tree not of this layout
 * just means every chunk is hashed. */
static void load_prev(git_odb *odb, const git_oid *tree,
		      struct prev_chunk *prev, size_t n)
{
	struct walk w = {
		.odb = odb, .chunk = keep_prev, .prev = prev, .nprev = n};

	if (tree && each_entry(odb, tree, visit_group, &w))
		memset(prev, 0, n * sizeof(*prev));
}

static int read_at(int fd, const void *mem, char *buf, size_t len, uint64_t off)
{
	size_t got = 0;

	if (mem) {
		memcpy(buf, (const char *)mem + off, len);
		return 0;
	}
	while (got < len) {
		ssize_t n = pread(fd, buf + got, len - got, (off_t)(off + got));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EAGAIN; /* shrank while read: read again */
		got += (size_t)n;
	}
	return 0;
}

static int add_entry(struct gfs_buf *raw, const char *mode, const char *name,
		     const git_oid *id)
{
	int rc = gfs_buf_addf(raw, "%s %s", mode, name);

	if (!rc)
		rc = gfs_buf_add(raw, "", 1);
	if (!rc)
		rc = gfs_buf_add(raw, id->id, GIT_OID_RAWSZ);
	return rc;
}

/*
 * Writes an object the store lacks straight to a loose writer
 * (gfs_store_write_absent): git_odb_write would look for it again,
 * rescanning the pack directory for each of a large file's thousands of
 * chunks.
 */
static int write_object(struct gfs_chunks_odb *to, git_oid *oid,
			const void *data, size_t len, git_object_t type,
			unsigned *written)
{
	if (!data)
		data = "";
	if (git_odb_hash(oid, data, len, type))
		return -EIO;
	if (git_odb_exists_ext(to->odb, oid, GIT_ODB_LOOKUP_NO_REFRESH))
		return 0;
	if (to->objects && type == GIT_OBJECT_BLOB &&
	    gfs_store_incompressible(data, len)) {
		int rc = gfs_stored_write(to->objects, oid, data, len,
					  GIT_OBJECT_BLOB);

		if (!rc)
			(*written)++;
		return rc;
	}
	if (gfs_store_write_absent(to->whole, to->loose, to->odb, oid, data,
				   len, type))
		return gfs_store_git_error("write chunk");
	(*written)++;
	return 0;
}

int gfs_chunks_write(struct gfs_chunks_odb *to, int fd, const void *mem,
		     uint64_t size, const git_oid *prev_tree,
		     struct gfs_chunks_result *out,
		     _Atomic uint64_t *read_bytes)
{
	uint64_t nchunks = (size + GFS_CHUNK_BYTES - 1) / GFS_CHUNK_BYTES;
	struct gfs_buf group = GFS_BUF_INIT, top = GFS_BUF_INIT,
		       manifest = GFS_BUF_INIT;
	struct prev_chunk *prev = NULL;
	XXH3_state_t *whole = XXH3_createState();
	char *buf = malloc(GFS_CHUNK_BYTES);
	char name[48], hex[GIT_OID_HEXSZ + 1];
	uint64_t i;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (nchunks > UINT32_MAX) { /* the names hold 8 hex digits */
		rc = -EFBIG;
		goto out;
	}
	if (!whole || !buf ||
	    (nchunks && !(prev = calloc(nchunks, sizeof(*prev))))) {
		rc = -ENOMEM;
		goto out;
	}
	load_prev(to->odb, prev_tree, prev, nchunks);
	XXH3_64bits_reset(whole);
	for (i = 0; i < nchunks && !rc; i++) {
		uint64_t off = i * GFS_CHUNK_BYTES;
		size_t len = size - off < GFS_CHUNK_BYTES ? (size_t)(size - off)
							  : GFS_CHUNK_BYTES;
		uint64_t xxh;
		git_oid id;

		rc = read_at(fd, mem, buf, len, off);
		if (rc)
			break;
		if (read_bytes)
			atomic_fetch_add(read_bytes, (uint64_t)len);
		xxh = XXH3_64bits(buf, len);
		XXH3_64bits_update(whole, buf, len);
		if (prev[i].known && prev[i].xxh == xxh)
			git_oid_cpy(&id, &prev[i].oid);
		else
			rc = write_object(to, &id, buf, len, GIT_OBJECT_BLOB,
					  &out->written);
		if (rc)
			break;
		snprintf(name, sizeof(name), "%08" PRIx64 "-%016" PRIx64, i,
			 xxh);
		rc = add_entry(&group, "100644", name, &id);
		/* a group is full, or this was the last chunk */
		if (!rc &&
		    ((i + 1) % CHUNKS_PER_TREE == 0 || i + 1 == nchunks)) {
			git_oid sub;

			rc = write_object(to, &sub, group.data, group.len,
					  GIT_OBJECT_TREE, &out->written);
			snprintf(name, sizeof(name), "%06" PRIx64,
				 i / CHUNKS_PER_TREE);
			if (!rc)
				rc = add_entry(&top, "40000", name, &sub);
			group.len = 0;
		}
	}
	if (!rc)
		rc = write_object(to, &out->tree, top.data, top.len,
				  GIT_OBJECT_TREE, &out->written);
	if (!rc)
		rc = gfs_buf_addf(
			&manifest,
			"%ssize %" PRIu64 "\nchunk %u\ntree %s\n\n"
			"This file is larger than [snapshot] max_file_size, "
			"so guardfs stores it in pieces:\nits bytes are the "
			"blobs of the tree above (the entry next to this "
			"one, named\nlike it with " GFS_CHUNKS_SUFFIX
			" added), in name order. See guardfs's README,\n"
			"\"Large files\".\n",
			GFS_CHUNKS_MAGIC, size, GFS_CHUNK_BYTES,
			git_oid_tostr(hex, sizeof(hex), &out->tree));
	if (!rc)
		rc = write_object(to, &out->manifest, manifest.data,
				  manifest.len, GIT_OBJECT_BLOB, &out->written);
	if (!rc)
		out->xxh = XXH3_64bits_digest(whole);
out:
	gfs_buf_release(&group);
	gfs_buf_release(&top);
	gfs_buf_release(&manifest);
	XXH3_freeState(whole);
	free(prev);
	free(buf);
	return rc;
}

static int give_chunk(struct walk *w, uint64_t index, uint64_t xxh,
		      const git_oid *id)
{
	git_odb_object *obj = NULL;
	int rc;

	(void)index;
	(void)xxh;
	if (git_odb_read(&obj, w->odb, id))
		return gfs_store_git_error("read chunk");
	rc = git_odb_object_type(obj) == GIT_OBJECT_BLOB
		     ? w->cb(w->arg, git_odb_object_data(obj),
			     git_odb_object_size(obj))
		     : -EINVAL;
	git_odb_object_free(obj);
	return rc;
}

int gfs_chunks_read(git_odb *odb, const git_oid *tree,
		    int (*cb)(void *arg, const void *data, size_t len),
		    void *arg)
{
	struct walk w = {.odb = odb, .chunk = give_chunk, .cb = cb, .arg = arg};

	return each_entry(odb, tree, visit_group, &w);
}

static int give_entry(struct walk *w, uint64_t index, uint64_t xxh,
		      const git_oid *id)
{
	return w->each(w->arg, index, xxh, id);
}

int gfs_chunks_each(git_odb *odb, const git_oid *tree,
		    int (*cb)(void *arg, uint64_t index, uint64_t xxh,
			      const git_oid *id),
		    void *arg)
{
	struct walk w = {
		.odb = odb, .chunk = give_entry, .each = cb, .arg = arg};

	return each_entry(odb, tree, visit_group, &w);
}

/* A chunk of the file the caller reads, against the stored one's xxh3. */
struct compare {
	int fd;
	char *buf;
	uint64_t size;
};

static int compare_chunk(void *arg, uint64_t index, uint64_t xxh,
			 const git_oid *id)
{
	struct compare *c = arg;
	uint64_t off = index * GFS_CHUNK_BYTES;
	size_t len;
	int rc;

	(void)id;
	if (off >= c->size)
		return 1;
	len = c->size - off < GFS_CHUNK_BYTES ? (size_t)(c->size - off)
					      : GFS_CHUNK_BYTES;
	rc = read_at(c->fd, NULL, c->buf, len, off);
	if (rc)
		return rc == -EAGAIN ? 1 : rc;
	return XXH3_64bits(c->buf, len) == xxh ? 0 : 1;
}

int gfs_chunks_match(git_odb *odb, const git_oid *tree, uint64_t size, int fd)
{
	struct compare c = {.fd = fd, .size = size};
	struct stat st;
	int rc;

	if (fstat(fd, &st) < 0)
		return -errno;
	if ((uint64_t)st.st_size != size)
		return 0;
	c.buf = malloc(GFS_CHUNK_BYTES);
	if (!c.buf)
		return -ENOMEM;
	rc = gfs_chunks_each(odb, tree, compare_chunk, &c);
	free(c.buf);
	return rc < 0 ? rc : !rc;
}
