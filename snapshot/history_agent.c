/*
 * The agent's own actions: what each guardfs sandbox (one `guardfs exec`,
 * or a whole `guardfs run`) did in the current session, as the sandbox's
 * restricted verbs list, diff and undo them.
 *
 * An operation belongs to such an action when its commit names the
 * sandbox (Guardfs-Sandbox, set by the daemon for every operation from
 * the sandbox's pid namespace, numbered in the session). Nothing else
 * does: the user's operations, restores (an undo's too), the store's own
 * pre-images. Only the current session is read: the agent never reaches
 * an older one.
 *
 * Undo compares, for each path the action touched, the folder now (the
 * newest snapshot) with the path before the action and as the action
 * left it. Already as before: nothing to do there (an undo replayed, a
 * file the action made and removed). As the action left it: put back.
 * Anything else (the user's later edit, a later action's) refuses the
 * undo as a whole, naming each such path: an agent never overwrites what
 * someone else did. A later action that was itself undone left the paths
 * as they were, and does not stand in the way.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "history_internal.h"

struct ref;

/* One operation of the session, its strings owned. */
struct agent_op {
	char commit[41];
	size_t index; /* in its commit's list */
	uint64_t seq;
	int64_t time;
	char *op, *path, *from, *process, *label;
	uint64_t sandbox; /* Guardfs-Sandbox, 0: not from a sandbox */
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
	struct ref *all; /* every operation's paths, sorted (when asked) */
	size_t nall;
};

static bool within(const char *path, const char *prefix)
{
	size_t len = strlen(prefix);

	return !len || (!strncmp(path, prefix, len) &&
			(path[len] == '\0' || path[len] == '/'));
}

static bool overlaps(const char *a, const char *b)
{
	return a && b && (within(a, b) || within(b, a));
}

/* Operations that change nothing in the folder. */
static bool no_change(const char *op)
{
	return !strcmp(op, "preimage") || !strcmp(op, "session-start");
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static int keep_op(struct gfs_history_agent *a,
		   const struct gfs_history_commit *c, size_t i)
{
	const struct gfs_history_op *op = &c->ops[i];
	struct agent_op *o;

	if (a->nops == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 64;
		void *p = realloc(a->ops, cap * sizeof(*a->ops));

		if (!p)
			return -ENOMEM;
		a->ops = p;
		a->cap = cap;
	}
	o = &a->ops[a->nops];
	memset(o, 0, sizeof(*o));
	memcpy(o->commit, c->id, 41);
	o->index = i;
	o->seq = op->seq;
	o->time = c->time;
	o->pid = op->pid;
	o->sandbox = op->sandbox;
	o->action = -1;
	o->op = strdup(op->op ? op->op : "");
	o->path = strdup(op->path ? op->path : "");
	o->from = dup_or_null(op->from);
	o->process = strdup(op->process ? op->process : "");
	o->label = dup_or_null(op->action);
	a->nops++;
	if (!o->op || !o->path || !o->process || (op->from && !o->from) ||
	    (op->action && !o->label))
		return -ENOMEM;
	return 0;
}

/* Collects the session's operations, newest first (reversed later). */
static int session_visit(void *arg, const struct gfs_history_commit *c)
{
	struct gfs_history_agent *a = arg;
	size_t i, start = 0;
	int rc = 0;

	/* the session's marker: what came before it is another session */
	if (c->session_start) {
		memcpy(a->session, c->id, 41);
		for (i = 0; i < c->nops; i++)
			if (!strcmp(c->ops[i].op, "session-start"))
				start = i + 1;
	}
	for (i = c->nops; !rc && i-- > start;)
		rc = keep_op(a, c, i);
	if (rc) {
		a->walk_failed = true;
		return rc;
	}
	return c->session_start ? 1 : 0;
}

static bool creates(const char *op)
{
	return !strcmp(op, "create") || !strcmp(op, "mkdir") ||
	       !strcmp(op, "symlink") || !strcmp(op, "link") ||
	       !strcmp(op, "mknod");
}

static bool deletes(const char *op)
{
	return !strcmp(op, "unlink") || !strcmp(op, "rmdir");
}

/* One path of an operation, to sort the paths of many operations. */
struct ref {
	const char *path;
	size_t op; /* index into ops */
};

/*
 * Orders paths with '/' before every other byte, so that whatever lies
 * below a directory follows it at once.
 */
static int path_cmp(const char *a, const char *b)
{
	int ca, cb;

	for (; *a && *a == *b; a++, b++)
		;
	ca = *a == '/' ? 1 : *a ? (unsigned char)*a + 1 : 0;
	cb = *b == '/' ? 1 : *b ? (unsigned char)*b + 1 : 0;
	return ca - cb;
}

static int ref_cmp(const void *x, const void *y)
{
	const struct ref *a = x, *b = y;
	int c = path_cmp(a->path, b->path);

	return c ? c : a->op < b->op ? -1 : a->op > b->op;
}

/* The first ref not ordered before path. */
static size_t lower_bound(const struct ref *refs, size_t n, const char *path)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (path_cmp(refs[mid].path, path) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

enum ref_which {
	REF_ACTION = 1 << 0, /* the action's operations (else the others) */
	REF_FROM = 1 << 1,   /* sources of renames and links too */
	REF_FILES = 1 << 2,  /* files only: no mkdir, no rmdir */
	REF_ALL = 1 << 3,    /* every operation's, whoever made it */
};

/*
 * The sorted paths of the operations from..to (inclusive) that are (or,
 * without REF_ACTION, are not) action k's, leaving out those that change
 * nothing. 0 or -ENOMEM.
 */
static int refs_of(const struct gfs_history_agent *a, size_t k, size_t from,
		   size_t to, unsigned which, struct ref **out, size_t *n)
{
	struct ref *refs;
	size_t i, m = 0;

	*out = NULL;
	*n = 0;
	if (from > to)
		return 0;
	refs = calloc(2 * (to - from + 1), sizeof(*refs));
	if (!refs)
		return -ENOMEM;
	for (i = from; i <= to; i++) {
		const struct agent_op *o = &a->ops[i];

		if (no_change(o->op) ||
		    (!(which & REF_ALL) &&
		     (o->action == (long)k) != !!(which & REF_ACTION)))
			continue;
		if ((which & REF_FILES) &&
		    (!strcmp(o->op, "mkdir") || !strcmp(o->op, "rmdir")))
			continue;
		if (*o->path)
			refs[m++] = (struct ref){o->path, i};
		if ((which & REF_FROM) && o->from && *o->from)
			refs[m++] = (struct ref){o->from, i};
	}
	qsort(refs, m, sizeof(*refs), ref_cmp);
	*out = refs;
	*n = m;
	return 0;
}

/* Counts an action's files as created, deleted or changed. */
static int count_paths(struct gfs_history_agent *a, size_t k)
{
	struct gfs_history_agent_action *act = &a->actions[k];
	struct ref *refs;
	size_t i, j, n;
	int rc;

	/* files are counted, not the directories holding them */
	rc = refs_of(a, k, a->first[k], a->last[k], REF_ACTION | REF_FILES,
		     &refs, &n);
	for (i = 0; !rc && i < n; i = j) {
		const struct agent_op *first = &a->ops[refs[i].op], *last;

		for (j = i + 1; j < n && !strcmp(refs[j].path, refs[i].path);
		     j++)
			;
		last = &a->ops[refs[j - 1].op];
		if (creates(first->op) && !deletes(last->op))
			act->created++;
		else if (deletes(last->op) && !creates(first->op))
			act->deleted++;
		else if (!creates(first->op))
			act->changed++;
	}
	/* a rename's source is gone from where it was */
	for (i = a->first[k]; !rc && i <= a->last[k]; i++)
		if (a->ops[i].action == (long)k && a->ops[i].from &&
		    !strcmp(a->ops[i].op, "rename"))
			act->deleted++;
	free(refs);
	return rc;
}

/* The action of sandbox number sandbox, newest first; -1 when none. */
static long action_of_sandbox(const struct gfs_history_agent *a,
			      uint64_t sandbox)
{
	size_t i;

	for (i = a->nactions; i-- > 0;)
		if (a->actions[i].sandbox == sandbox)
			return (long)i;
	return -1;
}

static int group(struct gfs_history_agent *a)
{
	long current = -1;
	size_t i, n = 0;

	for (i = 0; i < a->nops; i++)
		n += a->ops[i].sandbox != 0;
	a->actions = calloc(n ? n : 1, sizeof(*a->actions));
	a->first = calloc(n ? n : 1, sizeof(size_t));
	a->last = calloc(n ? n : 1, sizeof(size_t));
	if (!a->actions || !a->first || !a->last)
		return -ENOMEM;
	for (i = 0; i < a->nops; i++) {
		struct agent_op *o = &a->ops[i];
		struct gfs_history_agent_action *act;

		if (!o->sandbox)
			continue;
		/* (two sandboxes at once interleave their operations) */
		if (current < 0 || a->actions[current].sandbox != o->sandbox)
			current = action_of_sandbox(a, o->sandbox);
		if (current < 0) {
			current = (long)a->nactions++;
			act = &a->actions[current];
			snprintf(act->id, sizeof(act->id), "%.10s@%llu",
				 o->commit, (unsigned long long)o->seq);
			act->label = o->label ? o->label : "";
			act->sandbox = o->sandbox;
			act->start = o->time;
			a->first[current] = i;
		}
		act = &a->actions[current];
		act->end = o->time;
		act->nops++;
		a->last[current] = i;
		o->action = current;
	}
	for (i = 0; i < a->nactions; i++)
		if (count_paths(a, i))
			return -ENOMEM;
	return 0;
}

int gfs_history_agent_load(struct gfs_history_agent **out,
			   struct gfs_history *h)
{
	struct gfs_history_agent *a = calloc(1, sizeof(*a));
	size_t i;
	int rc;

	*out = NULL;
	if (!a)
		return -ENOMEM;
	rc = gfs_history_walk(h, session_visit, a);
	if (rc > 0)
		rc = a->walk_failed ? -ENOMEM : 0;
	/* oldest first from here on */
	for (i = 0; i < a->nops / 2; i++) {
		struct agent_op t = a->ops[i];

		a->ops[i] = a->ops[a->nops - 1 - i];
		a->ops[a->nops - 1 - i] = t;
	}
	if (!rc)
		rc = group(a);
	if (rc) {
		gfs_history_agent_free(a);
		return rc;
	}
	*out = a;
	return 0;
}

void gfs_history_agent_free(struct gfs_history_agent *a)
{
	size_t i;

	if (!a)
		return;
	for (i = 0; i < a->nops; i++) {
		free(a->ops[i].op);
		free(a->ops[i].path);
		free(a->ops[i].from);
		free(a->ops[i].process);
		free(a->ops[i].label);
	}
	free(a->ops);
	free(a->all);
	free(a->actions);
	free(a->first);
	free(a->last);
	free(a);
}

size_t gfs_history_agent_count(const struct gfs_history_agent *a)
{
	return a->nactions;
}

const struct gfs_history_agent_action *
gfs_history_agent_get(const struct gfs_history_agent *a, size_t i)
{
	return i < a->nactions ? &a->actions[a->nactions - 1 - i] : NULL;
}

const struct gfs_history_agent_action *
gfs_history_agent_find(const struct gfs_history_agent *a, const char *id)
{
	const char *at = strchr(id, '@');
	size_t i, len = at ? (size_t)(at - id) : 0;

	if (!at || len < 4 || len > 40 || !at[1] ||
	    strspn(id, "0123456789abcdef") != len ||
	    strspn(at + 1, "0123456789") != strlen(at + 1))
		return NULL;
	for (i = 0; i < a->nactions; i++) {
		const struct agent_op *o = &a->ops[a->first[i]];
		char seq[24];

		snprintf(seq, sizeof(seq), "%llu", (unsigned long long)o->seq);
		if (!strncmp(o->commit, id, len) && !strcmp(at + 1, seq))
			return &a->actions[i];
	}
	return NULL;
}

static size_t index_of(const struct gfs_history_agent *a,
		       const struct gfs_history_agent_action *act)
{
	return (size_t)(act - a->actions);
}

/*
 * The action's paths (sources of renames too), without those below
 * another of them: restoring a directory brings back what it held.
 */
static int action_paths(const struct gfs_history_agent *a, size_t k,
			const char ***out, size_t *n)
{
	const char **paths;
	struct ref *refs;
	size_t i, m, kept = 0;
	int rc;

	*out = NULL;
	*n = 0;
	rc = refs_of(a, k, a->first[k], a->last[k], REF_ACTION | REF_FROM,
		     &refs, &m);
	paths = rc ? NULL : calloc(m ? m : 1, sizeof(*paths));
	if (!paths) {
		free(refs);
		return -ENOMEM;
	}
	/* sorted: what lies below a kept path comes right after it */
	for (i = 0; i < m; i++)
		if (!kept || !within(refs[i].path, paths[kept - 1]))
			paths[kept++] = refs[i].path;
	free(refs);
	*out = paths;
	*n = kept;
	return 0;
}

/* The commit that holds the folder as it was before the action. */
static int before_state(struct gfs_history *h,
			const struct gfs_history_agent *a, size_t k,
			char out[41], uint64_t *seq)
{
	const struct agent_op *f = &a->ops[a->first[k]];
	size_t i;

	*seq = 0;
	/* an earlier operation of the same commit: right after it */
	for (i = a->first[k]; i-- > 0;) {
		const struct agent_op *o = &a->ops[i];

		if (strcmp(o->commit, f->commit))
			break;
		if (o->seq && !no_change(o->op)) {
			memcpy(out, o->commit, 41);
			*seq = o->seq;
			return 0;
		}
	}
	return gfs_history_parent(h, f->commit, out);
}

int gfs_history_agent_diff(struct gfs_history *h,
			   const struct gfs_history_agent *a,
			   const struct gfs_history_agent_action *act,
			   const struct gfs_history_diff_view *view,
			   struct gfs_buf *out)
{
	size_t k = index_of(a, act), n;
	const char **paths = NULL;
	char before[41];
	int rc;

	/*
	 * From the commit before the action's first operation to the one
	 * holding its last, narrowed to its paths: another process's
	 * operation on those paths inside that span shows too (and would
	 * make undo refuse).
	 */
	rc = gfs_history_parent(h, a->ops[a->first[k]].commit, before);
	if (!rc)
		rc = action_paths(a, k, &paths, &n);
	if (!rc && n)
		rc = gfs_history_diff_view(h, before, a->ops[a->last[k]].commit,
					   paths, n, view, out);
	free(paths);
	return rc;
}

/* The entry at path (decoded) in tree, into *id and *mode; false: none. */
static bool entry_at(git_tree *tree, const char *path, git_oid *id,
		     uint32_t *mode)
{
	struct gfs_buf enc = GFS_BUF_INIT;
	git_tree_entry *e = NULL;
	bool found = false;

	if (tree && !gfs_history_encode_path(path, &enc) &&
	    !git_tree_entry_bypath(&e, tree, enc.data)) {
		git_oid_cpy(id, git_tree_entry_id(e));
		*mode = git_tree_entry_filemode(e);
		found = true;
	}
	git_tree_entry_free(e);
	gfs_buf_release(&enc);
	return found;
}

static void as_history_op(const struct agent_op *o, struct gfs_history_op *op)
{
	memset(op, 0, sizeof(*op));
	op->op = o->op;
	op->path = o->path;
	op->from = o->from;
	op->process = o->process;
	op->action = o->label;
	op->pid = o->pid;
	op->seq = o->seq;
}

static bool same_entry(git_tree *a, git_tree *b, const char *path)
{
	git_oid a_id, b_id;
	uint32_t a_mode = 0, b_mode = 0;
	bool in_a = entry_at(a, path, &a_id, &a_mode);
	bool in_b = entry_at(b, path, &b_id, &b_mode);

	return in_a == in_b &&
	       (!in_a || (a_mode == b_mode && git_oid_equal(&a_id, &b_id)));
}

/*
 * What an undo compares: the trees, a commit's tree kept for the next
 * path, and the sorted paths of the action's operations and of every
 * other operation since it began.
 */
struct undo_trees {
	git_tree *head;	  /* the newest snapshot: the folder now */
	git_tree *before; /* before the action (its first commit's parent) */
	git_tree *cache;
	char cached[41];
	struct ref *mine, *others;
	size_t nmine, nothers;
};

/* Notes operation i of others if it came after last (see below). */
static void consider(const struct gfs_history_agent *a, size_t i, size_t last,
		     long *newest, bool *same_commit)
{
	if (i <= last)
		return;
	if (!strcmp(a->ops[i].commit, a->ops[last].commit))
		*same_commit = true;
	if ((long)i > *newest)
		*newest = (long)i;
}

/*
 * Whether path is as the action left it: 0, or 1 when another operation
 * in the commit of the action's last touch of it, after that touch,
 * changes it (*by says which), or when the folder holds it otherwise
 * (*by the newest operation on it since, or NULL when none was
 * recorded).
 */
static int changed_since(struct gfs_history *h,
			 const struct gfs_history_agent *a, size_t k,
			 const char *path, struct undo_trees *t,
			 const struct agent_op **by)
{
	size_t i, last = a->first[k], len;
	bool same_commit = false;
	long newest = -1;
	char *up;
	int rc;

	/* sorted: what lies below path follows it */
	for (i = lower_bound(t->mine, t->nmine, path);
	     i < t->nmine && within(t->mine[i].path, path); i++)
		if (t->mine[i].op > last)
			last = t->mine[i].op;
	for (i = lower_bound(t->others, t->nothers, path);
	     i < t->nothers && within(t->others[i].path, path); i++)
		consider(a, t->others[i].op, last, &newest, &same_commit);
	/* and on a directory above it (rm -rf of its parent) */
	up = strdup(path);
	if (!up)
		return -ENOMEM;
	for (len = strlen(up); len-- > 0;) {
		if (up[len] != '/')
			continue;
		up[len] = '\0';
		for (i = lower_bound(t->others, t->nothers, up);
		     i < t->nothers && !strcmp(t->others[i].path, up); i++)
			consider(a, t->others[i].op, last, &newest,
				 &same_commit);
	}
	free(up);
	*by = newest >= 0 ? &a->ops[newest] : NULL;
	if (same_commit)
		return 1;
	if (strcmp(t->cached, a->ops[last].commit)) {
		git_tree_free(t->cache);
		t->cache = NULL;
		t->cached[0] = '\0';
		rc = gfs_history_tree_of(h, a->ops[last].commit, &t->cache,
					 NULL, NULL);
		if (rc)
			return rc;
		memcpy(t->cached, a->ops[last].commit, 41);
	}
	return same_entry(t->cache, t->head, path) ? 0 : 1;
}

/*
 * Whether the folder holds path as it was before the action (known only
 * when no earlier operation of the action's first commit touched it).
 */
static bool as_before(const struct gfs_history_agent *a, size_t k,
		      const char *path, struct undo_trees *t)
{
	const struct agent_op *f = &a->ops[a->first[k]];
	size_t i;

	for (i = a->first[k]; i-- > 0 && !strcmp(a->ops[i].commit, f->commit);)
		if (!no_change(a->ops[i].op) &&
		    (overlaps(a->ops[i].path, path) ||
		     overlaps(a->ops[i].from, path)))
			return false;
	return same_entry(t->before, t->head, path);
}

static int load_trees(struct gfs_history *h, const struct gfs_history_agent *a,
		      size_t k, struct undo_trees *t)
{
	char id[41];
	git_oid oid;
	int rc;

	if (git_reference_name_to_id(&oid, h->repo, "HEAD"))
		return gfs_history_git_error("read HEAD");
	git_oid_tostr(id, sizeof(id), &oid);
	rc = gfs_history_tree_of(h, id, &t->head, NULL, NULL);
	if (!rc)
		rc = gfs_history_parent(h, a->ops[a->first[k]].commit, id);
	if (!rc)
		rc = gfs_history_tree_of(h, id, &t->before, NULL, NULL);
	return rc;
}

int gfs_history_agent_undo(struct gfs_history *h,
			   const struct gfs_history_agent *a,
			   const struct gfs_history_agent_action *act,
			   int dest_fd, unsigned flags,
			   gfs_history_conflict conflict,
			   gfs_history_report report, void *arg)
{
	size_t k = index_of(a, act), i, n = 0, todo = 0;
	struct undo_trees t = {0};
	const char **paths = NULL;
	char before[41];
	uint64_t seq;
	int rc, conflicts = 0;

	rc = action_paths(a, k, &paths, &n);
	if (!rc)
		rc = load_trees(h, a, k, &t);
	if (!rc)
		rc = refs_of(a, k, a->first[k], a->last[k],
			     REF_ACTION | REF_FROM, &t.mine, &t.nmine);
	if (!rc)
		rc = refs_of(a, k, a->first[k], a->nops - 1, REF_FROM,
			     &t.others, &t.nothers);
	for (i = 0; !rc && i < n; i++) {
		const struct agent_op *by;
		struct gfs_history_op op;

		if (as_before(a, k, paths[i], &t))
			continue;
		rc = changed_since(h, a, k, paths[i], &t, &by);
		if (rc < 0)
			break;
		if (!rc) {
			paths[todo++] = paths[i];
			continue;
		}
		rc = 0;
		conflicts++;
		if (by)
			as_history_op(by, &op);
		if (conflict)
			conflict(arg, paths[i], by ? &op : NULL);
	}
	if (!rc && conflicts)
		rc = -EBUSY;
	if (!rc && todo)
		rc = before_state(h, a, k, before, &seq);
	if (!rc && todo)
		rc = seq ? gfs_history_restore_op(h, before, seq, paths, todo,
						  dest_fd, flags, report, arg)
			 : gfs_history_restore(h, before, paths, todo, dest_fd,
					       flags, report, arg);
	git_tree_free(t.cache);
	git_tree_free(t.head);
	git_tree_free(t.before);
	free(t.mine);
	free(t.others);
	free(paths);
	return rc;
}

size_t gfs_history_agent_ops(const struct gfs_history_agent *a,
			     const struct gfs_history_agent_action *act,
			     void (*visit)(void *arg, const char *commit,
					   const struct gfs_history_op *op),
			     void *arg)
{
	size_t k = index_of(a, act), i, n = 0;

	for (i = a->first[k]; i <= a->last[k]; i++) {
		const struct agent_op *o = &a->ops[i];
		struct gfs_history_op op;

		if (o->action != (long)k)
			continue;
		n++;
		as_history_op(o, &op);
		if (visit)
			visit(arg, o->commit, &op);
	}
	return n;
}

const char *gfs_history_agent_session(const struct gfs_history_agent *a)
{
	return a->session[0] ? a->session : NULL;
}

int gfs_history_file(struct gfs_history *h, const char *id, const char *path,
		     struct gfs_buf *out)
{
	struct gfs_buf enc = GFS_BUF_INIT;
	git_tree *tree = NULL;
	git_tree_entry *e = NULL;
	git_blob *blob = NULL;
	int rc = gfs_history_encode_path(path, &enc);

	if (!rc)
		rc = gfs_history_tree_of(h, id, &tree, NULL, NULL);
	if (!rc && (git_tree_entry_bypath(&e, tree, enc.data) ||
		    git_tree_entry_type(e) != GIT_OBJECT_BLOB))
		rc = -ENOENT;
	if (!rc && git_blob_lookup(&blob, h->repo, git_tree_entry_id(e)))
		rc = gfs_history_git_error("read blob");
	if (!rc)
		rc = gfs_buf_add(out, git_blob_rawcontent(blob),
				 (size_t)git_blob_rawsize(blob));
	git_blob_free(blob);
	git_tree_entry_free(e);
	git_tree_free(tree);
	gfs_buf_release(&enc);
	return rc;
}

int gfs_history_agent_versions(struct gfs_history_agent *a, const char *path,
			       size_t max,
			       int (*visit)(void *arg, const char *commit),
			       void *arg)
{
	const char *seen[64];
	size_t i, n = 0, k;
	int rc = 0;

	if (!a->all && a->nops &&
	    refs_of(a, 0, 0, a->nops - 1, REF_ALL | REF_FROM, &a->all,
		    &a->nall))
		return -ENOMEM;
	if (max > sizeof(seen) / sizeof(seen[0]))
		max = sizeof(seen) / sizeof(seen[0]);
	if (a->session[0] && max) {
		seen[n++] = a->session;
		rc = visit(arg, a->session);
	}
	/* newest first: the refs of path are ordered by operation */
	k = lower_bound(a->all, a->nall, path);
	for (i = k; i < a->nall && !strcmp(a->all[i].path, path); i++)
		;
	while (!rc && i-- > k && n < max) {
		const char *commit = a->ops[a->all[i].op].commit;
		size_t j;

		for (j = 0; j < n && strcmp(seen[j], commit); j++)
			;
		if (j < n)
			continue;
		seen[n++] = commit;
		rc = visit(arg, commit);
	}
	return rc;
}
