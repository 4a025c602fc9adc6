/*
 * Counting the bytes the kernel writes without us. Under passthrough the
 * daemon sees no write of an open file, so bytes_written_per_minute
 * would count a write session only when it closes, and a runaway writer
 * that keeps one file open (dd of a disk image, a log gone mad) would
 * never trip it. While the breaker counts bytes, a thread looks at the
 * size of every file open for kernel writes once a second and counts
 * what it grew by; the release counts the rest. The trip freezes the
 * mount, and the freeze stops those very files (freeze_files.c).
 *
 * Only growth is seen: rewriting bytes in place changes no size, and is
 * counted neither here nor at the release (the daemon's own data path
 * counts every write).
 *
 * The same thread looks at the files open for kernel reads, whose
 * changes the content scan must judge after the fact (read_check.c): it
 * runs while either job has something to do.
 */
#include <errno.h>
#include <sys/stat.h>
#include <time.h>

#include "fs_internal.h"
#include "guardfs/util.h"

/* How often the sizes are looked at. */
#define SAMPLE_NS 1000000000LL

/*
 * What the handle's file grew by since it was last counted, now that it
 * is size bytes; the caller holds handles_lock.
 */
static uint64_t grown_locked(struct gfs_handle *h, off_t size)
{
	uint64_t grew =
		size > h->counted_size ? (uint64_t)(size - h->counted_size) : 0;

	if (size > h->counted_size)
		h->counted_size = size;
	return grew;
}

/* One look at every kernel writer: counts, and may trip the breaker. */
static void sample(struct gfs_fs *fs)
{
	struct gfs_buf who = GFS_BUF_INIT;
	uint64_t total = 0, most = 0;
	struct gfs_handle *h;
	pid_t pid = 0;
	uid_t uid = 0;
	struct stat st;

	pthread_mutex_lock(&fs->handles_lock);
	for (h = fs->open_handles; h; h = h->next) {
		uint64_t grew;

		if (!h->kernel_writes || fstat(h->fd, &st))
			continue;
		grew = grown_locked(h, st.st_size);
		total += grew;
		/* the trip names the writer that wrote most */
		if (grew > most) {
			most = grew;
			pid = h->pid;
			uid = h->uid;
			who.len = 0;
			gfs_buf_adds(&who, h->path);
		}
	}
	pthread_mutex_unlock(&fs->handles_lock);
	if (total)
		gfs_freeze_wrote(fs, pid, uid, who.data ? who.data : "", total);
	gfs_buf_release(&who);
}

static void *sampler_main(void *arg)
{
	struct gfs_fs *fs = arg;
	struct gfs_kernel_writes *kw = &fs->kernel_writes;
	struct timespec until;

	pthread_setname_np(pthread_self(), "gfs-kwrites");
	pthread_mutex_lock(&kw->lock);
	while (!kw->stop) {
		gfs_deadline_in(&until, CLOCK_MONOTONIC, SAMPLE_NS);
		pthread_cond_timedwait(&kw->wake, &kw->lock, &until);
		if (kw->stop)
			break;
		pthread_mutex_unlock(&kw->lock);
		if (fs->pt.enabled && fs->cfg->bytes_written_per_minute)
			sample(fs);
		if (fs->pt.enabled)
			gfs_kernel_reads_sample(fs);
		pthread_mutex_lock(&kw->lock);
	}
	pthread_mutex_unlock(&kw->lock);
	return NULL;
}

int gfs_kernel_writes_start(struct gfs_fs *fs)
{
	struct gfs_kernel_writes *kw = &fs->kernel_writes;
	pthread_condattr_t attr;
	int rc;

	if (!fs->cfg->bytes_written_per_minute && !fs->guards.scanner)
		return 0;
	pthread_mutex_init(&kw->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&kw->wake, &attr);
	pthread_condattr_destroy(&attr);
	kw->stop = false;
	rc = pthread_create(&kw->thread, NULL, sampler_main, fs);
	if (rc)
		return -rc;
	kw->running = true;
	return 0;
}

void gfs_kernel_writes_stop(struct gfs_fs *fs)
{
	struct gfs_kernel_writes *kw = &fs->kernel_writes;

	if (!kw->running)
		return;
	pthread_mutex_lock(&kw->lock);
	kw->stop = true;
	pthread_cond_signal(&kw->wake);
	pthread_mutex_unlock(&kw->lock);
	pthread_join(kw->thread, NULL);
	kw->running = false;
	pthread_cond_destroy(&kw->wake);
	pthread_mutex_destroy(&kw->lock);
}

void gfs_kernel_writes_opened(struct gfs_fs *fs, struct gfs_handle *h)
{
	struct stat st;
	off_t size = fs->breaker && !fstat(h->fd, &st) ? st.st_size : 0;

	/*
	 * Published under the list's lock: a freeze that set its flag
	 * before this either sees the handle in its walk, or is seen
	 * frozen just below, and stops its writes then.
	 */
	pthread_mutex_lock(&fs->handles_lock);
	h->counted_size = size;
	h->kernel_writes = true;
	pthread_mutex_unlock(&fs->handles_lock);
	if (gfs_breaker_frozen(fs->breaker))
		gfs_frozen_files_sync(fs);
}

void gfs_kernel_writes_closing(struct gfs_fs *fs, struct gfs_handle *h,
			       off_t size)
{
	uint64_t grew;

	if (!h->kernel_writes)
		return;
	pthread_mutex_lock(&fs->handles_lock);
	grew = grown_locked(h, size);
	pthread_mutex_unlock(&fs->handles_lock);
	if (grew)
		gfs_freeze_wrote(fs, h->pid, h->uid, h->path, grew);
}
