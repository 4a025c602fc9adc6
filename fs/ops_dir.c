/* Directory listing, directory sync and statfs. */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "fs_internal.h"

/*
 * No opendir: the kernel then sends neither OPENDIR nor RELEASEDIR (after
 * the first ENOSYS) and still keeps listings in its cache, which every
 * change through this mount invalidates. A warm `git status` over 850
 * directories was 1700 round trips of nothing else. Each READDIR opens
 * the directory itself and seeks to the kernel's offset: the d_off
 * cookies of ext4, xfs, btrfs and tmpfs stay valid from one open to the
 * next (as NFS needs them to).
 */
static void op_opendir(fuse_req_t req, fuse_ino_t ino,
		       struct fuse_file_info *fi)
{
	(void)ino;
	(void)fi;
	fuse_reply_err(req, ENOSYS);
}

/*
 * An open directory for the length of one READDIR, read with getdents64
 * into a buffer sized to the reply: opendir's stream would cost an fstat
 * and two fcntls per request, and a 32 KiB read of which a small reply
 * uses a part.
 */
struct listing {
	struct gfs_inode *inode;
	int fd;
	char *buf;
	size_t buf_size, len, pos;
	struct dirent64 *entry; /* read, not yet replied */
};

/* The next entry of the directory, NULL at its end (errno 0) or on error. */
static struct dirent64 *next_entry(struct listing *h)
{
	if (h->pos >= h->len) {
		ssize_t n = getdents64(h->fd, h->buf, h->buf_size);

		if (n <= 0) {
			errno = n < 0 ? errno : 0;
			return NULL;
		}
		h->len = (size_t)n;
		h->pos = 0;
	}
	h->entry = (struct dirent64 *)(void *)(h->buf + h->pos);
	h->pos += h->entry->d_reclen;
	return h->entry;
}

/*
 * Directory bytes to read at once for a reply of size bytes: a listed
 * name takes about as much room in the reply as in getdents64's buffer,
 * a readdirplus entry about five times that (its attributes).
 */
static size_t listing_buf_size(size_t size, bool plus)
{
	size_t n = plus ? size / 4 : size;

	if (n < 4096)
		n = 4096;
	return n > 65536 ? 65536 : n;
}

/*
 * Decides whether a listed entry is visible. Listings never show what a
 * lookup would refuse; d_type saves a stat for all but the rare file
 * systems that do not fill it.
 */
static bool entry_visible(struct gfs_fs *fs, struct listing *h,
			  const struct dirent64 *d, const char *path)
{
	const char *rule;
	struct stat st;

	memset(&st, 0, sizeof(st));
	switch (d->d_type) {
	case DT_DIR:
		st.st_mode = S_IFDIR;
		break;
	case DT_LNK:
		st.st_mode = S_IFLNK;
		break;
	case DT_UNKNOWN:
		if (fstatat(h->inode->fd, d->d_name, &st, AT_SYMLINK_NOFOLLOW))
			return false;
		break;
	default:
		st.st_mode = S_IFREG;
		break;
	}
	return gfs_guard_visible(fs, h->inode, path, &st, &rule) == 0;
}

/* An entry with the listed inode number and type and nothing else. */
static void plain_entry(struct fuse_entry_param *e, const struct dirent64 *d)
{
	memset(e, 0, sizeof(*e));
	e->attr.st_ino = d->d_ino;
	e->attr.st_mode = (mode_t)d->d_type << 12;
}

static bool is_dot_or_dotdot(const char *name)
{
	return name[0] == '.' &&
	       (name[1] == '\0' || (name[1] == '.' && name[2] == '\0'));
}

/*
 * The readdirplus entry for a listed name. Attributes go only with names
 * whose inode the kernel does not hold yet. One it holds (every inode in
 * the table is one the kernel has looked up and not forgotten) is sent
 * with node id 0: the kernel lists it as a plain entry and keeps what it
 * has. git status lists directories whose files it has just looked up;
 * answering those from the table cost an fstat, a reference, the kernel's
 * update and a FORGET each, and made a cold git status 8-15% slower than
 * plain listings. The name is checked all the same, so a hidden hard link
 * of a known file stays out of the listing.
 */
static int plus_entry(struct gfs_fs *fs, fuse_req_t req, struct listing *h,
		      const char *path, struct fuse_entry_param *e)
{
	/* Only whether it is there: the inode is not used, nor kept. */
	if (!gfs_inode_find(fs, h->inode->dev, h->entry->d_ino)) {
		unsigned flags =
			h->entry->d_type == DT_REG ? GFS_LOOKUP_LISTED : 0;

		return gfs_fs_do_lookup(fs, req, h->inode, h->entry->d_name, e,
					flags);
	}
	if (!entry_visible(fs, h, h->entry, path))
		return -ENOENT;
	plain_entry(e, h->entry);
	return 0;
}

static void do_readdir(fuse_req_t req, fuse_ino_t ino, size_t size,
		       off_t offset, struct fuse_file_info *fi, bool plus)
{
	struct gfs_fs *fs = gfs_fs_of(req);
	struct listing l = {.inode = gfs_inode_get(fs, ino)};
	struct listing *h = &l;
	struct gfs_buf path = GFS_BUF_INIT;
	size_t base_len, used = 0;
	char *reply;
	int rc = 0;

	(void)fi;
	l.fd = gfs_guard_reopen(fs, l.inode, O_RDONLY | O_DIRECTORY);
	if (l.fd < 0) {
		fuse_reply_err(req, -l.fd);
		return;
	}
	l.buf_size = listing_buf_size(size, plus);
	l.buf = malloc(l.buf_size);
	reply = malloc(size);
	if (!reply || !l.buf || gfs_inode_path(fs, l.inode, &path)) {
		free(reply);
		free(l.buf);
		close(l.fd);
		fuse_reply_err(req, ENOMEM);
		return;
	}
	if (path.len)
		gfs_buf_addch(&path, '/');
	base_len = path.len;
	/* d_off cookies stay valid from one open to the next (see above) */
	if (offset && lseek(l.fd, offset, SEEK_SET) < 0)
		rc = -errno;
	while (!rc) {
		struct fuse_entry_param e;
		struct stat st;
		size_t n;

		if (!next_entry(h)) {
			rc = -errno;
			break;
		}
		path.len = base_len;
		if (gfs_buf_adds(&path, h->entry->d_name)) {
			rc = -ENOMEM;
			break;
		}
		if (is_dot_or_dotdot(h->entry->d_name)) {
			plain_entry(&e, h->entry);
		} else if (plus) {
			rc = plus_entry(fs, req, h, path.data, &e);
			if (rc == -ENOENT) {
				/* hidden, or gone since it was listed */
				rc = 0;
				continue;
			}
			if (rc)
				break;
		} else if (!entry_visible(fs, h, h->entry, path.data)) {
			continue;
		} else {
			plain_entry(&e, h->entry);
		}
		if (plus)
			n = fuse_add_direntry_plus(
				req, reply + used, size - used,
				h->entry->d_name, &e, h->entry->d_off);
		else {
			st = e.attr;
			n = fuse_add_direntry(req, reply + used, size - used,
					      h->entry->d_name, &st,
					      h->entry->d_off);
		}
		if (n > size - used) {
			/* Full: the entry goes in the next reply. */
			if (plus && e.ino)
				gfs_inode_forget(fs, gfs_inode_get(fs, e.ino),
						 1);
			break;
		}
		used += n;
	}
	gfs_buf_release(&path);
	free(l.buf);
	close(l.fd);
	/* Entries already in the buffer count even if a later one failed. */
	if (rc && used == 0)
		fuse_reply_err(req, -rc);
	else
		fuse_reply_buf(req, reply, used);
	free(reply);
}

static void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size,
		       off_t offset, struct fuse_file_info *fi)
{
	do_readdir(req, ino, size, offset, fi, false);
}

static void op_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size,
			   off_t offset, struct fuse_file_info *fi)
{
	do_readdir(req, ino, size, offset, fi, true);
}

static void op_fsyncdir(fuse_req_t req, fuse_ino_t ino, int datasync,
			struct fuse_file_info *fi)
{
	struct gfs_fs *fs = gfs_fs_of(req);
	int fd = gfs_guard_reopen(fs, gfs_inode_get(fs, ino),
				  O_RDONLY | O_DIRECTORY);

	(void)fi;
	if (fd < 0) {
		fuse_reply_err(req, -fd);
		return;
	}
	if (datasync ? fdatasync(fd) : fsync(fd))
		fuse_reply_err(req, errno);
	else
		fuse_reply_err(req, 0);
	close(fd);
}

static void op_statfs(fuse_req_t req, fuse_ino_t ino)
{
	struct gfs_fs *fs = gfs_fs_of(req);
	struct statvfs sv;

	(void)ino;
	if (fstatvfs(fs->root.fd, &sv))
		fuse_reply_err(req, errno);
	else
		fuse_reply_statfs(req, &sv);
}

void gfs_ops_dir_fill(struct fuse_lowlevel_ops *ops)
{
	ops->opendir = op_opendir;
	ops->readdir = op_readdir;
	ops->readdirplus = op_readdirplus;
	ops->fsyncdir = op_fsyncdir;
	ops->statfs = op_statfs;
}
