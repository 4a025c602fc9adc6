/*
 * The unmount's progress. Once the kernel has let go of the mount, the
 * daemon still records what is queued before it exits, and `guardfs
 * umount` waits for that. Meanwhile a thread here rewrites
 * <runtime dir>/<pid>.drain every 200 ms with what is left ("N M B":
 * jobs left, jobs left when the drain began, bytes of large files the
 * store has yet to read), which the umount command shows on a terminal.
 * The file goes when the store is closed.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fs_internal.h"
#include "guardfs/control.h"
#include "guardfs/util.h"

#define DRAIN_REPORT_MS 200

struct gfs_drain {
	struct gfs_store *store;
	char *path;
	uint64_t first; /* jobs left when the drain began */
	bool stop;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_t thread;
};

/* Replaces the file in one rename: a reader sees one line or none. */
static void report(struct gfs_drain *d)
{
	uint64_t applied, queued;
	char tmp[4096], line[64];
	int fd, n;

	gfs_store_backlog(d->store, &applied, &queued);
	n = snprintf(line, sizeof(line), "%llu %llu %llu\n",
		     (unsigned long long)(queued - applied),
		     (unsigned long long)d->first,
		     (unsigned long long)gfs_store_ingest_left(d->store));
	snprintf(tmp, sizeof(tmp), "%s.tmp", d->path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
		  0600);
	if (fd < 0)
		return;
	if (write(fd, line, (size_t)n) != n || close(fd) ||
	    rename(tmp, d->path))
		unlink(tmp);
}

static void *drain_main(void *arg)
{
	struct gfs_drain *d = arg;
	struct timespec until;

	pthread_setname_np(pthread_self(), "gfs-drain");
	pthread_mutex_lock(&d->lock);
	while (!d->stop) {
		pthread_mutex_unlock(&d->lock);
		report(d);
		pthread_mutex_lock(&d->lock);
		gfs_deadline_in(&until, CLOCK_REALTIME,
				DRAIN_REPORT_MS * 1000000LL);
		while (!d->stop && pthread_cond_timedwait(&d->cond, &d->lock,
							  &until) != ETIMEDOUT)
			;
	}
	pthread_mutex_unlock(&d->lock);
	return NULL;
}

struct gfs_drain *gfs_drain_report_start(struct gfs_store *s)
{
	struct gfs_buf path = GFS_BUF_INIT;
	struct gfs_drain *d;
	uint64_t applied, queued;

	if (!s || gfs_control_runtime_dir(&path) ||
	    gfs_buf_addf(&path, "/%ld.drain", (long)getpid())) {
		gfs_buf_release(&path);
		return NULL;
	}
	d = calloc(1, sizeof(*d));
	if (!d) {
		gfs_buf_release(&path);
		return NULL;
	}
	d->store = s;
	d->path = gfs_buf_detach(&path);
	gfs_store_backlog(s, &applied, &queued);
	d->first = queued - applied;
	pthread_mutex_init(&d->lock, NULL);
	pthread_cond_init(&d->cond, NULL);
	if (pthread_create(&d->thread, NULL, drain_main, d)) {
		/* the unmount goes on, only without its progress */
		free(d->path);
		free(d);
		return NULL;
	}
	return d;
}

void gfs_drain_report_stop(struct gfs_drain *d)
{
	if (!d)
		return;
	pthread_mutex_lock(&d->lock);
	d->stop = true;
	pthread_cond_signal(&d->cond);
	pthread_mutex_unlock(&d->lock);
	pthread_join(d->thread, NULL);
	unlink(d->path);
	pthread_mutex_destroy(&d->lock);
	pthread_cond_destroy(&d->cond);
	free(d->path);
	free(d);
}
