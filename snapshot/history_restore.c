/*
 * Restores: the difference between the store's latest commit (what the
 * folder holds, as far as the store knows) and the commit to go back to,
 * applied to the destination folder. Removals come first, so a symlink
 * or file standing where a directory must come back is gone before the
 * directory is made. Before a path is overwritten or removed, its bytes
 * are looked up in the store: content the store never recorded is left
 * alone (unless forced), so a restore destroys nothing that cannot
 * itself be restored.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guardfs/util.h"
#include "history_internal.h"

struct restore {
	struct gfs_history *h;
	int dest_fd;
	unsigned flags;
	gfs_history_report report;
	void *arg;
	int rc; /* first failure */
	/* libgit2 calls of the appliers (see apply_all), one at a time */
	pthread_mutex_t git_lock;
};

/*
 * Opens the directory holding path (creating missing directories when
 * create is set) and points *base at the last component. Never follows
 * a symlink: one in the way fails with -ENOTDIR or -ELOOP.
 */
static int open_parent(int dest_fd, const char *path, bool create,
		       const char **base)
{
	const char *slash = strrchr(path, '/');
	const char *p = path;
	int fd, next;

	*base = slash ? slash + 1 : path;
	fd = gfs_open_beneath(dest_fd, ".", O_PATH | O_DIRECTORY, false);
	while (fd >= 0 && slash && p < slash) {
		size_t len = strcspn(p, "/");
		char name[256];

		if (len >= sizeof(name)) {
			close(fd);
			return -ENAMETOOLONG;
		}
		memcpy(name, p, len);
		name[len] = '\0';
		next = openat(fd, name,
			      O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0 && errno == ENOENT && create) {
			if (mkdirat(fd, name, 0755) < 0 && errno != EEXIST) {
				next = -errno;
				close(fd);
				return next;
			}
			next = openat(fd, name,
				      O_PATH | O_DIRECTORY | O_NOFOLLOW |
					      O_CLOEXEC);
		}
		if (next < 0)
			next = -errno;
		close(fd);
		fd = next;
		p += len + 1;
	}
	return fd;
}

/*
 * When blob id is a large file's manifest: 0 when fd holds that file's
 * bytes, -EEXIST when not. 1 when id is a plain blob. Or -errno.
 */
static int holds_chunks(struct restore *r, int fd, const git_oid *id)
{
	git_odb *odb = NULL;
	git_oid tree;
	uint64_t size;
	int rc;

	pthread_mutex_lock(&r->git_lock);
	if (git_repository_odb(&odb, r->h->repo))
		rc = gfs_history_git_error("open object database");
	else
		rc = gfs_chunks_of_blob(odb, id, &size, &tree);
	if (rc == 1) {
		rc = gfs_chunks_match(odb, &tree, size, fd);
		rc = rc < 0 ? rc : rc ? 0 : -EEXIST;
	} else if (!rc) {
		rc = 1;
	}
	git_odb_free(odb);
	pthread_mutex_unlock(&r->git_lock);
	return rc;
}

/*
 * True when the folder's path holds exactly blob id (or nothing), so
 * that changing it loses nothing the store does not hold.
 */
static int holds_recorded(struct restore *r, const char *path,
			  const git_oid *id)
{
	struct gfs_buf data = GFS_BUF_INIT;
	const char *base;
	struct stat st;
	git_oid got;
	int dirfd, fd, rc = 0;

	dirfd = open_parent(r->dest_fd, path, false, &base);
	if (dirfd < 0)
		return dirfd == -ENOENT ? 0 : dirfd;
	if (fstatat(dirfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		rc = errno == ENOENT ? 0 : -errno;
		goto out;
	}
	if (S_ISLNK(st.st_mode)) {
		char target[4096];
		ssize_t n = readlinkat(dirfd, base, target, sizeof(target));

		if (n < 0) {
			rc = -errno;
			goto out;
		}
		rc = gfs_buf_add(&data, target, n);
	} else if (S_ISREG(st.st_mode)) {
		fd = openat(dirfd, base,
			    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0) {
			rc = -errno;
			goto out;
		}
		/*
		 * A large file stored in chunks: compared by chunk. (A small
		 * file stored so, its bytes beginning like a manifest, is
		 * left alone unless forced.)
		 */
		if (id && (uint64_t)st.st_size > GFS_CHUNK_BYTES) {
			rc = holds_chunks(r, fd, id);
			if (rc != 1) {
				close(fd);
				goto out;
			}
			rc = 0;
		}
		rc = gfs_buf_grow(&data, st.st_size + 1);
		while (!rc) {
			ssize_t n = read(fd, data.data + data.len,
					 data.cap - data.len - 1);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				rc = n < 0 ? -errno : 0;
				break;
			}
			data.len += n;
			if (data.cap - data.len - 1 == 0)
				rc = gfs_buf_grow(&data, 65536);
		}
		close(fd);
	} else {
		rc = -EEXIST;
		goto out;
	}
	if (!rc) {
		git_odb *odb = NULL;

		git_odb_hash(&got, data.data ? data.data : "", data.len,
			     GIT_OBJECT_BLOB);
		/*
		 * Not the latest commit's version: it may still be recorded,
		 * written by the mount a moment ago and not committed yet
		 * (a release arrives after close() returned).
		 */
		pthread_mutex_lock(&r->git_lock);
		if ((!id || !git_oid_equal(&got, id)) &&
		    (git_repository_odb(&odb, r->h->repo) ||
		     !git_odb_exists(odb, &got)))
			rc = -EEXIST;
		git_odb_free(odb);
		pthread_mutex_unlock(&r->git_lock);
	}
out:
	gfs_buf_release(&data);
	close(dirfd);
	return rc;
}

static int remove_path(struct restore *r, const char *path)
{
	const char *base;
	int dirfd, rc = 0;

	dirfd = open_parent(r->dest_fd, path, false, &base);
	if (dirfd < 0)
		return dirfd == -ENOENT ? 0 : dirfd;
	if (unlinkat(dirfd, base, 0) < 0 && errno != ENOENT)
		rc = -errno;
	close(dirfd);
	/* directories it leaves empty go too; others stay */
	if (!rc) {
		char *dir = strdup(path), *slash;

		while (dir && (slash = strrchr(dir, '/'))) {
			*slash = '\0';
			dirfd = open_parent(r->dest_fd, dir, false, &base);
			if (dirfd < 0)
				break;
			if (unlinkat(dirfd, base, AT_REMOVEDIR) < 0) {
				close(dirfd);
				break;
			}
			close(dirfd);
		}
		free(dir);
	}
	return rc;
}

/*
 * Writes size bytes of data as a new file named base in dirfd, mode perm,
 * replacing what stood there (a file, a symlink) in one rename. A restore
 * never writes into an inode that is already there: a process holding it
 * open (the agent, after emptying a file it could then read) keeps the
 * bytes it had, and what the restore brings back is a new inode, judged
 * afresh (by the content scanner, when mounted) at its first open. The
 * new file has no permissions until its last byte is written, so nobody
 * but the root user can open it half made and wait for the rest; where a
 * name already stands, it is made under a dotted temporary name, unique
 * to this process and call, in the same directory (one file system) and
 * renamed over the path (unless replace is false: -EEXIST then). Nothing
 * is ever followed, and what a failure leaves half made goes.
 */
/* What a restored file holds: bytes, or a large file's chunks. */
struct content {
	const char *data;
	size_t size;
	struct restore *r;
	bool chunked; /* data is a manifest (store_chunks.c) */
	uint64_t chunked_size;
	git_oid chunks;
};

struct chunk_sink {
	int fd;
	uint64_t written;
};

static int write_chunk(void *arg, const void *data, size_t len)
{
	struct chunk_sink *sink = arg;

	sink->written += len;
	return gfs_write_all(sink->fd, data, len);
}

static int write_content(int fd, const struct content *c)
{
	struct chunk_sink sink = {.fd = fd};
	git_odb *odb = NULL;
	int rc;

	if (!c->chunked)
		return gfs_write_all(fd, c->data, c->size);
	/* one large file at a time reads the store: they are few */
	pthread_mutex_lock(&c->r->git_lock);
	if (git_repository_odb(&odb, c->r->h->repo))
		rc = gfs_history_git_error("open object database");
	else
		rc = gfs_chunks_read(odb, &c->chunks, write_chunk, &sink);
	git_odb_free(odb);
	pthread_mutex_unlock(&c->r->git_lock);
	if (!rc && sink.written != c->chunked_size)
		rc = -EIO; /* the chunks do not add up: the store is damaged */
	return rc;
}

static int write_new_inode(int dirfd, const char *base, const struct content *c,
			   mode_t perm, bool replace)
{
	static atomic_uint counter;
	const char *name = base;
	char tmp[64];
	int fd, rc = 0;

	fd = openat(dirfd, base,
		    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0);
	if (fd < 0 && errno == EEXIST && replace) {
		snprintf(tmp, sizeof(tmp), ".restore.%ld.%u.tmp",
			 (long)getpid(), atomic_fetch_add(&counter, 1));
		name = tmp;
		fd = openat(dirfd, tmp,
			    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
				    O_CLOEXEC,
			    0);
	}
	if (fd < 0)
		return -errno;
	rc = write_content(fd, c);
	if (!rc && fchmod(fd, perm) < 0)
		rc = -errno;
	if (close(fd) < 0 && !rc)
		rc = -errno;
	if (!rc && name != base && renameat(dirfd, name, dirfd, base) < 0)
		rc = -errno;
	if (rc)
		unlinkat(dirfd, name, 0);
	return rc;
}

/*
 * Whether what stands at an added path may be replaced: the store holds
 * it, or the restore is forced. 0, -EEXIST (left alone) or -errno.
 */
static int may_replace(struct restore *r, const char *path)
{
	int rc = holds_recorded(r, path, NULL);

	if (rc == -EEXIST && (r->flags & GFS_HISTORY_FORCE))
		rc = 0;
	return rc;
}

/*
 * Makes base in dirfd (path) a symlink to target, replacing what stands
 * there; for a path the restore adds, only what may_replace allows.
 */
static int write_symlink(struct restore *r, int dirfd, const char *base,
			 const char *path, const char *target, bool added)
{
	int rc;

	if (added) {
		if (!symlinkat(target, dirfd, base))
			return 0;
		if (errno != EEXIST)
			return -errno;
		rc = may_replace(r, path);
		if (rc)
			return rc;
	}
	if (unlinkat(dirfd, base, 0) < 0 && errno != ENOENT)
		return -errno;
	return symlinkat(target, dirfd, base) < 0 ? -errno : 0;
}

/*
 * Writes blob id at path with mode. For a path the restore adds (added),
 * nothing is expected there and the create itself finds out: only when
 * a name already stands is it checked (may_replace) before it is
 * replaced. Checking first would cost every added file, through the
 * mount, one more lookup (the create's O_EXCL looks the name up again
 * whatever the kernel remembers) and a second walk of its directories.
 */
static int write_path(struct restore *r, const char *path, const git_oid *id,
		      uint32_t mode, bool added)
{
	mode_t perm = mode == 0100755 ? 0755 : 0644;
	struct content content = {0};
	git_blob *blob = NULL;
	const char *base;
	const char *data;
	size_t size;
	int dirfd, rc = 0;

	if (mode == 0160000)
		return 0; /* a gitlink: nothing to write */
	pthread_mutex_lock(&r->git_lock);
	if (git_blob_lookup(&blob, r->h->repo, id)) {
		rc = gfs_history_git_error("read blob");
		pthread_mutex_unlock(&r->git_lock);
		return rc;
	}
	pthread_mutex_unlock(&r->git_lock);
	/* the blob holds its bytes until freed: read them unlocked */
	data = git_blob_rawcontent(blob);
	size = git_blob_rawsize(blob);
	dirfd = open_parent(r->dest_fd, path, true, &base);
	if (dirfd < 0) {
		rc = dirfd;
		goto out;
	}
	if (mode == 0120000) {
		char *target = strndup(data, size);

		if (!target) {
			rc = -ENOMEM;
		} else {
			rc = write_symlink(r, dirfd, base, path, target, added);
			free(target);
		}
		close(dirfd);
		goto out;
	}
	content.data = data;
	content.size = size;
	content.r = r;
	content.chunked = !gfs_chunks_parse(data, size, &content.chunked_size,
					    &content.chunks);
	rc = write_new_inode(dirfd, base, &content, perm, !added);
	if (rc == -EEXIST && added) {
		rc = may_replace(r, path);
		if (!rc)
			rc = write_new_inode(dirfd, base, &content, perm, true);
	}
	close(dirfd);
out:
	pthread_mutex_lock(&r->git_lock);
	git_blob_free(blob);
	pthread_mutex_unlock(&r->git_lock);
	return rc;
}

static int set_mode(struct restore *r, const char *path, uint32_t mode)
{
	const char *base;
	int dirfd, rc = 0;

	dirfd = open_parent(r->dest_fd, path, false, &base);
	if (dirfd < 0)
		return dirfd;
	if (fchmodat(dirfd, base, mode == 0100755 ? 0755 : 0644, 0) < 0)
		rc = -errno;
	close(dirfd);
	return rc;
}

static void done(struct restore *r, enum gfs_history_change what,
		 const char *path, int rc)
{
	if (r->report)
		r->report(r->arg, what, path, rc);
	if (rc && (!r->rc || r->rc == -EEXIST))
		r->rc = rc;
}

/*
 * Applies one delta of HEAD -> at into *what and *path; returns its
 * result for the report (0, -EEXIST for a path left alone, -errno).
 */
static int apply_one(struct restore *r, const git_diff_delta *d,
		     enum gfs_history_change *what, struct gfs_buf *path)
{
	const git_diff_file *now = &d->old_file, *then = &d->new_file;
	bool dry = r->flags & GFS_HISTORY_DRY_RUN;
	int rc;

	rc = gfs_history_decode_path(
		d->status == GIT_DELTA_ADDED ? then->path : now->path, path);
	if (rc)
		return rc;
	switch (d->status) {
	case GIT_DELTA_DELETED:
		*what = GFS_HISTORY_REMOVE;
		rc = holds_recorded(r, path->data, &now->id);
		if (rc == -EEXIST && (r->flags & GFS_HISTORY_FORCE))
			rc = 0;
		if (!rc && !dry)
			rc = remove_path(r, path->data);
		break;
	case GIT_DELTA_ADDED:
		*what = GFS_HISTORY_CREATE;
		/* the create finds out what stands there (write_path) */
		if (dry || then->mode == 0160000)
			rc = may_replace(r, path->data);
		else
			rc = write_path(r, path->data, &then->id, then->mode,
					true);
		break;
	default: /* GIT_DELTA_MODIFIED, GIT_DELTA_TYPECHANGE */
		/* a file and a link of the same text differ by more than mode
		 */
		*what = git_oid_equal(&now->id, &then->id) &&
					d->status == GIT_DELTA_MODIFIED
				? GFS_HISTORY_MODE
				: GFS_HISTORY_UPDATE;
		rc = holds_recorded(r, path->data, &now->id);
		if (rc == -EEXIST && (r->flags & GFS_HISTORY_FORCE))
			rc = 0;
		if (!rc && !dry)
			rc = *what == GFS_HISTORY_MODE
				     ? set_mode(r, path->data, then->mode)
				     : write_path(r, path->data, &then->id,
						  then->mode, false);
		break;
	}
	return rc;
}

/*
 * Applying a large restore is a long series of small file operations,
 * each a round trip to the daemon when mounted: a few threads keep
 * several in flight. The calling thread reports the results in the
 * diff's order, as they complete, so the output reads the same however
 * the work was shared.
 *
 * A thread takes a run of deltas in one directory at a time (the diff
 * is sorted by path), so that threads seldom work in the same one. The
 * kernel creates one name at a time in a directory (its lock is held
 * through the LOOKUP and CREATE round trips), and each create makes it
 * forget the directory's attributes, so that the next lookup there, by
 * any thread, asks the daemon for them again (a GETATTR). Runs are at
 * most a 32nd of the diff, so a flat directory is still shared.
 */
#define APPLY_THREADS	  8
#define APPLY_THREADED_AT 64 /* fewer deltas: one thread is as quick */

struct apply {
	struct restore *r;
	git_diff *diff;
	bool removing;
	size_t n;
	size_t run_max; /* the longest run a thread takes */
	size_t next;	/* the next delta to take, under lock */
	size_t awaited; /* the delta the reporter waits for, under lock */
	struct applied {
		bool skip; /* not this pass's */
		bool done;
		enum gfs_history_change what;
		int rc;
		struct gfs_buf path;
	} * res;
	pthread_mutex_t lock;
	pthread_cond_t cond;
};

static bool wanted(const git_diff_delta *d, bool removing)
{
	if (d->status != GIT_DELTA_DELETED && d->status != GIT_DELTA_ADDED &&
	    d->status != GIT_DELTA_MODIFIED &&
	    d->status != GIT_DELTA_TYPECHANGE)
		return false;
	return (d->status == GIT_DELTA_DELETED) == removing;
}

/* The length of delta d's directory name in its (encoded) path. */
static size_t dir_len(const git_diff_delta *d, const char **path)
{
	const char *slash;

	*path = d->status == GIT_DELTA_ADDED ? d->new_file.path
					     : d->old_file.path;
	slash = strrchr(*path, '/');
	return slash ? (size_t)(slash - *path) : 0;
}

/* The end of the run that starts at delta i (under lock). */
static size_t run_end(struct apply *a, size_t i)
{
	const char *first, *path;
	size_t len = dir_len(git_diff_get_delta(a->diff, i), &first), end;

	for (end = i + 1; end < a->n && end - i < a->run_max; end++)
		if (dir_len(git_diff_get_delta(a->diff, end), &path) != len ||
		    strncmp(path, first, len))
			break;
	return end;
}

static void *apply_worker(void *arg)
{
	struct apply *a = arg;

	for (;;) {
		size_t i, end;

		pthread_mutex_lock(&a->lock);
		i = a->next;
		end = i < a->n ? run_end(a, i) : i;
		a->next = end;
		pthread_mutex_unlock(&a->lock);
		if (i >= a->n)
			return NULL;
		for (; i < end; i++) {
			const git_diff_delta *d =
				git_diff_get_delta(a->diff, i);
			struct applied *res = &a->res[i];

			res->skip = !wanted(d, a->removing);
			if (!res->skip)
				res->rc = apply_one(a->r, d, &res->what,
						    &res->path);
			pthread_mutex_lock(&a->lock);
			res->done = true;
			/* the reporter wakes for nothing else */
			if (i == a->awaited)
				pthread_cond_signal(&a->cond);
			pthread_mutex_unlock(&a->lock);
		}
	}
}

/* One pass over the diff: removals when removing, the rest otherwise. */
static int apply_all(struct restore *r, git_diff *diff, bool removing)
{
	struct apply a = {.r = r, .diff = diff, .removing = removing};
	pthread_t threads[APPLY_THREADS];
	size_t i, started = 0;
	int rc = 0;

	a.n = git_diff_num_deltas(diff);
	a.res = calloc(a.n ? a.n : 1, sizeof(*a.res));
	if (!a.res)
		return -ENOMEM;
	a.run_max = a.n / (APPLY_THREADS * 4) + 1;
	pthread_mutex_init(&a.lock, NULL);
	pthread_cond_init(&a.cond, NULL);
	if (a.n >= APPLY_THREADED_AT)
		while (started < APPLY_THREADS &&
		       !pthread_create(&threads[started], NULL, apply_worker,
				       &a))
			started++;
	if (!started)
		apply_worker(&a);
	for (i = 0; i < a.n; i++) {
		struct applied *res = &a.res[i];

		pthread_mutex_lock(&a.lock);
		a.awaited = i;
		while (!res->done)
			pthread_cond_wait(&a.cond, &a.lock);
		pthread_mutex_unlock(&a.lock);
		if (res->skip)
			continue;
		/* only running out of memory stops a restore midway */
		if (res->rc == -ENOMEM && !res->path.data)
			rc = -ENOMEM;
		else
			done(r, res->what, res->path.data, res->rc);
	}
	for (i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
	for (i = 0; i < a.n; i++)
		gfs_buf_release(&a.res[i].path);
	free(a.res);
	pthread_mutex_destroy(&a.lock);
	pthread_cond_destroy(&a.cond);
	return rc;
}

struct empty_walk {
	const char *const *paths; /* encoded, or none */
	size_t npaths;
	git_tree *other;      /* an entry there too is no change */
	bool emptied;	      /* instead: those other holds with content */
	struct gfs_buf found; /* NUL-separated encoded paths */
	int rc;
};

/* Whether path is one of paths (encoded), or below one; all when none. */
static bool in_paths(const char *const *paths, size_t npaths, const char *path)
{
	size_t i;

	if (!npaths)
		return true;
	for (i = 0; i < npaths; i++) {
		size_t len = strlen(paths[i]);

		if (!strncmp(path, paths[i], len) &&
		    (!path[len] || path[len] == '/'))
			return true;
	}
	return false;
}

static int empty_visit(const char *root, const git_tree_entry *e, void *arg)
{
	struct empty_walk *w = arg;
	struct gfs_buf path = GFS_BUF_INIT;
	git_tree_entry *there = NULL;
	git_oid empty;

	if (gfs_history_chunk_tree(e))
		return 1;
	if (git_tree_entry_type(e) != GIT_OBJECT_TREE)
		return 0;
	git_oid_fromstr(&empty, "4b825dc642cb6eb9a060e54bf8d69288fbee4904");
	if (!git_oid_equal(git_tree_entry_id(e), &empty))
		return 0;
	if (gfs_buf_addf(&path, "%s%s", root, git_tree_entry_name(e))) {
		w->rc = -ENOMEM;
		return -1;
	}
	if (in_paths(w->paths, w->npaths, path.data) &&
	    (git_tree_entry_bypath(&there, w->other, path.data)
		     ? !w->emptied
		     : w->emptied &&
			       git_tree_entry_type(there) == GIT_OBJECT_TREE &&
			       !git_oid_equal(git_tree_entry_id(there),
					      &empty)) &&
	    gfs_buf_add(&w->found, path.data, path.len + 1))
		w->rc = -ENOMEM;
	git_tree_entry_free(there);
	gfs_buf_release(&path);
	return w->rc ? -1 : 0;
}

/*
 * Encoded paths of the empty directories in tree and not in other, or
 * (emptied) those other holds with something in them.
 */
static int empty_dirs_only_in(git_tree *tree, git_tree *other,
			      const char *const *paths, size_t npaths,
			      bool emptied, struct gfs_buf *out)
{
	struct empty_walk w = {paths, npaths, other, emptied, GFS_BUF_INIT, 0};

	if (git_tree_walk(tree, GIT_TREEWALK_PRE, empty_visit, &w) && !w.rc)
		w.rc = gfs_history_git_error("walk tree");
	*out = w.found;
	return w.rc;
}

/*
 * After an empty directory went: the directories above it that the target
 * does not have go too, while they are empty (a tree that only held empty
 * directories, as a fresh .git/ does).
 */
static void drop_parents(struct restore *r, git_tree *at, const char *encoded)
{
	char *parent = strdup(encoded), *slash;

	while (parent && (slash = strrchr(parent, '/'))) {
		struct gfs_buf dir = GFS_BUF_INIT;
		git_tree_entry *there = NULL;
		const char *base;
		int fd;

		*slash = '\0';
		if (!git_tree_entry_bypath(&there, at, parent)) {
			git_tree_entry_free(there);
			break;
		}
		if (gfs_history_decode_path(parent, &dir)) {
			gfs_buf_release(&dir);
			break;
		}
		fd = open_parent(r->dest_fd, dir.data, false, &base);
		if (fd >= 0 && unlinkat(fd, base, AT_REMOVEDIR) < 0) {
			close(fd);
			fd = -1;
		}
		gfs_buf_release(&dir);
		if (fd < 0)
			break;
		close(fd);
	}
	free(parent);
}

/*
 * Makes the empty directory that encoded names (not in a dry run) and
 * reports it; with only_missing, one already there is left unreported.
 * 0 or -ENOMEM.
 */
static int make_empty_dir(struct restore *r, const char *encoded,
			  bool only_missing)
{
	struct gfs_buf dir = GFS_BUF_INIT;
	const char *base;
	int fd, e = 0, rc;

	rc = gfs_history_decode_path(encoded, &dir);
	if (!rc)
		rc = gfs_buf_adds(&dir, "/.");
	if (rc) {
		gfs_buf_release(&dir);
		return rc;
	}
	fd = only_missing ? open_parent(r->dest_fd, dir.data, false, &base)
			  : -1;
	if (fd >= 0) {
		close(fd);
		gfs_buf_release(&dir);
		return 0;
	}
	if (!(r->flags & GFS_HISTORY_DRY_RUN)) {
		fd = open_parent(r->dest_fd, dir.data, true, &base);
		e = fd < 0 ? fd : 0;
		if (fd >= 0)
			close(fd);
	}
	dir.data[dir.len - 2] = '\0';
	done(r, GFS_HISTORY_CREATE, dir.data, e);
	gfs_buf_release(&dir);
	return 0;
}

/*
 * Empty directories of the target that are missing come back; empty
 * ones only the latest commit has go, if they are still empty.
 */
static int empty_dirs(struct restore *r, git_tree *head, git_tree *at,
		      const char *const *paths, size_t npaths)
{
	struct gfs_buf make = GFS_BUF_INIT, drop = GFS_BUF_INIT;
	struct gfs_buf emptied = GFS_BUF_INIT;
	bool dry = r->flags & GFS_HISTORY_DRY_RUN;
	size_t pos;
	int rc;

	rc = empty_dirs_only_in(at, head, paths, npaths, false, &make);
	if (!rc)
		rc = empty_dirs_only_in(head, at, paths, npaths, false, &drop);
	if (!rc)
		rc = empty_dirs_only_in(at, head, paths, npaths, true,
					&emptied);
	/*
	 * A directory the target has empty went with its last file above;
	 * it comes back, reported only when it had to be made again.
	 */
	for (pos = 0; !rc && !dry && pos < emptied.len;
	     pos += strlen(emptied.data + pos) + 1)
		rc = make_empty_dir(r, emptied.data + pos, true);
	gfs_buf_release(&emptied);
	for (pos = 0; !rc && pos < make.len; pos += strlen(make.data + pos) + 1)
		rc = make_empty_dir(r, make.data + pos, false);
	for (pos = 0; !rc && pos < drop.len;
	     pos += strlen(drop.data + pos) + 1) {
		struct gfs_buf dir = GFS_BUF_INIT;
		const char *base;
		int fd, e = 0;

		rc = gfs_history_decode_path(drop.data + pos, &dir);
		if (rc)
			break;
		fd = open_parent(r->dest_fd, dir.data, false, &base);
		if (fd >= 0) {
			/* only if still empty: what is in it now stays */
			if (!dry && unlinkat(fd, base, AT_REMOVEDIR) < 0 &&
			    errno != ENOENT)
				e = errno == ENOTEMPTY ? -EEXIST : -errno;
			close(fd);
			done(r, GFS_HISTORY_REMOVE, dir.data, e);
			if (!e && !dry)
				drop_parents(r, at, drop.data + pos);
		}
		gfs_buf_release(&dir);
	}
	gfs_buf_release(&make);
	gfs_buf_release(&drop);
	return rc;
}

struct missing_walk {
	struct restore *r;
	const char *const *paths; /* encoded, or none */
	size_t npaths;
	int rc;
	/* the last directory looked in: a walk visits siblings in a row */
	char *dir;
	int dir_fd;
};

/* Whether path is absent from the folder (its directory fd cached). */
static bool missing_here(struct missing_walk *w, const char *path)
{
	const char *slash = strrchr(path, '/');
	size_t len = slash ? (size_t)(slash - path) : 0;
	const char *base;
	struct stat st;

	if (!w->dir || strlen(w->dir) != len || strncmp(w->dir, path, len)) {
		free(w->dir);
		if (w->dir_fd >= 0)
			close(w->dir_fd);
		w->dir = strndup(path, len);
		w->dir_fd = open_parent(w->r->dest_fd, path, false, &base);
	}
	if (w->dir_fd < 0)
		return w->dir_fd == -ENOENT;
	return fstatat(w->dir_fd, slash ? slash + 1 : path, &st,
		       AT_SYMLINK_NOFOLLOW) < 0 &&
	       errno == ENOENT;
}

static int missing_visit(const char *root, const git_tree_entry *e, void *arg)
{
	struct missing_walk *w = arg;
	struct gfs_buf enc = GFS_BUF_INIT, path = GFS_BUF_INIT;
	uint32_t mode = git_tree_entry_filemode(e);
	bool dry = w->r->flags & GFS_HISTORY_DRY_RUN;
	int rc;

	if (gfs_history_chunk_tree(e))
		return 1; /* a large file's chunks: written with the file */
	if (git_tree_entry_type(e) != GIT_OBJECT_BLOB)
		return 0;
	rc = gfs_buf_addf(&enc, "%s%s", root, git_tree_entry_name(e));
	if (!rc && !in_paths(w->paths, w->npaths, enc.data))
		goto out;
	if (!rc)
		rc = gfs_history_decode_path(enc.data, &path);
	if (rc)
		goto out;
	if (missing_here(w, path.data)) {
		rc = dry ? 0
			 : write_path(w->r, path.data, git_tree_entry_id(e),
				      mode, false);
		done(w->r, GFS_HISTORY_CREATE, path.data, rc);
		rc = 0;
	}
out:
	gfs_buf_release(&enc);
	gfs_buf_release(&path);
	if (rc)
		w->rc = rc;
	return rc ? -1 : 0;
}

/*
 * The target's files the folder lacks although the latest snapshot has
 * them too (deleted while nothing was mounted to record it): the diff
 * cannot see them, the folder can.
 */
static int missing_files(struct restore *r, git_tree *at,
			 const char *const *paths, size_t npaths)
{
	struct missing_walk w = {.r = r, .dir_fd = -1};

	w.paths = paths;
	w.npaths = npaths;
	if (git_tree_walk(at, GIT_TREEWALK_PRE, missing_visit, &w) && !w.rc)
		w.rc = gfs_history_git_error("walk tree");
	free(w.dir);
	if (w.dir_fd >= 0)
		close(w.dir_fd);
	return w.rc;
}

int gfs_history_restore(struct gfs_history *h, const char *at_id,
			const char *const *paths, size_t npaths, int dest_fd,
			unsigned flags, gfs_history_report report, void *arg)
{
	git_tree *at_tree = NULL;
	int rc;

	rc = gfs_history_tree_of(h, at_id, &at_tree, NULL, NULL);
	if (!rc)
		rc = gfs_history_restore_tree(h, at_tree, paths, npaths,
					      dest_fd, flags, report, arg);
	git_tree_free(at_tree);
	return rc;
}

int gfs_history_restore_tree(struct gfs_history *h, git_tree *at_tree,
			     const char *const *paths, size_t npaths,
			     int dest_fd, unsigned flags,
			     gfs_history_report report, void *arg)
{
	struct restore r = {
		h, dest_fd, flags, report, arg, 0, PTHREAD_MUTEX_INITIALIZER};
	git_tree *head_tree = NULL;
	git_diff_options opts;
	git_diff *diff = NULL;
	char **encoded = NULL;
	char head[41];
	git_oid oid;
	int rc, pass;

	if (git_reference_name_to_id(&oid, h->repo, "HEAD"))
		return gfs_history_git_error("read HEAD");
	git_oid_tostr(head, sizeof(head), &oid);
	rc = gfs_history_diff_opts(&opts, paths, npaths, &encoded);
	/*
	 * A file that became a symlink (or back) is one change, replaced in
	 * one rename: split into a removal and an addition, a restore of
	 * that one path saw neither.
	 */
	opts.flags |= GIT_DIFF_INCLUDE_TYPECHANGE;
	if (!rc)
		rc = gfs_history_tree_of(h, head, &head_tree, NULL, NULL);
	if (rc)
		goto out;
	if (git_diff_tree_to_tree(&diff, h->repo, head_tree, at_tree, &opts)) {
		rc = gfs_history_git_error("compare snapshots");
		goto out;
	}
	for (pass = 0; pass < 2 && !rc; pass++)
		rc = apply_all(&r, diff, pass == 0);
	/* diffs do not see empty directories: they are walked for */
	if (!rc)
		rc = empty_dirs(&r, head_tree, at_tree,
				(const char *const *)encoded, npaths);
	if (!rc && (flags & GFS_HISTORY_MISSING))
		rc = missing_files(&r, at_tree, (const char *const *)encoded,
				   npaths);
	if (!rc)
		rc = r.rc;
out:
	git_diff_free(diff);
	git_tree_free(head_tree);
	gfs_history_free_paths(encoded, npaths);
	return rc;
}

int gfs_history_revert(struct gfs_history *h, const char *id, int dest_fd,
		       unsigned flags, gfs_history_report report, void *arg)
{
	git_tree *tree = NULL, *ptree = NULL, *head_tree = NULL;
	const char **paths = NULL;
	struct gfs_buf *decoded = NULL;
	git_diff_options opts;
	git_diff *diff = NULL;
	char parent[41], head[41];
	size_t i, n, ok = 0;
	bool has_parent;
	git_oid poid, hoid;
	int rc, busy = 0;

	rc = gfs_history_tree_of(h, id, &tree, &poid, &has_parent);
	if (rc)
		return rc;
	if (!has_parent) {
		git_tree_free(tree);
		return -ENOENT;
	}
	git_oid_tostr(parent, sizeof(parent), &poid);
	if (git_reference_name_to_id(&hoid, h->repo, "HEAD")) {
		rc = gfs_history_git_error("read HEAD");
		goto out;
	}
	git_oid_tostr(head, sizeof(head), &hoid);
	rc = gfs_history_tree_of(h, parent, &ptree, NULL, NULL);
	if (!rc)
		rc = gfs_history_tree_of(h, head, &head_tree, NULL, NULL);
	if (rc)
		goto out;
	gfs_history_diff_opts_init(&opts);
	if (git_diff_tree_to_tree(&diff, h->repo, ptree, tree, &opts)) {
		rc = gfs_history_git_error("compare snapshots");
		goto out;
	}
	n = git_diff_num_deltas(diff);
	paths = calloc(n + 1, sizeof(*paths));
	decoded = calloc(n + 1, sizeof(*decoded));
	if (!paths || !decoded) {
		rc = -ENOMEM;
		goto out;
	}
	for (i = 0; i < n; i++) {
		const git_diff_delta *d = git_diff_get_delta(diff, i);
		const git_diff_file *after = &d->new_file;
		git_tree_entry *e = NULL;
		bool same;

		/* only what no later commit changed again can go back */
		if (git_tree_entry_bypath(&e, head_tree, after->path)) {
			same = d->status == GIT_DELTA_DELETED;
		} else {
			same = d->status != GIT_DELTA_DELETED &&
			       git_oid_equal(git_tree_entry_id(e),
					     &after->id) &&
			       git_tree_entry_filemode(e) == after->mode;
			git_tree_entry_free(e);
		}
		rc = gfs_history_decode_path(after->path, &decoded[ok]);
		if (rc)
			goto out;
		if (!same) {
			if (report)
				report(arg, GFS_HISTORY_UPDATE,
				       decoded[ok].data, -EBUSY);
			busy = -EBUSY;
			gfs_buf_release(&decoded[ok]);
			continue;
		}
		paths[ok] = decoded[ok].data;
		ok++;
	}
	if (ok)
		rc = gfs_history_restore(h, parent, paths, ok, dest_fd, flags,
					 report, arg);
	if (!rc)
		rc = busy;
out:
	if (decoded)
		for (i = 0; i <= n; i++)
			gfs_buf_release(&decoded[i]);
	free(decoded);
	free(paths);
	git_diff_free(diff);
	git_tree_free(tree);
	git_tree_free(ptree);
	git_tree_free(head_tree);
	return rc;
}
