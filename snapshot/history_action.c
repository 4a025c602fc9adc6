/*
 * Actions read back from the store: the commits the daemon made for one
 * command, grouped by their Guardfs-Action-Id (no commit mixes two
 * actions, see store.c), listed, diffed and undone whole.
 *
 * An action is usually one run of consecutive commits; another command
 * running at the same time interleaves its own commits, and the action
 * is then several runs. Each run's net effect is the diff from the
 * parent of its oldest commit to its newest: a temporary file made and
 * renamed away within it (sed -i, git's index.lock) is in neither tree.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guardfs/util.h"
#include "history_internal.h"

#include "history_action.h"

int gfs_history_action_parse(const char *text, uint64_t *number)
{
	char *end;

	if (text[0] != 'A' || !isdigit((unsigned char)text[1]))
		return 0;
	errno = 0;
	*number = strtoull(text + 1, &end, 10);
	return !*end && !errno && *number;
}

static size_t *slot_of(struct collect *w, uint64_t number)
{
	size_t i = (size_t)gfs_hash(&number, sizeof(number)) & (w->nslots - 1);

	while (w->slots[i] && w->acts[w->slots[i] - 1].pub.number != number)
		i = (i + 1) & (w->nslots - 1);
	return &w->slots[i];
}

static int grow_slots(struct collect *w)
{
	size_t i, old = w->nslots, *was = w->slots;

	w->nslots = old ? old * 2 : 256;
	w->slots = calloc(w->nslots, sizeof(*w->slots));
	if (!w->slots) {
		w->slots = was;
		w->nslots = old;
		return -ENOMEM;
	}
	for (i = 0; i < old; i++)
		if (was[i])
			*slot_of(w, w->acts[was[i] - 1].pub.number) = was[i];
	free(was);
	return 0;
}

static char *dup_or_empty(const char *s)
{
	return strdup(s ? s : "");
}

/* A new action for commit c (number 0: c alone). -errno or its index. */
static long act_new(struct collect *w, const struct gfs_history_commit *c,
		    uint64_t number)
{
	struct act *a;

	if (w->n == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 64;
		void *p = realloc(w->acts, cap * sizeof(*w->acts));

		if (!p)
			return -ENOMEM;
		w->acts = p;
		w->cap = cap;
	}
	a = &w->acts[w->n];
	memset(a, 0, sizeof(*a));
	a->pub.number = number;
	if (number)
		snprintf(a->pub.id, sizeof(a->pub.id), "A%llu",
			 (unsigned long long)number);
	else
		snprintf(a->pub.id, sizeof(a->pub.id), "%.10s", c->id);
	a->pub.end = c->time;
	memcpy(a->pub.last, c->id, 41);
	a->session = strdup(c->session ? c->session : "");
	if (!a->session)
		return -ENOMEM;
	w->n++;
	if (number) {
		if (w->n * 2 > w->nslots && grow_slots(w))
			return -ENOMEM;
		*slot_of(w, number) = w->n;
		if (!w->min_number || number < w->min_number)
			w->min_number = number;
	}
	return (long)w->n - 1;
}

static int add_ops(struct act *a, const struct gfs_history_commit *c)
{
	size_t i;

	for (i = c->nops; i-- > 0;) {
		const struct gfs_history_op *op = &c->ops[i];
		struct gfs_history_action_op *o;

		if (a->pub.nops == a->ops_cap) {
			size_t cap = a->ops_cap ? a->ops_cap * 2 : 16;
			void *p = realloc(a->ops, cap * sizeof(*a->ops));

			if (!p)
				return -ENOMEM;
			a->ops = p;
			a->ops_cap = cap;
		}
		o = &a->ops[a->pub.nops];
		memset(o, 0, sizeof(*o));
		o->op = dup_or_empty(op->op);
		o->path = dup_or_empty(op->path);
		o->from = op->from ? strdup(op->from) : NULL;
		o->process = dup_or_empty(op->process);
		a->pub.nops++;
		if (!o->op || !o->path || (op->from && !o->from) || !o->process)
			return -ENOMEM;
		o->pid = op->pid;
		o->seq = op->seq;
		o->time = c->time;
		memcpy(o->commit, c->id, 41);
	}
	return 0;
}

/* The action commit c's operations belong to; 0 for none (pre-images). */
static uint64_t commit_action(const struct gfs_history_commit *c, bool *any)
{
	size_t i;

	*any = false;
	for (i = 0; i < c->nops; i++) {
		if (c->ops[i].action_id)
			return c->ops[i].action_id;
		if (strcmp(c->ops[i].op, "preimage") &&
		    strcmp(c->ops[i].op, "session-start"))
			*any = true;
	}
	return 0;
}

static int collect_visit(void *arg, const struct gfs_history_commit *c)
{
	struct collect *w = arg;
	const struct gfs_history_action_query *q = w->q;
	const struct gfs_history_op *first = NULL;
	struct act *a;
	uint64_t number;
	bool any, full;
	size_t i;
	long idx;
	int rc;

	w->order++;
	if (q->since >= 0 && c->time < q->since)
		return 1;
	if (q->last_session) {
		if (!w->first_session[0])
			snprintf(w->first_session, sizeof(w->first_session),
				 "%s", c->session);
		else if (strcmp(w->first_session, c->session))
			return 1;
	}
	if (q->session) {
		if (strcmp(q->session, c->session)) {
			w->prev = -1;
			return w->in_session ? 1 : 0;
		}
		w->in_session = true;
	}
	number = commit_action(c, &any);
	full = q->max >= 0 && w->n >= (size_t)q->max;
	/*
	 * Numbers are handed out in order and each commit names the highest
	 * so far: below the smallest wanted, no older commit holds one.
	 */
	if ((q->number || full) &&
	    (!c->actions || (full && !w->min_number) ||
	     c->actions < (q->number ? q->number : w->min_number)))
		return 1;
	if (!number && !any) {
		w->prev = -1;
		return 0;
	}
	/* (another action's commit ends the run of the one before) */
	if (q->number && number != q->number) {
		w->prev = -1;
		return 0;
	}
	idx = -1;
	if (number && w->nslots && *slot_of(w, number))
		idx = (long)*slot_of(w, number) - 1;
	if (idx < 0) {
		if (full) {
			w->prev = -1;
			return 0;
		}
		idx = act_new(w, c, number);
		if (idx < 0)
			return (int)idx;
	}
	a = &w->acts[idx];
	if (w->prev != idx) {
		void *p = realloc(a->runs, (a->nruns + 1) * sizeof(*a->runs));

		if (!p)
			return -ENOMEM;
		a->runs = p;
		memcpy(a->runs[a->nruns].newest, c->id, 41);
		a->runs[a->nruns].order = w->order;
		a->nruns++;
	}
	memcpy(a->runs[a->nruns - 1].oldest, c->id, 41);
	w->prev = idx;
	a->pub.start = c->time;
	memcpy(a->pub.first, c->id, 41);
	a->pub.commits++;
	/* the label and process of its first operation: the oldest seen */
	for (i = 0; i < c->nops; i++)
		if (strcmp(c->ops[i].op, "preimage")) {
			first = &c->ops[i];
			break;
		}
	if (first) {
		char *label = dup_or_empty(first->action ? first->action
							 : first->op),
		     *process = dup_or_empty(first->process);

		if (!label || !process) {
			free(label);
			free(process);
			return -ENOMEM;
		}
		free(a->label);
		free(a->process);
		a->label = label;
		a->process = process;
		a->pub.pid = first->pid;
	}
	if (q->flags & GFS_HISTORY_ACTION_OPS) {
		rc = add_ops(a, c);
		if (rc)
			return rc;
	} else {
		a->pub.nops += c->nops;
	}
	/* a commit of its own is an action of its own */
	if (!number)
		w->prev = -1;
	return 0;
}

void gfs_history_collect_release(struct collect *w)
{
	size_t i, j;

	for (i = 0; i < w->n; i++) {
		struct act *a = &w->acts[i];

		for (j = 0; j < a->pub.nops && a->ops; j++) {
			free((char *)a->ops[j].op);
			free((char *)a->ops[j].path);
			free((char *)a->ops[j].from);
			free((char *)a->ops[j].process);
		}
		free(a->ops);
		free(a->runs);
		free(a->label);
		free(a->process);
		free(a->session);
	}
	free(w->acts);
	free(w->slots);
}

int gfs_history_collect(struct gfs_history *h,
			const struct gfs_history_action_query *q,
			struct collect *w)
{
	int rc;

	memset(w, 0, sizeof(*w));
	w->q = q;
	w->prev = -1;
	rc = gfs_history_walk(h, collect_visit, w);
	return rc < 0 ? rc : 0;
}

/* The trees before and after run r: its oldest's parent (or none). */
int gfs_history_run_trees(struct gfs_history *h, const struct run *r,
			  git_tree **before, git_tree **after)
{
	git_oid parent;
	bool has_parent;
	char pid[41];
	int rc;

	*before = *after = NULL;
	rc = gfs_history_tree_of(h, r->oldest, NULL, &parent, &has_parent);
	if (!rc && has_parent) {
		git_oid_tostr(pid, sizeof(pid), &parent);
		rc = gfs_history_tree_of(h, pid, before, NULL, NULL);
	}
	if (!rc)
		rc = gfs_history_tree_of(h, r->newest, after, NULL, NULL);
	return rc;
}

int gfs_history_run_diff(struct gfs_history *h, const struct run *r,
			 git_diff **diff, git_tree **before, git_tree **after)
{
	git_diff_options opts;
	int rc;

	*diff = NULL;
	rc = gfs_history_run_trees(h, r, before, after);
	if (rc)
		return rc;
	gfs_history_diff_opts_init(&opts);
	opts.flags |= GIT_DIFF_INCLUDE_TYPECHANGE;
	if (git_diff_tree_to_tree(diff, h->repo, *before, *after, &opts))
		return gfs_history_git_error("compare snapshots");
	return 0;
}

static int count(struct gfs_history *h, struct act *a)
{
	size_t i, j, n;
	int rc = 0;

	for (i = 0; i < a->nruns && !rc; i++) {
		git_tree *before = NULL, *after = NULL;
		git_diff *diff = NULL;

		rc = gfs_history_run_diff(h, &a->runs[i], &diff, &before,
					  &after);
		n = rc ? 0 : git_diff_num_deltas(diff);
		for (j = 0; j < n; j++) {
			switch (git_diff_get_delta(diff, j)->status) {
			case GIT_DELTA_ADDED:
				a->pub.created++;
				break;
			case GIT_DELTA_DELETED:
				a->pub.deleted++;
				break;
			default:
				a->pub.changed++;
			}
		}
		git_diff_free(diff);
		git_tree_free(before);
		git_tree_free(after);
	}
	a->pub.counted = !rc;
	return rc;
}

static void publish(struct act *a)
{
	a->pub.label = a->label ? a->label : "";
	a->pub.process = a->process ? a->process : "";
	a->pub.session = a->session;
	a->pub.ops = a->ops;
}

int gfs_history_actions(
	struct gfs_history *h, const struct gfs_history_action_query *q,
	int (*visit)(void *arg, const struct gfs_history_action *a), void *arg)
{
	struct collect w;
	size_t i;
	int rc;

	rc = gfs_history_collect(h, q, &w);
	for (i = 0; !rc && i < w.n; i++) {
		struct act *a = &w.acts[i];

		if (q->flags & GFS_HISTORY_ACTION_COUNTS)
			rc = count(h, a);
		publish(a);
		if (!rc)
			rc = visit(arg, &a->pub);
	}
	gfs_history_collect_release(&w);
	return rc;
}

int gfs_history_action_find(struct gfs_history *h, uint64_t number,
			    unsigned flags, struct collect *w)
{
	struct gfs_history_action_query q = {
		.since = -1, .max = -1, .number = number, .flags = flags};
	int rc;

	rc = gfs_history_collect(h, &q, w);
	if (!rc && !w->n)
		rc = -ENOENT;
	if (rc) {
		gfs_history_collect_release(w);
		memset(w, 0, sizeof(*w));
	}
	return rc;
}

int gfs_history_action_last(struct gfs_history *h, uint64_t number,
			    char out[41], char *err, size_t err_size)
{
	struct collect w;
	int rc = gfs_history_action_find(h, number, 0, &w);

	if (rc == -ENOENT)
		snprintf(err, err_size, "no action A%llu in the store",
			 (unsigned long long)number);
	if (rc)
		return rc;
	memcpy(out, w.acts[0].pub.last, 41);
	gfs_history_collect_release(&w);
	return 0;
}

int gfs_history_diff_action(struct gfs_history *h, uint64_t number,
			    const char *const *paths, size_t npaths,
			    const struct gfs_history_diff_view *view,
			    struct gfs_buf *out)
{
	struct collect w;
	struct act *a;
	size_t i;
	int rc = gfs_history_action_find(h, number, 0, &w);

	if (rc)
		return rc;
	a = &w.acts[0];
	/* oldest run first, as it happened */
	for (i = a->nruns; !rc && i-- > 0;) {
		git_oid parent;
		bool has_parent;
		char pid[41];

		rc = gfs_history_tree_of(h, a->runs[i].oldest, NULL, &parent,
					 &has_parent);
		if (rc)
			break;
		if (!has_parent) {
			rc = gfs_history_diff_view(h, a->runs[i].oldest, NULL,
						   paths, npaths, view, out);
			continue;
		}
		git_oid_tostr(pid, sizeof(pid), &parent);
		rc = gfs_history_diff_view(h, pid, a->runs[i].newest, paths,
					   npaths, view, out);
	}
	gfs_history_collect_release(&w);
	return rc;
}
