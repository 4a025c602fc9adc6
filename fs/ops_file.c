/* Operations on open files: open, create, read, write and friends. */

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fs_internal.h"

/* Numbers every handle (read_check.c tells them apart by it). */
static atomic_uint_fast64_t handle_serials;

static struct gfs_handle *handle_of(struct fuse_file_info *fi)
{
	return (struct gfs_handle *)(uintptr_t)fi->fh;
}

static bool opens_for_writing(int flags)
{
	return (flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC);
}

/*
 * With the writeback cache the kernel may read pages to complete partial
 * writes, through any handle, and it implements O_APPEND itself.
 *
 * O_DIRECT is the kernel's business too: it keeps its own cache out of an
 * O_DIRECT file's reads and writes either way. The daemon's descriptor
 * is read unaligned by the content scan and the pre-image, and becomes
 * the backing file of every open of the inode under passthrough, so it
 * never takes the flag (the real file's cache then serves the data, as
 * for any other open of it).
 */
static int adjust_flags(struct gfs_fs *fs, int flags)
{
	(void)fs;
	if ((flags & O_ACCMODE) == O_WRONLY)
		flags = (flags & ~O_ACCMODE) | O_RDWR;
	return flags & ~(O_APPEND | O_DIRECT);
}

/*
 * Refuses a file whose content holds a credential (P2) to opens that can
 * read; the verdict cache makes a reopen of an unchanged file cost one
 * fstat. A write-only open is never refused, but one that may overwrite
 * bytes in place (not O_APPEND) scans the file first, so that a
 * credential in it taints it: cutting one character out of a key must
 * not make the rest readable at the next open. When it scans, judged is
 * the file's stat the verdict belongs to (read_check.c starts there).
 */
static int check_content(struct gfs_fs *fs, const char *path, int fd, int flags,
			 struct stat *judged, struct gfs_verdict *verdict)
{
	bool write_only = (flags & O_ACCMODE) == O_WRONLY;
	int rc;

	if (!fs->guards.scanner || (write_only && (flags & O_APPEND)))
		return 0;
	if (gfs_guards_scan_allowed(&fs->guards, path))
		return 0;
	if (fstat(fd, judged))
		return write_only ? 0 : -errno;
	rc = gfs_scan_fd_as(fs->guards.scanner, fs->guards.verdicts, fd, judged,
			    fs->cfg->scan_max_size, verdict);
	if (write_only)
		return 0;
	if (rc < 0)
		return rc;
	return rc == 1 ? -EACCES : 0;
}

static struct gfs_handle *new_handle(struct gfs_fs *fs, fuse_req_t req,
				     struct gfs_inode *inode, int fd,
				     const char *path)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	struct gfs_handle *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	h->path = strdup(path);
	if (!h->path) {
		free(h);
		return NULL;
	}
	h->fd = fd;
	h->serial = atomic_fetch_add(&handle_serials, 1) + 1;
	h->pid = ctx->pid;
	h->uid = ctx->uid;
	h->inode = inode;
	if (gfs_guard_in_group(fs, ctx->pid)) {
		h->in_group = true;
		atomic_fetch_add(&fs->group_handles, 1);
	}
	h->action = gfs_action_of(fs, ctx->pid);
	gfs_inode_pin(fs, inode);
	pthread_mutex_lock(&fs->handles_lock);
	h->next = fs->open_handles;
	if (h->next)
		h->next->prev = h;
	fs->open_handles = h;
	pthread_mutex_unlock(&fs->handles_lock);
	return h;
}

static void free_handle(struct gfs_fs *fs, struct gfs_handle *h)
{
	pthread_mutex_lock(&fs->handles_lock);
	if (h->prev)
		h->prev->next = h->next;
	else
		fs->open_handles = h->next;
	if (h->next)
		h->next->prev = h->prev;
	pthread_mutex_unlock(&fs->handles_lock);
	gfs_passthrough_release(fs, h->inode, h->backing_id);
	if (h->in_group)
		atomic_fetch_sub(&fs->group_handles, 1);
	gfs_action_put(h->action);
	gfs_read_check_disarm(fs, h);
	close(h->fd);
	gfs_inode_unpin(fs, h->inode);
	free(h->path);
	free(h);
}

/*
 * Hands the file's data path to the kernel when passthrough is on. The
 * daemon then sees no reads or writes, so an open for writing is a write
 * session from the start; the store makes no commit if nothing changed.
 */
static void attach_backing(struct gfs_fs *fs, struct gfs_handle *h,
			   struct fuse_file_info *fi)
{
	int id = gfs_passthrough_acquire(fs, h->inode, h->fd);

	h->backing_id = id;
	h->written = id > 0 ? opens_for_writing(fi->flags)
			    : (fi->flags & O_TRUNC) != 0;
	/* its writes never reach us (kernel_writes.c, freeze_files.c) */
	if (id > 0 && opens_for_writing(fi->flags))
		gfs_kernel_writes_opened(fs, h);
	fi->fh = (uintptr_t)h;
	/*
	 * Every change to the folder comes through this mount, so the page
	 * cache stays valid from one open to the next. A passthrough open
	 * uses the real file's cache instead, and the kernel refuses the
	 * flag with it.
	 */
	fi->keep_cache = id == 0;
}

/* Sends the open or create reply, marked for passthrough when it is. */
static void reply_open(fuse_req_t req, struct fuse_file_info *fi,
		       const struct fuse_entry_param *created)
{
	gfs_passthrough_reply_with(handle_of(fi)->backing_id);
	if (created)
		fuse_reply_create(req, created, fi);
	else
		fuse_reply_open(req, fi);
	gfs_passthrough_reply_with(0);
}

/*
 * After waiting for an undo's hold (fs/hold.c): ESTALE when the file lost
 * its last name meanwhile (the undo renamed its own over it), so that the
 * kernel looks the name up again and opens the file that is there now,
 * instead of writing into one no name leads to.
 */
static int gone_while_held(int fd)
{
	struct stat st;

	if (fstat(fd, &st))
		return -errno;
	return st.st_nlink ? 0 : -ESTALE;
}

static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct gfs_fs *fs = gfs_fs_of(req);
	struct gfs_inode *inode = gfs_inode_get(fs, ino);
	struct gfs_buf path = GFS_BUF_INIT;
	bool writing = opens_for_writing(fi->flags);
	struct gfs_verdict verdict;
	struct gfs_handle *h;
	struct stat judged = {0}; /* set by check_content when it scans */
	struct gfs_op op;
	char rule[96];
	int fd = -1, rc;

	gfs_op_init(&op, req, GFS_OP_OPEN);
	rc = gfs_inode_path(fs, inode, &path);
	op.path = path.data;
	if (rc)
		goto out;
	rc = gfs_op_ask(fs, &op, false);
	if (rc < 0)
		goto out; /* EACCES, or EINTR: the caller gave up waiting */
	rc = 0;
	if (writing) {
		op.locks_file =
			(fi->flags & O_TRUNC) && !gfs_passthrough_active(fs);
		rc = gfs_op_begin(fs, &op);
		if (rc)
			goto out;
	}
	fd = gfs_guard_reopen(fs, inode, adjust_flags(fs, fi->flags));
	if (fd < 0) {
		rc = fd;
		goto out;
	}
	rc = op.held ? gone_while_held(fd) : 0;
	if (!rc)
		rc = check_content(fs, path.data, fd, fi->flags, &judged,
				   &verdict);
	/*
	 * A restore (the guardfs CLI itself, see gfs_guard_group) reads
	 * what it is about to replace, to compare it with the store's copy:
	 * it holds those bytes already.
	 */
	if (rc == -EACCES && gfs_guard_in_group(fs, op.pid))
		rc = 0;
	if (rc == -EACCES)
		op.rule = gfs_rule_secret(&verdict, rule, sizeof(rule));
	if (rc)
		goto out;
	h = new_handle(fs, req, inode, fd, path.data);
	if (!h) {
		rc = -ENOMEM;
		goto out;
	}
	fd = -1;
	attach_backing(fs, h, fi);
	gfs_read_check_arm(fs, h, fi->flags, &judged);
	op.detail = writing ? "write" : "read";
out:
	if (fd >= 0)
		close(fd);
	gfs_op_end(fs, &op, rc);
	gfs_buf_release(&path);
	if (rc)
		fuse_reply_err(req, -rc);
	else
		reply_open(req, fi, NULL);
}

static void op_create(fuse_req_t req, fuse_ino_t parent_ino, const char *name,
		      mode_t mode, struct fuse_file_info *fi)
{
	struct gfs_fs *fs = gfs_fs_of(req);
	struct gfs_inode *parent = gfs_inode_get(fs, parent_ino);
	struct gfs_buf path = GFS_BUF_INIT;
	struct gfs_inode *inode;
	struct fuse_entry_param e;
	struct gfs_caller caller;
	struct gfs_handle *h;
	struct gfs_op op;
	struct stat st;
	char rule[96];
	int fd = -1, rc;

	gfs_op_init(&op, req, GFS_OP_CREATE);
	rc = gfs_inode_child_path(fs, parent, name, &path);
	op.path = path.data;
	if (rc)
		goto out;
	rc = gfs_guard_may_add(fs, path.data, false, &op.rule);
	if (!rc)
		rc = gfs_op_ask(fs, &op, false);
	if (rc < 0)
		goto out;
	/* O_CREAT without O_EXCL may open and truncate an existing file. */
	rc = gfs_op_begin(fs, &op);
	if (rc)
		goto out;
	/* As the caller (caller.c): its umask, its file. */
	rc = gfs_caller_begin(fs, req, &caller);
	if (rc)
		goto out;
	fd = openat(parent->fd, name,
		    (adjust_flags(fs, fi->flags) | O_CREAT | O_NOFOLLOW |
		     O_CLOEXEC),
		    mode);
	rc = fd < 0 ? -errno : 0;
	gfs_caller_end(fs, &caller);
	if (fd < 0) {
		rc = gfs_guard_mask_hidden(fs, parent, name, path.data, rc,
					   &op.rule);
		goto out;
	}
	if (fstat(fd, &st)) {
		rc = -errno;
		goto out;
	}
	/*
	 * O_CREAT without O_EXCL opens a file that may already exist (a
	 * race with another process, or a dentry the kernel did not know):
	 * its content gets the same check as any open for reading. A new
	 * file may reuse a tainted file's inode number: it starts clean.
	 */
	if (st.st_size == 0)
		gfs_verdict_untaint(fs->guards.verdicts, &st);
	if (st.st_size > 0) {
		struct gfs_verdict verdict;

		/* st becomes the stat the verdict, and the read check, go by */
		rc = check_content(fs, path.data, fd, fi->flags, &st, &verdict);
		if (rc == -EACCES)
			op.rule = gfs_rule_secret(&verdict, rule, sizeof(rule));
		if (rc)
			goto out;
	}
	/* From here on a failure leaves the file behind: record it anyway. */
	op.done = true;
	{
		int path_fd = openat(parent->fd, name,
				     O_PATH | O_NOFOLLOW | O_CLOEXEC);
		struct stat check;

		if (path_fd < 0) {
			rc = -errno;
			goto out;
		}
		/* The name must still be the file we created and opened. */
		if (fstat(path_fd, &check) || check.st_ino != st.st_ino ||
		    check.st_dev != st.st_dev) {
			close(path_fd);
			rc = -EAGAIN;
			goto out;
		}
		inode = gfs_inode_remember(fs, parent, name, path_fd, &st);
	}
	if (!inode) {
		rc = -errno;
		goto out;
	}
	h = new_handle(fs, req, inode, fd, path.data);
	if (!h) {
		gfs_inode_forget(fs, inode, 1);
		rc = -ENOMEM;
		goto out;
	}
	fd = -1;
	attach_backing(fs, h, fi);
	gfs_read_check_arm(fs, h, fi->flags, &st);
	/* A new file is a write session even if nothing is written. */
	h->written = true;
	gfs_fs_fill_entry(fs, &e, inode, &st);
out:
	if (fd >= 0)
		close(fd);
	gfs_op_end(fs, &op, rc);
	gfs_buf_release(&path);
	if (rc)
		fuse_reply_err(req, -rc);
	else
		reply_open(req, fi, &e);
}

/*
 * A read of a handle whose file may have changed since its open: the
 * bytes are read between two checks (read_check.c), and sent only if the
 * file was clean before and after.
 */
static void read_checked(fuse_req_t req, struct gfs_handle *h, size_t size,
			 off_t off)
{
	struct gfs_fs *fs = gfs_fs_of(req);
	char *data = NULL;
	ssize_t n;
	int rc;

	rc = gfs_read_check(fs, req, h);
	if (rc)
		goto fail;
	data = malloc(size ? size : 1);
	if (!data) {
		rc = -ENOMEM;
		goto fail;
	}
	do
		n = pread(h->fd, data, size, off);
	while (n < 0 && errno == EINTR);
	rc = n < 0 ? -errno : gfs_read_check(fs, req, h);
	if (rc)
		goto fail;
	fuse_reply_buf(req, data, (size_t)n);
	free(data);
	return;
fail:
	free(data);
	fuse_reply_err(req, -rc);
}

static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	struct fuse_bufvec buf = FUSE_BUFVEC_INIT(size);
	struct gfs_handle *h = handle_of(fi);

	(void)ino;
	if (h->check.armed) {
		read_checked(req, h, size, off);
		return;
	}
	buf.buf[0].flags = FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK;
	buf.buf[0].fd = h->fd;
	buf.buf[0].pos = off;
	fuse_reply_data(req, &buf, FUSE_BUF_SPLICE_MOVE);
}

static void op_write_buf(fuse_req_t req, fuse_ino_t ino,
			 struct fuse_bufvec *in_buf, off_t off,
			 struct fuse_file_info *fi)
{
	struct gfs_handle *h = handle_of(fi);
	struct fuse_bufvec out_buf = FUSE_BUFVEC_INIT(fuse_buf_size(in_buf));
	struct gfs_fs *fs = gfs_fs_of(req);
	ssize_t n;

	(void)ino;
	n = gfs_freeze_write_admit(fs);
	if (n) {
		fuse_reply_err(req, (int)-n);
		return;
	}
	out_buf.buf[0].flags = FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK;
	out_buf.buf[0].fd = h->fd;
	out_buf.buf[0].pos = off;
	n = fuse_buf_copy(&out_buf, in_buf, 0);
	if (n < 0) {
		fuse_reply_err(req, (int)-n);
		return;
	}
	h->written = true;
	gfs_freeze_wrote(fs, h->pid, h->uid, h->path, (uint64_t)n);
	fuse_reply_write(req, (size_t)n);
}

/* Whether path (from the root) leads to the file st is of, now. */
static bool names_it(struct gfs_fs *fs, const char *path, const struct stat *st)
{
	struct stat named;

	return *path &&
	       !fstatat(fs->root.fd, path, &named, AT_SYMLINK_NOFOLLOW) &&
	       named.st_dev == st->st_dev && named.st_ino == st->st_ino;
}

/* Records a write session that ends, and frees its handle. */
static void end_handle(struct gfs_fs *fs, struct gfs_handle *h)
{
	struct gfs_buf path = GFS_BUF_INIT;
	char detail[48];
	struct gfs_op op;
	struct stat st;

	if (h->written && gfs_inode_path(fs, h->inode, &path) == 0) {
		/*
		 * The size the session left: with passthrough the daemon
		 * never sees the writes themselves.
		 */
		if (fstat(h->fd, &st)) {
			st.st_size = 0;
			st.st_nlink = 0;
		}
		snprintf(detail, sizeof(detail), "size=%lld",
			 (long long)st.st_size);
		gfs_kernel_writes_closing(fs, h, st.st_size);
		/*
		 * The store records the file under its current name (and
		 * every other name of it, store.c); the audit names the one
		 * it was opened by. The inode goes with it while it has a
		 * name at all: the store finds its other names even if this
		 * one is gone. The restore's thread that opened it may be
		 * gone by now, and so may the exec's process: the handle
		 * says both.
		 */
		gfs_op_init_as(&op, h->pid, h->uid, GFS_OP_WRITE);
		op.path = h->path;
		op.current = path.data;
		op.ino = st.st_nlink ? h->inode->ino : 0;
		op.sole_name = st.st_nlink == 1 && names_it(fs, path.data, &st);
		op.detail = detail;
		op.restoring = h->in_group;
		gfs_op_set_action(&op, h->action);
		h->action = NULL;
		op.done = true;
		gfs_op_end(fs, &op, 0);
	}
	gfs_buf_release(&path);
	free_handle(fs, h);
}

static void op_release(fuse_req_t req, fuse_ino_t ino,
		       struct fuse_file_info *fi)
{
	(void)ino;
	end_handle(gfs_fs_of(req), handle_of(fi));
	fuse_reply_err(req, 0);
}

void gfs_ops_file_end_all(struct gfs_fs *fs)
{
	while (fs->open_handles)
		end_handle(fs, fs->open_handles);
}

static void op_fsync(fuse_req_t req, fuse_ino_t ino, int datasync,
		     struct fuse_file_info *fi)
{
	int fd = handle_of(fi)->fd;

	(void)ino;
	if (datasync ? fdatasync(fd) : fsync(fd))
		fuse_reply_err(req, errno);
	else
		fuse_reply_err(req, 0);
}

static void op_fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t offset,
			 off_t length, struct fuse_file_info *fi)
{
	struct gfs_fs *fs = gfs_fs_of(req);
	struct gfs_handle *h = handle_of(fi);

	(void)ino;
	if (gfs_freeze_write_admit(fs)) {
		fuse_reply_err(req, EROFS);
		return;
	}
	/*
	 * Punching or zeroing bytes in place is an overwrite an O_APPEND
	 * handle (whose open was not scanned) can make: scan first, so a
	 * credential there taints the file (see check_content).
	 */
	if ((mode & (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE)) &&
	    fs->guards.scanner) {
		struct gfs_buf path = GFS_BUF_INIT;
		struct gfs_verdict verdict;

		if (!gfs_inode_path(fs, h->inode, &path) &&
		    !gfs_guards_scan_allowed(&fs->guards, path.data))
			gfs_scan_fd(fs->guards.scanner, fs->guards.verdicts,
				    h->fd, fs->cfg->scan_max_size, &verdict);
		gfs_buf_release(&path);
	}
	/* The pre-image was taken when the handle was opened for writing. */
	if (fallocate(h->fd, mode, offset, length)) {
		fuse_reply_err(req, errno);
		return;
	}
	h->written = true;
	fuse_reply_err(req, 0);
}

static void op_copy_file_range(fuse_req_t req, fuse_ino_t ino_in, off_t off_in,
			       struct fuse_file_info *fi_in, fuse_ino_t ino_out,
			       off_t off_out, struct fuse_file_info *fi_out,
			       size_t len, int flags)
{
	struct gfs_handle *out = handle_of(fi_out);
	ssize_t n;
	int rc;

	(void)ino_in;
	(void)ino_out;
	if (gfs_freeze_write_admit(gfs_fs_of(req))) {
		fuse_reply_err(req, EROFS);
		return;
	}
	/*
	 * The source is read: judged as read_checked judges it (the copy
	 * is not read back here, and its own readers are judged in turn).
	 */
	rc = gfs_read_check(gfs_fs_of(req), req, handle_of(fi_in));
	if (rc) {
		fuse_reply_err(req, -rc);
		return;
	}
	n = copy_file_range(handle_of(fi_in)->fd, &off_in, out->fd, &off_out,
			    len, (unsigned)flags);
	if (n < 0) {
		fuse_reply_err(req, errno);
		return;
	}
	out->written = true;
	gfs_freeze_wrote(gfs_fs_of(req), out->pid, out->uid, out->path,
			 (uint64_t)n);
	fuse_reply_write(req, (size_t)n);
}

void gfs_ops_file_fill(struct fuse_lowlevel_ops *ops)
{
	ops->open = op_open;
	ops->create = op_create;
	ops->read = op_read;
	ops->write_buf = op_write_buf;
	ops->release = op_release;
	ops->fsync = op_fsync;
	ops->fallocate = op_fallocate;
	ops->copy_file_range = op_copy_file_range;
	/*
	 * No flush: ext4 reports nothing at close, and without the op the
	 * kernel stops sending one per close(2) after the first ENOSYS; it
	 * still writes back cached pages and returns their errors itself.
	 *
	 * No lseek: with the writeback cache the newest data may still sit
	 * in the kernel's page cache, so only the kernel can answer
	 * SEEK_DATA and SEEK_HOLE truthfully. Without the op it does, with
	 * the generic answer (all data, one hole at the end).
	 */
}
