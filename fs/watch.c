/* The live view's daemon side: see guardfs/watch.h. */

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "guardfs/audit.h"
#include "guardfs/buf.h"
#include "guardfs/ring.h"
#include "guardfs/util.h"
#include "guardfs/watch.h"

/*
 * Each watcher holds a thread and RING_SIZE queued events at most
 * (a few hundred bytes each): a bounded cost per watcher, and a burst
 * of a few thousand operations still reaches a watcher that keeps up.
 */
#define MAX_WATCHERS 16
#define RING_SIZE    4096
/* One write to the socket carries up to this much. */
#define BATCH_BYTES (64 * 1024)

/* One formatted event, shared by the queues it was pushed to. */
struct message {
	atomic_uint refs;
	size_t len;
	char text[];
};

struct watcher {
	struct gfs_watch *watch;
	int fd;	     /* the connection */
	int wake_fd; /* eventfd: publishers wake a sleeping writer */
	unsigned flags;
	atomic_bool sleeping; /* the writer waits on wake_fd */
	atomic_bool stop;
	struct gfs_ring ring;
	struct watcher *next;
};

/*
 * Lock order: list_lock (the list; read by publishers, written when a
 * watcher comes or goes), then nothing. threads_lock guards nthreads
 * only, so that gfs_watch_free can wait for the last writer to leave.
 */
struct gfs_watch {
	atomic_int count; /* watchers in the list: the publishers' check */
	pthread_rwlock_t list_lock;
	struct watcher *list;
	pthread_mutex_t threads_lock;
	pthread_cond_t threads_done;
	int nthreads;
};

static void message_put(struct message *m)
{
	if (atomic_fetch_sub_explicit(&m->refs, 1, memory_order_acq_rel) == 1)
		free(m);
}

int gfs_watch_new(struct gfs_watch **out)
{
	struct gfs_watch *w = calloc(1, sizeof(*w));

	*out = NULL;
	if (!w)
		return -ENOMEM;
	atomic_init(&w->count, 0);
	pthread_rwlock_init(&w->list_lock, NULL);
	pthread_mutex_init(&w->threads_lock, NULL);
	pthread_cond_init(&w->threads_done, NULL);
	*out = w;
	return 0;
}

bool gfs_watch_active(const struct gfs_watch *w)
{
	return w && atomic_load_explicit(&w->count, memory_order_relaxed) > 0;
}

static void add_field(struct gfs_buf *b, const char *key, const char *value)
{
	if (!value)
		return;
	gfs_buf_addf(b, ",\"%s\":", key);
	gfs_buf_add_json(b, value, strlen(value));
}

static void format_event(struct gfs_buf *b, const struct gfs_watch_event *ev)
{
	struct timespec now;
	char process[32];

	clock_gettime(CLOCK_REALTIME, &now);
	gfs_buf_adds(b, "{\"time\":\"");
	gfs_time_format(b, &now);
	gfs_buf_adds(b, "\"");
	add_field(b, "event", ev->kind ? ev->kind : "op");
	if (ev->id)
		gfs_buf_addf(b, ",\"id\":%llu", (unsigned long long)ev->id);
	add_field(b, "op", ev->op);
	add_field(b, "path", ev->path);
	add_field(b, "path2", ev->path2);
	if (!ev->kind)
		add_field(b, "result",
			  ev->error ? gfs_errno_name(ev->error) : "ok");
	if (ev->refused)
		gfs_buf_adds(b, ",\"refused\":true");
	add_field(b, "rule", ev->rule);
	add_field(b, "detail", ev->detail);
	if (ev->pid > 0) {
		gfs_audit_process_name(ev->pid, process, sizeof(process));
		gfs_buf_addf(b, ",\"pid\":%ld", (long)ev->pid);
		add_field(b, "process", process);
		gfs_buf_addf(b, ",\"uid\":%lu", (unsigned long)ev->uid);
	}
	add_field(b, "action", ev->action);
	if (ev->seq)
		gfs_buf_addf(b, ",\"seq\":%llu", (unsigned long long)ev->seq);
	gfs_buf_adds(b, "}\n");
}

/* Whether watcher s wants an event (alert: a refusal or another kind). */
static bool wants(const struct watcher *s, bool alert)
{
	return alert || !(s->flags & GFS_WATCH_DENIED);
}

void gfs_watch_publish(struct gfs_watch *w, const struct gfs_watch_event *ev)
{
	bool alert = ev->refused || ev->kind, room = false;
	struct gfs_buf text = GFS_BUF_INIT;
	struct message *m = NULL;
	struct watcher *s;

	if (!gfs_watch_active(w))
		return;
	pthread_rwlock_rdlock(&w->list_lock);
	/* a watcher that does not read costs no formatting */
	for (s = w->list; s && !room; s = s->next)
		room = wants(s, alert) && !gfs_ring_full(&s->ring);
	if (room)
		format_event(&text, ev);
	if (text.data)
		m = malloc(sizeof(*m) + text.len);
	if (m) {
		memcpy(m->text, text.data, text.len);
		m->len = text.len;
		atomic_init(&m->refs, 1); /* ours, until every push is done */
	}
	gfs_buf_release(&text);
	for (s = w->list; s; s = s->next) {
		if (!wants(s, alert))
			continue;
		if (!m) {
			gfs_ring_drop(&s->ring);
			continue;
		}
		atomic_fetch_add_explicit(&m->refs, 1, memory_order_relaxed);
		if (!gfs_ring_push(&s->ring, m)) {
			atomic_fetch_sub_explicit(&m->refs, 1,
						  memory_order_relaxed);
			continue;
		}
		/* pairs with the fence in wait_for_work: no lost wake-up */
		atomic_thread_fence(memory_order_seq_cst);
		if (atomic_exchange(&s->sleeping, false))
			(void)!eventfd_write(s->wake_fd, 1);
	}
	pthread_rwlock_unlock(&w->list_lock);
	if (m)
		message_put(m);
}

void gfs_watch_publish_text(struct gfs_watch *w, const char *kind,
			    const char *rule, const char *detail)
{
	struct gfs_watch_event ev = {
		.kind = kind,
		.rule = rule,
		.detail = detail,
	};

	gfs_watch_publish(w, &ev);
}

static int send_all(int fd, const char *data, size_t len)
{
	while (len) {
		ssize_t n = send(fd, data, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -EPIPE;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Sleeps until a publisher wakes us, the watcher hangs up or a second
 * passes. false when the watcher is gone.
 */
static bool wait_for_work(struct watcher *s)
{
	struct pollfd p[2] = {
		{.fd = s->wake_fd, .events = POLLIN},
		{.fd = s->fd, .events = POLLIN | POLLRDHUP},
	};
	eventfd_t count;
	char junk[256];

	atomic_store(&s->sleeping, true);
	atomic_thread_fence(memory_order_seq_cst);
	if (gfs_ring_ready(&s->ring) || atomic_load(&s->stop)) {
		atomic_store(&s->sleeping, false);
		return true;
	}
	if (poll(p, 2, 1000) < 0 && errno != EINTR)
		return false;
	atomic_store(&s->sleeping, false);
	if (p[0].revents)
		(void)!eventfd_read(s->wake_fd, &count);
	if (p[1].revents & (POLLHUP | POLLRDHUP | POLLERR))
		return false;
	/* a watcher says nothing; what it sends anyway is dropped */
	if ((p[1].revents & POLLIN) && read(s->fd, junk, sizeof(junk)) <= 0)
		return false;
	return true;
}

/* Takes s out of the list and frees it; its fd too when close_fd. */
static void unsubscribe(struct watcher *s, bool close_fd)
{
	struct gfs_watch *w = s->watch;
	struct watcher **p;
	struct message *m;

	pthread_rwlock_wrlock(&w->list_lock);
	for (p = &w->list; *p; p = &(*p)->next) {
		if (*p == s) {
			*p = s->next;
			atomic_fetch_sub(&w->count, 1);
			break;
		}
	}
	pthread_rwlock_unlock(&w->list_lock);
	/* no publisher sees s any more */
	while ((m = gfs_ring_pop(&s->ring)))
		message_put(m);
	gfs_ring_release(&s->ring);
	if (close_fd)
		close(s->fd);
	if (s->wake_fd >= 0)
		close(s->wake_fd);
	free(s);
}

static void thread_left(struct gfs_watch *w)
{
	pthread_mutex_lock(&w->threads_lock);
	if (--w->nthreads == 0)
		pthread_cond_broadcast(&w->threads_done);
	pthread_mutex_unlock(&w->threads_lock);
}

static void *writer_main(void *arg)
{
	static const char ok[] = "watch\tok\n";
	struct watcher *s = arg;
	struct gfs_watch *w = s->watch;
	struct gfs_buf batch = GFS_BUF_INIT;
	struct message *m;
	uint64_t dropped;

	/* the first line, before any event */
	gfs_buf_add(&batch, ok, sizeof(ok) - 1);
	while (!atomic_load(&s->stop)) {
		while (batch.len < BATCH_BYTES &&
		       (m = gfs_ring_pop(&s->ring))) {
			gfs_buf_add(&batch, m->text, m->len);
			message_put(m);
		}
		/* told once the queue has room again, after what it holds */
		dropped = batch.len ? 0 : gfs_ring_take_dropped(&s->ring);
		if (dropped)
			gfs_buf_addf(&batch,
				     "{\"event\":\"dropped\",\"count\":%llu}\n",
				     (unsigned long long)dropped);
		if (batch.len) {
			if (send_all(s->fd, batch.data, batch.len))
				break;
			gfs_buf_reset(&batch);
			continue;
		}
		if (!wait_for_work(s))
			break;
	}
	gfs_buf_release(&batch);
	unsubscribe(s, true);
	thread_left(w);
	return NULL;
}

int gfs_watch_subscribe(struct gfs_watch *w, int fd, unsigned flags)
{
	struct watcher *s;
	pthread_attr_t attr;
	pthread_t thread;
	int rc;

	if (atomic_load(&w->count) >= MAX_WATCHERS)
		return -EBUSY;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->watch = w;
	s->fd = fd;
	s->flags = flags;
	s->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->wake_fd < 0 || gfs_ring_init(&s->ring, RING_SIZE)) {
		rc = s->wake_fd < 0 ? -errno : -ENOMEM;
		if (s->wake_fd >= 0)
			close(s->wake_fd);
		free(s);
		return rc;
	}
	pthread_rwlock_wrlock(&w->list_lock);
	s->next = w->list;
	w->list = s;
	atomic_fetch_add(&w->count, 1);
	pthread_rwlock_unlock(&w->list_lock);
	pthread_mutex_lock(&w->threads_lock);
	w->nthreads++;
	pthread_mutex_unlock(&w->threads_lock);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	rc = pthread_create(&thread, &attr, writer_main, s);
	pthread_attr_destroy(&attr);
	if (rc) {
		unsubscribe(s, false);
		thread_left(w);
		return -rc;
	}
	return 0;
}

void gfs_watch_free(struct gfs_watch *w)
{
	struct watcher *s;

	if (!w)
		return;
	pthread_rwlock_rdlock(&w->list_lock);
	for (s = w->list; s; s = s->next) {
		atomic_store(&s->stop, true);
		/* ends a send blocked on a watcher that does not read */
		shutdown(s->fd, SHUT_RDWR);
		(void)!eventfd_write(s->wake_fd, 1);
	}
	pthread_rwlock_unlock(&w->list_lock);
	pthread_mutex_lock(&w->threads_lock);
	while (w->nthreads)
		pthread_cond_wait(&w->threads_done, &w->threads_lock);
	pthread_mutex_unlock(&w->threads_lock);
	pthread_rwlock_destroy(&w->list_lock);
	pthread_mutex_destroy(&w->threads_lock);
	pthread_cond_destroy(&w->threads_done);
	free(w);
}
