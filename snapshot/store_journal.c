/*
 * The relied-version journal. A before() may let a mutation destroy a
 * version that the worker has read (its blob is in the object database)
 * but that no commit holds yet: the commit comes a few milliseconds
 * later, when the worker sees the mutation's result. A kill -9 in that
 * window would leave the blob unreachable. So before() appends the
 * version to STORE/guardfs-journal ("MODE OID PATH\0", one write with
 * O_APPEND, no fsync: a killed process's writes survive, and a power
 * loss takes the loose objects too), every commit empties the journal,
 * and the next session start commits what a dead one left there as
 * "preimage" operations before its baseline.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store_internal.h"

static int journal_path(const struct gfs_store *s, struct gfs_buf *out)
{
	return gfs_buf_addf(out, "%s/guardfs-journal", s->store_path);
}

int gfs_store_journal_open(struct gfs_store *s)
{
	struct gfs_buf path = GFS_BUF_INIT;
	int rc = journal_path(s, &path);

	if (rc)
		return rc;
	/* what was in it is recovered (or lost for good) by now */
	s->journal_fd =
		open(path.data,
		     O_WRONLY | O_APPEND | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	rc = s->journal_fd < 0 ? -errno : 0;
	gfs_buf_release(&path);
	return rc;
}

void gfs_store_journal_add(struct gfs_store *s, const char *path,
			   const struct gfs_store_node *n)
{
	char hex[GIT_OID_HEXSZ + 1];
	struct gfs_buf rec = GFS_BUF_INIT;

	if (s->journal_fd < 0 || n->git_mode == 040000 || n->unrecorded)
		return;
	git_oid_tostr(hex, sizeof(hex), &n->oid);
	if (!gfs_buf_addf(&rec, "%o %s %s", n->git_mode, hex, path) &&
	    !gfs_buf_add(&rec, "", 1) &&
	    write(s->journal_fd, rec.data, rec.len) == (ssize_t)rec.len)
		__atomic_store_n(&s->journal_used, true, __ATOMIC_RELAXED);
	gfs_buf_release(&rec);
}

/* After a commit (tree_lock held for writing): everything is in it. */
void gfs_store_journal_clear(struct gfs_store *s)
{
	if (s->journal_fd >= 0 &&
	    __atomic_exchange_n(&s->journal_used, false, __ATOMIC_RELAXED))
		if (ftruncate(s->journal_fd, 0) < 0)
			__atomic_store_n(&s->journal_used, true,
					 __ATOMIC_RELAXED);
}

/*
 * At open, before the baseline: commits the versions a dead session
 * relied upon. Records whose blob is missing (the disk lost it) are
 * skipped; a record naming a path the batch already holds starts a new
 * commit, so each version stays in history.
 */
int gfs_store_journal_recover(struct gfs_store *s)
{
	struct gfs_store_batch_op op = {
		.op = GFS_STORE_OP_PREIMAGE,
		.process = (char *)"guardfs",
		.pid = getpid(),
	};
	struct gfs_buf path = GFS_BUF_INIT, data = GFS_BUF_INIT;
	size_t pos = 0, i;
	int fd, rc = 0;

	rc = journal_path(s, &path);
	if (rc)
		return rc;
	fd = open(path.data, O_RDONLY | O_CLOEXEC);
	gfs_buf_release(&path);
	if (fd < 0)
		return 0;
	/* A journal that cannot be read whole could hide a version: fail. */
	rc = gfs_buf_read_fd(&data, fd);
	close(fd);
	while (!rc && pos < data.len) {
		char *rec = data.data + pos, *hex, *p;
		size_t len = strnlen(rec, data.len - pos);
		unsigned long mode;
		bool changed = false;
		git_oid oid;

		if (pos + len >= data.len)
			break; /* a torn last record */
		pos += len + 1;
		mode = strtoul(rec, &hex, 8);
		if (*hex != ' ' || strlen(hex + 1) < GIT_OID_HEXSZ + 2)
			continue;
		hex++;
		p = hex + GIT_OID_HEXSZ + 1;
		if (git_oid_fromstrn(&oid, hex, GIT_OID_HEXSZ) ||
		    !git_odb_exists(s->odb, &oid) ||
		    (mode != 0100644 && mode != 0100755 && mode != 0120000))
			continue;
		for (i = 0; i < s->batch_len; i++)
			if (!strcmp(s->batch[i].path, p))
				break;
		if (i < s->batch_len)
			rc = gfs_store_commit_batch(s);
		if (!rc) {
			/* a large file's manifest brings its chunks */
			git_oid chunks;
			uint64_t size;
			int chunked = gfs_chunks_of_blob(s->odb, &oid, &size,
							 &chunks);

			rc = chunked < 0 ? chunked
					 : gfs_store_set_blob(
						   s, p, (uint32_t)mode, &oid,
						   chunked ? &chunks : NULL,
						   &changed);
		}
		if (!rc) {
			/* the folder's stat no longer describes this blob */
			struct gfs_store_node *node =
				gfs_store_node_lookup(s->root, p);

			if (node)
				node->ino = 0;
		}
		if (!rc && changed) {
			op.path = p;
			rc = gfs_store_batch_add(s, &op);
		}
	}
	if (!rc)
		rc = gfs_store_commit_batch(s);
	gfs_buf_release(&data);
	return rc;
}
