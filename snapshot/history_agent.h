#ifndef GUARDFS_HISTORY_AGENT_H
#define GUARDFS_HISTORY_AGENT_H

/* Shared by history_agent.c and history_agent_undo.c only. */

#include <stdbool.h>
#include <string.h>

#include "history_internal.h"

/* One path of an operation, to sort the paths of many operations. */
struct agent_ref {
	const char *path;
	size_t op; /* index into ops */
};

/* One operation of the session, its strings owned. */
struct agent_op {
	char commit[41];
	uint64_t seq;
	int64_t time;
	char *op, *path, *from, *process, *label;
	uint64_t sandbox;   /* Guardfs-Sandbox, 0: not from a sandbox */
	uint64_t action_id; /* Guardfs-Action-Id, 0: none (older stores) */
	long pid;
	long action; /* index into actions, or -1 */
};

struct gfs_history_agent {
	struct agent_op *ops; /* oldest first */
	size_t nops, cap;
	struct gfs_history_agent_action *actions; /* oldest first */
	size_t nactions;
	size_t *first;	  /* per action: its first op */
	size_t *last;	  /* per action: its last op */
	char session[41]; /* the commit that began the session, or "" */
	bool walk_failed;
	struct agent_ref
		*all; /* every operation's paths, sorted (when asked) */
	size_t nall;
};

enum ref_which {
	REF_ACTION = 1 << 0, /* the action's operations (else the others) */
	REF_FROM = 1 << 1,   /* sources of renames and links too */
	REF_FILES = 1 << 2,  /* files only: no mkdir, no rmdir */
	REF_ALL = 1 << 3,    /* every operation's, whoever made it */
};

static inline bool within(const char *path, const char *prefix)
{
	size_t len = strlen(prefix);

	return !len || (!strncmp(path, prefix, len) &&
			(path[len] == '\0' || path[len] == '/'));
}

static inline bool overlaps(const char *a, const char *b)
{
	return a && b && (within(a, b) || within(b, a));
}

/* Operations that change nothing in the folder. */
static inline bool no_change(const char *op)
{
	return !strcmp(op, "preimage") || !strcmp(op, "session-start");
}

/* The index of act among a's actions. */
size_t gfs_history_agent_index(const struct gfs_history_agent *a,
			       const struct gfs_history_agent_action *act);
/*
 * The sorted paths of the operations from..to (inclusive) that which
 * selects (enum ref_which); *out to free. 0 or -ENOMEM.
 */
int gfs_history_agent_refs(const struct gfs_history_agent *a, size_t k,
			   size_t from, size_t to, unsigned which,
			   struct agent_ref **out, size_t *n);
/* The first of n sorted refs not ordered before path. */
size_t gfs_history_agent_lower_bound(const struct agent_ref *refs, size_t n,
				     const char *path);
/*
 * Action k's paths (sources of renames too), without those below another
 * of them; *out (to free) borrows the strings of a.
 */
int gfs_history_agent_paths(const struct gfs_history_agent *a, size_t k,
			    const char ***out, size_t *n);
/* o as the public struct, its strings borrowed. */
void gfs_history_agent_op_view(const struct agent_op *o,
			       struct gfs_history_op *op);

#endif
