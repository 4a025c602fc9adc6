/*
 * The asks on the user's desktop: while an ask waits, a notify-send with
 * four actions (allow once, allow always, deny, deny always); the key it
 * prints answers the ask through gfs_ask_answer, as `guardfs ask answer`
 * does over the control socket.
 *
 * One thread, started at the first ask, does all the work with children:
 * it starts each notify-send, reads what it prints, answers, and when the
 * ask ends some other way (answered in watch, timed out, the asker
 * interrupted, unmount) stops that notify-send (SIGINT, on which it
 * closes its notification; SIGKILL if it is still there KILL_AFTER_MS
 * later) and reaps it. Request threads only note work under the desk's
 * lock and wake the thread: they never fork, read a pipe or wait for a
 * child, and the thread holds no lock while it does.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ask_internal.h"
#include "guardfs/audit.h"
#include "guardfs/buf.h"
#include "guardfs/desktop.h"
#include "guardfs/util.h"

/* Prompts shown at once: asks past that are answered in watch only. */
#define PROMPTS	      16
#define KILL_AFTER_MS 2000
/* How often a child that closed its stdout but lives is looked at. */
#define REAP_POLL_MS 100
/* notify-send prints one action key: more than this is not an answer. */
#define SAID_MAX 64

/* The buttons, keyed by the words `guardfs ask answer` takes. */
static const struct gfs_desktop_action buttons[] = {
	{"allow", "Allow once"},
	{"always", "Allow always"},
	{"deny", "Deny"},
	{"never", "Deny always"},
};

struct prompt {
	/* under the desk's lock */
	bool used;
	bool ended; /* the ask is over: take the prompt away */
	uint64_t id;
	char op[16];
	pid_t pid;
	char *path;
	char *detail; /* NULL: none */

	/* the thread's alone */
	bool started;
	pid_t child; /* 0: none (not started, failed, or reaped) */
	int fd;	     /* its stdout, -1 once read to its end */
	struct gfs_buf said;
	bool signalled;
	struct timespec kill_at;
};

/*
 * Lock order: the asker's lock, then this one (show and withdraw are
 * called under the asker's); the thread calls gfs_ask_answer holding
 * none.
 */
struct gfs_ask_desk {
	struct gfs_ask *ask;
	unsigned timeout_s;
	char *where; /* the mount point, named in the body */
	pthread_mutex_t lock;
	struct prompt prompts[PROMPTS];
	int wake[2]; /* a byte wakes the thread */
	bool running;
	bool closing;
	pthread_t thread;
};

int gfs_ask_desk_new(struct gfs_ask_desk **out, struct gfs_ask *a,
		     unsigned timeout_s, const char *where)
{
	struct gfs_ask_desk *d = calloc(1, sizeof(*d));
	int i;

	*out = NULL;
	if (!d)
		return -ENOMEM;
	if (pipe2(d->wake, O_CLOEXEC | O_NONBLOCK)) {
		free(d);
		return -errno;
	}
	d->where = strdup(where ? where : "");
	if (!d->where) {
		close(d->wake[0]);
		close(d->wake[1]);
		free(d);
		return -ENOMEM;
	}
	d->ask = a;
	d->timeout_s = timeout_s;
	pthread_mutex_init(&d->lock, NULL);
	for (i = 0; i < PROMPTS; i++)
		d->prompts[i].fd = -1;
	*out = d;
	return 0;
}

static void wake(struct gfs_ask_desk *d)
{
	char byte = 0;
	ssize_t n;

	/* a full pipe is a thread already due to wake */
	n = write(d->wake[1], &byte, 1);
	(void)n;
}

static void release(struct prompt *p)
{
	free(p->path);
	free(p->detail);
	gfs_buf_release(&p->said);
	memset(p, 0, sizeof(*p));
	p->fd = -1;
}

static long long ms_until(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (t->tv_sec - now.tv_sec) * 1000LL +
	       (t->tv_nsec - now.tv_nsec) / 1000000;
}

/* "cat[4120] open private/x.txt" and where, each part escaped. */
static int compose(struct gfs_ask_desk *d, const struct prompt *p,
		   struct gfs_buf *body)
{
	char name[32];
	int rc;

	gfs_audit_process_name(p->pid, name, sizeof(name));
	rc = gfs_buf_add_markup(body, name);
	if (!rc)
		rc = gfs_buf_addf(body, "[%ld] %s ", (long)p->pid, p->op);
	if (!rc)
		rc = gfs_buf_add_markup(body, p->path);
	if (!rc)
		rc = gfs_buf_adds(body, "\nin ");
	if (!rc)
		rc = gfs_buf_add_markup(body, d->where);
	if (!rc && p->detail) {
		rc = gfs_buf_adds(body, "\n");
		if (!rc)
			rc = gfs_buf_add_markup(body, p->detail);
	}
	return rc;
}

static void start(struct gfs_ask_desk *d, struct prompt *p)
{
	struct gfs_desktop_prompt shown;
	struct gfs_buf body = GFS_BUF_INIT;

	p->started = true;
	if (compose(d, p, &body) ||
	    gfs_desktop_prompt_start(&shown, "guardfs: allow this access?",
				     body.data, buttons,
				     sizeof(buttons) / sizeof(buttons[0]),
				     d->timeout_s * 1000u)) {
		/* no desktop, or notify-send failed: watch still answers */
		gfs_buf_release(&body);
		return;
	}
	p->child = shown.pid;
	p->fd = shown.fd;
	gfs_buf_release(&body);
}

/* Reaps the child if it has exited, without waiting. */
static void reap(struct prompt *p)
{
	pid_t got;

	do
		got = waitpid(p->child, NULL, WNOHANG);
	while (got < 0 && errno == EINTR);
	if (got == p->child || (got < 0 && errno == ECHILD))
		p->child = 0;
}

static void close_out(struct prompt *p)
{
	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
}

/*
 * Takes the prompt of an ask that is over away: SIGINT first, then
 * SIGKILL; the pid is this thread's unreaped child, so no one else's.
 * Lowers *timeout_ms to when it needs looking at again.
 */
static void stop(struct prompt *p, int *timeout_ms)
{
	long long left;

	if (!p->signalled) {
		kill(p->child, SIGINT);
		p->signalled = true;
		gfs_deadline_in(&p->kill_at, CLOCK_MONOTONIC,
				KILL_AFTER_MS * 1000000LL);
	}
	left = ms_until(&p->kill_at);
	if (left <= 0) {
		kill(p->child, SIGKILL);
		close_out(p);
		while (waitpid(p->child, NULL, 0) < 0 && errno == EINTR)
			;
		p->child = 0;
		return;
	}
	if (*timeout_ms < 0 || left < *timeout_ms)
		*timeout_ms = (int)left + 1;
}

/*
 * What notify-send printed, once its stdout ended: the key of the action
 * chosen answers the ask, unless it is over already.
 */
static void heard(struct gfs_ask_desk *d, struct prompt *p, bool ended)
{
	enum gfs_ask_answer answer;
	char *word = p->said.data;

	close_out(p);
	reap(p);
	if (ended || !word)
		return;
	word[strcspn(word, "\r\n")] = '\0';
	if (!gfs_ask_parse(word, &answer))
		gfs_ask_answer(d->ask, p->id, answer);
}

/* Reads what is there; true at the end of the output. */
static bool listen_to(struct prompt *p)
{
	char chunk[SAID_MAX];
	ssize_t n;

	n = read(p->fd, chunk, sizeof(chunk));
	if (n < 0)
		return errno != EINTR && errno != EAGAIN;
	if (n == 0)
		return true;
	if (p->said.len + (size_t)n > SAID_MAX)
		gfs_buf_reset(&p->said);
	else
		gfs_buf_add(&p->said, chunk, (size_t)n);
	return false;
}

static void *desk_main(void *arg)
{
	struct gfs_ask_desk *d = arg;
	struct pollfd fds[PROMPTS + 1];
	struct prompt *polled[PROMPTS + 1];
	bool used[PROMPTS], ended[PROMPTS], closing, busy;
	int i, n, timeout_ms;
	char drain[64];

	pthread_setname_np(pthread_self(), "gfs-desk");
	for (;;) {
		pthread_mutex_lock(&d->lock);
		closing = d->closing;
		busy = false;
		for (i = 0; i < PROMPTS; i++) {
			struct prompt *p = &d->prompts[i];

			/* over, and its notify-send reaped (or never run) */
			if (p->used && (closing || p->ended) && !p->child &&
			    p->fd < 0)
				release(p);
			used[i] = p->used;
			ended[i] = p->used && (closing || p->ended);
			busy |= p->used;
		}
		pthread_mutex_unlock(&d->lock);
		if (closing && !busy)
			break;

		timeout_ms = -1;
		n = 0;
		fds[n].fd = d->wake[0];
		fds[n].events = POLLIN;
		polled[n++] = NULL;
		for (i = 0; i < PROMPTS; i++) {
			struct prompt *p = &d->prompts[i];

			if (!used[i])
				continue;
			if (!p->started && !ended[i])
				start(d, p);
			if (p->child && ended[i])
				stop(p, &timeout_ms);
			if (p->child && p->fd < 0) {
				reap(p);
				if (p->child && (timeout_ms < 0 ||
						 timeout_ms > REAP_POLL_MS))
					timeout_ms = REAP_POLL_MS;
			}
			if (p->fd >= 0) {
				fds[n].fd = p->fd;
				fds[n].events = POLLIN;
				polled[n++] = p;
			}
		}
		if (poll(fds, (nfds_t)n, timeout_ms) <= 0)
			continue;
		if (fds[0].revents)
			while (read(d->wake[0], drain, sizeof(drain)) > 0)
				;
		for (i = 1; i < n; i++) {
			struct prompt *p = polled[i];

			if (fds[i].revents && listen_to(p))
				heard(d, p, ended[p - d->prompts]);
		}
	}
	return NULL;
}

void gfs_ask_desk_free(struct gfs_ask_desk *d)
{
	int i;

	if (!d)
		return;
	pthread_mutex_lock(&d->lock);
	d->closing = true;
	pthread_mutex_unlock(&d->lock);
	wake(d);
	if (d->running)
		pthread_join(d->thread, NULL);
	for (i = 0; i < PROMPTS; i++)
		release(&d->prompts[i]);
	close(d->wake[0]);
	close(d->wake[1]);
	pthread_mutex_destroy(&d->lock);
	free(d->where);
	free(d);
}

void gfs_ask_desk_show(struct gfs_ask_desk *d, uint64_t id, const char *op,
		       pid_t pid, const char *path, const char *detail)
{
	struct prompt *p = NULL;
	int i;

	if (!d)
		return;
	pthread_mutex_lock(&d->lock);
	for (i = 0; i < PROMPTS && !p; i++)
		if (!d->prompts[i].used)
			p = &d->prompts[i];
	if (d->closing || !p)
		goto out;
	p->path = strdup(path);
	p->detail = detail ? strdup(detail) : NULL;
	if (!p->path || (detail && !p->detail)) {
		release(p);
		goto out;
	}
	p->id = id;
	snprintf(p->op, sizeof(p->op), "%s", op);
	p->pid = pid;
	p->used = true;
	/* (a thread start is no fork: it may happen under the asker's lock) */
	if (!d->running && pthread_create(&d->thread, NULL, desk_main, d) == 0)
		d->running = true;
	if (!d->running)
		release(p);
out:
	pthread_mutex_unlock(&d->lock);
	wake(d);
}

void gfs_ask_desk_withdraw(struct gfs_ask_desk *d, uint64_t id)
{
	bool found = false;
	int i;

	if (!d)
		return;
	pthread_mutex_lock(&d->lock);
	for (i = 0; i < PROMPTS; i++) {
		struct prompt *p = &d->prompts[i];

		if (p->used && p->id == id && !p->ended) {
			p->ended = true;
			found = true;
		}
	}
	pthread_mutex_unlock(&d->lock);
	if (found)
		wake(d);
}
