/*
 * Asking the user before an access: the pending asks, the waiting, the
 * answers, and what "once" covers. See guardfs/ask.h.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ask_internal.h"
#include "guardfs/util.h"

/* Answers given once, kept for the process that asked while it runs. */
#define GRANTS 64

/* A process: its pid and start time, so a reused pid is not the same. */
struct process {
	pid_t pid;
	unsigned long long start;
};

struct grant {
	char *path; /* this path and below; NULL: free slot */
	struct process who;
	enum gfs_ask_answer answer; /* ONCE, DENY or TIMEOUT */
};

struct pending {
	uint64_t id;
	char *path;
	char op[16];
	struct process who;
	pid_t thread;
	uid_t uid;
	enum gfs_ask_answer answer;
	bool remember; /* always and never become rules ([ask], not the breaker)
			*/
	int waiters;   /* threads waiting on it: the last one frees it */
	struct pending *next;
};

/*
 * Lock order: lock (pending, grants, waiting, next_id), then the rules'
 * lock. answered is broadcast whenever any ask gets its answer.
 */
struct gfs_ask {
	struct gfs_ask_rules rules;
	struct gfs_watch *watch;
	struct gfs_ask_desk *desk; /* NULL: no desktop prompt */
	unsigned timeout_s;
	pthread_mutex_t lock;
	pthread_cond_t answered;
	struct pending *pending; /* oldest first */
	int waiting;
	bool closing;
	uint64_t next_id;
	struct grant grants[GRANTS];
	unsigned next_grant;
};

static const char rule_deny[] = "ask:deny";
static const char rule_timeout[] = "ask:timeout";
static const char rule_busy[] = "ask:busy";
static const char rule_interrupted[] = "ask:interrupted";

int gfs_ask_new(struct gfs_ask **out, const struct gfs_ask_opts *opts,
		char *err, size_t err_size)
{
	struct gfs_ask *a = calloc(1, sizeof(*a));
	pthread_condattr_t attr;
	int rc;

	*out = NULL;
	if (!a)
		return -ENOMEM;
	rc = gfs_ask_rules_init(&a->rules, opts, err, err_size);
	if (rc) {
		gfs_ask_rules_release(&a->rules);
		free(a);
		return rc;
	}
	a->watch = opts->watch;
	a->timeout_s = opts->timeout_s ? opts->timeout_s : 1;
	if (opts->desktop) {
		rc = gfs_ask_desk_new(&a->desk, a, a->timeout_s,
				      opts->mountpoint);
		if (rc) {
			snprintf(err, err_size,
				 "cannot start the desktop prompt: %s",
				 strerror(-rc));
			gfs_ask_rules_release(&a->rules);
			free(a);
			return rc;
		}
	}
	a->next_id = 1;
	pthread_mutex_init(&a->lock, NULL);
	/* a timeout must not move with the wall clock */
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&a->answered, &attr);
	pthread_condattr_destroy(&attr);
	*out = a;
	return 0;
}

void gfs_ask_free(struct gfs_ask *a)
{
	struct pending *p;
	int i;

	if (!a)
		return;
	pthread_mutex_lock(&a->lock);
	a->closing = true;
	for (p = a->pending; p; p = p->next)
		if (p->answer == GFS_ASK_NONE)
			p->answer = GFS_ASK_DENY;
	pthread_cond_broadcast(&a->answered);
	while (a->waiting)
		pthread_cond_wait(&a->answered, &a->lock);
	pthread_mutex_unlock(&a->lock);
	/* (its thread may be answering: it takes the lock released above) */
	gfs_ask_desk_free(a->desk);
	for (i = 0; i < GRANTS; i++)
		free(a->grants[i].path);
	gfs_ask_rules_release(&a->rules);
	pthread_mutex_destroy(&a->lock);
	pthread_cond_destroy(&a->answered);
	free(a);
}

bool gfs_ask_enabled(const struct gfs_ask *a)
{
	return a && (a->rules.asked || a->rules.never);
}

/* The process that thread tid belongs to. false when it is gone. */
static bool process_of(pid_t tid, struct process *out)
{
	struct gfs_buf text = GFS_BUF_INIT;
	char path[64];
	const char *p;
	int fd, field;
	bool ok = false;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || gfs_buf_read_fd(&text, fd) || !text.data ||
	    !(p = strstr(text.data, "\nTgid:")))
		goto out;
	out->pid = (pid_t)atoi(p + 6);
	close(fd);
	gfs_buf_reset(&text);
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)out->pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || gfs_buf_read_fd(&text, fd) || !text.data ||
	    !(p = strrchr(text.data, ')')))
		goto out;
	/* past the name: the state is field 3, the start time field 22 */
	for (field = 2; field < 21 && p; field++)
		p = strchr(p + 1, ' ');
	ok = p && sscanf(p, " %llu", &out->start) == 1;
out:
	if (fd >= 0)
		close(fd);
	gfs_buf_release(&text);
	return ok;
}

static bool same_process(const struct process *a, const struct process *b)
{
	return a->pid == b->pid && a->start == b->start;
}

/* Whether path is dir or lies below it. */
static bool within(const char *path, const char *dir)
{
	size_t len = strlen(dir);

	return !strncmp(path, dir, len) && (!path[len] || path[len] == '/');
}

/* The once-answer for who on path (or above it), or NONE. */
static enum gfs_ask_answer granted(struct gfs_ask *a, const struct process *who,
				   const char *path)
{
	int i;

	for (i = 0; i < GRANTS; i++) {
		struct grant *g = &a->grants[i];

		if (g->path && same_process(&g->who, who) &&
		    within(path, g->path))
			return g->answer;
	}
	return GFS_ASK_NONE;
}

/* Keeps a once-answer; the oldest one makes room. */
static void grant(struct gfs_ask *a, const struct process *who,
		  const char *path, enum gfs_ask_answer answer)
{
	struct grant *g = &a->grants[a->next_grant++ % GRANTS];

	free(g->path);
	g->path = strdup(path);
	g->who = *who;
	g->answer = answer;
}

static void publish(struct gfs_ask *a, const struct pending *p,
		    const char *kind, const char *detail)
{
	struct gfs_watch_event ev = {
		.kind = kind,
		.op = p->op,
		.path = p->path,
		.detail = detail,
		.pid = p->thread,
		.uid = p->uid,
		.id = p->id,
	};

	gfs_watch_publish(a->watch, &ev);
	/* the desktop shows what watch shows, and takes it away with it */
	if (!strcmp(kind, "ask"))
		gfs_ask_desk_show(a->desk, p->id, p->op, p->thread, p->path,
				  detail);
	else
		gfs_ask_desk_withdraw(a->desk, p->id);
}

static struct pending *find_pending(struct gfs_ask *a, uint64_t id)
{
	struct pending *p;

	for (p = a->pending; p; p = p->next)
		if (p->id == id)
			return p;
	return NULL;
}

static void unlink_pending(struct gfs_ask *a, struct pending *gone)
{
	struct pending **p;

	for (p = &a->pending; *p; p = &(*p)->next) {
		if (*p == gone) {
			*p = gone->next;
			break;
		}
	}
	gfs_ask_desk_withdraw(a->desk, gone->id);
	free(gone->path);
	free(gone);
}

static bool cancelled(const struct gfs_ask_request *r)
{
	return r->cancelled && *r->cancelled;
}

void gfs_ask_cancel(struct gfs_ask *a, bool *cancelled)
{
	if (!a)
		return;
	pthread_mutex_lock(&a->lock);
	*cancelled = true;
	pthread_cond_broadcast(&a->answered);
	pthread_mutex_unlock(&a->lock);
}

/*
 * Waits, under a->lock, for the answer to r from who: joins the ask of
 * the same process on the same path if there is one. The answer.
 */
static enum gfs_ask_answer wait_answer(struct gfs_ask *a,
				       const struct gfs_ask_request *r,
				       const struct process *who, bool remember)
{
	enum gfs_ask_answer answer;
	struct timespec until;
	struct pending *p;

	for (p = a->pending; p; p = p->next)
		if (same_process(&p->who, who) && !strcmp(p->path, r->path) &&
		    p->answer == GFS_ASK_NONE && p->remember == remember)
			break;
	if (a->closing || a->waiting >= GFS_ASK_MAX_WAITING)
		return GFS_ASK_BUSY;
	if (!p) {
		struct pending **tail;

		p = calloc(1, sizeof(*p));
		if (!p || !(p->path = strdup(r->path))) {
			free(p);
			return GFS_ASK_BUSY;
		}
		p->id = a->next_id++;
		snprintf(p->op, sizeof(p->op), "%s", r->op);
		p->who = *who;
		p->remember = remember;
		p->thread = r->pid;
		p->uid = r->uid;
		for (tail = &a->pending; *tail; tail = &(*tail)->next)
			;
		*tail = p;
		publish(a, p, "ask", r->detail);
	}
	p->waiters++;
	a->waiting++;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += a->timeout_s;
	while (p->answer == GFS_ASK_NONE && !cancelled(r) &&
	       pthread_cond_timedwait(&a->answered, &a->lock, &until) !=
		       ETIMEDOUT)
		;
	if (p->answer == GFS_ASK_NONE && cancelled(r)) {
		/* withdrawn for good once its last waiter is gone */
		answer = GFS_ASK_CANCELLED;
		if (p->waiters == 1)
			publish(a, p, "answered", gfs_ask_describe(answer));
	} else {
		if (p->answer == GFS_ASK_NONE) {
			p->answer = GFS_ASK_TIMEOUT;
			publish(a, p, "answered", gfs_ask_describe(p->answer));
		}
		answer = p->answer;
	}
	a->waiting--;
	if (--p->waiters == 0)
		unlink_pending(a, p);
	if (a->closing)
		pthread_cond_broadcast(&a->answered);
	return answer;
}

enum gfs_ask_answer gfs_ask_wait(struct gfs_ask *a,
				 const struct gfs_ask_request *r)
{
	enum gfs_ask_answer answer;
	struct process who = {r->pid, 0};

	if (!a)
		return GFS_ASK_BUSY;
	process_of(r->pid, &who);
	pthread_mutex_lock(&a->lock);
	answer = wait_answer(a, r, &who, false);
	pthread_mutex_unlock(&a->lock);
	return answer;
}

int gfs_ask_check(struct gfs_ask *a, const struct gfs_ask_request *r,
		  const char **rule)
{
	enum gfs_ask_answer answer;
	struct process who;
	int rc;

	*rule = NULL;
	if (!gfs_ask_enabled(a))
		return 0;
	rc = gfs_ask_rules_match(&a->rules, r->path, r->is_dir, rule);
	if (rc <= 0)
		return rc;
	/* a process that cannot be named cannot be asked about */
	if (!process_of(r->pid, &who)) {
		*rule = rule_deny;
		return -EACCES;
	}
	pthread_mutex_lock(&a->lock);
	answer = granted(a, &who, r->path);
	if (answer == GFS_ASK_NONE) {
		answer = wait_answer(a, r, &who, true);
		/* the process's retries get the same answer, unasked */
		if (answer == GFS_ASK_ONCE || answer == GFS_ASK_DENY ||
		    answer == GFS_ASK_TIMEOUT)
			grant(a, &who, r->path, answer);
	}
	pthread_mutex_unlock(&a->lock);
	switch (answer) {
	case GFS_ASK_ONCE:
	case GFS_ASK_ALWAYS:
		return 1;
	case GFS_ASK_TIMEOUT:
		*rule = rule_timeout;
		return -EACCES;
	case GFS_ASK_BUSY:
		*rule = rule_busy;
		return -EACCES;
	case GFS_ASK_CANCELLED:
		*rule = rule_interrupted;
		return -EINTR;
	default:
		*rule = rule_deny;
		return -EACCES;
	}
}

int gfs_ask_answer(struct gfs_ask *a, uint64_t id, enum gfs_ask_answer answer)
{
	const char *detail = gfs_ask_describe(answer);
	struct gfs_buf path = GFS_BUF_INIT;
	struct pending *p;
	int rc = 0;

	if (answer < GFS_ASK_ONCE || answer > GFS_ASK_NEVER)
		return -EINVAL;
	pthread_mutex_lock(&a->lock);
	p = find_pending(a, id);
	if (!p || p->answer != GFS_ASK_NONE) {
		pthread_mutex_unlock(&a->lock);
		return -ENOENT;
	}
	if (p->remember &&
	    (answer == GFS_ASK_ALWAYS || answer == GFS_ASK_NEVER)) {
		gfs_buf_adds(&path, p->path);
		/* written before anyone goes on: it holds at the next mount */
		rc = gfs_ask_rules_remember(&a->rules, p->path,
					    answer == GFS_ASK_ALWAYS);
		if (rc) {
			/* not remembered: this time only, and said so */
			answer = answer == GFS_ASK_ALWAYS ? GFS_ASK_ONCE
							  : GFS_ASK_DENY;
			detail = answer == GFS_ASK_ONCE
					 ? "allowed once (could not remember)"
					 : "denied (could not remember)";
		}
	}
	p->answer = answer;
	publish(a, p, "answered", detail);
	/* an answer for good also settles other processes' asks on it */
	if (!rc && path.data) {
		for (p = a->pending; p; p = p->next) {
			if (p->answer != GFS_ASK_NONE || !p->remember ||
			    !within(p->path, path.data))
				continue;
			p->answer = answer;
			publish(a, p, "answered", detail);
		}
	}
	pthread_cond_broadcast(&a->answered);
	pthread_mutex_unlock(&a->lock);
	gfs_buf_release(&path);
	return rc;
}

int gfs_ask_parse(const char *word, enum gfs_ask_answer *out)
{
	static const struct {
		const char *word;
		enum gfs_ask_answer answer;
	} words[] = {
		{"allow", GFS_ASK_ONCE},
		{"always", GFS_ASK_ALWAYS},
		{"deny", GFS_ASK_DENY},
		{"never", GFS_ASK_NEVER},
	};
	size_t i;

	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		if (!strcmp(word, words[i].word)) {
			*out = words[i].answer;
			return 0;
		}
	}
	return -EINVAL;
}

const char *gfs_ask_describe(enum gfs_ask_answer answer)
{
	switch (answer) {
	case GFS_ASK_ONCE:
		return "allowed once";
	case GFS_ASK_ALWAYS:
		return "allowed always";
	case GFS_ASK_DENY:
		return "denied";
	case GFS_ASK_NEVER:
		return "denied always";
	case GFS_ASK_TIMEOUT:
		return "no answer in time: denied";
	case GFS_ASK_BUSY:
		return "too many asks waiting: denied";
	case GFS_ASK_CANCELLED:
		return "interrupted: withdrawn";
	default:
		return "not answered";
	}
}

int gfs_ask_list(struct gfs_ask *a, struct gfs_buf *out)
{
	struct pending *p;
	int rc = 0;

	pthread_mutex_lock(&a->lock);
	for (p = a->pending; p && !rc; p = p->next) {
		if (p->answer != GFS_ASK_NONE)
			continue;
		rc = gfs_buf_addf(out, "ask\t%llu\t%s\t%ld\t",
				  (unsigned long long)p->id, p->op,
				  (long)p->thread);
		if (!rc)
			rc = gfs_buf_add_hex(out, p->path, strlen(p->path));
		if (!rc)
			rc = gfs_buf_addch(out, '\n');
	}
	pthread_mutex_unlock(&a->lock);
	return rc;
}
