#ifndef GUARDFS_STORE_H
#define GUARDFS_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "guardfs/ignore.h"
#include "guardfs/op.h"
#include "guardfs/policy.h"

/*
 * The snapshot store of one mount: a bare git repository outside the root
 * that records every change made through the mount (P3, P5).
 *
 * The FUSE threads call gfs_store_before() right before a mutation and
 * gfs_store_after() right after it succeeded. One worker thread owns the
 * libgit2 repository; the request path only takes the synchronous
 * pre-image when the store does not hold a path's current content yet, and
 * queues the rest. All functions here are safe to call from any thread.
 */
struct gfs_store;

struct gfs_store_event {
	enum gfs_op_kind op;
	const char *path;    /* relative to the root */
	const char *from;    /* rename, exchange and link source, else NULL */
	pid_t pid;	     /* the process that asked */
	const char *process; /* its name (comm) */
	const char *action;  /* the label of its action (action.c), or NULL */
	uint64_t action_id;  /* that action's number, 0 for none */
	/*
	 * The sandbox (`guardfs exec`, `guardfs run`) it came from, numbered
	 * from 1 in each mount session (Guardfs-Sandbox); 0: none.
	 */
	uint64_t sandbox;
	/*
	 * Write, truncate, chmod: the file's inode number, by which the store
	 * finds its other names (hard links) even when path names it no
	 * more (unlinked while open). 0: found through path.
	 */
	uint64_t ino;
	/*
	 * path was the file's one name when the operation ended: no other
	 * name changed with it, and a name linked since is read by its own
	 * link's job, so the store does not look for other names.
	 */
	bool sole_name;
};

struct gfs_store_opts {
	const char *store_path; /* bare repository; created if absent */
	int root_fd;		/* O_PATH fd of the root, borrowed */
	const char *root_path;	/* absolute, for messages */
	const struct gfs_ignore
		*exclude; /* unrecorded trees; borrowed, or NULL */
	/*
	 * Names the agent cannot see are never recorded either: they cannot
	 * change through the mount, and a copy in the store would put the
	 * credentials they hold in a second place. Borrowed, or NULL.
	 */
	const struct gfs_policy *hidden;
	uint64_t max_file_size; /* larger files: see DESIGN.md */
	bool fail_open;		/* on_failure = allow */
	/*
	 * The first baseline reads alone, without a thread reading the
	 * folder ahead of it (store_prefetch.c): for tests and benchmarks.
	 */
	bool no_prefetch;
	/*
	 * Called while the session's first commit reads the whole folder
	 * (the folder as found), at most a few times a second, with the
	 * entries read so far, and once at the end. NULL: no calls.
	 */
	void (*progress)(void *arg, uint64_t entries);
	void *progress_arg;
};

/*
 * The default [snapshot] exclude rules (gitignore syntax, one per line),
 * for default_excludes = yes: caches and dependency trees that a tool
 * owns and rebuilds from files the store does record (package.json and
 * its lock file, pyproject.toml, ...), that hold far more files than the
 * project itself, and that churn in bursts (npm install). Recording them
 * would multiply the store's size and slow every install for nothing a
 * restore could not regenerate. Deliberately absent: .git/ (rm -rf .git
 * and git reset --hard must be undoable), build/, dist/, target/, bin/
 * and venv/ (names a person may also use for files they wrote).
 */
extern const char gfs_store_default_excludes[];

/*
 * Opens (creating if needed) the store, marks a new session and starts the
 * worker. On failure returns -errno and writes a message into err.
 */
int gfs_store_open(struct gfs_store **out, const struct gfs_store_opts *opts,
		   char *err, size_t err_size);

/* Completes every queued job, stops the worker and frees the store. */
void gfs_store_close(struct gfs_store *s);

enum gfs_store_before_flags {
	GFS_STORE_SUBTREE = 1 << 0, /* path is a directory: cover all below */
	/*
	 * The mutation only takes the path's name away (unlink, rename
	 * source or target) and leaves its inode's bytes alone, so a file
	 * above max_file_size may be hard-linked aside instead of copied.
	 * Optional: without it the store copies (or reflinks).
	 */
	GFS_STORE_REMOVING = 1 << 1,
	/*
	 * The mutation changes metadata only (chmod): the content is not
	 * destroyed, so a write session still in progress on the path does
	 * not force its half-written state into a commit of its own.
	 */
	GFS_STORE_METADATA = 1 << 2,
};

/*
 * Called right before a mutation of path. Completes the path's pending
 * jobs, then makes sure the store holds the path's current content. 0
 * when the mutation may go ahead, -EIO when the store failed and the
 * mount fails closed.
 */
int gfs_store_before(struct gfs_store *s, const char *path, unsigned flags);

/*
 * Called right after a mutation succeeded: queues its commit. *seq (if
 * not NULL) receives the job's sequence number, which the commit carries
 * in a Guardfs-Seq trailer and the audit trail records. 0 or -ENOMEM.
 */
int gfs_store_after(struct gfs_store *s, const struct gfs_store_event *ev,
		    uint64_t *seq);

/*
 * Brackets a restore: the operations queued between begin and end share
 * one commit whose subject is label ("restore --all --at 1b29830"), even
 * past the age and size that split a burst. A flush still commits what
 * is there; the group ends by itself if process pid exits without an
 * end. 0 or -ENOMEM.
 */
int gfs_store_group_begin(struct gfs_store *s, const char *label, pid_t pid);
int gfs_store_group_end(struct gfs_store *s);

/*
 * A new action number, unique in the store: one more than any the
 * store's commits name (each commit carries the highest handed out so
 * far in a Guardfs-Actions trailer, read back at open).
 */
uint64_t gfs_store_action_new(struct gfs_store *s);

/* Waits until every job queued so far is committed (for tests, umount). */
void gfs_store_flush(struct gfs_store *s);

/*
 * What recording cost the request path, since the store was opened:
 * before() calls that waited for queued jobs of their path, those that
 * had the worker read the file (a capture), and the time both took; and
 * those that needed neither because a queued link keeps the bytes under
 * another name (git's temporary objects).
 */
struct gfs_store_stats {
	uint64_t waits;
	uint64_t captures;
	uint64_t wait_ns;
	uint64_t linked_away;
};
void gfs_store_stats(struct gfs_store *s, struct gfs_store_stats *out);

/*
 * How far the store is: the sequence numbers of the last job applied and
 * of the last job queued (the difference is what is left to record).
 */
void gfs_store_backlog(struct gfs_store *s, uint64_t *applied,
		       uint64_t *queued);

/*
 * Bytes of large files that the store has yet to read: those set aside
 * before a change (its ingest lane; the commits after them wait for it)
 * and the rest of the one its worker is reading into chunks.
 */
uint64_t gfs_store_ingest_left(struct gfs_store *s);

#endif
