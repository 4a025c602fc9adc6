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
#include <fcntl.h>
#include <unistd.h>

#include "guardfs/util.h"
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
	if (q->number && number != q->number)
		return 0;
	idx = -1;
	if (number && w->nslots && *slot_of(w, number))
		idx = (long)*slot_of(w, number) - 1;
	if (idx < 0) {
		if (full)
			return 0;
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

static void collect_release(struct collect *w)
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

static int collect(struct gfs_history *h,
		   const struct gfs_history_action_query *q, struct collect *w)
{
	int rc;

	memset(w, 0, sizeof(*w));
	w->q = q;
	w->prev = -1;
	rc = gfs_history_walk(h, collect_visit, w);
	return rc < 0 ? rc : 0;
}

/* The trees before and after run r: its oldest's parent (or none). */
static int run_trees(struct gfs_history *h, const struct run *r,
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

static int run_diff(struct gfs_history *h, const struct run *r, git_diff **diff,
		    git_tree **before, git_tree **after)
{
	git_diff_options opts;
	int rc;

	*diff = NULL;
	rc = run_trees(h, r, before, after);
	if (rc)
		return rc;
	git_diff_options_init(&opts, GIT_DIFF_OPTIONS_VERSION);
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

		rc = run_diff(h, &a->runs[i], &diff, &before, &after);
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

	rc = collect(h, q, &w);
	for (i = 0; !rc && i < w.n; i++) {
		struct act *a = &w.acts[i];

		if (q->flags & GFS_HISTORY_ACTION_COUNTS)
			rc = count(h, a);
		publish(a);
		if (!rc)
			rc = visit(arg, &a->pub);
	}
	collect_release(&w);
	return rc;
}

static int find_one(struct gfs_history *h, uint64_t number, unsigned flags,
		    struct collect *w)
{
	struct gfs_history_action_query q = {
		.since = -1, .max = -1, .number = number, .flags = flags};
	int rc;

	rc = collect(h, &q, w);
	if (!rc && !w->n)
		rc = -ENOENT;
	if (rc) {
		collect_release(w);
		memset(w, 0, sizeof(*w));
	}
	return rc;
}

int gfs_history_action_last(struct gfs_history *h, uint64_t number,
			    char out[41], char *err, size_t err_size)
{
	struct collect w;
	int rc = find_one(h, number, 0, &w);

	if (rc == -ENOENT)
		snprintf(err, err_size, "no action A%llu in the store",
			 (unsigned long long)number);
	if (rc)
		return rc;
	memcpy(out, w.acts[0].pub.last, 41);
	collect_release(&w);
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
	int rc = find_one(h, number, 0, &w);

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
	collect_release(&w);
	return rc;
}

/* A path's entry in a tree: absent, or its id and mode. */
struct entry {
	bool present;
	git_oid id;
	uint32_t mode;
};

/* One path an undo puts back (encoded, as the store names it). */
struct change {
	char *path;
	struct entry before, after;
	git_tree *old_tree; /* the tree before comes from (borrowed) */
};

/* A directory an action made or removed, which diffs do not see. */
struct dir_op {
	char *path;	  /* encoded */
	bool made;	  /* mkdir, else rmdir */
	git_tree *before; /* the tree before its action's oldest run */
};

struct undo {
	struct gfs_history *h;
	struct dir_op *dirs; /* newest first */
	size_t ndirs;
	struct change *changes;
	size_t n, cap;
	size_t *slots; /* path -> index + 1 */
	size_t nslots;
	git_tree **trees; /* the runs' trees, freed at the end */
	size_t ntrees;
};

static void entry_of(git_tree *tree, const char *path, struct entry *e)
{
	git_tree_entry *te = NULL;

	e->present = tree && !git_tree_entry_bypath(&te, tree, path);
	if (!e->present)
		return;
	git_oid_cpy(&e->id, git_tree_entry_id(te));
	e->mode = git_tree_entry_filemode(te);
	git_tree_entry_free(te);
}

static bool same_entry(const struct entry *a, const struct entry *b)
{
	return a->present == b->present &&
	       (!a->present ||
		(a->mode == b->mode && git_oid_equal(&a->id, &b->id)));
}

static size_t *path_slot(struct undo *u, const char *path)
{
	size_t i = (size_t)gfs_hash(path, strlen(path)) & (u->nslots - 1);

	while (u->slots[i] && strcmp(u->changes[u->slots[i] - 1].path, path))
		i = (i + 1) & (u->nslots - 1);
	return &u->slots[i];
}

static int grow_paths(struct undo *u)
{
	size_t i, old = u->nslots, *was = u->slots;

	u->nslots = old ? old * 2 : 1024;
	u->slots = calloc(u->nslots, sizeof(*u->slots));
	if (!u->slots) {
		u->slots = was;
		u->nslots = old;
		return -ENOMEM;
	}
	for (i = 0; i < old; i++)
		if (was[i])
			*path_slot(u, u->changes[was[i] - 1].path) = was[i];
	free(was);
	return 0;
}

static void delta_side(const git_diff_file *f, bool present, struct entry *e)
{
	e->present = present;
	if (present) {
		git_oid_cpy(&e->id, &f->id);
		e->mode = f->mode;
	}
}

/*
 * Runs are fed newest first: a path's state after is its newest run's,
 * its state before its oldest run's.
 */
static int undo_add_run(struct undo *u, const struct run *r)
{
	git_tree *before = NULL, *after = NULL;
	git_diff *diff = NULL;
	size_t i, n, *slot;
	void *p;
	int rc;

	rc = run_diff(u->h, r, &diff, &before, &after);
	p = realloc(u->trees, (u->ntrees + 2) * sizeof(*u->trees));
	if (!p) {
		git_tree_free(before);
		git_tree_free(after);
		git_diff_free(diff);
		return -ENOMEM;
	}
	u->trees = p;
	u->trees[u->ntrees++] = before;
	u->trees[u->ntrees++] = after;
	n = rc ? 0 : git_diff_num_deltas(diff);
	for (i = 0; i < n && !rc; i++) {
		const git_diff_delta *d = git_diff_get_delta(diff, i);
		const char *path = d->new_file.path;
		struct change *c;

		if (u->n * 2 >= u->nslots && grow_paths(u)) {
			rc = -ENOMEM;
			break;
		}
		slot = path_slot(u, path);
		if (*slot) {
			c = &u->changes[*slot - 1];
		} else {
			if (u->n == u->cap) {
				size_t cap = u->cap ? u->cap * 2 : 256;

				p = realloc(u->changes, cap * sizeof(*c));
				if (!p) {
					rc = -ENOMEM;
					break;
				}
				u->changes = p;
				u->cap = cap;
			}
			c = &u->changes[u->n];
			memset(c, 0, sizeof(*c));
			c->path = strdup(path);
			if (!c->path) {
				rc = -ENOMEM;
				break;
			}
			u->n++;
			*slot = u->n;
			delta_side(&d->new_file, d->status != GIT_DELTA_DELETED,
				   &c->after);
		}
		delta_side(&d->old_file, d->status != GIT_DELTA_ADDED,
			   &c->before);
		c->old_tree = before;
	}
	git_diff_free(diff);
	return rc;
}

static void undo_release(struct undo *u)
{
	size_t i;

	for (i = 0; i < u->n; i++)
		free(u->changes[i].path);
	for (i = 0; i < u->ndirs; i++)
		free(u->dirs[i].path);
	free(u->dirs);
	for (i = 0; i < u->ntrees; i++)
		git_tree_free(u->trees[i]);
	free(u->trees);
	free(u->changes);
	free(u->slots);
}

static int add_update(git_tree_update **list, size_t *n, const char *path,
		      git_tree_update_t action, const struct entry *e)
{
	git_tree_update *p = realloc(*list, (*n + 1) * sizeof(**list));

	if (!p)
		return -ENOMEM;
	*list = p;
	memset(&p[*n], 0, sizeof(p[*n]));
	p[*n].action = action;
	p[*n].path = path;
	if (e) {
		git_oid_cpy(&p[*n].id, &e->id);
		p[*n].filemode = e->mode;
	}
	(*n)++;
	return 0;
}

static int apply_updates(struct gfs_history *h, git_tree **tree,
			 const git_tree_update *u, size_t n)
{
	git_tree *next = NULL;
	git_oid id;

	if (!n)
		return 0;
	if (git_tree_create_updated(&id, h->repo, *tree, n, u) ||
	    git_tree_lookup(&next, h->repo, &id))
		return gfs_history_git_error("build a tree");
	git_tree_free(*tree);
	*tree = next;
	return 0;
}

/*
 * git drops a directory left empty by a removal; the folder keeps it.
 * The nearest directory above path that the tree before had and the
 * target lacks comes back, empty (its files, if any, are upserts).
 */
static int keep_parent(git_tree *target, const struct change *c, char ***dirs,
		       size_t *ndirs)
{
	char *dir = strdup(c->path), *slash;
	struct entry e;
	size_t i;

	if (!dir)
		return -ENOMEM;
	while ((slash = strrchr(dir, '/'))) {
		*slash = '\0';
		entry_of(target, dir, &e);
		if (e.present)
			break;
		entry_of(c->old_tree, dir, &e);
		if (!e.present || e.mode != GIT_FILEMODE_TREE)
			continue;
		for (i = 0; i < *ndirs && strcmp((*dirs)[i], dir); i++)
			;
		if (i == *ndirs) {
			void *p = realloc(*dirs, (*ndirs + 1) * sizeof(**dirs));

			if (!p)
				break;
			*dirs = p;
			(*dirs)[(*ndirs)++] = dir;
			return 0;
		}
		break;
	}
	free(dir);
	return 0;
}

static void report_path(gfs_history_report report, void *arg,
			const char *encoded, int error)
{
	struct gfs_buf b = GFS_BUF_INIT;

	if (report && !gfs_history_decode_path(encoded, &b))
		report(arg, GFS_HISTORY_UPDATE, b.data, error);
	gfs_buf_release(&b);
}

/* rmdir of path below dir_fd, following no symlink on the way. */
static int rmdir_below(int dir_fd, const char *path)
{
	char *copy = strdup(path), *name, *slash;
	int fd = dir_fd, next, rc = -1;

	if (!copy)
		return -1;
	name = copy;
	while ((slash = strchr(name, '/'))) {
		*slash = '\0';
		next = openat(fd, name,
			      O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd != dir_fd)
			close(fd);
		fd = next;
		if (fd < 0)
			goto out;
		name = slash + 1;
	}
	rc = unlinkat(fd, name, AT_REMOVEDIR);
	if (fd != dir_fd)
		close(fd);
out:
	free(copy);
	return rc;
}

/*
 * A directory an action made that the target lacks goes, when the
 * restore left it empty (its files went): deepest first, as the
 * operations are newest first. What is in it now stays.
 */
static void drop_made_dirs(struct undo *u, git_tree *target, int dest_fd,
			   gfs_history_report report, void *arg)
{
	size_t i;

	for (i = 0; i < u->ndirs; i++) {
		struct gfs_buf dec = GFS_BUF_INIT;
		struct entry then, now;

		if (!u->dirs[i].made)
			continue;
		entry_of(u->dirs[i].before, u->dirs[i].path, &then);
		entry_of(target, u->dirs[i].path, &now);
		if (then.present || now.present ||
		    gfs_history_decode_path(u->dirs[i].path, &dec)) {
			gfs_buf_release(&dec);
			continue;
		}
		if (!rmdir_below(dest_fd, dec.data) && report)
			report(arg, GFS_HISTORY_REMOVE, dec.data, 0);
		gfs_buf_release(&dec);
	}
}

/* Puts u's paths back where HEAD still has them as the actions left them. */
static int undo_apply(struct undo *u, int dest_fd, unsigned flags,
		      gfs_history_report report, void *arg)
{
	git_tree_update *removes = NULL, *upserts = NULL;
	size_t nremoves = 0, nupserts = 0, ndirs = 0, i;
	git_tree *target = NULL;
	git_treebuilder *tb = NULL;
	struct entry now, empty = {.present = true, .mode = GIT_FILEMODE_TREE};
	char **dirs = NULL, head[41];
	git_oid oid;
	int rc, busy = 0;

	if (git_reference_name_to_id(&oid, u->h->repo, "HEAD"))
		return gfs_history_git_error("read HEAD");
	git_oid_tostr(head, sizeof(head), &oid);
	rc = gfs_history_tree_of(u->h, head, &target, NULL, NULL);
	if (!rc)
		rc = gfs_history_scratch_odb(u->h);
	if (!rc && (git_treebuilder_new(&tb, u->h->repo, NULL) ||
		    git_treebuilder_write(&empty.id, tb)))
		rc = gfs_history_git_error("make an empty tree");
	git_treebuilder_free(tb);
	for (i = 0; !rc && i < u->n; i++) {
		struct change *c = &u->changes[i];

		entry_of(target, c->path, &now);
		/* a later action changed it again: that stays */
		if (!same_entry(&now, &c->after)) {
			report_path(report, arg, c->path, -EBUSY);
			busy = -EBUSY;
			continue;
		}
		if (same_entry(&now, &c->before))
			continue;
		if (!c->before.present)
			rc = add_update(&removes, &nremoves, c->path,
					GIT_TREE_UPDATE_REMOVE, NULL);
		else
			rc = add_update(&upserts, &nupserts, c->path,
					GIT_TREE_UPDATE_UPSERT, &c->before);
	}
	/* an empty directory an action made goes */
	for (i = 0; !rc && i < u->ndirs; i++) {
		struct entry then;

		if (!u->dirs[i].made)
			continue;
		entry_of(u->dirs[i].before, u->dirs[i].path, &then);
		entry_of(target, u->dirs[i].path, &now);
		if (!then.present && now.present &&
		    git_oid_equal(&now.id, &empty.id))
			rc = add_update(&removes, &nremoves, u->dirs[i].path,
					GIT_TREE_UPDATE_REMOVE, NULL);
	}
	/* removals first: a file may go where a directory comes back */
	if (!rc)
		rc = apply_updates(u->h, &target, removes, nremoves);
	for (i = 0; !rc && i < nremoves; i++) {
		size_t *k = u->nslots ? path_slot(u, removes[i].path) : NULL;

		if (k && *k)
			rc = keep_parent(target, &u->changes[*k - 1], &dirs,
					 &ndirs);
	}
	for (i = 0; !rc && i < ndirs; i++)
		rc = add_update(&upserts, &nupserts, dirs[i],
				GIT_TREE_UPDATE_UPSERT, &empty);
	/* an empty directory an action removed comes back */
	for (i = 0; !rc && i < u->ndirs; i++) {
		struct entry then;
		size_t k;

		if (u->dirs[i].made)
			continue;
		entry_of(u->dirs[i].before, u->dirs[i].path, &then);
		entry_of(target, u->dirs[i].path, &now);
		if (!then.present || now.present ||
		    !git_oid_equal(&then.id, &empty.id))
			continue;
		for (k = 0;
		     k < nupserts && strcmp(upserts[k].path, u->dirs[i].path);
		     k++)
			;
		if (k == nupserts)
			rc = add_update(&upserts, &nupserts, u->dirs[i].path,
					GIT_TREE_UPDATE_UPSERT, &empty);
	}
	if (!rc)
		rc = apply_updates(u->h, &target, upserts, nupserts);
	if (!rc && (nremoves || nupserts || u->ndirs))
		rc = gfs_history_restore_tree(u->h, target, NULL, 0, dest_fd,
					      flags, report, arg);
	if (!rc && !(flags & GFS_HISTORY_DRY_RUN))
		drop_made_dirs(u, target, dest_fd, report, arg);
	for (i = 0; i < ndirs; i++)
		free(dirs[i]);
	free(dirs);
	free(removes);
	free(upserts);
	git_tree_free(target);
	return rc ? rc : busy;
}

/* The mkdir and rmdir operations of a, with the tree before it. */
static int undo_add_dirs(struct undo *u, const struct act *a)
{
	git_tree *before = NULL, *after = NULL;
	bool looked = false;
	size_t i;
	void *p;
	int rc = 0;

	for (i = 0; i < a->pub.nops && !rc; i++) {
		const struct gfs_history_action_op *op = &a->ops[i];
		struct gfs_buf enc = GFS_BUF_INIT;
		struct dir_op *d;

		if (strcmp(op->op, "mkdir") && strcmp(op->op, "rmdir"))
			continue;
		if (!looked) {
			rc = run_trees(u->h, &a->runs[a->nruns - 1], &before,
				       &after);
			git_tree_free(after);
			p = realloc(u->trees,
				    (u->ntrees + 1) * sizeof(*u->trees));
			if (!p) {
				git_tree_free(before);
				return -ENOMEM;
			}
			u->trees = p;
			u->trees[u->ntrees++] = before;
			looked = true;
			if (rc)
				break;
		}
		p = realloc(u->dirs, (u->ndirs + 1) * sizeof(*u->dirs));
		if (!p || gfs_history_encode_path(op->path, &enc)) {
			gfs_buf_release(&enc);
			return -ENOMEM;
		}
		u->dirs = p;
		d = &u->dirs[u->ndirs++];
		d->path = gfs_buf_detach(&enc);
		d->made = !strcmp(op->op, "mkdir");
		d->before = before;
	}
	return rc;
}

static int by_order(const void *a, const void *b)
{
	const struct run *x = *(const struct run *const *)a;
	const struct run *y = *(const struct run *const *)b;

	return x->order < y->order ? -1 : x->order > y->order;
}

/* Feeds every run of w's actions to u, newest first. */
static int undo_add(struct undo *u, struct collect *w)
{
	const struct run **runs = NULL;
	size_t i, j, n = 0;
	int rc = 0;

	for (i = 0; i < w->n; i++)
		n += w->acts[i].nruns;
	runs = calloc(n ? n : 1, sizeof(*runs));
	if (!runs)
		return -ENOMEM;
	n = 0;
	for (i = 0; i < w->n; i++)
		for (j = 0; j < w->acts[i].nruns; j++)
			runs[n++] = &w->acts[i].runs[j];
	qsort(runs, n, sizeof(*runs), by_order);
	for (i = 0; i < n && !rc; i++)
		rc = undo_add_run(u, runs[i]);
	free(runs);
	for (i = 0; i < w->n && !rc; i++)
		rc = undo_add_dirs(u, &w->acts[i]);
	return rc;
}

int gfs_history_undo_actions(struct gfs_history *h, const uint64_t *numbers,
			     size_t n, long newest, int dest_fd, unsigned flags,
			     gfs_history_report report, void *arg, char *err,
			     size_t err_size)
{
	struct undo u = {.h = h};
	struct collect *w;
	size_t i, nw = n ? n : 1;
	int rc = 0;

	w = calloc(nw, sizeof(*w));
	if (!w)
		return -ENOMEM;
	for (i = 0; i < n && !rc; i++) {
		rc = find_one(h, numbers[i], GFS_HISTORY_ACTION_OPS, &w[i]);
		if (rc == -ENOENT)
			snprintf(err, err_size, "no action A%llu in the store",
				 (unsigned long long)numbers[i]);
		if (rc)
			break;
	}
	if (!n) {
		struct gfs_history_action_query q = {
			.since = -1,
			.max = newest,
			.flags = GFS_HISTORY_ACTION_OPS};

		rc = collect(h, &q, &w[0]);
		if (!rc && (newest <= 0 || w[0].n < (size_t)newest)) {
			snprintf(err, err_size,
				 "the store holds %zu action%s, fewer than %ld",
				 w[0].n, w[0].n == 1 ? "" : "s", newest);
			rc = -ERANGE;
		}
	}
	/* runs of all the actions, in one order: newest first */
	if (!rc && nw > 1) {
		struct collect all = {0};

		for (i = 0; i < nw && !rc; i++) {
			void *p = realloc(all.acts,
					  (all.n + w[i].n) * sizeof(*all.acts));

			if (!p) {
				rc = -ENOMEM;
				break;
			}
			all.acts = p;
			memcpy(all.acts + all.n, w[i].acts,
			       w[i].n * sizeof(*all.acts));
			all.n += w[i].n;
		}
		if (!rc)
			rc = undo_add(&u, &all);
		free(all.acts);
	} else if (!rc) {
		rc = undo_add(&u, &w[0]);
	}
	if (!rc)
		rc = undo_apply(&u, dest_fd, flags, report, arg);
	undo_release(&u);
	for (i = 0; i < nw; i++)
		collect_release(&w[i]);
	free(w);
	return rc;
}
