#ifndef GUARDFS_WATCH_H
#define GUARDFS_WATCH_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * The live view of a mount (`guardfs watch`): every operation, refusal,
 * breaker trip and pending ask, streamed as JSON lines to the watchers
 * connected over the control socket.
 *
 * Each watcher has a bounded queue (gfs_ring) and a thread of its own
 * that writes to its socket. Publishing formats the event once and
 * pushes it to every queue without ever waiting: a full queue drops the
 * event and counts it, and the watcher is told "N events dropped" once
 * it reads again. With no watcher, publishing costs one relaxed load.
 */
struct gfs_watch;

enum gfs_watch_flags {
	GFS_WATCH_DENIED = 1 << 0, /* refusals and alerts only */
};

/* One event. Strings are borrowed for the call; NULL ones are left out. */
struct gfs_watch_event {
	const char *kind;   /* NULL: "op"; else "trip", "ask", "answered" */
	const char *op;	    /* "unlink", "open", ... */
	const char *path;   /* relative to the root */
	const char *path2;  /* rename or link target */
	const char *rule;   /* the deciding rule of a refusal */
	const char *detail; /* extra text ("write", "bytes=12") */
	const char *action; /* the `guardfs exec` it ran under */
	int error;	    /* 0, or the positive errno it answered */
	pid_t pid;	    /* 0: no process (a trip) */
	uid_t uid;
	uint64_t seq; /* store sequence number, 0 if none */
	uint64_t id;  /* an ask's number, 0 if none */
	bool refused; /* a rule refused it (the audit's refusals) */
};

int gfs_watch_new(struct gfs_watch **out);

/* Disconnects every watcher and waits for their threads. NULL is fine. */
void gfs_watch_free(struct gfs_watch *w);

/* Whether any watcher is connected: one relaxed load. */
bool gfs_watch_active(const struct gfs_watch *w);

/* Sends ev to every watcher that wants it. Never blocks. */
void gfs_watch_publish(struct gfs_watch *w, const struct gfs_watch_event *ev);

/*
 * Sends an event of its own kind ("trip" for the breaker) with a rule
 * and a line of text (detail): an alert, highlighted by the watcher and
 * kept by --denied.
 */
void gfs_watch_publish_text(struct gfs_watch *w, const char *kind,
			    const char *rule, const char *detail);

/*
 * Streams events to the connected socket fd, from a thread of its own:
 * flags from enum gfs_watch_flags. The stream begins with the line
 * "watch<TAB>ok". 0 (w now owns fd), or -EBUSY when too many watch, or
 * -errno; on failure fd stays the caller's.
 */
int gfs_watch_subscribe(struct gfs_watch *w, int fd, unsigned flags);

#endif
