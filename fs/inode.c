#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fs_internal.h"
#include "guardfs/util.h"

/*
 * The descriptors: every inode the kernel holds once had an O_PATH fd, and
 * the kernel may hold millions (its caches keep entries for a day). The
 * table keeps at most fd_cache_max of them open, and with the open files
 * no more than fd_budget; past that it closes the least recently used fd
 * of an inode no request holds. A closed fd is opened again by name when
 * a request next names the inode (gfs_inode_hold), from its parent's fd,
 * itself held and so the very directory that was looked up (or reopened
 * and checked the same way, up to the root, which is never closed): no
 * path string from the root is resolved, and the answer must be the same
 * (dev, ino, type) or the request fails with ESTALE (on which the kernel
 * looks the name up afresh).
 *
 * Not closed: the fd of a file with open handles, and of an inode whose
 * last name is gone (checked as it is closed): the kernel may still ask
 * about either, and no name leads to them any more. Such descriptors are
 * as many as the files processes hold open or deleted, and count against
 * fd_budget like any other.
 */

/* Inodes past fd_budget that creates racing past their check may add. */
#define INODE_SLACK 64
/* Times a reopen is tried again when a rename moved the inode meanwhile. */
#define REOPEN_TRIES 4
/* Descriptors closed at once; more wait for the next request. */
#define CLOSE_BATCH 16

static size_t bucket_of(const struct gfs_fs *fs, dev_t dev, ino_t ino)
{
	uint64_t key[2] = {(uint64_t)dev, (uint64_t)ino};

	return gfs_hash(key, sizeof(key)) & (fs->table_size - 1);
}

int gfs_inode_table_init(struct gfs_fs *fs, int root_fd)
{
	struct stat st;

	if (fstat(root_fd, &st))
		return -errno;
	fs->table_size = 1024;
	fs->table = calloc(fs->table_size, sizeof(*fs->table));
	if (!fs->table)
		return -ENOMEM;
	pthread_mutex_init(&fs->table_lock, NULL);
	memset(&fs->root, 0, sizeof(fs->root));
	fs->root.fd = root_fd;
	fs->root.dev = st.st_dev;
	fs->root.ino = st.st_ino;
	fs->root.type = S_IFDIR;
	/* The root never goes away: the kernel holds it for the mount. */
	fs->root.nlookup = 2;
	fs->root.name = strdup("");
	if (!fs->root.name)
		return -ENOMEM;
	fs->table[bucket_of(fs, st.st_dev, st.st_ino)] = &fs->root;
	fs->table_count = 1;
	return 0;
}

void gfs_inode_table_release(struct gfs_fs *fs)
{
	size_t i;

	for (i = 0; i < fs->table_size && fs->table; i++) {
		struct gfs_inode *inode = fs->table[i], *next;

		for (; inode; inode = next) {
			next = inode->hash_next;
			if (inode == &fs->root)
				continue;
			if (inode->fd >= 0)
				close(inode->fd);
			free(inode->name);
			free(inode);
		}
	}
	free(fs->table);
	fs->table = NULL;
	free(fs->root.name);
	fs->root.name = NULL;
	pthread_mutex_destroy(&fs->table_lock);
}

/* Whether inode's fd may be closed now; called with table_lock held. */
static bool closable(const struct gfs_fs *fs, const struct gfs_inode *inode)
{
	return inode != &fs->root && inode->fd >= 0 && !inode->holds &&
	       !inode->gone && (inode->type == S_IFDIR || !inode->pins);
}

static void lru_remove(struct gfs_fs *fs, struct gfs_inode *inode)
{
	if (!inode->on_lru)
		return;
	if (inode->lru_prev)
		inode->lru_prev->lru_next = inode->lru_next;
	else
		fs->lru_head = inode->lru_next;
	if (inode->lru_next)
		inode->lru_next->lru_prev = inode->lru_prev;
	else
		fs->lru_tail = inode->lru_prev;
	inode->lru_prev = inode->lru_next = NULL;
	inode->on_lru = false;
	fs->lru_count--;
}

/* Puts inode last in line to be closed, if it may be; table_lock held. */
static void lru_touch(struct gfs_fs *fs, struct gfs_inode *inode)
{
	lru_remove(fs, inode);
	if (!closable(fs, inode))
		return;
	inode->lru_prev = fs->lru_tail;
	if (fs->lru_tail)
		fs->lru_tail->lru_next = inode;
	else
		fs->lru_head = inode;
	fs->lru_tail = inode;
	inode->on_lru = true;
	fs->lru_count++;
}

/* Descriptors closed under the lock, to close after it. */
struct closing {
	struct gfs_inode *victims[CLOSE_BATCH]; /* held while closing */
	int victim_fds[CLOSE_BATCH];
	size_t nvictims;
	int fds[CLOSE_BATCH]; /* of freed inodes */
	size_t nfds;
};

/* Whether extra_paths more O_PATH fds and extra_handles open files fit. */
static bool fits_locked(const struct gfs_fs *fs, size_t extra_paths,
			size_t extra_handles)
{
	if (fs->fd_cache_max && fs->fds_open + extra_paths > fs->fd_cache_max)
		return false;
	return !fs->fd_budget ||
	       fs->fds_open + fs->handles + extra_paths + extra_handles <=
		       fs->fd_budget;
}

/*
 * Takes the least recently used fds off their inodes until the extra
 * descriptors fit (or nothing more may be closed, or the batch is full).
 * The inodes stay held until finish_closing decides on each.
 */
static bool shrink_locked(struct gfs_fs *fs, size_t extra_paths,
			  size_t extra_handles, struct closing *c)
{
	while (!fits_locked(fs, extra_paths, extra_handles)) {
		struct gfs_inode *victim = fs->lru_head;

		if (!victim || c->nvictims == CLOSE_BATCH)
			return false;
		lru_remove(fs, victim);
		c->victims[c->nvictims] = victim;
		c->victim_fds[c->nvictims++] = victim->fd;
		victim->fd = -1;
		victim->holds++;
		fs->fds_open--;
	}
	return true;
}

struct gfs_inode *gfs_inode_get(struct gfs_fs *fs, fuse_ino_t ino)
{
	if (ino == FUSE_ROOT_ID)
		return &fs->root;
	return (struct gfs_inode *)(uintptr_t)ino;
}

/* Called with table_lock held. */
static struct gfs_inode *find_locked(struct gfs_fs *fs, dev_t dev, ino_t ino)
{
	struct gfs_inode *inode = fs->table[bucket_of(fs, dev, ino)];

	/* a gone inode's number may belong to a new file by now */
	while (inode && (inode->dev != dev || inode->ino != ino || inode->gone))
		inode = inode->hash_next;
	return inode;
}

struct gfs_inode *gfs_inode_find(struct gfs_fs *fs, dev_t dev, ino_t ino)
{
	struct gfs_inode *inode;

	pthread_mutex_lock(&fs->table_lock);
	inode = find_locked(fs, dev, ino);
	pthread_mutex_unlock(&fs->table_lock);
	return inode;
}

/* Doubles the bucket array; called with table_lock held. */
static void grow_locked(struct gfs_fs *fs)
{
	size_t old_size = fs->table_size, i;
	struct gfs_inode **old = fs->table, **table;

	table = calloc(old_size * 2, sizeof(*table));
	if (!table)
		return; /* longer chains, still correct */
	fs->table = table;
	fs->table_size = old_size * 2;
	for (i = 0; i < old_size; i++) {
		struct gfs_inode *inode = old[i], *next;

		for (; inode; inode = next) {
			size_t b = bucket_of(fs, inode->dev, inode->ino);

			next = inode->hash_next;
			inode->hash_next = table[b];
			table[b] = inode;
		}
	}
	free(old);
}

/*
 * Replaces inode's (parent, name); called with table_lock held. Returns
 * the old parent, whose pin was dropped, for the caller to release once
 * the table is consistent again.
 */
static struct gfs_inode *set_name_locked(struct gfs_inode *inode,
					 struct gfs_inode *parent, char *name)
{
	struct gfs_inode *old_parent = inode->parent;

	parent->pins++;
	inode->parent = parent;
	free(inode->name);
	inode->name = name;
	if (old_parent)
		old_parent->pins--;
	return old_parent;
}

static void unlink_locked(struct gfs_fs *fs, struct gfs_inode *inode)
{
	struct gfs_inode **link =
		&fs->table[bucket_of(fs, inode->dev, inode->ino)];

	while (*link != inode)
		link = &(*link)->hash_next;
	*link = inode->hash_next;
	fs->table_count--;
}

static void close_all(const int *fds, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		close(fds[i]);
}

/*
 * Frees inode and walks up releasing parents that become unreferenced.
 * Called with table_lock held; the fds go to c, to close after
 * unlocking, so no syscall runs under the lock.
 */
static void release_locked(struct gfs_fs *fs, struct gfs_inode *inode,
			   struct closing *c)
{
	while (inode && inode != &fs->root && inode->nlookup == 0 &&
	       inode->pins == 0 && inode->holds == 0) {
		struct gfs_inode *parent = inode->parent;

		unlink_locked(fs, inode);
		lru_remove(fs, inode);
		if (inode->fd >= 0) {
			fs->fds_open--;
			if (c->nfds < CLOSE_BATCH)
				c->fds[c->nfds++] = inode->fd;
			else
				close(inode->fd); /* rare: deep chains */
		}
		free(inode->name);
		free(inode);
		if (parent)
			parent->pins--;
		inode = parent;
	}
}

/*
 * Closes what shrink_locked took, but keeps the fd of an inode whose last
 * name is gone: no reopen could find it, and the kernel may still use it
 * (a deleted file or directory a process holds). Then closes the fds of
 * inodes freed meanwhile.
 */
static void finish_closing(struct gfs_fs *fs, struct closing *c)
{
	bool gone[CLOSE_BATCH];
	size_t i;

	if (!c->nvictims) {
		close_all(c->fds, c->nfds);
		c->nfds = 0;
		return;
	}
	for (i = 0; i < c->nvictims; i++) {
		struct stat st;

		gone[i] = !fstat(c->victim_fds[i], &st) && st.st_nlink == 0;
	}
	pthread_mutex_lock(&fs->table_lock);
	for (i = 0; i < c->nvictims; i++) {
		struct gfs_inode *victim = c->victims[i];

		if (gone[i] && victim->fd < 0) {
			victim->fd = c->victim_fds[i];
			victim->gone = true;
			fs->fds_open++;
			c->victim_fds[i] = -1;
		}
		victim->holds--;
		lru_touch(fs, victim);
		release_locked(fs, victim, c);
	}
	pthread_mutex_unlock(&fs->table_lock);
	for (i = 0; i < c->nvictims; i++) {
		if (c->victim_fds[i] >= 0)
			close(c->victim_fds[i]);
	}
	c->nvictims = 0;
	close_all(c->fds, c->nfds);
	c->nfds = 0;
}

struct gfs_inode *gfs_inode_remember(struct gfs_fs *fs,
				     struct gfs_inode *parent, const char *name,
				     int fd, const struct stat *st)
{
	struct gfs_inode *inode, *fresh, *old_parent = NULL;
	char *name_copy = strdup(name);
	struct closing c = {.nvictims = 0};

	fresh = calloc(1, sizeof(*fresh));
	if (!fresh || !name_copy) {
		free(fresh);
		free(name_copy);
		if (fd >= 0)
			close(fd);
		errno = ENOMEM;
		return NULL;
	}
	pthread_mutex_lock(&fs->table_lock);
	inode = find_locked(fs, st->st_dev, st->st_ino);
	if (inode) {
		inode->nlookup++;
		if (inode != &fs->root &&
		    (inode->parent != parent || strcmp(inode->name, name)))
			old_parent = set_name_locked(inode, parent, name_copy);
		else
			free(name_copy);
		/* a fresh fd of the very inode: no reopen needed later */
		if (fd >= 0 && inode->fd < 0 &&
		    inode->type == (st->st_mode & S_IFMT)) {
			inode->fd = fd;
			fd = -1;
			fs->fds_open++;
		}
		lru_touch(fs, inode);
		shrink_locked(fs, 0, 0, &c);
		release_locked(fs, old_parent, &c);
		pthread_mutex_unlock(&fs->table_lock);
		finish_closing(fs, &c);
		free(fresh);
		if (fd >= 0)
			close(fd);
		return inode;
	}
	/*
	 * Room comes from closing unused fds. Only when every fd is in use
	 * (held by requests, open files) does a lookup fail: a create
	 * checked for room before it made its file, and the slack lets the
	 * few that raced past that check in.
	 */
	if (fd >= 0 && !shrink_locked(fs, 1, 0, &c) && fs->fd_budget &&
	    fs->fds_open + fs->handles >= fs->fd_budget + INODE_SLACK) {
		pthread_mutex_unlock(&fs->table_lock);
		finish_closing(fs, &c);
		free(name_copy);
		free(fresh);
		close(fd);
		errno = EMFILE;
		return NULL;
	}
	fresh->fd = fd;
	fresh->dev = st->st_dev;
	fresh->ino = st->st_ino;
	fresh->type = st->st_mode & S_IFMT;
	fresh->nlookup = 1;
	set_name_locked(fresh, parent, name_copy);
	{
		size_t b = bucket_of(fs, st->st_dev, st->st_ino);

		fresh->hash_next = fs->table[b];
		fs->table[b] = fresh;
	}
	if (fd >= 0)
		fs->fds_open++;
	lru_touch(fs, fresh);
	if (++fs->table_count > fs->table_size * 2)
		grow_locked(fs);
	pthread_mutex_unlock(&fs->table_lock);
	finish_closing(fs, &c);
	return fresh;
}

void gfs_inode_unlinked(struct gfs_fs *fs, const struct stat *st)
{
	struct gfs_inode *inode;

	if (!S_ISDIR(st->st_mode) && st->st_nlink > 1)
		return; /* other names still lead to it */
	pthread_mutex_lock(&fs->table_lock);
	inode = find_locked(fs, st->st_dev, st->st_ino);
	if (inode && inode != &fs->root) {
		inode->gone = true;
		lru_remove(fs, inode);
	}
	pthread_mutex_unlock(&fs->table_lock);
}

int gfs_inode_room(struct gfs_fs *fs)
{
	bool full;

	if (!fs->fd_budget)
		return 0;
	/* the new inode's fd and its open file, beside all in use */
	pthread_mutex_lock(&fs->table_lock);
	full = fs->fds_open - fs->lru_count + fs->handles + 2 > fs->fd_budget;
	pthread_mutex_unlock(&fs->table_lock);
	return full ? -EMFILE : 0;
}

void gfs_inode_forget(struct gfs_fs *fs, struct gfs_inode *inode, uint64_t n)
{
	struct closing c = {.nvictims = 0};

	pthread_mutex_lock(&fs->table_lock);
	if (inode->nlookup < n)
		abort(); /* the kernel never forgets more than it looked up */
	inode->nlookup -= n;
	release_locked(fs, inode, &c);
	pthread_mutex_unlock(&fs->table_lock);
	finish_closing(fs, &c);
}

void gfs_inode_pin(struct gfs_fs *fs, struct gfs_inode *inode)
{
	pthread_mutex_lock(&fs->table_lock);
	inode->pins++;
	if (inode->type != S_IFDIR)
		lru_remove(fs, inode); /* an open file keeps its fd */
	pthread_mutex_unlock(&fs->table_lock);
}

void gfs_inode_unpin(struct gfs_fs *fs, struct gfs_inode *inode)
{
	struct closing c = {.nvictims = 0};

	pthread_mutex_lock(&fs->table_lock);
	inode->pins--;
	if (!inode->pins && inode->type != S_IFDIR)
		lru_touch(fs, inode);
	release_locked(fs, inode, &c);
	pthread_mutex_unlock(&fs->table_lock);
	finish_closing(fs, &c);
}

void gfs_inode_rename(struct gfs_fs *fs, struct gfs_inode *inode,
		      struct gfs_inode *parent, const char *name)
{
	char *name_copy = strdup(name);
	struct gfs_inode *old_parent;
	struct closing c = {.nvictims = 0};

	if (!name_copy)
		return; /* keeps the old name; only paths in logs suffer */
	pthread_mutex_lock(&fs->table_lock);
	old_parent = set_name_locked(inode, parent, name_copy);
	release_locked(fs, old_parent, &c);
	pthread_mutex_unlock(&fs->table_lock);
	finish_closing(fs, &c);
}

/* Appends the path of inode; called with table_lock held. */
static int path_locked(struct gfs_fs *fs, struct gfs_inode *inode,
		       struct gfs_buf *out)
{
	const struct gfs_inode *chain[256];
	size_t depth = 0;
	int rc = 0;

	for (; inode && inode != &fs->root; inode = inode->parent) {
		if (depth == sizeof(chain) / sizeof(chain[0]))
			return -ENAMETOOLONG;
		chain[depth++] = inode;
	}
	while (depth-- > 0 && !rc) {
		if (out->len && out->data[out->len - 1] != '/')
			rc = gfs_buf_addch(out, '/');
		if (!rc)
			rc = gfs_buf_adds(out, chain[depth]->name);
	}
	return rc;
}

int gfs_inode_path(struct gfs_fs *fs, struct gfs_inode *inode,
		   struct gfs_buf *out)
{
	int rc;

	pthread_mutex_lock(&fs->table_lock);
	rc = path_locked(fs, inode, out);
	pthread_mutex_unlock(&fs->table_lock);
	return rc;
}

int gfs_inode_child_path(struct gfs_fs *fs, struct gfs_inode *parent,
			 const char *name, struct gfs_buf *out)
{
	int rc = gfs_inode_path(fs, parent, out);

	if (!rc && out->len)
		rc = gfs_buf_addch(out, '/');
	if (!rc)
		rc = gfs_buf_adds(out, name);
	return rc;
}

static bool is_below(const struct gfs_inode *inode, const struct gfs_inode *dir)
{
	for (inode = inode->parent; inode; inode = inode->parent) {
		if (inode == dir)
			return true;
	}
	return false;
}

void gfs_inode_each_below(struct gfs_fs *fs, struct gfs_inode *dir,
			  void (*visit)(struct gfs_fs *fs,
					struct gfs_inode *inode,
					const char *path, void *arg),
			  void *arg)
{
	struct gfs_buf path = GFS_BUF_INIT;
	size_t i;

	/*
	 * Runs under the table lock, but only calls visit, which must only
	 * match and queue (no syscalls): directory renames are rare and the
	 * walk is over the inodes the kernel holds, not the tree on disk.
	 */
	pthread_mutex_lock(&fs->table_lock);
	for (i = 0; i < fs->table_size; i++) {
		struct gfs_inode *inode;

		for (inode = fs->table[i]; inode; inode = inode->hash_next) {
			if (!is_below(inode, dir))
				continue;
			gfs_buf_reset(&path);
			if (path_locked(fs, inode, &path) == 0)
				visit(fs, inode, path.data, arg);
		}
	}
	pthread_mutex_unlock(&fs->table_lock);
	gfs_buf_release(&path);
}

int gfs_inode_name(struct gfs_fs *fs, struct gfs_inode *inode,
		   struct gfs_inode **parent, char **name)
{
	pthread_mutex_lock(&fs->table_lock);
	*parent = inode->parent ? inode->parent : &fs->root;
	(*parent)->pins++;
	*name = strdup(inode->name);
	pthread_mutex_unlock(&fs->table_lock);
	if (!*name) {
		gfs_inode_unpin(fs, *parent);
		return -ENOMEM;
	}
	return 0;
}

/*
 * Opens name under the held parent as the inode it must be; called with
 * no lock held.
 */
static int open_checked(struct gfs_fs *fs, struct gfs_inode *parent,
			const char *name, const struct gfs_inode *inode)
{
	struct stat st;
	int fd;

	fd = openat(parent->fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT || errno == ENOTDIR ? -ESTALE : -errno;
	if (fstatat(fd, "", &st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW)) {
		int rc = -errno;

		close(fd);
		return rc;
	}
	if (st.st_dev != inode->dev || st.st_ino != inode->ino ||
	    (st.st_mode & S_IFMT) != inode->type) {
		close(fd);
		atomic_fetch_add_explicit(&fs->fd_stale, 1,
					  memory_order_relaxed);
		return -ESTALE;
	}
	return fd;
}

/* Gives the held inode an fd again, by its name; see the top of file. */
static int reopen(struct gfs_fs *fs, struct gfs_inode *inode)
{
	struct closing c = {.nvictims = 0};
	struct gfs_inode *parent;
	bool parent_open, moved;
	int tries, fd = -ESTALE;
	char *name;

	for (tries = 0; tries < REOPEN_TRIES; tries++) {
		pthread_mutex_lock(&fs->table_lock);
		if (inode->fd >= 0 || inode->gone || !inode->parent) {
			fd = inode->fd >= 0 ? 0 : -ESTALE;
			pthread_mutex_unlock(&fs->table_lock);
			return fd;
		}
		parent = inode->parent;
		if (parent != &fs->root) {
			parent->holds++;
			lru_remove(fs, parent);
		}
		parent_open = parent->fd >= 0;
		name = strdup(inode->name);
		pthread_mutex_unlock(&fs->table_lock);
		fd = name ? 0 : -ENOMEM;
		if (!fd && !parent_open)
			fd = reopen(fs, parent);
		if (!fd)
			fd = open_checked(fs, parent, name, inode);
		gfs_inode_drop(fs, parent);
		pthread_mutex_lock(&fs->table_lock);
		moved = name && (inode->parent != parent ||
				 strcmp(inode->name, name) != 0);
		pthread_mutex_unlock(&fs->table_lock);
		free(name);
		/* a rename moved it meanwhile: look where it is now */
		if (fd >= 0 || !moved)
			break;
	}
	if (fd < 0)
		return fd;
	atomic_fetch_add_explicit(&fs->fd_reopens, 1, memory_order_relaxed);
	pthread_mutex_lock(&fs->table_lock);
	if (inode->fd < 0) {
		inode->fd = fd;
		fs->fds_open++;
		fd = -1;
		shrink_locked(fs, 0, 0, &c);
	}
	pthread_mutex_unlock(&fs->table_lock);
	if (fd >= 0)
		close(fd); /* another request reopened it first */
	finish_closing(fs, &c);
	return 0;
}

int gfs_inode_hold(struct gfs_fs *fs, struct gfs_inode *inode)
{
	bool open;
	int rc;

	if (inode == &fs->root)
		return 0; /* its fd is never closed */
	pthread_mutex_lock(&fs->table_lock);
	inode->holds++;
	lru_remove(fs, inode);
	open = inode->fd >= 0;
	pthread_mutex_unlock(&fs->table_lock);
	if (open)
		return 0;
	rc = reopen(fs, inode);
	if (rc)
		gfs_inode_drop(fs, inode);
	return rc;
}

void gfs_inode_drop(struct gfs_fs *fs, struct gfs_inode *inode)
{
	struct closing c = {.nvictims = 0};

	if (inode == &fs->root)
		return;
	pthread_mutex_lock(&fs->table_lock);
	if (--inode->holds == 0) {
		lru_touch(fs, inode);
		shrink_locked(fs, 0, 0, &c);
		release_locked(fs, inode, &c);
	}
	pthread_mutex_unlock(&fs->table_lock);
	finish_closing(fs, &c);
}

int gfs_inode_handle_begin(struct gfs_fs *fs)
{
	struct closing c = {.nvictims = 0};
	bool fits, more;

	do {
		pthread_mutex_lock(&fs->table_lock);
		fits = shrink_locked(fs, 0, 1, &c);
		if (fits)
			fs->handles++;
		more = !fits && c.nvictims == CLOSE_BATCH;
		pthread_mutex_unlock(&fs->table_lock);
		finish_closing(fs, &c);
	} while (more);
	return fits ? 0 : -EMFILE;
}

void gfs_inode_handle_end(struct gfs_fs *fs)
{
	pthread_mutex_lock(&fs->table_lock);
	fs->handles--;
	pthread_mutex_unlock(&fs->table_lock);
}

int gfs_inode_status(struct gfs_fs *fs, struct gfs_buf *out)
{
	size_t n;

	pthread_mutex_lock(&fs->table_lock);
	n = fs->fds_open + fs->handles;
	pthread_mutex_unlock(&fs->table_lock);
	return gfs_buf_addf(out,
			    "descriptors\t%zu\nreopens\t%llu\nstale\t%llu\n", n,
			    (unsigned long long)atomic_load(&fs->fd_reopens),
			    (unsigned long long)atomic_load(&fs->fd_stale));
}
