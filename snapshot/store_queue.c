/*
 * The job queue's bookkeeping: which paths have jobs queued (so that
 * before() waits only for those), and turning after() events into jobs.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guardfs/util.h"
#include "store_internal.h"

static uint64_t path_hash(const char *p)
{
	return gfs_hash(p, strlen(p)) % GFS_STORE_PENDING_BUCKETS;
}

struct gfs_store_pending *gfs_store_pending_find(struct gfs_store *s,
						 const char *p, size_t len)
{
	struct gfs_store_pending *e;

	for (e = s->pending[gfs_hash(p, len) % GFS_STORE_PENDING_BUCKETS]; e;
	     e = e->next)
		if (!strncmp(e->path, p, len) && !e->path[len])
			return e;
	return NULL;
}

static int pending_add(struct gfs_store *s, const char *p, uint64_t seq)
{
	struct gfs_store_pending *e = gfs_store_pending_find(s, p, strlen(p));
	uint64_t h;

	if (!e) {
		e = calloc(1, sizeof(*e));
		if (!e || !(e->path = strdup(p))) {
			free(e);
			return -ENOMEM;
		}
		h = path_hash(p);
		e->next = s->pending[h];
		s->pending[h] = e;
	}
	e->count++;
	e->last_seq = seq;
	return 0;
}

/* Under queue_lock, after pending_add(from): the link's new name. */
static int note_link(struct gfs_store *s, const char *from, const char *to,
		     uint64_t seq)
{
	struct gfs_store_pending *e =
		gfs_store_pending_find(s, from, strlen(from));
	char *copy = strdup(to);

	if (!copy) {
		gfs_store_pending_drop(s, from);
		return -ENOMEM;
	}
	free(e->link_to);
	e->link_to = copy;
	e->link_seq = seq;
	return 0;
}

void gfs_store_pending_drop(struct gfs_store *s, const char *p)
{
	struct gfs_store_pending **pp = &s->pending[path_hash(p)];

	for (; *pp; pp = &(*pp)->next) {
		struct gfs_store_pending *e = *pp;

		if (strcmp(e->path, p))
			continue;
		if (--e->count == 0) {
			*pp = e->next;
			free(e->path);
			free(e->link_to);
			free(e);
		}
		return;
	}
}

/* The last queued seq naming path or one of its ancestors. */
uint64_t gfs_store_pending_target(struct gfs_store *s, const char *path)
{
	size_t len = strlen(path);
	uint64_t target = 0;

	for (;;) {
		struct gfs_store_pending *e =
			gfs_store_pending_find(s, path, len);

		if (e && e->last_seq > target)
			target = e->last_seq;
		if (!len)
			break;
		while (len > 0 && path[len - 1] != '/')
			len--;
		if (len)
			len--;
	}
	return target;
}

/*
 * The last queued seq naming a path below path. A scan of the table, but
 * only what is queued is in it: cheaper than waiting for the whole queue
 * at every rmdir of an rm -rf.
 */
uint64_t gfs_store_pending_target_below(struct gfs_store *s, const char *path,
					uint64_t target)
{
	size_t len = strlen(path), i;

	for (i = 0; i < GFS_STORE_PENDING_BUCKETS; i++) {
		const struct gfs_store_pending *e;

		for (e = s->pending[i]; e; e = e->next)
			if (e->last_seq > target &&
			    (!len || (!strncmp(e->path, path, len) &&
				      e->path[len] == '/')))
				target = e->last_seq;
	}
	return target;
}

void gfs_store_job_free(struct gfs_store_job *job)
{
	free(job->ev.path);
	free(job->ev.from);
	free(job->ev.process);
	free(job->ev.action);
	free(job->spill);
	free(job);
}

/* Queues job (taking it) and gives it its seq. 0 or -ENOMEM. */
static int enqueue(struct gfs_store *s, struct gfs_store_job *job,
		   uint64_t *seq)
{
	int rc;

	pthread_mutex_lock(&s->queue_lock);
	job->ev.seq = ++s->next_seq;
	/* markers name no path of the folder */
	rc = job->ev.op < 0 ? 0 : pending_add(s, job->ev.path, job->ev.seq);
	if (!rc && job->ev.from) {
		rc = pending_add(s, job->ev.from, job->ev.seq);
		if (!rc && job->ev.op == GFS_OP_LINK)
			rc = note_link(s, job->ev.from, job->ev.path,
				       job->ev.seq);
		if (rc)
			gfs_store_pending_drop(s, job->ev.path);
	}
	if (rc) {
		/* the seq stays used: done_seq must still reach it */
		job->ev.op = -1;
	}
	if (s->queue_tail)
		s->queue_tail->next = job;
	else
		s->queue_head = job;
	s->queue_tail = job;
	if (seq)
		*seq = job->ev.seq;
	if (++s->queue_len >= GFS_STORE_NAP_JOBS || !s->worker_napping)
		pthread_cond_signal(&s->queue_cond);
	pthread_mutex_unlock(&s->queue_lock);
	return rc;
}

static struct gfs_store_job *job_new(int op, const char *path, const char *from,
				     pid_t pid, const char *process)
{
	struct gfs_store_job *job = calloc(1, sizeof(*job));

	if (!job)
		return NULL;
	job->ev.op = op;
	job->ev.pid = pid;
	job->ev.path = strdup(path ? path : "");
	job->ev.from = from ? strdup(from) : NULL;
	job->ev.process = strdup(process ? process : "");
	if (!job->ev.path || (from && !job->ev.from) || !job->ev.process) {
		gfs_store_job_free(job);
		return NULL;
	}
	return job;
}

int gfs_store_after(struct gfs_store *s, const struct gfs_store_event *ev,
		    uint64_t *seq)
{
	struct gfs_store_job *job;

	job = job_new(ev->op, ev->path, ev->from, ev->pid, ev->process);
	if (!job)
		return -ENOMEM;
	job->ev.ino = ev->ino;
	job->ev.sole_name = ev->sole_name;
	job->ev.action_id = ev->action_id;
	job->ev.sandbox = ev->sandbox;
	/* without memory the operation is still recorded, unlabelled */
	if (ev->action)
		job->ev.action = strdup(ev->action);
	return enqueue(s, job, seq);
}

int gfs_store_queue_spill(struct gfs_store *s, const char *path, char *spill)
{
	struct gfs_store_job *job;

	job = job_new(GFS_STORE_OP_PREIMAGE, path, NULL, getpid(), "guardfs");
	if (!job) {
		free(spill);
		return -ENOMEM;
	}
	job->spill = spill;
	return enqueue(s, job, NULL);
}

int gfs_store_group_begin(struct gfs_store *s, const char *label, pid_t pid)
{
	struct gfs_store_job *job;

	job = job_new(GFS_STORE_MARK_GROUP_BEGIN, label, NULL, pid, "");
	return job ? enqueue(s, job, NULL) : -ENOMEM;
}

int gfs_store_group_end(struct gfs_store *s)
{
	struct gfs_store_job *job;

	job = job_new(GFS_STORE_MARK_GROUP_END, "", NULL, 0, "");
	return job ? enqueue(s, job, NULL) : -ENOMEM;
}
