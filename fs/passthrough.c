/*
 * Kernel passthrough of file data (Linux 6.9 and later).
 *
 * With passthrough the kernel sends reads, writes and mmap of an open
 * file straight to a file the daemon opened in the real folder: no round
 * trip per read or write. Everything that guards the folder still comes
 * to the daemon: lookups (hiding), opens (content scan, copy-before-write
 * of the pre-image), releases (the write session's commit), and every
 * namespace and attribute change.
 *
 * Debian 12's libfuse 3.14 predates the feature, so this file speaks the
 * three pieces of kernel ABI it needs itself, through libfuse's public
 * custom I/O hook (fuse_session_custom_io):
 *   - INIT: the read hook notes whether the kernel offers FUSE_PASSTHROUGH;
 *     the writev hook accepts it in the reply (flags2, max_stack_depth) and
 *     drops the writeback cache, which the kernel will not combine with it;
 *   - a backing file is registered per inode with FUSE_DEV_IOC_BACKING_OPEN
 *     (CAP_SYS_ADMIN only: root mounts use passthrough, others do not);
 *   - open and create replies carry FOPEN_PASSTHROUGH and the backing id,
 *     patched into the reply on its way out by the thread that sends it.
 *
 * The kernel insists that every open file of an inode uses the same
 * backing file, and that an inode is not open both ways at once, so the
 * id and both counts live in the inode while any handle is open.
 */

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <linux/fuse.h>

#include "fs_internal.h"

/* Kernel ABI newer than Debian 12's headers (protocol 7.40). */
#define GFS_FUSE_PASSTHROUGH_FLAGS2   (1u << 5) /* FUSE_PASSTHROUGH >> 32 */
#define GFS_FUSE_OVER_IO_URING_FLAGS2 (1u << 9) /* FUSE_OVER_IO_URING >> 32 */
#define GFS_FOPEN_PASSTHROUGH	      (1u << 7)
#define GFS_MAX_STACK_DEPTH	      2 /* FILESYSTEM_MAX_STACK_DEPTH */

struct gfs_backing_map {
	int32_t fd;
	uint32_t flags;
	uint64_t padding;
};

#define GFS_DEV_IOC_BACKING_OPEN  _IOW(229, 1, struct gfs_backing_map)
#define GFS_DEV_IOC_BACKING_CLOSE _IOW(229, 2, uint32_t)

/* Offsets in fuse_init_out that the 6.1 header calls unused[0]. */
#define INIT_OUT_MAX_STACK_DEPTH offsetof(struct fuse_init_out, unused)

/* The open reply this thread is about to send, if it is a passthrough. */
static __thread int reply_backing_id;

static ssize_t hook_read(int fd, void *buf, size_t size, void *userdata)
{
	struct gfs_fs *fs = userdata;
	const struct fuse_in_header *in = buf;
	const struct fuse_init_in *init;
	ssize_t n = read(fd, buf, size);

	if (n < (ssize_t)sizeof(*in) || in->opcode != FUSE_INIT)
		return n;
	init = (const void *)(in + 1);
	if ((size_t)n < sizeof(*in) + offsetof(struct fuse_init_in, unused))
		return n;
	if (!(init->flags & FUSE_INIT_EXT))
		return n;
	fs->pt.init_unique = in->unique;
	fs->pt.offered = init->flags2 & GFS_FUSE_PASSTHROUGH_FLAGS2;
	fs->uring.offered = init->flags2 & GFS_FUSE_OVER_IO_URING_FLAGS2;
	return n;
}

static void patch_init_reply(struct gfs_fs *fs, struct iovec *iov, int count)
{
	struct fuse_init_out *out;

	if (count < 2 || iov[1].iov_len < INIT_OUT_MAX_STACK_DEPTH + 4)
		return;
	out = iov[1].iov_base;
	if (fs->pt.offered && fs->pt.wanted) {
		out->flags &= ~(uint32_t)FUSE_WRITEBACK_CACHE;
		out->flags |= FUSE_INIT_EXT;
		out->flags2 |= GFS_FUSE_PASSTHROUGH_FLAGS2;
		out->unused[0] = GFS_MAX_STACK_DEPTH;
		fs->pt.enabled = true;
	}
	if (fs->uring.offered && fs->uring.wanted) {
		out->flags |= FUSE_INIT_EXT;
		out->flags2 |= GFS_FUSE_OVER_IO_URING_FLAGS2;
	}
}

static void patch_open_reply(struct iovec *iov, int count, int backing_id)
{
	struct fuse_open_out *out;
	char *end;

	if (count < 2 || iov[1].iov_len < sizeof(*out))
		return;
	/* Last in both replies: open sends it alone, create after the entry. */
	end = (char *)iov[1].iov_base + iov[1].iov_len;
	out = (struct fuse_open_out *)(void *)(end - sizeof(*out));
	out->open_flags |= GFS_FOPEN_PASSTHROUGH;
	out->padding = (uint32_t)backing_id; /* backing_id since 7.40 */
}

static ssize_t hook_writev(int fd, struct iovec *iov, int count, void *userdata)
{
	struct gfs_fs *fs = userdata;
	const struct fuse_out_header *out = iov[0].iov_base;
	bool init = false;
	ssize_t n;

	if (iov[0].iov_len >= sizeof(*out) && out->error == 0) {
		if (reply_backing_id > 0)
			patch_open_reply(iov, count, reply_backing_id);
		else if (out->unique == fs->pt.init_unique &&
			 (fs->pt.offered || fs->uring.offered))
			init = true;
	}
	if (init)
		patch_init_reply(fs, iov, count);
	else if (gfs_uring_capture(iov, count, &n))
		return n;
	n = writev(fd, iov, count);
	/* The kernel has taken the INIT reply: the queues may register. */
	if (init && n > 0 && fs->uring.offered && fs->uring.wanted)
		gfs_uring_start(fs);
	return n;
}

int gfs_passthrough_setup(struct gfs_fs *fs, bool wanted)
{
	static const struct fuse_custom_io io = {
		.read = hook_read,
		.writev = hook_writev,
	};

	pthread_mutex_init(&fs->pt.lock, NULL);
	fs->pt.dev_fd = fuse_session_fd(fs->session);
	/* Registering backing files takes CAP_SYS_ADMIN. */
	fs->pt.wanted = wanted && geteuid() == 0;
	if (!fs->pt.wanted && !fs->uring.wanted)
		return 0;
	/* Same descriptor: only the reads and writes on it are observed. */
	return fuse_session_custom_io(fs->session, &io, fs->pt.dev_fd);
}

int gfs_passthrough_acquire(struct gfs_fs *fs, struct gfs_inode *inode, int fd)
{
	struct gfs_backing_map map = {.fd = fd};
	int id = 0;

	if (!fs->pt.enabled)
		return 0;
	pthread_mutex_lock(&fs->pt.lock);
	if (inode->backing_users > 0) {
		id = inode->backing_id;
		inode->backing_users++;
		goto out;
	}
	/* The kernel refuses a passthrough open while a cached one lives. */
	if (inode->cached_users > 0 || fs->pt.failed)
		goto cached;
	id = ioctl(fs->pt.dev_fd, GFS_DEV_IOC_BACKING_OPEN, &map);
	if (id > 0) {
		inode->backing_id = id;
		inode->backing_users = 1;
		goto out;
	}
	/*
	 * Not allowed after all (a root without CAP_SYS_ADMIN in the initial
	 * namespace, say): the data goes through the daemon from now on,
	 * which always works; inodes already passed through stay so.
	 */
	fs->pt.failed = true;
	id = 0;
cached:
	inode->cached_users++;
out:
	pthread_mutex_unlock(&fs->pt.lock);
	return id;
}

void gfs_passthrough_release(struct gfs_fs *fs, struct gfs_inode *inode,
			     int backing_id)
{
	uint32_t id;

	if (!fs->pt.enabled)
		return;
	pthread_mutex_lock(&fs->pt.lock);
	if (backing_id <= 0) {
		inode->cached_users--;
	} else if (--inode->backing_users == 0) {
		id = (uint32_t)inode->backing_id;
		inode->backing_id = 0;
		/* The kernel keeps its own reference for files still open. */
		ioctl(fs->pt.dev_fd, GFS_DEV_IOC_BACKING_CLOSE, &id);
	}
	pthread_mutex_unlock(&fs->pt.lock);
}

bool gfs_passthrough_active(const struct gfs_fs *fs)
{
	return fs->pt.enabled && !fs->pt.failed;
}

void gfs_passthrough_reply_with(int backing_id)
{
	reply_backing_id = backing_id;
}
