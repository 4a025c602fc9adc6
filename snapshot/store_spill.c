/*
 * Files above max_file_size are not blobbed on the request path: before
 * one is changed or removed, its bytes are set aside in STORE/spill/ (a
 * hard link when only its name goes away, else a reflink, else a copy),
 * and the ingest lane (store_ingest.c) stores that copy in chunks later,
 * committed as a "preimage" before the operation's own commit. A spill
 * file is named N; N.meta ("MODE\nPATH") is written after it, so a spill
 * without meta was never relied on. Spills left by a crash are ingested
 * at open.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guardfs/util.h"
#include "store_internal.h"

int gfs_store_spill_init(struct gfs_store *s)
{
	struct gfs_buf dir = GFS_BUF_INIT;
	int rc;

	rc = gfs_buf_addf(&dir, "%s/spill", s->store_path);
	if (rc)
		return rc;
	if (mkdir(dir.data, 0700) < 0 && errno != EEXIST) {
		rc = -errno;
		gfs_buf_release(&dir);
		return rc;
	}
	s->spill_dir = gfs_buf_detach(&dir);
	return 0;
}

static int copy_bytes(int in, int out)
{
	char buf[1 << 16];

	if (ioctl(out, FICLONE, in) == 0)
		return 0;
	for (;;) {
		ssize_t n = copy_file_range(in, NULL, out, NULL, 1 << 30, 0);

		if (n == 0)
			return 0;
		if (n < 0)
			break;
	}
	if (errno != EXDEV && errno != EINVAL && errno != ENOSYS &&
	    errno != EOPNOTSUPP)
		return -errno;
	for (;;) {
		ssize_t n = read(in, buf, sizeof(buf)), w = 0;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : 0;
		while (w < n) {
			ssize_t k = write(out, buf + w, n - w);

			if (k < 0 && errno != EINTR)
				return -errno;
			if (k > 0)
				w += k;
		}
	}
}

static int write_meta(const char *file, uint32_t git_mode, const char *path)
{
	char tmp[4200];
	FILE *f;
	int rc = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", file) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	f = fopen(tmp, "we");
	if (!f)
		return -errno;
	fprintf(f, "%o\n%s", git_mode, path);
	if (fflush(f) || fsync(fileno(f)))
		rc = -errno;
	if (fclose(f) && !rc)
		rc = -errno;
	if (!rc && rename(tmp, file) < 0)
		rc = -errno;
	if (rc)
		unlink(tmp);
	return rc;
}

static void mark_spilled(struct gfs_store *s, const char *path,
			 const struct stat *st)
{
	struct gfs_store_node *n;

	pthread_rwlock_wrlock(&s->tree_lock);
	n = gfs_store_node_lookup(s->root, path);
	if (n && n->git_mode != 040000) {
		n->ino = st->st_ino;
		n->size = st->st_size;
		n->mtime_ns = (int64_t)st->st_mtim.tv_sec * 1000000000LL +
			      st->st_mtim.tv_nsec;
		n->ctime_ns = (int64_t)st->st_ctim.tv_sec * 1000000000LL +
			      st->st_ctim.tv_nsec;
		n->spilled = true;
	}
	pthread_rwlock_unlock(&s->tree_lock);
}

int gfs_store_spill(struct gfs_store *s, const char *path, unsigned flags)
{
	char data[4096], meta[4200];
	int in = -1, out = -1, rc = 0;
	bool linked = false;
	uint64_t n;
	struct stat st;

	n = __atomic_add_fetch(&s->spill_count, 1, __ATOMIC_RELAXED);
	snprintf(data, sizeof(data), "%s/%s-%llu", s->spill_dir, s->session,
		 (unsigned long long)n);
	snprintf(meta, sizeof(meta), "%s.meta", data);
	in = gfs_open_beneath(s->opts.root_fd, path,
			      O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOATIME,
			      false);
	if (in == -EPERM) /* O_NOATIME: not the owner, not root */
		in = gfs_open_beneath(s->opts.root_fd, path,
				      O_RDONLY | O_NOFOLLOW | O_NONBLOCK,
				      false);
	if (in < 0)
		return in == -ENOENT ? 0 : in;
	if (fstat(in, &st) < 0) {
		rc = -errno;
		goto out;
	}
	/* only the name goes away: the inode itself is the copy */
	if (flags & GFS_STORE_REMOVING) {
		const char *slash = strrchr(path, '/');
		char *parent =
			strndup(path, slash ? (size_t)(slash - path) : 0);
		int dirfd =
			parent ? gfs_open_beneath(s->opts.root_fd, parent,
						  O_PATH | O_DIRECTORY, false)
			       : -ENOMEM;

		if (dirfd >= 0 && linkat(dirfd, slash ? slash + 1 : path,
					 AT_FDCWD, data, 0) == 0)
			linked = true;
		if (dirfd >= 0)
			close(dirfd);
		free(parent);
	}
	if (!linked) {
		out = open(data, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (out < 0) {
			rc = -errno;
			goto out;
		}
		rc = copy_bytes(in, out);
		if (!rc && fsync(out) < 0)
			rc = -errno;
	}
	if (!rc)
		rc = write_meta(meta, (st.st_mode & 0111) ? 0100755 : 0100644,
				path);
	if (!rc) {
		mark_spilled(s, path, &st);
		rc = gfs_store_queue_spill(s, path, strdup(data));
	}
out:
	if (rc)
		unlink(data);
	if (out >= 0)
		close(out);
	close(in);
	return rc;
}

/* Reads the mode and path of the spill whose data file is data. */
int gfs_store_spill_read_meta(const char *data, uint32_t *mode,
			      struct gfs_buf *path)
{
	char buf[8192], file[4200];
	ssize_t len;
	char *nl;
	int fd;

	snprintf(file, sizeof(file), "%s.meta", data);
	fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len <= 0)
		return -EINVAL;
	buf[len] = '\0';
	nl = strchr(buf, '\n');
	if (!nl)
		return -EINVAL;
	*mode = strtoul(buf, NULL, 8) == 0100755 ? 0100755 : 0100644;
	return gfs_buf_adds(path, nl + 1);
}

/* Stores the spill file data as path's node; the caller deletes it. */
static int ingest(struct gfs_store *s, const char *data, bool *changed)
{
	struct gfs_buf path = GFS_BUF_INIT;
	struct gfs_chunks_result res;
	struct stat st;
	uint32_t mode;
	int fd, rc;

	*changed = false;
	rc = gfs_store_spill_read_meta(data, &mode, &path);
	if (rc)
		return rc;
	fd = open(data, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		goto out;
	}
	if (fstat(fd, &st) < 0)
		rc = -errno;
	if (!rc)
		rc = gfs_chunks_write(&(struct gfs_chunks_odb){s->odb, s->loose,
							       s->objects_dir,
							       &s->loose_whole},
				      fd, NULL, st.st_size, NULL, &res, NULL);
	close(fd);
	if (!rc) {
		gfs_store_packer_kick(s, res.written);
		rc = gfs_store_set_blob(s, path.data, mode, &res.manifest,
					&res.tree, changed);
	}
out:
	gfs_buf_release(&path);
	return rc;
}

void gfs_store_spill_remove(const char *data)
{
	char meta[4200];

	snprintf(meta, sizeof(meta), "%s.meta", data);
	unlink(meta);
	unlink(data);
}

/*
 * The order spills were made in: by session (its id begins with the
 * time it started, "20261207T091500Z-PID"), then by the number after the
 * name's last '-'. Two copies of one file's versions must be committed
 * in that order, not in the directory's (a hash order on ext4).
 */
static int spill_order(const void *a, const void *b)
{
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;
	const char *dx = strrchr(x, '-'), *dy = strrchr(y, '-');
	size_t lx = dx ? (size_t)(dx - x) : strlen(x);
	size_t ly = dy ? (size_t)(dy - y) : strlen(y);
	unsigned long long nx = dx ? strtoull(dx + 1, NULL, 10) : 0;
	unsigned long long ny = dy ? strtoull(dy + 1, NULL, 10) : 0;
	int c = strncmp(x, y, lx < ly ? lx : ly);

	if (c)
		return c;
	if (lx != ly)
		return lx < ly ? -1 : 1;
	return nx < ny ? -1 : nx > ny;
}

/* The data files in the spill directory, in the order they were made. */
static int list_spills(struct gfs_store *s, char ***out, size_t *count)
{
	char **names = NULL, **grown;
	size_t n = 0, cap = 0;
	struct dirent *de;
	DIR *d = opendir(s->spill_dir);
	int rc = 0;

	if (!d)
		return -errno;
	while (!rc && (de = readdir(d))) {
		size_t len = strlen(de->d_name);

		if (de->d_name[0] == '.' ||
		    (len > 5 && !strcmp(de->d_name + len - 5, ".meta")))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			grown = realloc(names, cap * sizeof(*names));
			if (!grown) {
				rc = -ENOMEM;
				break;
			}
			names = grown;
		}
		names[n] = strdup(de->d_name);
		if (!names[n])
			rc = -ENOMEM;
		else
			n++;
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), spill_order);
	*out = names;
	*count = n;
	return rc;
}

/* At open: ingests what a previous run set aside but did not commit. */
int gfs_store_spill_ingest_all(struct gfs_store *s)
{
	struct gfs_store_batch_op op = {
		.op = GFS_STORE_OP_PREIMAGE,
		.process = (char *)"guardfs",
		.pid = getpid(),
	};
	char data[4096], meta[4200];
	char **names = NULL;
	size_t n = 0, i;
	int rc = list_spills(s, &names, &n);

	for (i = 0; !rc && i < n; i++) {
		struct gfs_buf path = GFS_BUF_INIT;
		uint32_t mode;
		bool changed;

		snprintf(data, sizeof(data), "%s/%s", s->spill_dir, names[i]);
		snprintf(meta, sizeof(meta), "%s.meta", data);
		if (access(meta, F_OK) < 0) {
			/* set aside but never relied on, or a temp file */
			unlink(data);
			continue;
		}
		rc = gfs_store_spill_read_meta(data, &mode, &path);
		if (!rc)
			rc = ingest(s, data, &changed);
		if (!rc && changed) {
			op.path = path.data;
			rc = gfs_store_batch_add(s, &op);
			if (!rc)
				rc = gfs_store_commit_batch(s);
		}
		if (!rc)
			gfs_store_spill_remove(data);
		gfs_buf_release(&path);
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}
