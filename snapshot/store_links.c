/*
 * Hard links: a file with several names changes under all of them at
 * once. A write session, truncate or chmod reaches the store under the
 * one name the mount knew for it, so the worker, after refreshing that
 * name, finds the file's other names in its own picture by inode number
 * (every file node carries the inode its stat came from, names made
 * before the mount included) and refreshes and lists each of them too,
 * under the same operation and sequence number.
 *
 * A name the picture does not hold yet (a link whose own job is still
 * queued) needs nothing here: its job reads the file when it is applied,
 * after this one. A node's inode number may be stale (the name was
 * replaced since); each candidate is checked against the inode number
 * before it is refreshed. The mount passes the inode number with the
 * event, as the name it knew may be gone by the time the job runs.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guardfs/util.h"
#include "store_internal.h"

struct names {
	char **paths;
	size_t len;
	size_t cap;
};

static int names_add(struct names *n, const char *path)
{
	if (n->len == n->cap) {
		size_t cap = n->cap ? n->cap * 2 : 8;
		char **p = realloc(n->paths, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		n->paths = p;
		n->cap = cap;
	}
	n->paths[n->len] = strdup(path);
	if (!n->paths[n->len])
		return -ENOMEM;
	n->len++;
	return 0;
}

static void names_free(struct names *n)
{
	size_t i;

	for (i = 0; i < n->len; i++)
		free(n->paths[i]);
	free(n->paths);
}

/* Collects the paths of file nodes below dir whose inode is ino. */
static int collect(const struct gfs_store_node *dir, uint64_t ino,
		   const char *skip, struct gfs_buf *path, struct names *out,
		   unsigned depth)
{
	size_t base = path->len, i;
	int rc = 0;

	if (depth > 4096)
		return -ELOOP;
	for (i = 0; i < dir->nchildren && !rc; i++) {
		const struct gfs_store_node *c = dir->children[i];

		path->len = base;
		if (base)
			rc = gfs_buf_addch(path, '/');
		if (!rc)
			rc = gfs_buf_adds(path, c->name);
		if (rc)
			break;
		if (c->git_mode == 040000)
			rc = collect(c, ino, skip, path, out, depth + 1);
		else if (c->ino == ino && c->git_mode != 0120000 &&
			 strcmp(path->data, skip))
			rc = names_add(out, path->data);
	}
	path->len = base;
	if (path->data)
		path->data[base] = '\0';
	return rc;
}

int gfs_store_stat_beneath(const struct gfs_store *s, const char *path,
			   struct stat *st)
{
	int fd = gfs_open_beneath(s->opts.root_fd, path, O_PATH, false);
	int rc = 0;

	if (fd < 0)
		return fd;
	if (fstat(fd, st))
		rc = -errno;
	close(fd);
	return rc;
}

/*
 * git writes each object to a temporary file, links it to its name and
 * unlinks the temporary one. Waiting at that unlink for the worker to
 * read the temporary file made every object of a `git add` a round trip
 * through the worker (6,300 waits, 1.6 s, for /usr/include). The bytes
 * do not go with that name: the link's job reads them under the new
 * one, and whatever later changes or removes the new name waits for
 * that job first (before() on it), so they are recorded either way, as
 * the worker would have kept them (same_bytes_elsewhere).
 *
 * Only while that job is queued (it reads the new name after this
 * moment), when path is a file small enough to be read whole with
 * another name left, and that name is still the same file and recorded
 * (not excluded, not hidden). Jobs queued for path after the link (the
 * kernel may send a write session's release after the link that
 * followed it) change nothing: every name of the file reads the same
 * bytes. A write session still open on the file may change them before
 * the worker reads them; what it wrote is recorded at its end, as ever.
 */
bool gfs_store_linked_away(struct gfs_store *s, const char *path,
			   const struct stat *st)
{
	struct gfs_store_pending *e;
	struct stat there;
	char *to = NULL;
	bool stays;

	pthread_mutex_lock(&s->queue_lock);
	e = gfs_store_pending_find(s, path, strlen(path));
	if (e && e->link_to && s->done_seq < e->link_seq)
		to = strdup(e->link_to);
	pthread_mutex_unlock(&s->queue_lock);
	if (!to)
		return false;
	stays = S_ISREG(st->st_mode) && st->st_nlink > 1 &&
		!(s->opts.max_file_size &&
		  (uint64_t)st->st_size > s->opts.max_file_size) &&
		!gfs_store_excluded(s, to, false) &&
		!gfs_store_stat_beneath(s, to, &there) &&
		there.st_dev == st->st_dev && there.st_ino == st->st_ino;
	free(to);
	return stays;
}

/* Whether op changes the file itself, and so every name of it. */
static bool changes_inode(int op)
{
	return op == GFS_OP_WRITE || op == GFS_OP_TRUNCATE ||
	       op == GFS_OP_CHMOD || op == GFS_OP_FALLOCATE ||
	       op == GFS_OP_RESTORE;
}

int gfs_store_refresh_links(struct gfs_store *s,
			    const struct gfs_store_batch_op *ev)
{
	struct gfs_buf path = GFS_BUF_INIT;
	struct names names = {0};
	struct stat st, other;
	uint64_t ino;
	size_t i;
	int rc;

	if (!changes_inode(ev->op) || !*ev->path)
		return 0;
	/*
	 * The file's one name when the operation ended: no other name
	 * changed with it, and each name linked since is read by its own
	 * job. This spares the walk of the whole picture below in the
	 * common case of git's objects (written under a temporary name,
	 * linked to their own and the temporary one unlinked, all before
	 * this job runs), which made each object cost time in the size of
	 * the tree: 8,000 of them took 4 s of the worker's time.
	 */
	if (ev->sole_name)
		return 0;
	/*
	 * The inode the mount named, else the one at path now. Without
	 * the former, a path unlinked or replaced since leads nowhere.
	 */
	if (gfs_store_stat_beneath(s, ev->path, &st) == 0 &&
	    (!ev->ino || (uint64_t)st.st_ino == ev->ino)) {
		/* the usual case: one name, nothing to walk for */
		if (!S_ISREG(st.st_mode) || st.st_nlink < 2)
			return 0;
		ino = (uint64_t)st.st_ino;
	} else if (ev->ino) {
		ino = ev->ino;
	} else {
		return 0;
	}
	rc = collect(s->root, ino, ev->path, &path, &names, 0);
	for (i = 0; i < names.len && !rc; i++) {
		struct gfs_store_batch_op sibling = *ev;
		bool changed = false;

		/*
		 * Only a name of this very file is read again (a node's inode
		 * number may be stale). Reading any path again would only
		 * bring the picture up to date, never record wrong bytes.
		 */
		if (gfs_store_stat_beneath(s, names.paths[i], &other) ||
		    !S_ISREG(other.st_mode) || (uint64_t)other.st_ino != ino)
			continue;
		s->job_paths[0] = names.paths[i];
		s->job_paths[1] = ev->path;
		rc = gfs_store_refresh(s, names.paths[i], &changed);
		s->job_paths[0] = s->job_paths[1] = NULL;
		sibling.path = names.paths[i];
		sibling.from = NULL;
		if (!rc && changed)
			rc = gfs_store_batch_add(s, &sibling);
	}
	names_free(&names);
	gfs_buf_release(&path);
	return rc;
}
