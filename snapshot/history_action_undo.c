/*
 * Undo of whole actions: every path their runs changed goes back to its
 * state before the oldest of them, where HEAD still holds it as the
 * newest left it (else it is reported busy and left alone).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guardfs/util.h"
#include "history_action.h"

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

struct undo {
	struct gfs_history *h;
	/*
	 * Diffs do not see empty directories: they are looked for in the
	 * top-level directories the changes are in, between the tree
	 * before the oldest run and after the newest (borrowed).
	 */
	git_tree *first_before, *last_after;
	char **tops;
	size_t ntops;
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

/* Adds list[] += copy of dir unless there; 0 or -ENOMEM. */
static int add_unique(char ***list, size_t *n, const char *dir, size_t len)
{
	size_t i;
	void *p;

	for (i = 0; i < *n; i++)
		if (!strncmp((*list)[i], dir, len) && !(*list)[i][len])
			return 0;
	p = realloc(*list, (*n + 1) * sizeof(**list));
	if (!p)
		return -ENOMEM;
	*list = p;
	(*list)[*n] = strndup(dir, len);
	if (!(*list)[*n])
		return -ENOMEM;
	(*n)++;
	return 0;
}

/* The top-level directory path is in, if any, among u->tops. */
static int add_top(struct undo *u, const char *path)
{
	const char *slash = strchr(path, '/');

	return slash ? add_unique(&u->tops, &u->ntops, path,
				  (size_t)(slash - path))
		     : 0;
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

	rc = gfs_history_run_diff(u->h, r, &diff, &before, &after);
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
	if (!u->last_after)
		u->last_after = after;
	u->first_before = before;
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
			rc = add_top(u, path);
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
	for (i = 0; i < u->ntops; i++)
		free(u->tops[i]);
	free(u->tops);
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
static int keep_parent(git_tree *target, const char *path, git_tree *before,
		       char ***dirs, size_t *ndirs)
{
	char *dir = strdup(path), *slash;
	struct entry e;
	size_t i;

	if (!dir)
		return -ENOMEM;
	while ((slash = strrchr(dir, '/'))) {
		*slash = '\0';
		entry_of(target, dir, &e);
		if (e.present)
			break;
		entry_of(before, dir, &e);
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

/* Paths (below top) of the empty directories in tree. */
struct empties {
	const char *top;
	struct gfs_buf found; /* NUL-separated */
	git_oid empty;
	int rc;
};

static int empty_visit(const char *root, const git_tree_entry *e, void *arg)
{
	struct empties *w = arg;

	if (gfs_history_chunk_tree(e))
		return 1;
	if (git_tree_entry_type(e) != GIT_OBJECT_TREE ||
	    !git_oid_equal(git_tree_entry_id(e), &w->empty))
		return 0;
	if (gfs_buf_addf(&w->found, "%s/%s%s", w->top, root,
			 git_tree_entry_name(e)) ||
	    gfs_buf_addch(&w->found, '\0')) {
		w->rc = -ENOMEM;
		return -1;
	}
	return 0;
}

static int find_empties(struct gfs_history *h, git_tree *tree, const char *top,
			struct empties *w)
{
	git_tree_entry *te = NULL;
	git_tree *sub = NULL;

	gfs_buf_reset(&w->found);
	w->top = top;
	w->rc = 0;
	if (!tree || git_tree_entry_bypath(&te, tree, top))
		return 0;
	/* top itself */
	if (git_tree_entry_type(te) == GIT_OBJECT_TREE &&
	    git_oid_equal(git_tree_entry_id(te), &w->empty) &&
	    (gfs_buf_adds(&w->found, top) || gfs_buf_addch(&w->found, '\0')))
		w->rc = -ENOMEM;
	if (!w->rc && git_tree_entry_type(te) == GIT_OBJECT_TREE &&
	    !git_tree_lookup(&sub, h->repo, git_tree_entry_id(te)) &&
	    git_tree_walk(sub, GIT_TREEWALK_PRE, empty_visit, w) && !w->rc)
		w->rc = gfs_history_git_error("walk tree");
	git_tree_free(sub);
	git_tree_entry_free(te);
	return w->rc;
}

/*
 * The top-level directories one tree has and the other lacks are where
 * directories were made or removed with no file changed below them.
 */
static int add_root_tops(struct undo *u, git_tree *a, git_tree *b)
{
	size_t i, n = a ? git_tree_entrycount(a) : 0;
	int rc = 0;

	for (i = 0; i < n && !rc; i++) {
		const git_tree_entry *e = git_tree_entry_byindex(a, i);
		const char *name = git_tree_entry_name(e);

		if (git_tree_entry_type(e) == GIT_OBJECT_TREE &&
		    !gfs_history_chunk_tree(e) &&
		    (!b || !git_tree_entry_byname(b, name)))
			rc = add_unique(&u->tops, &u->ntops, name,
					strlen(name));
	}
	return rc;
}

/*
 * After the restore: a directory a change's action made (its tree
 * before lacks it) that the target lacks goes, when it is empty now;
 * deepest first. What is in it now stays.
 */
static void drop_made_dirs(struct undo *u, git_tree *target, int dest_fd,
			   gfs_history_report report, void *arg)
{
	char **tried = NULL, *slash;
	size_t ntried = 0, i;
	struct entry e;

	for (i = 0; i < u->n; i++) {
		const struct change *c = &u->changes[i];
		size_t len = strlen(c->path);

		if (c->before.present)
			continue;
		while ((slash = memrchr(c->path, '/', len))) {
			struct gfs_buf dec = GFS_BUF_INIT;
			char *dir;

			len = (size_t)(slash - c->path);
			if (add_unique(&tried, &ntried, c->path, len))
				break;
			dir = tried[ntried - 1];
			entry_of(c->old_tree, dir, &e);
			if (e.present)
				break;
			entry_of(target, dir, &e);
			if (e.present || gfs_history_decode_path(dir, &dec)) {
				gfs_buf_release(&dec);
				break;
			}
			if (!rmdir_below(dest_fd, dec.data) && report)
				report(arg, GFS_HISTORY_REMOVE, dec.data, 0);
			gfs_buf_release(&dec);
		}
	}
	for (i = 0; i < ntried; i++)
		free(tried[i]);
	free(tried);
}

/* Puts u's paths back where HEAD still has them as the actions left them. */
static int undo_apply(struct undo *u, int dest_fd, unsigned flags,
		      gfs_history_report report, void *arg)
{
	git_tree_update *removes = NULL, *upserts = NULL;
	size_t nremoves = 0, nupserts = 0, ndirs = 0, nmade = 0, i, k, pos;
	git_tree *target = NULL;
	git_treebuilder *tb = NULL;
	struct entry now, then,
		empty = {.present = true, .mode = GIT_FILEMODE_TREE};
	struct empties w = {.found = GFS_BUF_INIT};
	char **dirs = NULL, **made = NULL, head[41];
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
	git_oid_cpy(&w.empty, &empty.id);
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
	if (!rc)
		rc = add_root_tops(u, u->last_after, u->first_before);
	if (!rc)
		rc = add_root_tops(u, u->first_before, u->last_after);
	/* empty directories the actions made go */
	for (k = 0; !rc && k < u->ntops; k++) {
		rc = find_empties(u->h, target, u->tops[k], &w);
		for (pos = 0; !rc && pos < w.found.len;
		     pos += strlen(w.found.data + pos) + 1) {
			const char *dir = w.found.data + pos;

			entry_of(u->first_before, dir, &then);
			entry_of(u->last_after, dir, &now);
			if (then.present || !now.present)
				continue;
			rc = add_unique(&made, &nmade, dir, strlen(dir));
			if (!rc)
				rc = add_update(&removes, &nremoves,
						made[nmade - 1],
						GIT_TREE_UPDATE_REMOVE, NULL);
		}
	}
	/* removals first: a file may go where a directory comes back */
	if (!rc)
		rc = apply_updates(u->h, &target, removes, nremoves);
	for (i = 0; !rc && i < nremoves; i++) {
		size_t *slot = u->nslots ? path_slot(u, removes[i].path) : NULL;

		rc = keep_parent(target, removes[i].path,
				 slot && *slot ? u->changes[*slot - 1].old_tree
					       : u->first_before,
				 &dirs, &ndirs);
	}
	/* and empty directories they removed come back */
	for (k = 0; !rc && k < u->ntops; k++) {
		rc = find_empties(u->h, u->first_before, u->tops[k], &w);
		for (pos = 0; !rc && pos < w.found.len;
		     pos += strlen(w.found.data + pos) + 1) {
			const char *dir = w.found.data + pos;

			entry_of(target, dir, &now);
			if (!now.present)
				rc = add_unique(&dirs, &ndirs, dir,
						strlen(dir));
		}
	}
	for (i = 0; !rc && i < ndirs; i++)
		rc = add_update(&upserts, &nupserts, dirs[i],
				GIT_TREE_UPDATE_UPSERT, &empty);
	if (!rc)
		rc = apply_updates(u->h, &target, upserts, nupserts);
	if (!rc && (nremoves || nupserts))
		rc = gfs_history_restore_tree(u->h, target, NULL, 0, dest_fd,
					      flags, report, arg);
	if (!rc && !(flags & GFS_HISTORY_DRY_RUN))
		drop_made_dirs(u, target, dest_fd, report, arg);
	for (i = 0; i < ndirs; i++)
		free(dirs[i]);
	free(dirs);
	for (i = 0; i < nmade; i++)
		free(made[i]);
	free(made);
	free(removes);
	free(upserts);
	gfs_buf_release(&w.found);
	git_tree_free(target);
	return rc ? rc : busy;
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
		rc = gfs_history_action_find(h, numbers[i],
					     GFS_HISTORY_ACTION_OPS, &w[i]);
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

		rc = gfs_history_collect(h, &q, &w[0]);
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
		gfs_history_collect_release(&w[i]);
	free(w);
	return rc;
}
