#ifndef GUARDFS_HISTORY_H
#define GUARDFS_HISTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "guardfs/buf.h"

/*
 * The read side of a snapshot store: walking its commits, diffing them
 * and bringing paths back. Opened by the CLI, mounted or not; it never
 * writes to the store, only to the destination folder of a restore.
 * One gfs_history is used by one thread at a time.
 *
 * Paths are relative to the guarded root, as the folder names them; the
 * store's own encoding of names git refuses (".git") is undone here.
 */
struct gfs_history;

/* Opens the store at store_path. On failure -errno and a message in err. */
int gfs_history_open(struct gfs_history **out, const char *store_path,
		     char *err, size_t err_size);

/* Frees h. NULL is allowed. */
void gfs_history_free(struct gfs_history *h);

/* One operation listed in a commit (its trailers). Borrowed strings. */
struct gfs_history_op {
	const char *op;	     /* "write", "unlink", "preimage", ... */
	const char *path;    /* relative to the root */
	const char *from;    /* rename/link source, else NULL */
	const char *process; /* "" when unknown */
	const char *action;  /* its action's label (command line), or NULL */
	long pid;
	uint64_t seq;
	uint64_t action_id; /* Guardfs-Action-Id, 0 when none */
	uint64_t sandbox;   /* Guardfs-Sandbox: which sandbox of the session */
};

/* One commit of the store, as gfs_history_walk() hands it out. */
struct gfs_history_commit {
	char id[41];
	int64_t time; /* seconds since the epoch */
	const char *session;
	bool session_start;
	const struct gfs_history_op *ops; /* in the order they happened */
	size_t nops;
	uint64_t actions; /* Guardfs-Actions: highest number handed out */
};

/*
 * Calls visit for every commit, newest first, until it returns non-zero
 * (which is returned). 0 at the end of history, or -errno.
 */
int gfs_history_walk(struct gfs_history *h,
		     int (*visit)(void *arg,
				  const struct gfs_history_commit *c),
		     void *arg);

/*
 * Turns WHEN or ID into a commit: a duration or ISO-8601 time (the last
 * commit at or before it, the state of the folder then), "session" (the
 * start of the latest session), "HEAD", or a hex id prefix of at least 4
 * digits. Writes the full id into out. -ENOENT (with a message in err)
 * when nothing matches, -EINVAL when text is neither.
 */
int gfs_history_resolve(struct gfs_history *h, const char *text, time_t now,
			char out[41], char *err, size_t err_size);

/*
 * Turns an operation id as gfs_history_walk()'s user prints it into a
 * commit id (out) and *seq: COMMIT@SEQ names the one operation with
 * Guardfs-Seq SEQ in a commit that lists several (*seq > 0); anything
 * else is resolved as by gfs_history_resolve() and *seq is 0 (the whole
 * commit). -ENOENT or -EINVAL with a message in err.
 */
int gfs_history_resolve_op(struct gfs_history *h, const char *text,
			   char out[41], uint64_t *seq, char *err,
			   size_t err_size);

/*
 * Appends a unified diff from commit old_id to new_id (NULL: old_id's
 * parent to old_id, a single operation), limited to paths (or all when
 * npaths is 0). Binary files are summarized in one line.
 */
int gfs_history_diff(struct gfs_history *h, const char *old_id,
		     const char *new_id, const char *const *paths,
		     size_t npaths, struct gfs_buf *out);

/*
 * What the one operation id@seq changed (seq 0: the whole commit id): the
 * commit's diff of that operation's paths, narrowed to paths if any.
 * -ENOENT when the commit lists no such operation.
 */
int gfs_history_diff_op(struct gfs_history *h, const char *id, uint64_t seq,
			const char *const *paths, size_t npaths,
			struct gfs_buf *out);

/* How gfs_history_diff_view() shows a diff (history_diff.c). */
enum gfs_history_diff_style {
	GFS_HISTORY_PATCH,	 /* a unified diff */
	GFS_HISTORY_STAT,	 /* per path +/- line counts, then totals */
	GFS_HISTORY_NAME_STATUS, /* per path a letter (A/M/D/T/R), the path */
};

struct gfs_history_diff_view {
	enum gfs_history_diff_style style;
	/*
	 * Files inside a .git/ directory are shown like any other; else
	 * they are left out and counted, one line per repository at the end:
	 * they are git's own bookkeeping, and drown what the user changed.
	 */
	bool git_internals;
	bool color; /* ANSI colours, as git uses them */
	/*
	 * When set, asked about each changed file before it is shown, with
	 * its old and new names and the bytes of both versions (NULL when
	 * absent): GFS_HISTORY_SHOW, GFS_HISTORY_LEAVE_OUT (no trace: a
	 * name the reader may not see), or GFS_HISTORY_WITHHOLD (named,
	 * with *reason, but none of its content). For the agent's diff.
	 */
	int (*screen)(void *arg, const char *old_path, const char *new_path,
		      const void *old_data, size_t old_len,
		      const void *new_data, size_t new_len,
		      const char **reason);
	void *screen_arg;
};

enum gfs_history_screen {
	GFS_HISTORY_SHOW,
	GFS_HISTORY_LEAVE_OUT,
	GFS_HISTORY_WITHHOLD,
};

/*
 * gfs_history_diff() as view says (NULL: a patch with everything, as
 * gfs_history_diff() itself).
 */
int gfs_history_diff_view(struct gfs_history *h, const char *old_id,
			  const char *new_id, const char *const *paths,
			  size_t npaths,
			  const struct gfs_history_diff_view *view,
			  struct gfs_buf *out);

/* gfs_history_diff_op() as view says. */
int gfs_history_diff_op_view(struct gfs_history *h, const char *id,
			     uint64_t seq, const char *const *paths,
			     size_t npaths,
			     const struct gfs_history_diff_view *view,
			     struct gfs_buf *out);

/*
 * 1 when commit id's tree holds path (a file or a directory; "" is the
 * root), 0 when not, or -errno.
 */
int gfs_history_has_path(struct gfs_history *h, const char *id,
			 const char *path);

/*
 * The commit before the last change of path: writes into out the id of
 * the parent of the newest commit that changed path (or anything below
 * it). -ENOENT when history never changed it.
 */
int gfs_history_before_last_change(struct gfs_history *h, const char *path,
				   char out[41]);

/* The id of commit id's parent into out; -ENOENT for the first commit. */
int gfs_history_parent(struct gfs_history *h, const char *id, char out[41]);

enum gfs_history_change {
	GFS_HISTORY_CREATE, /* absent now, comes back */
	GFS_HISTORY_UPDATE, /* content (or kind) rolls back */
	GFS_HISTORY_MODE,   /* executable bit only */
	GFS_HISTORY_REMOVE, /* created since: goes away */
};

enum gfs_history_restore_flags {
	GFS_HISTORY_DRY_RUN = 1 << 0, /* report the plan, change nothing */
	GFS_HISTORY_FORCE = 1 << 1,   /* overwrite unrecorded changes too */
	/*
	 * The folder may lack files the store's latest snapshot has (it was
	 * changed while not mounted): the target's files that are missing
	 * from the folder come back too.
	 */
	GFS_HISTORY_MISSING = 1 << 2,
};

/*
 * Reported once per planned change; error is 0 when it was applied (or
 * would be, in a dry run), else -errno: -EEXIST when the path holds
 * content the store has not recorded (left alone unless FORCE).
 */
typedef void (*gfs_history_report)(void *arg, enum gfs_history_change what,
				   const char *path, int error);

/*
 * Makes the paths (all when npaths is 0) under dest_fd (an O_PATH or
 * O_DIRECTORY fd of the root: through the mount when it is mounted, so
 * the restore is recorded) as they were at commit at_id, comparing with
 * the store's latest commit. Never follows a symlink below dest_fd; only
 * touches paths the store records. Returns 0 when every change applied,
 * -EEXIST when some were left alone, or another -errno.
 */
int gfs_history_restore(struct gfs_history *h, const char *at_id,
			const char *const *paths, size_t npaths, int dest_fd,
			unsigned flags, gfs_history_report report, void *arg);

/*
 * Reverts the one commit id: every path it changed goes back to its
 * version before, unless a later commit changed it again (reported with
 * -EBUSY and left alone). Flags and report as for restore.
 */
int gfs_history_revert(struct gfs_history *h, const char *id, int dest_fd,
		       unsigned flags, gfs_history_report report, void *arg);

/*
 * Undo of single operations, also inside a commit that lists several
 * (history_undo.c). A path whose state between two operations of one
 * commit the store did not record (a write followed by another in the
 * same commit) is reported with -ENODATA and left alone.
 */

/*
 * Reverts exactly the last n operations (session-start markers not
 * counted): everything newer than the commit holding the nth newest
 * operation goes back, and within that commit only the operations from
 * that one on. -ERANGE when history holds fewer than n operations,
 * -ENOENT when they reach back to the first commit. Flags and report
 * as for restore.
 */
int gfs_history_undo_last(struct gfs_history *h, long n, int dest_fd,
			  unsigned flags, gfs_history_report report, void *arg);

/*
 * Reverts the one operation seq of commit id (seq 0, or a commit of one
 * operation: the whole commit, as gfs_history_revert()). Its paths go
 * back to their state right before it, unless a later operation, in the
 * same commit or a later one, changed them again (-EBUSY, left alone).
 */
int gfs_history_undo_op(struct gfs_history *h, const char *id, uint64_t seq,
			int dest_fd, unsigned flags, gfs_history_report report,
			void *arg);

/*
 * Restores paths (all when npaths is 0) as they were right after the one
 * operation seq of commit id (seq 0: after the whole commit, as
 * gfs_history_restore()). Within a commit that lists several, that state
 * is rebuilt by replaying its operations up to seq on its parent's tree;
 * a path whose state there the store did not record (written twice in
 * the commit) is reported with -ENODATA and left as the folder has it.
 * -ENOENT when the commit lists no such operation.
 */
int gfs_history_restore_op(struct gfs_history *h, const char *id, uint64_t seq,
			   const char *const *paths, size_t npaths, int dest_fd,
			   unsigned flags, gfs_history_report report,
			   void *arg);

/*
 * The agent's own actions (history_agent.c): in the current session,
 * what each sandbox (one `guardfs exec`, or a whole `guardfs run`) did:
 * the operations whose commits name it (Guardfs-Sandbox), labelled with
 * its command line (Guardfs-Action). Nothing else belongs to one: the
 * user's operations, restores (an undo's too) and other sessions.
 */
struct gfs_history_agent;

struct gfs_history_agent_action {
	char id[56];	    /* "A17" as guardfs log prints it (older stores:
			       COMMIT@SEQ) */
	const char *label;  /* the command line; borrowed */
	uint64_t sandbox;   /* Guardfs-Sandbox: the sandbox it ran in */
	int64_t start, end; /* times of its first and last operation */
	size_t nops;
	size_t created, deleted, changed; /* files, by what it left */
};

/* Reads the current session's actions. 0 or -errno. */
int gfs_history_agent_load(struct gfs_history_agent **out,
			   struct gfs_history *h);
void gfs_history_agent_free(struct gfs_history_agent *a);
size_t gfs_history_agent_count(const struct gfs_history_agent *a);
/* The ith action, newest first (0: the newest), or NULL. Borrowed. */
const struct gfs_history_agent_action *
gfs_history_agent_get(const struct gfs_history_agent *a, size_t i);
/* The action whose id (a prefix of 4+ hex digits, '@', SEQ) is id. */
const struct gfs_history_agent_action *
gfs_history_agent_find(const struct gfs_history_agent *a, const char *id);
/*
 * Calls visit (when not NULL) for each of the action's operations,
 * oldest first, with its commit id; returns how many there are.
 */
size_t gfs_history_agent_ops(const struct gfs_history_agent *a,
			     const struct gfs_history_agent_action *act,
			     void (*visit)(void *arg, const char *commit,
					   const struct gfs_history_op *op),
			     void *arg);
/*
 * What the action changed: the diff from before its first operation to
 * after its last, narrowed to its paths, as view says.
 */
int gfs_history_agent_diff(struct gfs_history *h,
			   const struct gfs_history_agent *a,
			   const struct gfs_history_agent_action *act,
			   const struct gfs_history_diff_view *view,
			   struct gfs_buf *out);

/*
 * Calls visit with the commits that hold versions of path in the
 * current session: the session's first, then each that changed path,
 * newest first, at most max (64) in all, until visit returns non-zero
 * (returned).
 */
int gfs_history_agent_versions(struct gfs_history_agent *a, const char *path,
			       size_t max,
			       int (*visit)(void *arg, const char *commit),
			       void *arg);

/*
 * Appends the bytes of file path as commit id holds it. -ENOENT when it
 * holds no file there.
 */
int gfs_history_file(struct gfs_history *h, const char *id, const char *path,
		     struct gfs_buf *out);

/* A path of an action that another operation (by, or NULL) changed since. */
typedef void (*gfs_history_conflict)(void *arg, const char *path,
				     const struct gfs_history_op *by);

/* What stands in an agent undo's way, and who is told (arg as report's). */
struct gfs_history_undo_checks {
	/* each path changed since, with the newest operation that did */
	gfs_history_conflict conflict;
	/*
	 * Whether path is open for writing elsewhere now (its writer may
	 * write again at any time); such a path stands in the way too, and
	 * busy says so itself. NULL: none is.
	 */
	bool (*busy)(void *arg, const char *path);
};

/*
 * Puts every path the action touched back as it was before the action;
 * a path already so (an undo replayed) is left as it is. Refused as a
 * whole (-EBUSY, nothing changed) when one of those paths is busy, or is
 * neither as before nor as the action left it, each reported to
 * checks->conflict with the newest operation that changed it (NULL: none
 * recorded): the user's later change, or a later action's. A later change
 * put back again (a later action undone) does not count. Otherwise as
 * gfs_history_restore() with flags and report.
 */
int gfs_history_agent_undo(struct gfs_history *h,
			   const struct gfs_history_agent *a,
			   const struct gfs_history_agent_action *act,
			   int dest_fd, unsigned flags,
			   const struct gfs_history_undo_checks *checks,
			   gfs_history_report report, void *arg);

/* What gfs_history_check() read, and what it found wrong. */
struct gfs_history_check {
	size_t commits, trees, blobs; /* read whole, hashes verified */
	bool index;		      /* STORE/guardfs-index exists */
	size_t index_records;
	size_t index_stale; /* naming a blob the store no longer has */
	size_t journal_records;
	bool journal_torn; /* its last record cut short (a kill) */
	size_t problems;
};

typedef void (*gfs_history_problem)(void *arg, const char *what);

/*
 * Verifies the store (history_check.c): reads every commit reachable
 * from the branch and every tree and blob they name, checks that each
 * commit lists its operations, that the stat index is well formed and
 * that every version the journal names is in the store. Calls problem
 * once per thing wrong (also counted in out->problems). 0 when the check
 * ran, whatever it found; -errno when it could not.
 */
int gfs_history_check(struct gfs_history *h, struct gfs_history_check *out,
		      gfs_history_problem problem, void *arg);

/* One session gfs_history_prune() drops: its id, first and last commit. */
typedef void (*gfs_history_prune_report)(void *arg, const char *session,
					 int64_t start, int64_t last,
					 size_t commits);

/*
 * Drops from the store the whole sessions whose last commit is older
 * than cutoff (seconds since the epoch), never the newest session
 * (history_prune.c): the kept commits are rewritten with the oldest as
 * the root, the branch moved, and everything the kept history reaches is
 * repacked into one pack while every other object is deleted. Reports
 * each dropped session first; with dry_run changes nothing. -EBUSY when
 * a mount holds the store, -EAGAIN when its journal holds versions (a
 * mount commits them first), or -errno.
 */
int gfs_history_prune(struct gfs_history *h, int64_t cutoff, bool dry_run,
		      gfs_history_prune_report report, void *arg);

/*
 * Actions (history_action.c): what one command did, as the daemon
 * grouped its operations (README, "Actions"). Each has a number unique
 * in the store, written "A<number>" (A17); a commit made before actions
 * were numbered is an action of its own, named by its short id. No
 * commit holds operations of two actions.
 */

/* One operation of an action, copied: valid as long as its action. */
struct gfs_history_action_op {
	const char *op, *path, *from, *process;
	long pid;
	uint64_t seq;
	char commit[41];
	int64_t time;
};

struct gfs_history_action {
	char id[24];	     /* "A17", or a short commit id (see above) */
	uint64_t number;     /* 17; 0 for a commit of its own */
	const char *label;   /* the command line */
	const char *process; /* the process of its first operation */
	long pid;
	const char *session;
	int64_t start, end; /* its first and last commit, epoch seconds */
	char first[41];	    /* its oldest commit */
	char last[41];	    /* its newest commit */
	size_t commits;
	/* files (not directories) by the net effect: gfs_history_actions */
	size_t changed, created, deleted;
	bool counted; /* those three were computed */
	/* newest first; only when asked for (GFS_HISTORY_ACTION_OPS) */
	const struct gfs_history_action_op *ops;
	size_t nops; /* always counted */
};

enum gfs_history_action_flags {
	GFS_HISTORY_ACTION_OPS = 1 << 0,    /* fill ops */
	GFS_HISTORY_ACTION_COUNTS = 1 << 1, /* changed, created, deleted */
};

/* Which actions gfs_history_actions() lists. */
struct gfs_history_action_query {
	int64_t since;	     /* only actions that ended at or after; -1: all */
	const char *session; /* only this session's (its id); NULL: all */
	bool last_session;   /* only the newest session's */
	long max;	     /* at most this many, newest first; -1: all */
	uint64_t number;     /* only action A<number>; 0: any */
	unsigned flags;	     /* enum gfs_history_action_flags */
};

/*
 * Calls visit for each action q asks for, newest (by its last commit)
 * first, until it returns non-zero (returned). 0 at the end, or -errno.
 * The action and its strings are valid during the call only.
 */
int gfs_history_actions(
	struct gfs_history *h, const struct gfs_history_action_query *q,
	int (*visit)(void *arg, const struct gfs_history_action *a), void *arg);

/*
 * Turns "A17" (or a short commit id of an action of its own) into the
 * query that names it (q->number set, or q->session...). 1 when text has
 * the form of an action id, 0 when not (try it as something else).
 */
int gfs_history_action_parse(const char *text, uint64_t *number);

/*
 * The newest commit of action A<number> into out (the folder right after
 * it, for restore --at). -ENOENT with a message in err when no such
 * action.
 */
int gfs_history_action_last(struct gfs_history *h, uint64_t number,
			    char out[41], char *err, size_t err_size);

/*
 * Reverts whole actions: A<number> (numbers[0..n)), or with n == 0 the
 * newest `newest` actions. Every file they changed goes back to its
 * state before the first of them touched it, and what they created
 * goes, unless a later action changed it again (reported -EBUSY, left
 * alone). A temporary file an action made and renamed away is in no
 * state before or after it, so it is never brought back. Flags and
 * report as for gfs_history_restore(). -ENOENT (message in err) when an
 * action is not found, -ERANGE when history holds fewer than newest.
 */
int gfs_history_undo_actions(struct gfs_history *h, const uint64_t *numbers,
			     size_t n, long newest, int dest_fd, unsigned flags,
			     gfs_history_report report, void *arg, char *err,
			     size_t err_size);

/*
 * The net diff of action A<number> (its commits' before and after), as
 * view says. -ENOENT when no such action.
 */
int gfs_history_diff_action(struct gfs_history *h, uint64_t number,
			    const char *const *paths, size_t npaths,
			    const struct gfs_history_diff_view *view,
			    struct gfs_buf *out);

#endif
