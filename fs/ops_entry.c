/* Operations on names: lookup, attributes, create and remove entries. */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fs_internal.h"

void gfs_fs_fill_entry(struct gfs_fs *fs, struct fuse_entry_param *e,
		       struct gfs_inode *inode, const struct stat *st)
{
	memset(e, 0, sizeof(*e));
	e->ino = (uintptr_t)inode;
	e->attr = *st;
	e->attr_timeout = fs->attr_timeout;
	e->entry_timeout = fs->entry_timeout;
	/*
	 * An open names only the inode, and the inode table keeps its last
	 * name. For a file with several names, the kernel asks again at
	 * every use, so that last name is the one the caller used (audit).
	 */
	if (!S_ISDIR(st->st_mode) && st->st_nlink > 1)
		e->entry_timeout = 0;
}

/*
 * The stat of name under parent, and, unless the lookup may go without
 * one, an O_PATH fd of the very inode stat describes (-1 in *fd if not).
 */
static int stat_child(struct gfs_inode *parent, const char *name,
		      unsigned flags, struct stat *st, int *fd)
{
	*fd = -1;
	/*
	 * A listed regular file goes without a descriptor: most names a
	 * listing returns are only looked at (find, ls -l, rm -rf), and an
	 * fd opened here would be closed again by the budget's LRU after
	 * thousands more. A request that uses the file later opens it by
	 * name, checked against this (dev, ino, type) (inode.c): the same
	 * way as an inode whose fd the budget closed.
	 */
	if (flags & GFS_LOOKUP_LISTED) {
		if (fstatat(parent->fd, name, st, AT_SYMLINK_NOFOLLOW))
			return -errno;
		if (S_ISREG(st->st_mode))
			return 0;
	}
	*fd = openat(parent->fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (*fd < 0)
		return -errno;
	if (fstatat(*fd, "", st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW)) {
		int rc = -errno;

		close(*fd);
		*fd = -1;
		return rc;
	}
	return 0;
}

int gfs_fs_do_lookup(struct gfs_fs *fs, fuse_req_t req,
		     struct gfs_inode *parent, const char *name,
		     struct fuse_entry_param *e, unsigned flags)
{
	struct gfs_buf path = GFS_BUF_INIT;
	const char *rule = NULL;
	struct gfs_inode *inode;
	struct stat st;
	int fd, rc;

	memset(e, 0, sizeof(*e));
	rc = gfs_inode_child_path(fs, parent, name, &path);
	if (rc)
		goto out;
	rc = stat_child(parent, name, flags, &st, &fd);
	if (rc)
		goto out;
	rc = gfs_guard_visible(fs, parent, path.data, &st, &rule);
	if (rc) {
		if (fd >= 0)
			close(fd);
		if (flags & GFS_LOOKUP_AUDIT) {
			struct gfs_op op;

			gfs_op_init(&op, req, GFS_OP_LOOKUP);
			op.path = path.data;
			op.rule = rule;
			gfs_op_end(fs, &op, rc);
		}
		goto out;
	}
	inode = gfs_inode_remember(fs, parent, name, fd, &st);
	if (!inode) {
		rc = -errno;
		goto out;
	}
	gfs_fs_fill_entry(fs, e, inode, &st);
out:
	gfs_buf_release(&path);
	return rc;
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct gfs_fs *fs = gfs_fs_of(req);
	struct fuse_entry_param e;
	int rc;

	rc = gfs_fs_do_lookup(fs, req, gfs_inode_get(fs, parent), name, &e,
			      GFS_LOOKUP_AUDIT);
	if (rc == -ENOENT) {
		/*
		 * A negative entry lets the kernel answer the next lookup of
		 * this name itself: compilers and git probe many missing
		 * names, and a hidden name must look just as missing.
		 */
		memset(&e, 0, sizeof(e));
		e.entry_timeout = fs->entry_timeout;
		fuse_reply_entry(req, &e);
		return;
	}
	if (rc)
		fuse_reply_err(req, -rc);
	else
		fuse_reply_entry(req, &e);
}

static void op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	struct gfs_fs *fs = gfs_fs_of(req);

	gfs_inode_forget(fs, gfs_inode_get(fs, ino), nlookup);
	fuse_reply_none(req);
}

static void op_forget_multi(fuse_req_t req, size_t count,
			    struct fuse_forget_data *forgets)
{
	struct gfs_fs *fs = gfs_fs_of(req);
	size_t i;

	for (i = 0; i < count; i++)
		gfs_inode_forget(fs, gfs_inode_get(fs, forgets[i].ino),
				 forgets[i].nlookup);
	fuse_reply_none(req);
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino,
		       struct fuse_file_info *fi)
{
	struct gfs_fs *fs = gfs_fs_of(req);
	struct gfs_inode *inode = gfs_inode_get(fs, ino);
	struct stat st;

	(void)fi;
	if (fstatat(inode->fd, "", &st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW)) {
		fuse_reply_err(req, errno);
		return;
	}
	fuse_reply_attr(req, &st, fs->attr_timeout);
}

/* Truncates the inode's file through a fresh descriptor or the handle's. */
/*
 * Cutting a file short through the mount must not make the part of a
 * credential that is left readable: a file about to be shortened is
 * scanned first, so that a credential in it taints it (see gfs_scan_fd);
 * a file emptied loses its taint.
 */
static void taint_around_truncate(struct gfs_fs *fs, struct gfs_inode *inode,
				  const char *path, off_t size, bool after)
{
	struct gfs_verdict verdict;
	struct stat st;
	int fd;

	if (!fs->guards.verdicts || !S_ISREG(inode->type) ||
	    fstatat(inode->fd, "", &st, AT_EMPTY_PATH))
		return;
	if (after) {
		if (!st.st_size)
			gfs_verdict_untaint(fs->guards.verdicts, &st);
		return;
	}
	if (!size || size >= st.st_size ||
	    gfs_guards_scan_allowed(&fs->guards, path))
		return;
	fd = gfs_guard_reopen(fs, inode, O_RDONLY);
	if (fd < 0)
		return;
	gfs_scan_fd(fs->guards.scanner, fs->guards.verdicts, fd,
		    fs->cfg->scan_max_size, &verdict);
	close(fd);
}

static int truncate_inode(struct gfs_fs *fs, struct gfs_inode *inode,
			  struct fuse_file_info *fi, off_t size)
{
	int fd, rc = 0;

	if (fi) {
		struct gfs_handle *h = (struct gfs_handle *)(uintptr_t)fi->fh;

		return ftruncate(h->fd, size) ? -errno : 0;
	}
	fd = gfs_guard_reopen(fs, inode, O_WRONLY);
	if (fd < 0)
		return fd;
	if (ftruncate(fd, size))
		rc = -errno;
	close(fd);
	return rc;
}

/*
 * A symlink's own times can only be set by name, with AT_SYMLINK_NOFOLLOW
 * from its directory; the O_PATH fd cannot be used for it. The parent is
 * held (its fd open, see scope.c), and the name must still be the link.
 */
static int set_symlink_times(struct gfs_fs *fs, struct gfs_inode *inode,
			     const struct timespec tv[2])
{
	struct gfs_inode *parent;
	struct stat st;
	char *name;
	int rc;

	if (gfs_inode_name(fs, inode, &parent, &name))
		return -ENOMEM;
	rc = gfs_inode_hold(fs, parent);
	if (rc)
		goto out;
	if (fstatat(parent->fd, name, &st, AT_SYMLINK_NOFOLLOW))
		rc = -errno;
	else if (st.st_dev != inode->dev || st.st_ino != inode->ino)
		rc = -ESTALE;
	else if (utimensat(parent->fd, name, tv, AT_SYMLINK_NOFOLLOW))
		rc = -errno;
	gfs_inode_drop(fs, parent);
out:
	gfs_inode_unpin(fs, parent);
	free(name);
	return rc;
}

static int set_times(struct gfs_fs *fs, struct gfs_inode *inode,
		     const struct stat *attr, int valid,
		     struct fuse_file_info *fi)
{
	struct timespec tv[2] = {{0, UTIME_OMIT}, {0, UTIME_OMIT}};
	char name[32];

	if (valid & FUSE_SET_ATTR_ATIME_NOW)
		tv[0].tv_nsec = UTIME_NOW;
	else if (valid & FUSE_SET_ATTR_ATIME)
		tv[0] = attr->st_atim;
	if (valid & FUSE_SET_ATTR_MTIME_NOW)
		tv[1].tv_nsec = UTIME_NOW;
	else if (valid & FUSE_SET_ATTR_MTIME)
		tv[1] = attr->st_mtim;
	if (fi) {
		struct gfs_handle *h = (struct gfs_handle *)(uintptr_t)fi->fh;

		return futimens(h->fd, tv) ? -errno : 0;
	}
	if (S_ISLNK(inode->type))
		return set_symlink_times(fs, inode, tv);
	snprintf(name, sizeof(name), "%d", inode->fd);
	return utimensat(fs->proc_self_fd, name, tv, 0) ? -errno : 0;
}

static void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr,
		       int valid, struct fuse_file_info *fi)
{
	struct gfs_fs *fs = gfs_fs_of(req);
	struct gfs_inode *inode = gfs_inode_get(fs, ino);
	struct gfs_buf path = GFS_BUF_INIT;
	bool changes_content = valid & FUSE_SET_ATTR_SIZE;
	bool changes_mode = valid & FUSE_SET_ATTR_MODE;
	struct gfs_op op;
	/*
	 * With the writeback cache the kernel itself sends the times of
	 * writes it buffered, marked by CTIME; they belong to the write
	 * session, which is audited at release, not to a request of their
	 * own.
	 */
	bool kernel_flush =
		(valid & FUSE_SET_ATTR_CTIME) &&
		!(valid & ~(FUSE_SET_ATTR_CTIME | FUSE_SET_ATTR_MTIME |
			    FUSE_SET_ATTR_ATIME));
	char name[32];
	struct stat st;
	int rc = 0;

	snprintf(name, sizeof(name), "%d", inode->fd);
	gfs_inode_path(fs, inode, &path);
	gfs_op_init(&op, req,
		    changes_content ? GFS_OP_TRUNCATE
		    : changes_mode  ? GFS_OP_CHMOD
				    : GFS_OP_SETATTR);
	op.path = path.data;
	op.ino = S_ISREG(inode->type) ? inode->ino : 0;
	op.quiet = kernel_flush;
	/* A chmod destroys no bytes: no capture of a file being written. */
	op.store_flags = changes_content ? 0 : GFS_STORE_METADATA;
	rc = gfs_op_begin(fs, &op);
	if (rc)
		goto out;
	if (changes_mode &&
	    fchmodat(fs->proc_self_fd, name, attr->st_mode & 07777, 0)) {
		rc = -errno;
		goto out;
	}
	op.done = changes_mode;
	if (valid & (FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID)) {
		uid_t uid =
			valid & FUSE_SET_ATTR_UID ? attr->st_uid : (uid_t)-1;
		gid_t gid =
			valid & FUSE_SET_ATTR_GID ? attr->st_gid : (gid_t)-1;

		if (fchownat(inode->fd, "", uid, gid,
			     AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW)) {
			rc = -errno;
			goto out;
		}
	}
	if (changes_content) {
		taint_around_truncate(fs, inode, path.data, attr->st_size,
				      false);
		rc = truncate_inode(fs, inode, fi, attr->st_size);
		if (rc)
			goto out;
		op.done = true;
		taint_around_truncate(fs, inode, path.data, attr->st_size,
				      true);
	}
	if (valid & (FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_MTIME |
		     FUSE_SET_ATTR_ATIME_NOW | FUSE_SET_ATTR_MTIME_NOW)) {
		rc = set_times(fs, inode, attr, valid, fi);
		if (rc)
			goto out;
	}
out:
	gfs_op_end(fs, &op, rc);
	gfs_buf_release(&path);
	if (rc) {
		fuse_reply_err(req, -rc);
		return;
	}
	if (fstatat(inode->fd, "", &st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW))
		fuse_reply_err(req, errno);
	else
		fuse_reply_attr(req, &st, fs->attr_timeout);
}

/*
 * The kernel follows a symlink by asking for its target here (or from
 * its cache of it, which a move that may matter drops). The link was
 * judged where it was looked up; judging its text again where it is now
 * keeps a link the kernel still holds from leading out after a move.
 */
static void op_readlink(fuse_req_t req, fuse_ino_t ino)
{
	struct gfs_fs *fs = gfs_fs_of(req);
	struct gfs_inode *inode = gfs_inode_get(fs, ino);
	struct gfs_buf path = GFS_BUF_INIT;
	char target[PATH_MAX + 1];
	ssize_t n;
	int rc = 0;

	n = readlinkat(inode->fd, "", target, sizeof(target));
	if (n < 0)
		rc = -errno;
	else if (n == (ssize_t)sizeof(target))
		rc = -ENAMETOOLONG;
	if (rc) {
		fuse_reply_err(req, -rc);
		return;
	}
	target[n] = '\0';
	rc = gfs_inode_path(fs, inode, &path);
	if (!rc && gfs_policy_link_target(fs->guards.policy,
					  path.data ? path.data : "",
					  target) == GFS_LINK_OUT) {
		struct gfs_op op;

		gfs_op_init(&op, req, GFS_OP_READLINK);
		op.path = path.data;
		op.path2 = target;
		op.rule = gfs_rule_escaping_symlink;
		rc = -ENOENT;
		gfs_op_end(fs, &op, rc);
	}
	gfs_buf_release(&path);
	if (rc)
		fuse_reply_err(req, -rc);
	else
		fuse_reply_readlink(req, target);
}

/* What to create in make_entry. */
struct new_entry {
	enum gfs_op_kind kind;
	mode_t mode;
	dev_t rdev;
	const char *link_target; /* symlinks */
};

/* Makes the entry as the caller would (caller.c): its umask and owner. */
static int create_on_disk(struct gfs_fs *fs, fuse_req_t req,
			  struct gfs_inode *parent, const char *name,
			  const struct new_entry *what)
{
	struct gfs_caller saved;
	int rc;

	rc = gfs_caller_begin(fs, req, &saved);
	if (rc)
		return rc;
	if (what->link_target)
		rc = symlinkat(what->link_target, parent->fd, name);
	else if (S_ISDIR(what->mode))
		rc = mkdirat(parent->fd, name, what->mode & 07777);
	else
		rc = mknodat(parent->fd, name, what->mode, what->rdev);
	rc = rc ? -errno : 0;
	gfs_caller_end(fs, &saved);
	return rc;
}

static void make_entry(fuse_req_t req, fuse_ino_t parent_ino, const char *name,
		       const struct new_entry *what)
{
	struct gfs_fs *fs = gfs_fs_of(req);
	struct gfs_inode *parent = gfs_inode_get(fs, parent_ino);
	struct gfs_buf path = GFS_BUF_INIT;
	struct fuse_entry_param e;
	struct gfs_op op;
	int rc;

	gfs_op_init(&op, req, what->kind);
	op.path2 = what->link_target;
	/* a link made while a move above it is judged would be missed */
	if (what->link_target)
		pthread_rwlock_rdlock(&fs->move_lock);
	rc = gfs_inode_child_path(fs, parent, name, &path);
	op.path = path.data;
	if (rc)
		goto out;
	rc = gfs_guard_may_add(fs, path.data, S_ISDIR(what->mode), &op.rule);
	if (rc)
		goto out;
	if (what->link_target &&
	    gfs_policy_link_target(fs->guards.policy, path.data,
				   what->link_target) == GFS_LINK_OUT) {
		op.rule = gfs_rule_escaping_symlink;
		rc = -EACCES;
		goto out;
	}
	rc = gfs_op_begin(fs, &op);
	if (rc)
		goto out;
	rc = create_on_disk(fs, req, parent, name, what);
	if (rc) {
		rc = gfs_guard_mask_hidden(fs, parent, name, path.data, rc,
					   &op.rule);
		goto out;
	}
	/*
	 * The lexical check cannot see through symlinks the target passes
	 * (a link to "dir/.." where dir is itself a link); resolving it for
	 * real catches those, and the link goes before anyone can use it.
	 */
	if (what->link_target && gfs_guard_escapes(fs, path.data)) {
		unlinkat(parent->fd, name, 0);
		op.rule = gfs_rule_escaping_symlink;
		rc = -EACCES;
		goto out;
	}
	/*
	 * The entry exists now: the store records it even when the lookup
	 * that answers the kernel fails (out of descriptors), so the log
	 * never lags the folder.
	 */
	op.done = true;
	rc = gfs_fs_do_lookup(fs, req, parent, name, &e, 0);
out:
	if (what->link_target)
		pthread_rwlock_unlock(&fs->move_lock);
	gfs_op_end(fs, &op, rc);
	gfs_buf_release(&path);
	if (rc)
		fuse_reply_err(req, -rc);
	else
		fuse_reply_entry(req, &e);
}

static void op_mknod(fuse_req_t req, fuse_ino_t parent, const char *name,
		     mode_t mode, dev_t rdev)
{
	struct new_entry what = {GFS_OP_MKNOD, mode, rdev, NULL};

	/* Device nodes would hand the agent raw hardware; refuse them. */
	if (!S_ISFIFO(mode) && !S_ISSOCK(mode) && !S_ISREG(mode)) {
		fuse_reply_err(req, EPERM);
		return;
	}
	if (S_ISREG(mode))
		what.kind = GFS_OP_CREATE;
	make_entry(req, parent, name, &what);
}

static void op_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name,
		     mode_t mode)
{
	struct new_entry what = {GFS_OP_MKDIR, S_IFDIR | mode, 0, NULL};

	make_entry(req, parent, name, &what);
}

static void op_symlink(fuse_req_t req, const char *target, fuse_ino_t parent,
		       const char *name)
{
	struct new_entry what = {GFS_OP_SYMLINK, S_IFLNK | 0777, 0, target};

	make_entry(req, parent, name, &what);
}

/* Shared by unlink and rmdir. */
static void remove_entry(fuse_req_t req, fuse_ino_t parent_ino,
			 const char *name, bool is_dir)
{
	struct gfs_fs *fs = gfs_fs_of(req);
	struct gfs_inode *parent = gfs_inode_get(fs, parent_ino);
	struct gfs_buf path = GFS_BUF_INIT;
	struct gfs_op op;
	struct stat st;
	int rc;

	gfs_op_init(&op, req, is_dir ? GFS_OP_RMDIR : GFS_OP_UNLINK);
	rc = gfs_inode_child_path(fs, parent, name, &path);
	op.path = path.data;
	if (rc)
		goto out;
	/* The kernel only names entries it looked up, but check anyway. */
	if (gfs_policy_hides(fs->guards.policy, path.data, is_dir, &op.rule)) {
		rc = -ENOENT;
		goto out;
	}
	/*
	 * rmdir succeeds only on an empty directory, whose files each went
	 * with their own unlink (and pre-image): it destroys no bytes, so it
	 * neither waits for those unlinks to be recorded nor captures, and
	 * like a chmod it is only refused when the store is broken.
	 */
	op.store_flags = is_dir ? GFS_STORE_METADATA : GFS_STORE_REMOVING;
	rc = gfs_op_begin(fs, &op);
	if (rc)
		goto out;
	/* what it was: the inode table forgets a file whose last name went */
	if (fstatat(parent->fd, name, &st, AT_SYMLINK_NOFOLLOW)) {
		rc = -errno;
		goto out;
	}
	if (unlinkat(parent->fd, name, is_dir ? AT_REMOVEDIR : 0)) {
		rc = -errno;
		goto out;
	}
	op.done = true;
	gfs_inode_unlinked(fs, &st);
out:
	gfs_op_end(fs, &op, rc);
	gfs_buf_release(&path);
	fuse_reply_err(req, -rc);
}

static void op_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	remove_entry(req, parent, name, false);
}

static void op_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	remove_entry(req, parent, name, true);
}

/*
 * Queues a kernel invalidation for a cached entry a rename now hides, and
 * (when *arg: a move too large to judge its symlinks) for every cached
 * symlink below and its cached target, so each is judged again where it
 * now is at its next lookup or readlink.
 */
static void hide_if_denied(struct gfs_fs *fs, struct gfs_inode *inode,
			   const char *path, void *arg)
{
	bool relink = *(bool *)arg && S_ISLNK(inode->type);

	if (relink || gfs_policy_hides(fs->guards.policy, path,
				       S_ISDIR(inode->type), NULL))
		gfs_guard_queue_inval(fs,
				      inode->parent == &fs->root
					      ? FUSE_ROOT_ID
					      : (uintptr_t)inode->parent,
				      inode->name);
	if (relink)
		gfs_guard_queue_inval_inode(fs, (uintptr_t)inode);
}

/* After a rename, points the moved inode's record at its new name. */
static void follow_rename(struct gfs_fs *fs, struct gfs_inode *dir,
			  const char *name, bool links_unchecked)
{
	struct gfs_inode *moved;
	struct stat st;

	if (fstatat(dir->fd, name, &st, AT_SYMLINK_NOFOLLOW))
		return;
	moved = gfs_inode_find(fs, st.st_dev, st.st_ino);
	if (!moved)
		return;
	gfs_inode_rename(fs, moved, dir, name);
	if (S_ISDIR(st.st_mode))
		gfs_inode_each_below(fs, moved, hide_if_denied,
				     &links_unchecked);
}

static int entry_is_dir(struct gfs_inode *dir, const char *name, bool *exists,
			struct stat *st)
{
	*exists = !fstatat(dir->fd, name, st, AT_SYMLINK_NOFOLLOW);
	return *exists && S_ISDIR(st->st_mode);
}

/*
 * Judges what the move (and, for an exchange, the move back) would
 * expose; see gfs_move_check. Sets *rule and *detail on a refusal.
 */
static int check_moves(struct gfs_fs *fs, struct gfs_inode *parent,
		       const char *name, struct gfs_inode *newparent,
		       const char *newname, const char *from, const char *to,
		       bool exchange, unsigned flags,
		       struct gfs_move_verdict *mv, bool *links_unchecked)
{
	int rc = gfs_move_check(fs, parent, name, from, to, flags, mv);

	*links_unchecked = mv->links_unchecked;
	if (!rc && exchange) {
		rc = gfs_move_check(fs, newparent, newname, to, from, flags,
				    mv);
		*links_unchecked |= mv->links_unchecked;
	}
	return rc;
}

static void op_rename(fuse_req_t req, fuse_ino_t parent_ino, const char *name,
		      fuse_ino_t newparent_ino, const char *newname,
		      unsigned int flags)
{
	struct gfs_fs *fs = gfs_fs_of(req);
	struct gfs_inode *parent = gfs_inode_get(fs, parent_ino);
	struct gfs_inode *newparent = gfs_inode_get(fs, newparent_ino);
	struct gfs_buf from = GFS_BUF_INIT, to = GFS_BUF_INIT;
	struct gfs_move_verdict mv = {.below = GFS_BUF_INIT};
	bool exchange = flags & RENAME_EXCHANGE;
	bool src_exists, dst_exists, src_dir, dst_dir;
	struct stat src_st, dst_st;
	bool exclusive = false, locked = false, links_unchecked = false;
	struct gfs_op op;
	int rc;

	gfs_op_init(&op, req, exchange ? GFS_OP_EXCHANGE : GFS_OP_RENAME);
	if (flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE)) {
		rc = -EINVAL;
		goto out;
	}
again:
	if (exclusive)
		pthread_rwlock_wrlock(&fs->move_lock);
	else
		pthread_rwlock_rdlock(&fs->move_lock);
	locked = true;
	gfs_buf_reset(&from);
	gfs_buf_reset(&to);
	rc = gfs_inode_child_path(fs, parent, name, &from);
	if (!rc)
		rc = gfs_inode_child_path(fs, newparent, newname, &to);
	op.path = from.data;
	op.path2 = to.data;
	if (rc)
		goto out;
	src_dir = entry_is_dir(parent, name, &src_exists, &src_st);
	dst_dir = entry_is_dir(newparent, newname, &dst_exists, &dst_st);
	/* Nothing may move to a hidden name, nor a hidden one move out. */
	if (gfs_policy_hides(fs->guards.policy, from.data, src_dir, &op.rule)) {
		rc = -EACCES;
		goto out;
	}
	rc = gfs_guard_may_create(fs, to.data, src_dir, &op.rule);
	if (!rc && exchange)
		rc = gfs_guard_may_create(fs, from.data, dst_dir, &op.rule);
	if (rc)
		goto out;
	/* Nor may anything it carries become visible or lead out. */
	rc = check_moves(fs, parent, name, newparent, newname, from.data,
			 to.data, exchange,
			 (exclusive ? GFS_MOVE_EXCLUSIVE : 0) |
				 (gfs_guard_in_group(fs, fuse_req_ctx(req)->pid)
					  ? GFS_MOVE_RESTORE
					  : 0),
			 &mv, &links_unchecked);
	if (rc == -EAGAIN) {
		pthread_rwlock_unlock(&fs->move_lock);
		exclusive = true;
		goto again;
	}
	if (rc) {
		if (mv.rule[0])
			op.rule = mv.rule;
		op.detail = mv.below.data;
		goto out;
	}
	/* Both names go away as they were: large files may be linked aside. */
	op.store_flags = GFS_STORE_REMOVING | (src_dir ? GFS_STORE_SUBTREE : 0);
	op.before2 = dst_exists;
	op.store_flags2 =
		GFS_STORE_REMOVING | (dst_dir ? GFS_STORE_SUBTREE : 0);
	rc = gfs_op_begin(fs, &op);
	if (rc)
		goto out;
	if (renameat2(parent->fd, name, newparent->fd, newname, flags)) {
		rc = gfs_guard_mask_hidden(fs, newparent, newname, to.data,
					   -errno, &op.rule);
		goto out;
	}
	op.done = true;
	/* what it replaced lost a name (two names of one file: a no-op) */
	if (!exchange && dst_exists &&
	    (dst_st.st_ino != src_st.st_ino || dst_st.st_dev != src_st.st_dev))
		gfs_inode_unlinked(fs, &dst_st);
	follow_rename(fs, newparent, newname, links_unchecked);
	if (exchange)
		follow_rename(fs, parent, name, links_unchecked);
out:
	if (locked)
		pthread_rwlock_unlock(&fs->move_lock);
	gfs_op_end(fs, &op, rc);
	gfs_buf_release(&from);
	gfs_buf_release(&to);
	gfs_buf_release(&mv.below);
	fuse_reply_err(req, -rc);
}

static void op_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent_ino,
		    const char *newname)
{
	struct gfs_fs *fs = gfs_fs_of(req);
	struct gfs_inode *inode = gfs_inode_get(fs, ino);
	struct gfs_inode *newparent = gfs_inode_get(fs, newparent_ino);
	struct gfs_buf from = GFS_BUF_INIT, to = GFS_BUF_INIT;
	struct gfs_move_verdict mv = {.below = GFS_BUF_INIT};
	struct gfs_inode *old_parent = NULL;
	struct fuse_entry_param e;
	struct gfs_caller caller;
	char *old_name = NULL;
	bool exclusive = false;
	struct gfs_op op;
	struct stat st;
	char name[32];
	int rc;

	gfs_op_init(&op, req, GFS_OP_LINK);
again:
	if (exclusive)
		pthread_rwlock_wrlock(&fs->move_lock);
	else
		pthread_rwlock_rdlock(&fs->move_lock);
	gfs_buf_reset(&from);
	gfs_buf_reset(&to);
	rc = gfs_inode_path(fs, inode, &from);
	if (!rc)
		rc = gfs_inode_child_path(fs, newparent, newname, &to);
	op.path = from.data;
	op.path2 = to.data;
	if (rc)
		goto out;
	if (gfs_policy_hides(fs->guards.policy, from.data, false, &op.rule)) {
		rc = -EACCES;
		goto out;
	}
	rc = gfs_guard_may_create(fs, to.data, false, &op.rule);
	if (rc)
		goto out;
	/* A second name must not lead out, nor read what the first refuses. */
	rc = gfs_move_check_link(fs, inode, from.data, to.data,
				 exclusive ? GFS_MOVE_EXCLUSIVE : 0, &mv);
	if (rc == -EAGAIN) {
		pthread_rwlock_unlock(&fs->move_lock);
		exclusive = true;
		goto again;
	}
	if (rc) {
		if (mv.rule[0])
			op.rule = mv.rule;
		op.detail = mv.below.data;
		goto out;
	}
	rc = gfs_op_begin(fs, &op);
	if (rc)
		goto out;
	/* A single name the kernel caches for long: to ask again for it. */
	if (!fstat(inode->fd, &st) && st.st_nlink == 1 &&
	    gfs_inode_name(fs, inode, &old_parent, &old_name))
		old_parent = NULL;
	snprintf(name, sizeof(name), "%d", inode->fd);
	rc = gfs_caller_begin(fs, req, &caller);
	if (rc)
		goto out;
	if (S_ISLNK(inode->type))
		rc = linkat(inode->fd, "", newparent->fd, newname,
			    AT_EMPTY_PATH);
	else
		rc = linkat(fs->proc_self_fd, name, newparent->fd, newname,
			    AT_SYMLINK_FOLLOW);
	rc = rc ? -errno : 0;
	gfs_caller_end(fs, &caller);
	if (rc) {
		rc = gfs_guard_mask_hidden(fs, newparent, newname, to.data, rc,
					   &op.rule);
		goto out;
	}
	/* recorded even if the lookup that answers then fails (P5) */
	op.done = true;
	rc = gfs_fs_do_lookup(fs, req, newparent, newname, &e, 0);
	/*
	 * The file's first name now has a sibling: the kernel drops the
	 * cached entry (after this request, which holds the directory)
	 * and looks it up at its next use (see gfs_fs_fill_entry).
	 */
	if (!rc && old_parent)
		gfs_guard_queue_inval(fs,
				      old_parent == &fs->root
					      ? FUSE_ROOT_ID
					      : (uintptr_t)old_parent,
				      old_name);
out:
	pthread_rwlock_unlock(&fs->move_lock);
	if (old_parent) {
		gfs_inode_unpin(fs, old_parent);
		free(old_name);
	}
	gfs_op_end(fs, &op, rc);
	gfs_buf_release(&from);
	gfs_buf_release(&to);
	gfs_buf_release(&mv.below);
	if (rc)
		fuse_reply_err(req, -rc);
	else
		fuse_reply_entry(req, &e);
}

void gfs_ops_entry_fill(struct fuse_lowlevel_ops *ops)
{
	ops->lookup = op_lookup;
	ops->forget = op_forget;
	ops->forget_multi = op_forget_multi;
	ops->getattr = op_getattr;
	ops->setattr = op_setattr;
	ops->readlink = op_readlink;
	ops->mknod = op_mknod;
	ops->mkdir = op_mkdir;
	ops->symlink = op_symlink;
	ops->unlink = op_unlink;
	ops->rmdir = op_rmdir;
	ops->rename = op_rename;
	ops->link = op_link;
}
