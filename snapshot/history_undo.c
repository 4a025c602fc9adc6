/*
 * Undo of single operations, also of those that share a commit.
 *
 * A commit made under a burst lists several operations but holds only
 * two trees: its parent's (the folder before the first operation) and
 * its own (after the last). The states in between are rebuilt here by
 * replaying the listed operations on the parent's tree. A path that no
 * later operation of the commit touches already has its final state;
 * otherwise create leaves an empty file, mkdir an empty directory,
 * unlink and rmdir nothing, rename, link and exchange carry the state of
 * their source, and a content change (write, truncate, chmod, ...) is
 * known only when the next thing that happens to the path is a rename
 * whose target keeps its final state. Anything else is marked unknown,
 * reported, and left alone.
 *
 * The trees built on the way are written to an in-memory object
 * database placed in front of the store's: the store on disk is never
 * written, and they vanish with the gfs_history.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <git2/sys/mempack.h>
#include <git2/sys/odb_backend.h>

#include "history_internal.h"

#define MODE_TREE 040000
#define MODE_FILE 0100644

/* One operation of the commit, its paths in the store's naming. */
struct step {
	const char *op; /* points into the commit message */
	uint64_t seq;
	char *path;
	char *from; /* or NULL */
};

struct replay {
	struct gfs_history *h;
	char *msg; /* the commit message the steps point into */
	struct step *steps;
	size_t nsteps;
	git_tree *final; /* the commit's tree */
	git_tree *tree;	 /* the state replayed so far */
	char **unknown;	 /* paths whose state here is not known */
	size_t nunknown;
	git_oid empty_blob, empty_tree;
};

/* A path's state: absent, or an entry (blob, link or subtree). */
struct state {
	bool known;
	bool present;
	bool carried; /* moved from elsewhere: its unknown marks came along */
	git_oid id;
	uint32_t mode;
};

/*
 * Objects written from now on go to memory. The disk backends lose their
 * freshen hook, which would otherwise touch the store's files whenever a
 * tree built here already exists there; asking whether it exists is all
 * the write needs.
 */
int gfs_history_scratch_odb(struct gfs_history *h)
{
	git_odb_backend *b = NULL, *mem = NULL;
	git_odb *odb = NULL;
	size_t i;
	int rc = 0;

	if (h->scratch_odb)
		return 0;
	if (git_repository_odb(&odb, h->repo))
		return gfs_history_git_error("open the object database");
	for (i = 0; i < git_odb_num_backends(odb); i++)
		if (!git_odb_get_backend(&b, odb, i))
			b->freshen = NULL;
	if (git_mempack_new(&mem)) {
		rc = gfs_history_git_error("make an in-memory object database");
	} else if (git_odb_add_backend(odb, mem, 1000)) {
		rc = gfs_history_git_error("add an in-memory object database");
		mem->free(mem);
	}
	git_odb_free(odb);
	if (!rc)
		h->scratch_odb = true;
	return rc;
}

/* path is prefix itself or below it */
static bool within(const char *path, const char *prefix)
{
	size_t len = strlen(prefix);

	return !strncmp(path, prefix, len) &&
	       (path[len] == '\0' || path[len] == '/');
}

static bool overlaps(const char *a, const char *b)
{
	return within(a, b) || within(b, a);
}

static bool entry_get(git_tree *tree, const char *path, struct state *st)
{
	git_tree_entry *e = NULL;

	st->known = true;
	st->present = false;
	st->carried = false;
	if (!tree || git_tree_entry_bypath(&e, tree, path))
		return false;
	st->present = true;
	git_oid_cpy(&st->id, git_tree_entry_id(e));
	st->mode = git_tree_entry_filemode(e);
	git_tree_entry_free(e);
	return true;
}

static int tree_update(struct gfs_history *h, git_tree **tree,
		       const git_tree_update *u)
{
	git_tree *next = NULL;
	git_oid id;

	if (git_tree_create_updated(&id, h->repo, *tree, 1, u) ||
	    git_tree_lookup(&next, h->repo, &id))
		return gfs_history_git_error("build a tree");
	git_tree_free(*tree);
	*tree = next;
	return 0;
}

/* Makes path in *tree hold st (known), replacing *tree. */
static int tree_set(struct replay *r, git_tree **tree, const char *path,
		    const struct state *st)
{
	git_tree_update u = {.path = path};
	struct state now;
	int rc;

	entry_get(*tree, path, &now);
	if (!st->present) {
		const char *slash = strrchr(path, '/');

		if (!now.present)
			return 0;
		u.action = GIT_TREE_UPDATE_REMOVE;
		rc = tree_update(r->h, tree, &u);
		/* libgit2 drops a directory left empty; the folder keeps it */
		if (!rc && slash) {
			char *parent = strndup(path, slash - path);
			struct state dir = {.known = true,
					    .present = true,
					    .mode = MODE_TREE};

			git_oid_cpy(&dir.id, &r->empty_tree);

			rc = parent ? 0 : -ENOMEM;
			if (parent && !entry_get(*tree, parent, &now))
				rc = tree_set(r, tree, parent, &dir);
			free(parent);
		}
		return rc;
	}
	if (now.present && now.mode == st->mode &&
	    git_oid_equal(&now.id, &st->id))
		return 0;
	if (now.present && (now.mode == MODE_TREE) != (st->mode == MODE_TREE)) {
		/* libgit2 will not put a file where a directory is */
		u.action = GIT_TREE_UPDATE_REMOVE;
		rc = tree_update(r->h, tree, &u);
		if (rc)
			return rc;
	}
	u.action = GIT_TREE_UPDATE_UPSERT;
	git_oid_cpy(&u.id, &st->id);
	u.filemode = st->mode;
	return tree_update(r->h, tree, &u);
}

/* Forgets the unknown marks at or below path. */
static void marks_drop(struct replay *r, const char *path)
{
	size_t i = 0;

	while (i < r->nunknown) {
		if (within(r->unknown[i], path)) {
			free(r->unknown[i]);
			r->unknown[i] = r->unknown[--r->nunknown];
		} else {
			i++;
		}
	}
}

static int mark_unknown(struct replay *r, const char *path)
{
	char **grown;

	marks_drop(r, path);
	grown = realloc(r->unknown, (r->nunknown + 1) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	r->unknown = grown;
	r->unknown[r->nunknown] = strdup(path);
	if (!r->unknown[r->nunknown])
		return -ENOMEM;
	r->nunknown++;
	return 0;
}

/* Whether some part of path's state (or what holds it) is unknown. */
static bool marked(const struct replay *r, const char *path)
{
	size_t i;

	for (i = 0; i < r->nunknown; i++)
		if (overlaps(r->unknown[i], path))
			return true;
	return false;
}

/* Marks below a move with the name: those below a go below b and back. */
static int marks_swap(struct replay *r, const char *a, const char *b)
{
	size_t i;

	for (i = 0; i < r->nunknown; i++) {
		const char *m = r->unknown[i], *to = NULL;
		size_t cut = 0;
		char *moved;

		if (within(m, a)) {
			to = b;
			cut = strlen(a);
		} else if (within(m, b)) {
			to = a;
			cut = strlen(b);
		}
		if (!to)
			continue;
		if (asprintf(&moved, "%s%s", to, m + cut) < 0)
			return -ENOMEM;
		free(r->unknown[i]);
		r->unknown[i] = moved;
	}
	return 0;
}

/* No step after j touches path, what holds it, or what it holds. */
static bool last_touch(const struct replay *r, size_t j, const char *path)
{
	size_t k;

	for (k = j + 1; k < r->nsteps; k++)
		if (overlaps(r->steps[k].path, path) ||
		    (r->steps[k].from && overlaps(r->steps[k].from, path)))
			return false;
	return true;
}

/*
 * The state step j's content change left at path: known only when the
 * next step touching it renames exactly it to a target that keeps its
 * final state (a tool writing a temporary file and renaming it over).
 */
static void content_state(const struct replay *r, size_t j, const char *path,
			  struct state *st)
{
	size_t k;

	st->known = false;
	for (k = j + 1; k < r->nsteps; k++) {
		const struct step *s = &r->steps[k];

		if (!overlaps(s->path, path) &&
		    !(s->from && overlaps(s->from, path)))
			continue;
		if (!strcmp(s->op, "rename") && s->from &&
		    !strcmp(s->from, path) && last_touch(r, k, s->path) &&
		    entry_get(r->final, s->path, st) && st->mode != MODE_TREE)
			return;
		st->known = false;
		return;
	}
}

/* The state step j leaves at its path (which 0) or its source (1). */
static void step_state(const struct replay *r, size_t j, int which,
		       struct state *st)
{
	const struct step *s = &r->steps[j];
	const char *path = which ? s->from : s->path;

	if (last_touch(r, j, path)) {
		entry_get(r->final, path, st);
		return;
	}
	st->known = true;
	st->present = false;
	if (which) {
		if (!strcmp(s->op, "link")) {
			entry_get(r->tree, path, st);
			st->carried = true; /* unchanged */
		} else if (!strcmp(s->op, "exchange")) {
			entry_get(r->tree, s->path, st);
			st->carried = true;
		} else if (strcmp(s->op, "rename")) {
			st->known = false;
		}
		return;
	}
	if (!strcmp(s->op, "create")) {
		st->present = true;
		git_oid_cpy(&st->id, &r->empty_blob);
		st->mode = MODE_FILE;
	} else if (!strcmp(s->op, "mkdir")) {
		st->present = true;
		git_oid_cpy(&st->id, &r->empty_tree);
		st->mode = MODE_TREE;
	} else if (!strcmp(s->op, "unlink") || !strcmp(s->op, "rmdir")) {
		/* absent */
	} else if (s->from &&
		   (!strcmp(s->op, "rename") || !strcmp(s->op, "link") ||
		    !strcmp(s->op, "exchange"))) {
		/* a source the store never recorded carries nothing known */
		if (!entry_get(r->tree, s->from, st) ||
		    (!strcmp(s->op, "link") && marked(r, s->from)))
			st->known = false;
		st->carried = true;
	} else {
		content_state(r, j, path, st);
	}
}

/* Applies step j to r->tree. */
static int replay_step(struct replay *r, size_t j)
{
	const struct step *s = &r->steps[j];
	struct state st[2];
	int which, rc = 0;

	if (!strcmp(s->op, "session-start"))
		return 0;
	/* both states are read before either changes */
	step_state(r, j, 0, &st[0]);
	if (s->from)
		step_state(r, j, 1, &st[1]);
	if (s->from && !strcmp(s->op, "rename")) {
		marks_drop(r, s->path);
		rc = marks_swap(r, s->from, s->path);
	} else if (s->from && !strcmp(s->op, "exchange")) {
		rc = marks_swap(r, s->from, s->path);
	}
	for (which = s->from ? 1 : 0; which >= 0 && !rc; which--) {
		const char *path = which ? s->from : s->path;

		if (!st[which].known) {
			rc = mark_unknown(r, path);
			continue;
		}
		if (!st[which].carried)
			marks_drop(r, path);
		rc = tree_set(r, &r->tree, path, &st[which]);
	}
	return rc;
}

static void replay_release(struct replay *r)
{
	size_t i;

	for (i = 0; r->steps && i < r->nsteps; i++) {
		free(r->steps[i].path);
		free(r->steps[i].from);
	}
	for (i = 0; i < r->nunknown; i++)
		free(r->unknown[i]);
	free(r->unknown);
	free(r->steps);
	free(r->msg);
	git_tree_free(r->final);
	git_tree_free(r->tree);
}

static int encode(const char *path, char **out)
{
	struct gfs_buf b = GFS_BUF_INIT;
	int rc = gfs_history_encode_path(path, &b);

	if (rc) {
		gfs_buf_release(&b);
		return rc;
	}
	*out = gfs_buf_detach(&b);
	return 0;
}

/*
 * Reads commit id's steps and trees; r->tree starts as its parent's.
 * -ENOENT for the first commit (nothing before it).
 */
static int replay_init(struct replay *r, struct gfs_history *h, const char *id)
{
	struct gfs_history_commit c;
	git_treebuilder *tb = NULL;
	git_oid parent;
	bool has_parent;
	size_t i;
	int rc;

	memset(r, 0, sizeof(*r));
	r->h = h;
	rc = gfs_history_scratch_odb(h);
	if (rc)
		return rc;
	if (git_blob_create_from_buffer(&r->empty_blob, h->repo, "", 0) ||
	    git_treebuilder_new(&tb, h->repo, NULL) ||
	    git_treebuilder_write(&r->empty_tree, tb)) {
		git_treebuilder_free(tb);
		return gfs_history_git_error("make empty objects");
	}
	git_treebuilder_free(tb);
	rc = gfs_history_tree_of(h, id, &r->final, &parent, &has_parent);
	if (!rc && !has_parent)
		rc = -ENOENT;
	if (!rc) {
		char pid[41];

		git_oid_tostr(pid, sizeof(pid), &parent);
		rc = gfs_history_tree_of(h, pid, &r->tree, NULL, NULL);
	}
	if (!rc)
		rc = gfs_history_read_commit(h, id, &c, &r->msg);
	if (rc)
		return rc;
	r->steps = calloc(c.nops ? c.nops : 1, sizeof(*r->steps));
	if (!r->steps)
		return -ENOMEM;
	r->nsteps = c.nops;
	for (i = 0; i < c.nops && !rc; i++) {
		r->steps[i].op = c.ops[i].op ? c.ops[i].op : "";
		r->steps[i].seq = c.ops[i].seq;
		rc = encode(c.ops[i].path ? c.ops[i].path : "",
			    &r->steps[i].path);
		if (!rc && c.ops[i].from)
			rc = encode(c.ops[i].from, &r->steps[i].from);
	}
	return rc;
}

static int head_tree(struct gfs_history *h, git_tree **out)
{
	git_oid oid;
	char head[41];

	if (git_reference_name_to_id(&oid, h->repo, "HEAD"))
		return gfs_history_git_error("read HEAD");
	git_oid_tostr(head, sizeof(head), &oid);
	return gfs_history_tree_of(h, head, out, NULL, NULL);
}

static void report_encoded(gfs_history_report report, void *arg,
			   const char *path, int error)
{
	struct gfs_buf b = GFS_BUF_INIT;

	if (report && !gfs_history_decode_path(path, &b))
		report(arg, GFS_HISTORY_UPDATE, b.data, error);
	gfs_buf_release(&b);
}

struct nth_op {
	long n;
	char id[41];
	size_t keep; /* operations of that commit that stay */
	bool found;
};

/*
 * Operations a commit counts for: a restore is one operation, however
 * many paths it lists (each as "restore"); otherwise each listed one.
 */
static long ops_counted(const struct gfs_history_commit *c)
{
	size_t i;

	/* (pre-images the store took on the way are no one's operation) */
	for (i = 0; i < c->nops; i++)
		if (strcmp(c->ops[i].op, "restore") &&
		    strcmp(c->ops[i].op, "preimage"))
			return (long)c->nops;
	return c->nops ? 1 : 0;
}

static int nth_visit(void *arg, const struct gfs_history_commit *c)
{
	struct nth_op *w = arg;
	long count = ops_counted(c);

	if (c->session_start)
		return 0;
	if (count < w->n) {
		w->n -= count;
		return 0;
	}
	memcpy(w->id, c->id, 41);
	w->keep = (size_t)(count - w->n);
	w->found = true;
	return 1;
}

int gfs_history_undo_last(struct gfs_history *h, long n, int dest_fd,
			  unsigned flags, gfs_history_report report, void *arg)
{
	struct nth_op w = {.n = n};
	struct replay r;
	git_tree *head = NULL;
	char parent[41];
	size_t i, j;
	int rc, busy = 0;

	if (n <= 0)
		return -EINVAL;
	rc = gfs_history_walk(h, nth_visit, &w);
	if (rc < 0)
		return rc;
	if (!w.found)
		return -ERANGE;
	if (!w.keep) {
		/* the boundary is between commits: all of it goes back */
		rc = gfs_history_parent(h, w.id, parent);
		return rc ? rc
			  : gfs_history_restore(h, parent, NULL, 0, dest_fd,
						flags, report, arg);
	}
	rc = replay_init(&r, h, w.id);
	for (j = 0; !rc && j < w.keep; j++)
		rc = replay_step(&r, j);
	if (!rc && r.nunknown)
		rc = head_tree(h, &head);
	/* what cannot be known stays as the folder has it */
	for (i = 0; !rc && i < r.nunknown; i++) {
		struct state now;

		entry_get(head, r.unknown[i], &now);
		rc = tree_set(&r, &r.tree, r.unknown[i], &now);
		if (!rc) {
			report_encoded(report, arg, r.unknown[i], -ENODATA);
			busy = -EBUSY;
		}
	}
	if (!rc)
		rc = gfs_history_restore_tree(h, r.tree, NULL, 0, dest_fd,
					      flags, report, arg);
	git_tree_free(head);
	replay_release(&r);
	return rc ? rc : busy;
}

int gfs_history_undo_op(struct gfs_history *h, const char *id, uint64_t seq,
			int dest_fd, unsigned flags, gfs_history_report report,
			void *arg)
{
	struct replay r;
	git_tree *head = NULL, *target = NULL;
	struct gfs_buf decoded[2] = {GFS_BUF_INIT, GFS_BUF_INIT};
	const char *paths[2];
	size_t i, j, npaths = 0;
	int which, rc, busy = 0;

	rc = replay_init(&r, h, id);
	if (rc || !seq || r.nsteps <= 1) {
		replay_release(&r);
		return rc ? rc
			  : gfs_history_revert(h, id, dest_fd, flags, report,
					       arg);
	}
	for (i = 0; i < r.nsteps && r.steps[i].seq != seq; i++)
		;
	if (i == r.nsteps) {
		replay_release(&r);
		return -ENOENT;
	}
	for (j = 0; !rc && j < i; j++)
		rc = replay_step(&r, j);
	if (!rc)
		rc = head_tree(h, &head);
	if (!rc && git_tree_dup(&target, head))
		rc = gfs_history_git_error("read tree");
	for (which = 0; !rc && which < 2; which++) {
		const char *path = which ? r.steps[i].from : r.steps[i].path;
		struct state then, now, before;

		if (!path || !*path)
			continue;
		entry_get(r.final, path, &then);
		entry_get(head, path, &now);
		/* a later operation, in this commit or after it */
		if (!last_touch(&r, i, path) || then.present != now.present ||
		    (now.present && (then.mode != now.mode ||
				     !git_oid_equal(&then.id, &now.id)))) {
			report_encoded(report, arg, path, -EBUSY);
			busy = -EBUSY;
			continue;
		}
		if (marked(&r, path)) {
			report_encoded(report, arg, path, -ENODATA);
			busy = -EBUSY;
			continue;
		}
		entry_get(r.tree, path, &before);
		rc = tree_set(&r, &target, path, &before);
		if (!rc)
			rc = gfs_history_decode_path(path, &decoded[npaths]);
		if (!rc) {
			paths[npaths] = decoded[npaths].data;
			npaths++;
		}
	}
	if (!rc && npaths)
		rc = gfs_history_restore_tree(h, target, paths, npaths, dest_fd,
					      flags, report, arg);
	gfs_buf_release(&decoded[0]);
	gfs_buf_release(&decoded[1]);
	git_tree_free(target);
	git_tree_free(head);
	replay_release(&r);
	return rc ? rc : busy;
}

/* Whether encoded path concerns one of the (decoded) paths asked for. */
static bool asked_for(const char *path, const char *const *paths, size_t npaths)
{
	struct gfs_buf b = GFS_BUF_INIT;
	bool yes = !npaths;
	size_t i;

	for (i = 0; !yes && i < npaths; i++) {
		gfs_buf_reset(&b);
		if (!gfs_history_encode_path(paths[i], &b))
			yes = overlaps(path, b.data);
	}
	gfs_buf_release(&b);
	return yes;
}

int gfs_history_restore_op(struct gfs_history *h, const char *id, uint64_t seq,
			   const char *const *paths, size_t npaths, int dest_fd,
			   unsigned flags, gfs_history_report report, void *arg)
{
	struct replay r;
	git_tree *head = NULL;
	size_t i, j;
	int rc, busy = 0;

	rc = replay_init(&r, h, id);
	if (rc == -ENOENT || (!rc && (!seq || r.nsteps <= 1))) {
		/* the first snapshot, or one operation: the snapshot itself */
		replay_release(&r);
		return gfs_history_restore(h, id, paths, npaths, dest_fd, flags,
					   report, arg);
	}
	for (i = 0; !rc && i < r.nsteps && r.steps[i].seq != seq; i++)
		;
	if (!rc && i == r.nsteps)
		rc = -ENOENT;
	if (!rc && i == r.nsteps - 1) {
		/* its last operation: the snapshot's own tree, exactly */
		replay_release(&r);
		return gfs_history_restore(h, id, paths, npaths, dest_fd, flags,
					   report, arg);
	}
	for (j = 0; !rc && j <= i; j++)
		rc = replay_step(&r, j);
	if (!rc && r.nunknown)
		rc = head_tree(h, &head);
	/* a state the store never held stays as the folder has it */
	for (j = 0; !rc && j < r.nunknown; j++) {
		struct state now;

		entry_get(head, r.unknown[j], &now);
		rc = tree_set(&r, &r.tree, r.unknown[j], &now);
		if (!rc && asked_for(r.unknown[j], paths, npaths)) {
			report_encoded(report, arg, r.unknown[j], -ENODATA);
			busy = -EBUSY;
		}
	}
	if (!rc)
		rc = gfs_history_restore_tree(h, r.tree, paths, npaths, dest_fd,
					      flags, report, arg);
	git_tree_free(head);
	replay_release(&r);
	return rc ? rc : busy;
}
