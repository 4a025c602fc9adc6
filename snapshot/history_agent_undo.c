/*
 * Undo of the agent's own actions (see history_agent.c): compares, for
 * each path the action touched, the folder now (the newest snapshot)
 * with the path before the action and as the action left it, and puts
 * back only what is still as the action left it, or refuses as a whole.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "history_agent.h"

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
	struct agent_ref *mine, *others;
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
	for (i = gfs_history_agent_lower_bound(t->mine, t->nmine, path);
	     i < t->nmine && within(t->mine[i].path, path); i++)
		if (t->mine[i].op > last)
			last = t->mine[i].op;
	for (i = gfs_history_agent_lower_bound(t->others, t->nothers, path);
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
		for (i = gfs_history_agent_lower_bound(t->others, t->nothers,
						       up);
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
			   const struct gfs_history_undo_checks *checks,
			   gfs_history_report report, void *arg)
{
	size_t k = gfs_history_agent_index(a, act), i, n = 0, todo = 0;
	struct undo_trees t = {0};
	const char **paths = NULL;
	char before[41];
	uint64_t seq;
	int rc, conflicts = 0;

	rc = gfs_history_agent_paths(a, k, &paths, &n);
	if (!rc)
		rc = load_trees(h, a, k, &t);
	if (!rc)
		rc = gfs_history_agent_refs(a, k, a->first[k], a->last[k],
					    REF_ACTION | REF_FROM, &t.mine,
					    &t.nmine);
	if (!rc)
		rc = gfs_history_agent_refs(a, k, a->first[k], a->nops - 1,
					    REF_FROM, &t.others, &t.nothers);
	for (i = 0; !rc && i < n; i++) {
		const struct agent_op *by;
		struct gfs_history_op op;

		if (checks->busy && checks->busy(arg, paths[i])) {
			conflicts++;
			continue;
		}
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
			gfs_history_agent_op_view(by, &op);
		if (checks->conflict)
			checks->conflict(arg, paths[i], by ? &op : NULL);
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
