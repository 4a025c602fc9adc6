#ifndef GUARDFS_HISTORY_ACTION_H
#define GUARDFS_HISTORY_ACTION_H

/* Shared by history_action.c and history_action_undo.c only. */

#include "history_internal.h"

/* Commits of one action in a row, newest first in the walk. */
struct run {
	char newest[41];
	char oldest[41];
	size_t order; /* position in the walk: smaller is newer */
};

struct act {
	struct gfs_history_action pub;
	char *label, *process, *session;
	struct run *runs;
	size_t nruns;
	struct gfs_history_action_op *ops;
	size_t ops_cap;
};

struct collect {
	const struct gfs_history_action_query *q;
	struct act *acts; /* newest first */
	size_t n, cap;
	size_t *slots; /* open addressing: number -> index + 1 */
	size_t nslots;
	long prev; /* index of the previous commit's action, or -1 */
	size_t order;
	char first_session[64];
	bool in_session; /* q->session: its commits were reached */
	uint64_t min_number;
};

/*
 * Walks history for the actions q asks for into w (newest first).
 * Release w with gfs_history_collect_release() whatever it returns.
 */
int gfs_history_collect(struct gfs_history *h,
			const struct gfs_history_action_query *q,
			struct collect *w);
void gfs_history_collect_release(struct collect *w);
/* Action A<number> alone into w (released on failure); -ENOENT if none. */
int gfs_history_action_find(struct gfs_history *h, uint64_t number,
			    unsigned flags, struct collect *w);
/* The trees before (NULL for none) and after run r. */
int gfs_history_run_trees(struct gfs_history *h, const struct run *r,
			  git_tree **before, git_tree **after);
/* Their diff (type changes as one delta), and the trees, to free. */
int gfs_history_run_diff(struct gfs_history *h, const struct run *r,
			 git_diff **diff, git_tree **before, git_tree **after);

#endif
