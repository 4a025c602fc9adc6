/*
 * The stat index kept across mounts: STORE/guardfs-index records, for
 * each file and symlink, the stat it had when its blob was read, so that
 * the session start's baseline only stats an unchanged folder instead of
 * rereading and rehashing all of it.
 *
 * It is a cache and nothing more: a record is used only when the tree
 * loaded from the last commit holds the very same blob and mode at that
 * path, and only tells "a file with this stat has these bytes", exactly
 * what the in-memory index would have said. A missing, stale or corrupt
 * index just means a slower start. Host byte order: the file never
 * leaves this machine.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guardfs/util.h"
#include "store_internal.h"

#define INDEX_MAGIC GFS_STORE_INDEX_MAGIC

static int index_path(const struct gfs_store *s, struct gfs_buf *out)
{
	return gfs_buf_addf(out, "%s/guardfs-index", s->store_path);
}

static int save_dir(const struct gfs_store_node *dir, struct gfs_buf *path,
		    struct gfs_buf *out, unsigned depth)
{
	size_t base = path->len, i;
	int rc = 0;

	if (depth > 4096)
		return -ELOOP;
	for (i = 0; i < dir->nchildren && !rc; i++) {
		const struct gfs_store_node *n = dir->children[i];
		struct gfs_store_index_record rec;
		uint16_t len;

		path->len = base;
		if (base)
			rc = gfs_buf_addch(path, '/');
		if (!rc)
			rc = gfs_buf_adds(path, n->name);
		if (rc)
			break;
		if (n->git_mode == 040000) {
			rc = save_dir(n, path, out, depth + 1);
			continue;
		}
		if (!n->ino || n->unrecorded || path->len > UINT16_MAX)
			continue;
		memset(&rec, 0, sizeof(rec));
		rec.git_mode = n->git_mode;
		rec.racy = n->racy;
		memcpy(rec.oid, n->oid.id, GIT_OID_RAWSZ);
		rec.size = n->size;
		rec.mtime_ns = n->mtime_ns;
		rec.ctime_ns = n->ctime_ns;
		rec.ino = n->ino;
		rec.xxh = n->xxh;
		len = (uint16_t)path->len;
		rc = gfs_buf_add(out, &len, sizeof(len));
		if (!rc)
			rc = gfs_buf_add(out, path->data, len);
		if (!rc)
			rc = gfs_buf_add(out, &rec, sizeof(rec));
	}
	path->len = base;
	if (path->data)
		path->data[base] = '\0';
	return rc;
}

/* Writes the index of the worker's picture (caller holds tree_lock). */
int gfs_store_index_save(struct gfs_store *s)
{
	struct gfs_buf file = GFS_BUF_INIT, tmp = GFS_BUF_INIT;
	struct gfs_buf path = GFS_BUF_INIT, out = GFS_BUF_INIT;
	int fd = -1, rc;

	rc = gfs_buf_adds(&out, INDEX_MAGIC);
	if (!rc)
		rc = save_dir(s->root, &path, &out, 0);
	if (!rc)
		rc = index_path(s, &file);
	if (!rc)
		rc = gfs_buf_addf(&tmp, "%s.tmp", file.data);
	if (rc)
		goto out;
	fd = open(tmp.data, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = -errno;
		goto out;
	}
	rc = gfs_write_all(fd, out.data, out.len);
	if (close(fd) < 0 && !rc)
		rc = -errno;
	if (!rc && rename(tmp.data, file.data) < 0)
		rc = -errno;
	if (rc)
		unlink(tmp.data);
out:
	gfs_buf_release(&file);
	gfs_buf_release(&tmp);
	gfs_buf_release(&path);
	gfs_buf_release(&out);
	return rc;
}

/* Fills the stat of nodes loaded from the last commit, where it applies. */
int gfs_store_index_load(struct gfs_store *s)
{
	struct gfs_buf file = GFS_BUF_INIT, data = GFS_BUF_INIT;
	size_t pos, used = 0;
	int fd, rc;

	rc = index_path(s, &file);
	if (rc)
		return rc;
	fd = open(file.data, O_RDONLY | O_CLOEXEC);
	gfs_buf_release(&file);
	if (fd < 0)
		return 0;
	/* The index only saves work: one that cannot be read is not used. */
	rc = gfs_buf_read_fd(&data, fd);
	close(fd);
	if (rc || data.len < strlen(INDEX_MAGIC) ||
	    memcmp(data.data, INDEX_MAGIC, strlen(INDEX_MAGIC)))
		goto out;
	for (pos = strlen(INDEX_MAGIC); pos + sizeof(uint16_t) <= data.len;) {
		struct gfs_store_index_record rec;
		struct gfs_store_node *node;
		uint16_t len;
		char *path;

		memcpy(&len, data.data + pos, sizeof(len));
		pos += sizeof(len);
		if (pos + len + sizeof(rec) > data.len)
			break;
		path = data.data + pos;
		memcpy(&rec, data.data + pos + len, sizeof(rec));
		path[len] = '\0'; /* overwrites rec's copy source: copied */
		pos += len + sizeof(rec);
		node = gfs_store_node_lookup(s->root, path);
		if (!node || node->git_mode != rec.git_mode ||
		    memcmp(node->oid.id, rec.oid, GIT_OID_RAWSZ))
			continue;
		node->size = rec.size;
		node->mtime_ns = rec.mtime_ns;
		node->ctime_ns = rec.ctime_ns;
		node->ino = rec.ino;
		node->xxh = rec.xxh;
		node->racy = rec.racy;
		used++;
	}
out:
	gfs_buf_release(&data);
	(void)used;
	return 0;
}
