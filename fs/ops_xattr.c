/* Extended attributes, through /proc/self/fd since O_PATH fds lack them. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/xattr.h>

#include "fs_internal.h"

static void proc_path(const struct gfs_inode *inode, char *out, size_t size)
{
	snprintf(out, size, "/proc/self/fd/%d", inode->fd);
}

/* Replies to a get or list call with the size alone or the bytes. */
static void reply_sized(fuse_req_t req, size_t size,
			ssize_t (*fetch)(const char *path, const char *name,
					 char *buf, size_t size),
			const char *path, const char *name)
{
	char *buf = NULL;
	ssize_t n;

	if (size) {
		buf = malloc(size);
		if (!buf) {
			fuse_reply_err(req, ENOMEM);
			return;
		}
	}
	n = fetch(path, name, buf, size);
	if (n < 0)
		fuse_reply_err(req, errno);
	else if (size)
		fuse_reply_buf(req, buf, (size_t)n);
	else
		fuse_reply_xattr(req, (size_t)n);
	free(buf);
}

static ssize_t fetch_get(const char *path, const char *name, char *buf,
			 size_t size)
{
	return getxattr(path, name, buf, size);
}

static ssize_t fetch_list(const char *path, const char *name, char *buf,
			  size_t size)
{
	(void)name;
	return listxattr(path, buf, size);
}

static void op_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
			size_t size)
{
	struct gfs_fs *fs = gfs_fs_of(req);
	struct gfs_inode *inode = gfs_inode_get(fs, ino);
	char path[64];

	if (S_ISLNK(inode->type)) {
		fuse_reply_err(req, ENODATA);
		return;
	}
	proc_path(inode, path, sizeof(path));
	reply_sized(req, size, fetch_get, path, name);
}

static void op_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size)
{
	struct gfs_fs *fs = gfs_fs_of(req);
	struct gfs_inode *inode = gfs_inode_get(fs, ino);
	char path[64];

	if (S_ISLNK(inode->type)) {
		if (size)
			fuse_reply_buf(req, NULL, 0);
		else
			fuse_reply_xattr(req, 0);
		return;
	}
	proc_path(inode, path, sizeof(path));
	reply_sized(req, size, fetch_list, path, NULL);
}

/*
 * Sets (value non-NULL) or removes xattr name of inode, as one operation
 * through the guard. Symlinks carry none the caller may change.
 */
static void change_xattr(fuse_req_t req, fuse_ino_t ino, const char *name,
			 const char *value, size_t size, int flags)
{
	struct gfs_fs *fs = gfs_fs_of(req);
	struct gfs_inode *inode = gfs_inode_get(fs, ino);
	struct gfs_buf path = GFS_BUF_INIT;
	char proc[64];
	struct gfs_op op;
	int rc;

	gfs_op_init(&op, req, value ? GFS_OP_SETXATTR : GFS_OP_REMOVEXATTR);
	gfs_inode_path(fs, inode, &path);
	op.path = path.data;
	rc = S_ISLNK(inode->type) ? -EPERM : gfs_op_begin(fs, &op);
	if (!rc) {
		proc_path(inode, proc, sizeof(proc));
		if (value ? setxattr(proc, name, value, size, flags)
			  : removexattr(proc, name))
			rc = -errno;
	}
	gfs_op_end(fs, &op, rc);
	gfs_buf_release(&path);
	fuse_reply_err(req, -rc);
}

static void op_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
			const char *value, size_t size, int flags)
{
	/* an empty value is still a value */
	change_xattr(req, ino, name, value ? value : "", size, flags);
}

static void op_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name)
{
	change_xattr(req, ino, name, NULL, 0, 0);
}

void gfs_ops_xattr_fill(struct fuse_lowlevel_ops *ops)
{
	ops->getxattr = op_getxattr;
	ops->listxattr = op_listxattr;
	ops->setxattr = op_setxattr;
	ops->removexattr = op_removexattr;
}
