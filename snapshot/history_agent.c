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
 * Undo (history_agent_undo.c) compares, for each path the action
 * touched, the folder now (the newest snapshot) with the path before the
 * action and as the action left it. Already as before: nothing to do
 * there (an undo replayed, a file the action made and removed). As the
 * action left it: put back. Anything else (the user's later edit, a
 * later action's) refuses the undo as a whole, naming each such path: an
 * agent never overwrites what someone else did. A later action that was
 * itself undone left the paths as they were, and does not stand in the
 * way. Nor may a path be open for writing elsewhere (checks->busy). The
 * caller holds the mount meanwhile (cli/agent_verbs.c, fs/hold.c), so
 * the newest snapshot stays the folder until the last write.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "history_agent.h"

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
	o->seq = op->seq;
	o->time = c->time;
	o->pid = op->pid;
	o->sandbox = op->sandbox;
	o->action_id = op->action_id;
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
	const struct agent_ref *a = x, *b = y;
	int c = path_cmp(a->path, b->path);

	return c ? c : a->op < b->op ? -1 : a->op > b->op;
}

/* The first ref not ordered before path. */
size_t gfs_history_agent_lower_bound(const struct agent_ref *refs, size_t n,
				     const char *path)
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

/*
 * The sorted paths of the operations from..to (inclusive) that are (or,
 * without REF_ACTION, are not) action k's, leaving out those that change
 * nothing. 0 or -ENOMEM.
 */
int gfs_history_agent_refs(const struct gfs_history_agent *a, size_t k,
			   size_t from, size_t to, unsigned which,
			   struct agent_ref **out, size_t *n)
{
	struct agent_ref *refs;
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
			refs[m++] = (struct agent_ref){o->path, i};
		if ((which & REF_FROM) && o->from && *o->from)
			refs[m++] = (struct agent_ref){o->from, i};
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
	struct agent_ref *refs;
	size_t i, j, n;
	int rc;

	/* files are counted, not the directories holding them */
	rc = gfs_history_agent_refs(a, k, a->first[k], a->last[k],
				    REF_ACTION | REF_FILES, &refs, &n);
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
			/* the id guardfs log prints for it; older stores
			 * have none: its first operation's */
			if (o->action_id)
				snprintf(act->id, sizeof(act->id), "A%llu",
					 (unsigned long long)o->action_id);
			else
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

	if (id[0] == 'A') {
		for (i = 0; i < a->nactions; i++)
			if (!strcmp(a->actions[i].id, id))
				return &a->actions[i];
		return NULL;
	}
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

size_t gfs_history_agent_index(const struct gfs_history_agent *a,
			       const struct gfs_history_agent_action *act)
{
	return (size_t)(act - a->actions);
}

/*
 * The action's paths (sources of renames too), without those below
 * another of them: restoring a directory brings back what it held.
 */
int gfs_history_agent_paths(const struct gfs_history_agent *a, size_t k,
			    const char ***out, size_t *n)
{
	const char **paths;
	struct agent_ref *refs;
	size_t i, m, kept = 0;
	int rc;

	*out = NULL;
	*n = 0;
	rc = gfs_history_agent_refs(a, k, a->first[k], a->last[k],
				    REF_ACTION | REF_FROM, &refs, &m);
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

int gfs_history_agent_diff(struct gfs_history *h,
			   const struct gfs_history_agent *a,
			   const struct gfs_history_agent_action *act,
			   const struct gfs_history_diff_view *view,
			   struct gfs_buf *out)
{
	size_t k = gfs_history_agent_index(a, act), n;
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
		rc = gfs_history_agent_paths(a, k, &paths, &n);
	if (!rc && n)
		rc = gfs_history_diff_view(h, before, a->ops[a->last[k]].commit,
					   paths, n, view, out);
	free(paths);
	return rc;
}

void gfs_history_agent_op_view(const struct agent_op *o,
			       struct gfs_history_op *op)
{
	memset(op, 0, sizeof(*op));
	op->op = o->op;
	op->path = o->path;
	op->from = o->from;
	op->process = o->process;
	op->action = o->label;
	op->pid = o->pid;
	op->seq = o->seq;
	op->sandbox = o->sandbox;
}

size_t gfs_history_agent_ops(const struct gfs_history_agent *a,
			     const struct gfs_history_agent_action *act,
			     void (*visit)(void *arg, const char *commit,
					   const struct gfs_history_op *op),
			     void *arg)
{
	size_t k = gfs_history_agent_index(a, act), i, n = 0;

	for (i = a->first[k]; i <= a->last[k]; i++) {
		const struct agent_op *o = &a->ops[i];
		struct gfs_history_op op;

		if (o->action != (long)k)
			continue;
		n++;
		gfs_history_agent_op_view(o, &op);
		if (visit)
			visit(arg, o->commit, &op);
	}
	return n;
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
	    gfs_history_agent_refs(a, 0, 0, a->nops - 1, REF_ALL | REF_FROM,
				   &a->all, &a->nall))
		return -ENOMEM;
	if (max > sizeof(seen) / sizeof(seen[0]))
		max = sizeof(seen) / sizeof(seen[0]);
	if (a->session[0] && max) {
		seen[n++] = a->session;
		rc = visit(arg, a->session);
	}
	/* newest first: the refs of path are ordered by operation */
	k = gfs_history_agent_lower_bound(a->all, a->nall, path);
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
