#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "guardfs/audit.h"
#include "guardfs/util.h"

/* Write out at least this often, and sooner once this much is waiting. */
#define FLUSH_INTERVAL_MS 200
#define FLUSH_THRESHOLD	  (256 * 1024)
/* Past this much unwritten text (a stuck disk), lines are counted lost. */
#define BUFFER_LIMIT (64 * 1024 * 1024)

/*
 * Lock order: lock protects pending, stop, flush_wanted and the counts;
 * the writer swaps pending out under it and writes without it, so a
 * request thread waits at most for a memcpy.
 */
struct gfs_audit {
	int fd;
	enum gfs_audit_level level;
	pthread_mutex_t lock;
	pthread_cond_t wake;	/* writer: work or stop */
	pthread_cond_t written; /* flushers: a round finished */
	struct gfs_buf pending;
	uint64_t rounds; /* completed write rounds */
	bool stop;
	bool flush_wanted;
	uint64_t lost; /* lines dropped for lack of memory */
	pthread_t writer;
};

static bool wanted(const struct gfs_audit *a, const struct gfs_op *op)
{
	if (op->alert)
		return true;
	switch (a->level) {
	case GFS_AUDIT_ALL:
		return true;
	case GFS_AUDIT_MUTATIONS:
		return gfs_op_changes(op->kind) || op->result;
	case GFS_AUDIT_DENIED:
		return op->rule != NULL && op->result;
	}
	return true;
}

static void write_all(int fd, const char *data, size_t len)
{
	while (len) {
		ssize_t n = write(fd, data, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			/* Nowhere left to report to; the daemon log says. */
			fprintf(stderr, "guardfs: cannot write audit: %s\n",
				strerror(errno));
			return;
		}
		data += n;
		len -= (size_t)n;
	}
}

static void *writer_main(void *arg)
{
	struct gfs_audit *a = arg;
	struct gfs_buf out = GFS_BUF_INIT, swap;

	pthread_setname_np(pthread_self(), "gfs-audit");
	pthread_mutex_lock(&a->lock);
	for (;;) {
		struct timespec until;

		gfs_deadline_in(&until, CLOCK_REALTIME,
				FLUSH_INTERVAL_MS * 1000000LL);
		while (!a->stop && !a->flush_wanted &&
		       a->pending.len < FLUSH_THRESHOLD &&
		       pthread_cond_timedwait(&a->wake, &a->lock, &until) == 0)
			;
		swap = a->pending;
		a->pending = out;
		out = swap;
		a->flush_wanted = false;
		pthread_mutex_unlock(&a->lock);
		if (out.len)
			write_all(a->fd, out.data, out.len);
		gfs_buf_reset(&out);
		pthread_mutex_lock(&a->lock);
		a->rounds++;
		pthread_cond_broadcast(&a->written);
		if (a->stop && a->pending.len == 0)
			break;
	}
	pthread_mutex_unlock(&a->lock);
	gfs_buf_release(&out);
	return NULL;
}

int gfs_audit_open(struct gfs_audit **out, const char *path,
		   enum gfs_audit_level level, char *err, size_t err_size)
{
	struct gfs_audit *a;
	char *dir_copy;
	int rc;

	*out = NULL;
	dir_copy = strdup(path);
	if (!dir_copy)
		return -ENOMEM;
	rc = gfs_mkdir_p(dirname(dir_copy), 0700);
	free(dir_copy);
	if (rc) {
		snprintf(err, err_size,
			 "cannot create the directory of '%s': %s", path,
			 strerror(-rc));
		return rc;
	}
	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	a->fd = open(path,
		     O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
		     0600);
	if (a->fd < 0) {
		rc = -errno;
		snprintf(err, err_size, "cannot open audit trail '%s': %s",
			 path, strerror(errno));
		free(a);
		return rc;
	}
	a->level = level;
	pthread_mutex_init(&a->lock, NULL);
	pthread_cond_init(&a->wake, NULL);
	pthread_cond_init(&a->written, NULL);
	rc = pthread_create(&a->writer, NULL, writer_main, a);
	if (rc) {
		close(a->fd);
		free(a);
		snprintf(err, err_size, "cannot start the audit writer");
		return -rc;
	}
	*out = a;
	return 0;
}

void gfs_audit_flush(struct gfs_audit *a)
{
	uint64_t target;

	if (!a)
		return;
	pthread_mutex_lock(&a->lock);
	/* The round in progress may have started before our lines. */
	target = a->rounds + 2;
	a->flush_wanted = true;
	pthread_cond_signal(&a->wake);
	while (a->rounds < target && !a->stop) {
		a->flush_wanted = true;
		pthread_cond_signal(&a->wake);
		pthread_cond_wait(&a->written, &a->lock);
	}
	pthread_mutex_unlock(&a->lock);
}

void gfs_audit_close(struct gfs_audit *a)
{
	if (!a)
		return;
	pthread_mutex_lock(&a->lock);
	a->stop = true;
	pthread_cond_signal(&a->wake);
	pthread_mutex_unlock(&a->lock);
	pthread_join(a->writer, NULL);
	if (a->lost) {
		char line[128];
		int n = snprintf(line, sizeof(line),
				 "{\"op\":\"audit-lost\",\"lines\":%llu}\n",
				 (unsigned long long)a->lost);

		write_all(a->fd, line, (size_t)n);
	}
	fsync(a->fd);
	close(a->fd);
	gfs_buf_release(&a->pending);
	pthread_mutex_destroy(&a->lock);
	pthread_cond_destroy(&a->wake);
	pthread_cond_destroy(&a->written);
	free(a);
}

static void add_field(struct gfs_buf *line, const char *key, const char *value)
{
	gfs_buf_addf(line, ",\"%s\":", key);
	gfs_buf_add_json(line, value, strlen(value));
}

static void format_event(struct gfs_buf *line, const struct gfs_op *op)
{
	const char *name = gfs_op_name(op->kind);
	struct timespec now;
	char process[32];

	clock_gettime(CLOCK_REALTIME, &now);
	gfs_audit_process_name(op->pid, process, sizeof(process));
	gfs_buf_adds(line, "{\"time\":\"");
	gfs_time_format(line, &now);
	gfs_buf_addf(line, "\",\"pid\":%ld", (long)op->pid);
	add_field(line, "process", process);
	gfs_buf_addf(line, ",\"uid\":%lu", (unsigned long)op->uid);
	add_field(line, "op", name);
	add_field(line, "path", op->path ? op->path : "");
	if (op->path2)
		add_field(line, "path2", op->path2);
	/* a write session ends under the name its file has by then */
	if (op->current && op->path && strcmp(op->current, op->path))
		add_field(line, "now", op->current);
	add_field(line, "result",
		  op->result ? gfs_errno_name(-op->result) : "ok");
	if (op->rule)
		add_field(line, "rule", op->rule);
	if (op->detail)
		add_field(line, "detail", op->detail);
	if (op->seq)
		gfs_buf_addf(line, ",\"seq\":%llu",
			     (unsigned long long)op->seq);
	if (op->action_label)
		add_field(line, "action", op->action_label);
	if (op->action_id)
		gfs_buf_addf(line, ",\"action_id\":\"A%llu\"",
			     (unsigned long long)op->action_id);
	gfs_buf_adds(line, "}\n");
}

void gfs_audit_record(struct gfs_audit *a, const struct gfs_op *op)
{
	struct gfs_buf line = GFS_BUF_INIT;
	bool wake;

	if (!a || !wanted(a, op))
		return;
	format_event(&line, op);
	pthread_mutex_lock(&a->lock);
	if (a->pending.len + line.len > BUFFER_LIMIT ||
	    gfs_buf_add(&a->pending, line.data, line.len))
		a->lost++;
	wake = a->pending.len >= FLUSH_THRESHOLD;
	if (wake)
		pthread_cond_signal(&a->wake);
	pthread_mutex_unlock(&a->lock);
	gfs_buf_release(&line);
}
