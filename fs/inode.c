#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fs_internal.h"
#include "guardfs/util.h"

/* Inodes past fd_budget that creates racing past their check may add. */
#define INODE_SLACK 64

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

	while (inode && (inode->dev != dev || inode->ino != ino))
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

/*
 * Frees inode and walks up releasing parents that become unreferenced.
 * Called with table_lock held; the fds are returned in a list to close
 * after unlocking, so no syscall runs under the lock.
 */
static void release_locked(struct gfs_fs *fs, struct gfs_inode *inode, int *fds,
			   size_t *nfds, size_t max_fds)
{
	while (inode && inode != &fs->root && inode->nlookup == 0 &&
	       inode->pins == 0) {
		struct gfs_inode *parent = inode->parent;

		unlink_locked(fs, inode);
		if (*nfds < max_fds)
			fds[(*nfds)++] = inode->fd;
		else
			close(inode->fd); /* rare: deep chains */
		free(inode->name);
		free(inode);
		if (parent)
			parent->pins--;
		inode = parent;
	}
}

#define RELEASE_FDS 16

static void close_all(const int *fds, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		close(fds[i]);
}

struct gfs_inode *gfs_inode_remember(struct gfs_fs *fs,
				     struct gfs_inode *parent, const char *name,
				     int fd, const struct stat *st)
{
	struct gfs_inode *inode, *fresh, *old_parent = NULL;
	char *name_copy = strdup(name);
	int fds[RELEASE_FDS];
	size_t nfds = 0;

	fresh = calloc(1, sizeof(*fresh));
	if (!fresh || !name_copy) {
		free(fresh);
		free(name_copy);
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
		release_locked(fs, old_parent, fds, &nfds, RELEASE_FDS);
		pthread_mutex_unlock(&fs->table_lock);
		close_all(fds, nfds);
		free(fresh);
		close(fd);
		return inode;
	}
	/*
	 * A create checked for room before it made its file; the slack lets
	 * the few that raced past that check in, and stops lookups there.
	 */
	if (fs->fd_budget && fs->table_count >= fs->fd_budget + INODE_SLACK) {
		pthread_mutex_unlock(&fs->table_lock);
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
	if (++fs->table_count > fs->table_size * 2)
		grow_locked(fs);
	pthread_mutex_unlock(&fs->table_lock);
	return fresh;
}

int gfs_inode_room(struct gfs_fs *fs)
{
	bool full;

	if (!fs->fd_budget)
		return 0;
	pthread_mutex_lock(&fs->table_lock);
	full = fs->table_count >= fs->fd_budget;
	pthread_mutex_unlock(&fs->table_lock);
	return full ? -EMFILE : 0;
}

void gfs_inode_forget(struct gfs_fs *fs, struct gfs_inode *inode, uint64_t n)
{
	int fds[RELEASE_FDS];
	size_t nfds = 0;

	pthread_mutex_lock(&fs->table_lock);
	if (inode->nlookup < n)
		abort(); /* the kernel never forgets more than it looked up */
	inode->nlookup -= n;
	release_locked(fs, inode, fds, &nfds, RELEASE_FDS);
	pthread_mutex_unlock(&fs->table_lock);
	close_all(fds, nfds);
}

void gfs_inode_pin(struct gfs_fs *fs, struct gfs_inode *inode)
{
	pthread_mutex_lock(&fs->table_lock);
	inode->pins++;
	pthread_mutex_unlock(&fs->table_lock);
}

void gfs_inode_unpin(struct gfs_fs *fs, struct gfs_inode *inode)
{
	int fds[RELEASE_FDS];
	size_t nfds = 0;

	pthread_mutex_lock(&fs->table_lock);
	inode->pins--;
	release_locked(fs, inode, fds, &nfds, RELEASE_FDS);
	pthread_mutex_unlock(&fs->table_lock);
	close_all(fds, nfds);
}

void gfs_inode_rename(struct gfs_fs *fs, struct gfs_inode *inode,
		      struct gfs_inode *parent, const char *name)
{
	char *name_copy = strdup(name);
	struct gfs_inode *old_parent;
	int fds[RELEASE_FDS];
	size_t nfds = 0;

	if (!name_copy)
		return; /* keeps the old name; only paths in logs suffer */
	pthread_mutex_lock(&fs->table_lock);
	old_parent = set_name_locked(inode, parent, name_copy);
	release_locked(fs, old_parent, fds, &nfds, RELEASE_FDS);
	pthread_mutex_unlock(&fs->table_lock);
	close_all(fds, nfds);
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
