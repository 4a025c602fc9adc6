/*
 * The request scope: what keeps an inode's descriptor open while a
 * handler uses it.
 *
 * The inode table closes the O_PATH fds of inodes nobody uses to stay
 * within its budget (inode.c). A handler reads inode->fd of the inodes
 * its request names (ino, parent, newparent) and passes it to *at()
 * calls; if another thread closed it meanwhile, the number could already
 * name another file. So every request holds those inodes from before its
 * handler runs until the handler returns: their fds stay open, and one
 * closed earlier is opened again (by name, checked) before the handler
 * sees it. The handlers stay as they are; each wrapper below knows which
 * of its arguments are inodes. Requests that use only an open file's
 * descriptor (read, write, fsync, ...) are not wrapped.
 *
 * An open file's descriptor counts against the same budget: open and
 * create take a place before their handler opens anything (so a full
 * budget refuses them with EMFILE before the file is touched), and give
 * it back when no file came of it or when the file is released.
 */

#include <errno.h>
#include <stdlib.h>

#include "fs_internal.h"

/* Not audited when refused here: reads (a lookup, a listing, ...). */
#define NO_AUDIT GFS_OP_KINDS

/*
 * A request refused before its handler ran: no descriptor to reach its
 * inode. Mutations are audited like any other refusal of them; nothing
 * changed, so the store lists nothing.
 */
static void refuse(fuse_req_t req, enum gfs_op_kind kind, struct gfs_inode *dir,
		   const char *name, int rc)
{
	struct gfs_fs *fs = gfs_fs_of(req);

	if (kind != NO_AUDIT) {
		struct gfs_buf path = GFS_BUF_INIT;
		struct gfs_op op;

		if (name)
			gfs_inode_child_path(fs, dir, name, &path);
		else
			gfs_inode_path(fs, dir, &path);
		gfs_op_init(&op, req, kind);
		op.path = path.data ? path.data : "";
		op.detail = "descriptors";
		gfs_op_end(fs, &op, rc);
		gfs_buf_release(&path);
	}
	fuse_reply_err(req, -rc);
}

/* Holds the inode ino names, or replies the error (op: audit it). */
static struct gfs_inode *hold(fuse_req_t req, fuse_ino_t ino,
			      enum gfs_op_kind kind, const char *name)
{
	struct gfs_fs *fs = gfs_fs_of(req);
	struct gfs_inode *inode = gfs_inode_get(fs, ino);
	int rc = gfs_inode_hold(fs, inode);

	if (rc) {
		refuse(req, kind, inode, name, rc);
		return NULL;
	}
	return inode;
}

/*
 * One wrapper per operation whose handler uses the fd of one inode
 * (held for the handler's length); kind is audited when the hold fails,
 * unless NO_AUDIT. The request is gone once the handler
 * replied: fs is taken before.
 */
#define SCOPED(opname, kind, ino_arg, name_arg, params, args)                  \
	static void scoped_##opname params                                     \
	{                                                                      \
		struct gfs_fs *fs = gfs_fs_of(req);                            \
		struct gfs_inode *held = hold(req, ino_arg, kind, name_arg);   \
                                                                               \
		if (!held)                                                     \
			return;                                                \
		fs->inner_ops.opname args;                                     \
		gfs_inode_drop(fs, held);                                      \
	}

SCOPED(lookup, NO_AUDIT, parent, name,
       (fuse_req_t req, fuse_ino_t parent, const char *name),
       (req, parent, name))
SCOPED(getattr, NO_AUDIT, ino, NULL,
       (fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi),
       (req, ino, fi))
SCOPED(setattr, GFS_OP_SETATTR, ino, NULL,
       (fuse_req_t req, fuse_ino_t ino, struct stat *attr, int valid,
	struct fuse_file_info *fi),
       (req, ino, attr, valid, fi))
SCOPED(readlink, NO_AUDIT, ino, NULL, (fuse_req_t req, fuse_ino_t ino),
       (req, ino))
SCOPED(mknod, GFS_OP_MKNOD, parent, name,
       (fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
	dev_t rdev),
       (req, parent, name, mode, rdev))
SCOPED(mkdir, GFS_OP_MKDIR, parent, name,
       (fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode),
       (req, parent, name, mode))
SCOPED(symlink, GFS_OP_SYMLINK, parent, name,
       (fuse_req_t req, const char *target, fuse_ino_t parent,
	const char *name),
       (req, target, parent, name))
SCOPED(unlink, GFS_OP_UNLINK, parent, name,
       (fuse_req_t req, fuse_ino_t parent, const char *name),
       (req, parent, name))
SCOPED(rmdir, GFS_OP_RMDIR, parent, name,
       (fuse_req_t req, fuse_ino_t parent, const char *name),
       (req, parent, name))
SCOPED(readdir, NO_AUDIT, ino, NULL,
       (fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
	struct fuse_file_info *fi),
       (req, ino, size, off, fi))
SCOPED(readdirplus, NO_AUDIT, ino, NULL,
       (fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
	struct fuse_file_info *fi),
       (req, ino, size, off, fi))
SCOPED(fsyncdir, NO_AUDIT, ino, NULL,
       (fuse_req_t req, fuse_ino_t ino, int datasync,
	struct fuse_file_info *fi),
       (req, ino, datasync, fi))
SCOPED(setxattr, GFS_OP_SETXATTR, ino, NULL,
       (fuse_req_t req, fuse_ino_t ino, const char *name, const char *value,
	size_t size, int flags),
       (req, ino, name, value, size, flags))
SCOPED(getxattr, NO_AUDIT, ino, NULL,
       (fuse_req_t req, fuse_ino_t ino, const char *name, size_t size),
       (req, ino, name, size))
SCOPED(listxattr, NO_AUDIT, ino, NULL,
       (fuse_req_t req, fuse_ino_t ino, size_t size), (req, ino, size))
SCOPED(removexattr, GFS_OP_REMOVEXATTR, ino, NULL,
       (fuse_req_t req, fuse_ino_t ino, const char *name), (req, ino, name))

static void scoped_rename(fuse_req_t req, fuse_ino_t parent, const char *name,
			  fuse_ino_t newparent, const char *newname,
			  unsigned int flags)
{
	struct gfs_fs *fs = gfs_fs_of(req);
	struct gfs_inode *from = hold(req, parent, GFS_OP_RENAME, name), *to;

	if (!from)
		return;
	to = hold(req, newparent, GFS_OP_RENAME, newname);
	if (to) {
		fs->inner_ops.rename(req, parent, name, newparent, newname,
				     flags);
		gfs_inode_drop(fs, to);
	}
	gfs_inode_drop(fs, from);
}

static void scoped_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent,
			const char *newname)
{
	struct gfs_fs *fs = gfs_fs_of(req);
	struct gfs_inode *inode = hold(req, ino, GFS_OP_LINK, NULL), *to;

	if (!inode)
		return;
	to = hold(req, newparent, GFS_OP_LINK, newname);
	if (to) {
		fs->inner_ops.link(req, ino, newparent, newname);
		gfs_inode_drop(fs, to);
	}
	gfs_inode_drop(fs, inode);
}

/* Takes the open file's place in the budget, or replies EMFILE. */
static bool handle_begin(fuse_req_t req, enum gfs_op_kind kind,
			 struct gfs_inode *inode, const char *name)
{
	int rc = gfs_inode_handle_begin(gfs_fs_of(req));

	if (rc)
		refuse(req, kind, inode, name, rc);
	return rc == 0;
}

/*
 * libfuse zeroes fi before the handler, which sets fh only when it made a
 * handle; fi outlives the reply (it is on libfuse's stack).
 */
static void handle_end_unless_opened(struct gfs_fs *fs,
				     const struct fuse_file_info *fi)
{
	if (!fi->fh)
		gfs_inode_handle_end(fs);
}

static void scoped_open(fuse_req_t req, fuse_ino_t ino,
			struct fuse_file_info *fi)
{
	struct gfs_fs *fs = gfs_fs_of(req);
	struct gfs_inode *inode = hold(req, ino, GFS_OP_OPEN, NULL);

	if (!inode)
		return;
	if (handle_begin(req, GFS_OP_OPEN, inode, NULL)) {
		fs->inner_ops.open(req, ino, fi);
		handle_end_unless_opened(fs, fi);
	}
	gfs_inode_drop(fs, inode);
}

static void scoped_create(fuse_req_t req, fuse_ino_t parent, const char *name,
			  mode_t mode, struct fuse_file_info *fi)
{
	struct gfs_fs *fs = gfs_fs_of(req);
	struct gfs_inode *dir = hold(req, parent, GFS_OP_CREATE, name);

	if (!dir)
		return;
	if (handle_begin(req, GFS_OP_CREATE, dir, name)) {
		fs->inner_ops.create(req, parent, name, mode, fi);
		handle_end_unless_opened(fs, fi);
	}
	gfs_inode_drop(fs, dir);
}

static void scoped_release(fuse_req_t req, fuse_ino_t ino,
			   struct fuse_file_info *fi)
{
	struct gfs_fs *fs = gfs_fs_of(req);

	fs->inner_ops.release(req, ino, fi);
	gfs_inode_handle_end(fs);
}

#define WRAP(opname)                                                           \
	do {                                                                   \
		if (ops->opname)                                               \
			ops->opname = scoped_##opname;                         \
	} while (0)

void gfs_scope_wrap(struct gfs_fs *fs, struct fuse_lowlevel_ops *ops)
{
	fs->inner_ops = *ops;
	WRAP(lookup);
	WRAP(getattr);
	WRAP(setattr);
	WRAP(readlink);
	WRAP(mknod);
	WRAP(mkdir);
	WRAP(symlink);
	WRAP(unlink);
	WRAP(rmdir);
	WRAP(rename);
	WRAP(link);
	WRAP(open);
	WRAP(create);
	WRAP(release);
	WRAP(readdir);
	WRAP(readdirplus);
	WRAP(fsyncdir);
	WRAP(setxattr);
	WRAP(getxattr);
	WRAP(listxattr);
	WRAP(removexattr);
}
