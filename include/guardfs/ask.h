#ifndef GUARDFS_ASK_H
#define GUARDFS_ASK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "guardfs/buf.h"
#include "guardfs/config.h"
#include "guardfs/watch.h"

/*
 * Asking the user before an access ([ask] in the config).
 *
 * The first open (for reading or writing) or create of a path that an
 * [ask] pattern (gitignore syntax) matches, itself or through a
 * directory above it, waits until the user answers in `guardfs watch`,
 * with `guardfs ask answer` or on the desktop prompt (where there is a
 * desktop and [ask] desktop is on), or the timeout denies it. A lookup
 * never waits: the kernel holds the directory's lock across it, and a
 * waiting lookup would stall every other one in that directory; names
 * and attributes stay visible, as in a listing, and content is what is
 * asked about. The answers:
 *
 *  - allow once, deny: for the asking process (its pid and start time),
 *    on that path and below, while it runs;
 *  - allow always, deny always: for every process, from now on and at
 *    later mounts, remembered as a rule in the answers file.
 *
 * A waiting request holds one FUSE worker thread: at most
 * GFS_ASK_MAX_WAITING wait at once, and those past that are denied at
 * once, so that asks can never starve the other requests.
 */
#define GFS_ASK_MAX_WAITING 4

struct gfs_ask;

enum gfs_ask_answer {
	GFS_ASK_NONE = 0,  /* not answered yet */
	GFS_ASK_ONCE,	   /* allow once */
	GFS_ASK_ALWAYS,	   /* allow always */
	GFS_ASK_DENY,	   /* deny (once) */
	GFS_ASK_NEVER,	   /* deny always */
	GFS_ASK_TIMEOUT,   /* nobody answered in time: denied */
	GFS_ASK_BUSY,	   /* too many waiting already: denied */
	GFS_ASK_CANCELLED, /* the asking call was interrupted: withdrawn */
};

struct gfs_ask_opts {
	const struct gfs_strlist *patterns; /* [ask] pattern */
	bool casefold;			    /* as [deny] matches */
	unsigned timeout_s;		    /* [ask] timeout */
	const char *answers_path;	    /* [ask] answers */
	struct gfs_watch *watch;	    /* where asks are shown */
	bool desktop;		/* [ask] desktop: prompt there too */
	const char *mountpoint; /* named in the desktop prompt */
};

/* What is being asked about. Strings are borrowed for the call. */
struct gfs_ask_request {
	const char *op;	  /* "open", "create", "unlink" */
	const char *path; /* relative to the root */
	bool is_dir;
	pid_t pid; /* the asking thread, as FUSE names it */
	uid_t uid;
	const char *detail; /* why it is asked, or NULL */
	/*
	 * Set through gfs_ask_cancel when the asking call is interrupted
	 * (its process killed, or a signal it handles): the wait ends.
	 */
	bool *cancelled;
};

/*
 * Builds the asker: the patterns, then the answers remembered in the
 * answers file (which must be a regular file that only its owner, this
 * user or root, may write). 0, or -errno with a message in err.
 */
int gfs_ask_new(struct gfs_ask **out, const struct gfs_ask_opts *opts,
		char *err, size_t err_size);

/* Denies whatever still waits, waits for the waiters, frees. NULL is fine. */
void gfs_ask_free(struct gfs_ask *a);

/*
 * The [ask] gate of one access: 0 when the path is not asked about; 1
 * when it is and the user allows (now or before); -EACCES when denied,
 * with *rule naming why ("ask:deny", "ask:timeout", "ask:busy", or the
 * answers file line). Blocks up to the timeout while the user decides.
 * Costs one pointer test when [ask] has no pattern.
 */
int gfs_ask_check(struct gfs_ask *a, const struct gfs_ask_request *r,
		  const char **rule);

/*
 * Asks about r whatever the patterns say, for a caller with its own
 * reason (the breaker: "this unlink would trip the limit"). Returns the
 * answer; TIMEOUT or BUSY mean denied. Nothing is remembered: what
 * "always" means is the caller's to decide.
 */
enum gfs_ask_answer gfs_ask_wait(struct gfs_ask *a,
				 const struct gfs_ask_request *r);

/*
 * Ends the wait of the request whose cancelled flag this is (the FUSE
 * interrupt handler calls it). Its ask is withdrawn once nobody else
 * waits on it.
 */
void gfs_ask_cancel(struct gfs_ask *a, bool *cancelled);

/*
 * Answers the pending ask id. 0, -ENOENT when no such ask waits (already
 * answered, or timed out), -EINVAL for a bad answer.
 */
int gfs_ask_answer(struct gfs_ask *a, uint64_t id, enum gfs_ask_answer answer);

/* Parses "allow", "always", "deny" or "never". 0 or -EINVAL. */
int gfs_ask_parse(const char *word, enum gfs_ask_answer *out);

/* How an answer reads in the live view ("allowed once", ...). */
const char *gfs_ask_describe(enum gfs_ask_answer answer);

/* Appends one "ask<TAB>ID<TAB>OP<TAB>PID<TAB>PATH" line per pending ask. */
int gfs_ask_list(struct gfs_ask *a, struct gfs_buf *out);

/* Whether [ask] has any pattern (or remembered answer) at all. */
bool gfs_ask_enabled(const struct gfs_ask *a);

#endif
