/*
 * A freeze must stop the writes the daemon never sees. With kernel
 * passthrough (passthrough.c) a file opened for writing before the
 * freeze sends its writes straight to the real file, so answering EROFS
 * to requests stops nothing there. At a freeze every such file gets the
 * immutable attribute (FS_IMMUTABLE_FL), which ext4 and f2fs check on
 * every write, truncate and write fault of an open file: the agent's
 * next write through it fails with EPERM, and so does a store into a
 * shared mapping once its pages are written back (started here, so a
 * mapping made before the freeze stops too). The thaw, and the unmount,
 * take the attribute off again.
 *
 * xfs, btrfs and tmpfs accept the attribute but do not check it on an
 * open file; there the writers are counted, told in the freeze's audit
 * line, and documented in SECURITY.md ([guard] passthrough = no closes
 * it: every write then comes to the daemon).
 *
 * A daemon killed while frozen would leave the attribute behind: the
 * files are listed beside the audit trail before it is set ("frozen
 * files", one "DEV INO HEXPATH" line each), and the next mount takes it
 * off the ones that are still the same file, then removes the list.
 *
 * Lock order: frozen.lock, then handles_lock (then the inode table's).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "fs_internal.h"
#include "guardfs/util.h"

#ifndef F2FS_SUPER_MAGIC
#define F2FS_SUPER_MAGIC 0xF2F52010
#endif

/* Whether the filesystem of fd refuses writes to an immutable open file. */
static bool checks_open_files(int fd)
{
	struct statfs sfs;

	if (fstatfs(fd, &sfs))
		return false;
	return sfs.f_type == EXT4_SUPER_MAGIC ||
	       (unsigned long)sfs.f_type == F2FS_SUPER_MAGIC;
}

static int get_flags(int fd, int *flags)
{
	return ioctl(fd, FS_IOC_GETFLAGS, flags) ? -errno : 0;
}

/* Sets or clears the immutable attribute of the open file fd. */
static int set_immutable(int fd, bool on)
{
	int flags, rc = get_flags(fd, &flags);

	if (rc)
		return rc;
	if (!!(flags & FS_IMMUTABLE_FL) == on)
		return 0;
	flags = on ? flags | FS_IMMUTABLE_FL : flags & ~FS_IMMUTABLE_FL;
	return ioctl(fd, FS_IOC_SETFLAGS, &flags) ? -errno : 0;
}

/* Writes the list of files the attribute is (about to be) set on. */
static int write_record(struct gfs_frozen_files *ff)
{
	struct gfs_buf text = GFS_BUF_INIT;
	ssize_t n = 0;
	int fd, rc = 0;
	size_t i;

	if (!ff->record)
		return 0;
	if (!ff->n)
		return unlink(ff->record) && errno != ENOENT ? -errno : 0;
	for (i = 0; i < ff->n && !rc; i++) {
		rc = gfs_buf_addf(&text, "%llu %llu ",
				  (unsigned long long)ff->v[i].dev,
				  (unsigned long long)ff->v[i].ino);
		if (!rc)
			rc = gfs_buf_add_hex(&text, ff->v[i].path,
					     strlen(ff->v[i].path));
		if (!rc)
			rc = gfs_buf_addch(&text, '\n');
	}
	fd = rc ? -1
		: open(ff->record,
		       O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
		       0600);
	if (!rc && fd < 0)
		rc = -errno;
	if (!rc) {
		n = write(fd, text.data, text.len);
		rc = n == (ssize_t)text.len ? 0 : n < 0 ? -errno : -ENOSPC;
		if (!rc && fsync(fd))
			rc = -errno;
	}
	if (fd >= 0)
		close(fd);
	gfs_buf_release(&text);
	return rc;
}

/* Takes the attribute off every file this mount set it on. */
static void thaw_all(struct gfs_fs *fs)
{
	struct gfs_frozen_files *ff = &fs->frozen;
	size_t i;
	int rc;

	/* (nothing set: a record left by a failed recovery stays) */
	if (!ff->n)
		return;
	for (i = 0; i < ff->n; i++) {
		rc = set_immutable(ff->v[i].fd, false);
		if (rc)
			fprintf(stderr,
				"guardfs: cannot take the immutable attribute "
				"off '%s' (set at the freeze): %s; "
				"`chattr -i` it\n",
				ff->v[i].path, strerror(-rc));
		close(ff->v[i].fd);
		free(ff->v[i].path);
	}
	ff->n = 0;
	rc = write_record(ff);
	if (rc)
		fprintf(stderr, "guardfs: cannot remove '%s': %s\n", ff->record,
			strerror(-rc));
}

/* Room in the array *v of n files (cap allotted) for one more. */
static int room_for_one(struct gfs_frozen_file **v, size_t n, size_t *cap)
{
	struct gfs_frozen_file *grown;
	size_t more = *cap ? *cap * 2 : 8;

	if (n < *cap)
		return 0;
	grown = realloc(*v, more * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	*v = grown;
	*cap = more;
	return 0;
}

/* Whether the file dev/ino is among those set already. */
static bool is_set(const struct gfs_frozen_files *ff, const struct stat *st)
{
	size_t i;

	for (i = 0; i < ff->n; i++) {
		if (ff->v[i].dev == st->st_dev && ff->v[i].ino == st->st_ino)
			return true;
	}
	return false;
}

/*
 * The files open for writing with passthrough, each as a descriptor of
 * its own (the handle may close meanwhile) and its current name.
 */
static size_t collect_writers(struct gfs_fs *fs, struct gfs_frozen_file **out)
{
	struct gfs_buf path = GFS_BUF_INIT;
	struct gfs_frozen_file *v = NULL;
	size_t n = 0, cap = 0;
	struct gfs_handle *h;

	pthread_mutex_lock(&fs->handles_lock);
	for (h = fs->open_handles; h; h = h->next) {
		int fd;

		if (!h->kernel_writes)
			continue;
		if (room_for_one(&v, n, &cap))
			break;
		path.len = 0;
		if (gfs_inode_path(fs, h->inode, &path))
			continue;
		fd = fcntl(h->fd, F_DUPFD_CLOEXEC, 0);
		if (fd < 0)
			continue;
		v[n].fd = fd;
		v[n++].path = strdup(path.data ? path.data : "");
	}
	pthread_mutex_unlock(&fs->handles_lock);
	gfs_buf_release(&path);
	*out = v;
	return n;
}

/*
 * Sets the attribute on every writer not set yet, listing them first.
 * The caller holds frozen.lock.
 */
static void freeze_writers(struct gfs_fs *fs)
{
	struct gfs_frozen_files *ff = &fs->frozen;
	struct gfs_frozen_file *found;
	size_t nfound = collect_writers(fs, &found), i, first = ff->n;
	struct stat st;
	int flags, rc;

	/* counted afresh: the writers not stopped now */
	ff->unstoppable = 0;
	for (i = 0; i < nfound; i++) {
		struct gfs_frozen_file *f = &found[i];
		bool take = !fstat(f->fd, &st) && S_ISREG(st.st_mode) &&
			    !is_set(ff, &st) && f->path;

		/* already immutable: the user's own, not ours to take off */
		if (take && ff->checked &&
		    (get_flags(f->fd, &flags) || (flags & FS_IMMUTABLE_FL)))
			take = false;
		if (take && !ff->checked) {
			ff->unstoppable++;
			take = false;
		}
		if (take && room_for_one(&ff->v, ff->n, &ff->cap) == 0) {
			f->dev = st.st_dev;
			f->ino = st.st_ino;
			ff->v[ff->n++] = *f;
			continue;
		}
		close(f->fd);
		free(f->path);
	}
	free(found);
	if (ff->n == first)
		return;
	rc = write_record(ff);
	if (rc)
		fprintf(stderr,
			"guardfs: cannot list the frozen files in '%s': %s "
			"(a crash now leaves them immutable)\n",
			ff->record, strerror(-rc));
	for (i = first; i < ff->n;) {
		rc = set_immutable(ff->v[i].fd, true);
		if (!rc) {
			/* write-protects the pages a mapping made writable */
			sync_file_range(ff->v[i].fd, 0, 0,
					SYNC_FILE_RANGE_WRITE);
			i++;
			continue;
		}
		fprintf(stderr,
			"guardfs: cannot stop the writes to '%s', open "
			"since before the freeze: %s\n",
			ff->v[i].path, strerror(-rc));
		ff->unstoppable++;
		close(ff->v[i].fd);
		free(ff->v[i].path);
		ff->v[i] = ff->v[--ff->n];
	}
}

void gfs_frozen_files_sync(struct gfs_fs *fs)
{
	struct gfs_frozen_files *ff = &fs->frozen;

	if (!fs->pt.enabled)
		return;
	pthread_mutex_lock(&ff->lock);
	/* whatever ran last, the files follow the breaker's state now */
	if (gfs_breaker_frozen(fs->breaker))
		freeze_writers(fs);
	else
		thaw_all(fs);
	pthread_mutex_unlock(&ff->lock);
}

void gfs_frozen_files_count(struct gfs_fs *fs, size_t *set, size_t *unstoppable)
{
	pthread_mutex_lock(&fs->frozen.lock);
	*set = fs->frozen.n;
	*unstoppable = fs->frozen.unstoppable;
	pthread_mutex_unlock(&fs->frozen.lock);
}

bool gfs_frozen_files_thaw(struct gfs_fs *fs)
{
	bool changed;

	/* the attribute goes before any write is admitted again */
	pthread_mutex_lock(&fs->frozen.lock);
	changed = gfs_breaker_unfreeze(fs->breaker);
	if (changed) {
		thaw_all(fs);
		fs->frozen.unstoppable = 0;
	}
	pthread_mutex_unlock(&fs->frozen.lock);
	return changed;
}

/* One line of a record a killed daemon left: 0, or -errno (kept). */
static int recover_one(struct gfs_fs *fs, const char *line)
{
	struct gfs_buf path = GFS_BUF_INIT;
	unsigned long long dev, ino;
	struct stat st;
	int used = 0, fd, rc;

	if (sscanf(line, "%llu %llu %n", &dev, &ino, &used) != 2 || !used)
		return 0;
	rc = gfs_buf_add_unhex(&path, line + used, strcspn(line + used, "\n"));
	if (rc || !path.data) {
		gfs_buf_release(&path);
		return 0;
	}
	/* below the root, never leaving it nor following a link */
	fd = gfs_open_beneath(fs->root.fd, path.data,
			      O_RDONLY | O_NOFOLLOW | O_NONBLOCK, false);
	/* gone, or another file now: nothing of ours to take off */
	if (fd < 0 || fstat(fd, &st) || !S_ISREG(st.st_mode) ||
	    st.st_dev != (dev_t)dev || st.st_ino != (ino_t)ino) {
		if (fd >= 0)
			close(fd);
		gfs_buf_release(&path);
		return 0;
	}
	rc = set_immutable(fd, false);
	close(fd);
	if (rc)
		fprintf(stderr,
			"guardfs: '%s' stays immutable (left by a frozen "
			"mount whose daemon died): %s; `chattr -i` it\n",
			path.data, strerror(-rc));
	else
		fprintf(stderr,
			"guardfs: took the immutable attribute off '%s' (left "
			"by a frozen mount whose daemon died)\n",
			path.data);
	gfs_buf_release(&path);
	return rc;
}

/* Takes the attribute off what a killed daemon left set. */
static void recover(struct gfs_fs *fs)
{
	const char *record = fs->frozen.record;
	char line[8300];
	int failed = 0;
	FILE *f;

	f = record ? fopen(record, "re") : NULL;
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		failed |= recover_one(fs, line) != 0;
	fclose(f);
	/* kept while a file could not be thawed: the next mount tries again */
	if (!failed)
		unlink(record);
}

int gfs_frozen_files_init(struct gfs_fs *fs)
{
	struct gfs_frozen_files *ff = &fs->frozen;
	struct gfs_buf record = GFS_BUF_INIT;
	int rc;

	pthread_mutex_init(&ff->lock, NULL);
	ff->checked = checks_open_files(fs->root.fd);
	rc = gfs_buf_addf(&record, "%s.frozen-files", fs->cfg->audit_path);
	if (rc)
		return rc;
	ff->record = gfs_buf_detach(&record);
	recover(fs);
	return 0;
}

void gfs_frozen_files_release(struct gfs_fs *fs)
{
	struct gfs_frozen_files *ff = &fs->frozen;

	if (!ff->record)
		return;
	pthread_mutex_lock(&ff->lock);
	thaw_all(fs);
	pthread_mutex_unlock(&ff->lock);
	free(ff->v);
	free(ff->record);
	ff->v = NULL;
	ff->record = NULL;
	ff->cap = 0;
	pthread_mutex_destroy(&ff->lock);
}
