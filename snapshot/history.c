/*
 * The read side of the store: commits and their trailers, resolving WHEN
 * and ids, diffs. Restores are in history_restore.c.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guardfs/util.h"
#include "history_internal.h"

int gfs_history_git_error(const char *what)
{
	const git_error *e = git_error_last();

	fprintf(stderr, "guardfs: store: cannot %s: %s\n", what,
		e && e->message ? e->message : "unknown libgit2 error");
	return -EIO;
}

int gfs_history_open(struct gfs_history **out, const char *store_path,
		     char *err, size_t err_size)
{
	struct gfs_history *h;
	const git_error *e;

	*out = NULL;
	git_libgit2_init();
	h = calloc(1, sizeof(*h));
	if (!h) {
		snprintf(err, err_size, "out of memory");
		return -ENOMEM;
	}
	if (git_repository_open_bare(&h->repo, store_path)) {
		e = git_error_last();
		snprintf(err, err_size, "cannot open store '%s': %s",
			 store_path,
			 e && e->message ? e->message : "not a repository");
		gfs_history_free(h);
		return -ENOENT;
	}
	*out = h;
	return 0;
}

void gfs_history_free(struct gfs_history *h)
{
	if (!h)
		return;
	git_repository_free(h->repo);
	free(h->ops);
	free(h);
	git_libgit2_shutdown();
}

/* Undoes the C-quoting of a trailer value, in place. */
static void unquote(char *s)
{
	char *w = s, *r = s + 1;
	size_t len = strlen(s);

	if (len < 2 || s[0] != '"' || s[len - 1] != '"')
		return;
	s[len - 1] = '\0';
	while (*r) {
		if (*r != '\\' || !r[1]) {
			*w++ = *r++;
			continue;
		}
		r++;
		if (*r == 'n') {
			*w++ = '\n';
			r++;
		} else if (*r == 't') {
			*w++ = '\t';
			r++;
		} else if (*r >= '0' && *r <= '7') {
			int v = 0, i;

			for (i = 0; i < 3 && *r >= '0' && *r <= '7'; i++)
				v = v * 8 + (*r++ - '0');
			*w++ = (char)v;
		} else {
			*w++ = *r++;
		}
	}
	*w = '\0';
}

static int add_op(struct gfs_history *h)
{
	if (h->nops == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 16;
		void *p = realloc(h->ops, cap * sizeof(*h->ops));

		if (!p)
			return -ENOMEM;
		h->ops = p;
		h->cap = cap;
	}
	memset(&h->ops[h->nops], 0, sizeof(h->ops[0]));
	h->ops[h->nops].process = "";
	h->nops++;
	return 0;
}

/* Parses the trailers of msg (a copy, modified in place) into h->ops. */
static int parse_message(struct gfs_history *h, char *msg,
			 struct gfs_history_commit *c)
{
	char *line = msg, *next;
	int rc = 0;

	h->nops = 0;
	c->session = "";
	c->session_start = false;
	for (; line && *line && !rc; line = next) {
		char *value;
		struct gfs_history_op *op;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (strncmp(line, "Guardfs-", 8) ||
		    !(value = strstr(line, ": ")))
			continue;
		*value = '\0';
		value += 2;
		if (!strcmp(line, "Guardfs-Session")) {
			c->session = value;
			continue;
		}
		if (!strcmp(line, "Guardfs-Actions")) {
			c->actions = strtoull(value, NULL, 10);
			continue;
		}
		if (!strcmp(line, "Guardfs-Op")) {
			rc = add_op(h);
			if (!rc)
				h->ops[h->nops - 1].op = value;
			if (!strcmp(value, "session-start"))
				c->session_start = true;
			continue;
		}
		if (!h->nops)
			continue;
		op = &h->ops[h->nops - 1];
		if (!strcmp(line, "Guardfs-Path")) {
			unquote(value);
			op->path = value;
		} else if (!strcmp(line, "Guardfs-From")) {
			unquote(value);
			op->from = value;
		} else if (!strcmp(line, "Guardfs-Pid")) {
			op->pid = strtol(value, NULL, 10);
		} else if (!strcmp(line, "Guardfs-Process")) {
			op->process = value;
		} else if (!strcmp(line, "Guardfs-Action")) {
			op->action = value;
		} else if (!strcmp(line, "Guardfs-Action-Id")) {
			op->action_id = strtoull(value, NULL, 10);
		} else if (!strcmp(line, "Guardfs-Sandbox")) {
			op->sandbox = strtoull(value, NULL, 10);
		} else if (!strcmp(line, "Guardfs-Seq")) {
			op->seq = strtoull(value, NULL, 10);
		}
	}
	c->ops = h->ops;
	c->nops = h->nops;
	return rc;
}

int gfs_history_walk(struct gfs_history *h,
		     int (*visit)(void *arg,
				  const struct gfs_history_commit *c),
		     void *arg)
{
	git_oid oid;
	int rc = 0, gerr;

	/*
	 * The store's history is one line (each commit has one parent, and
	 * prune keeps it so): following first parents reads each commit
	 * once, where a revwalk reads it twice (its own parse, then ours).
	 */
	gerr = git_reference_name_to_id(&oid, h->repo, "HEAD");
	if (gerr == GIT_ENOTFOUND || gerr == GIT_EUNBORNBRANCH)
		return 0;
	if (gerr)
		return gfs_history_git_error("walk history");
	/*
	 * A listing needs no second hash of every commit it reads (the
	 * collision-detecting SHA-1 is most of a long log's time); guardfs
	 * check reads and verifies every object on its own.
	 */
	git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 0);
	while (!rc) {
		struct gfs_history_commit c;
		git_commit *commit = NULL;
		bool more;
		char *msg;

		if (git_commit_lookup(&commit, h->repo, &oid)) {
			rc = gfs_history_git_error("read commit");
			break;
		}
		memset(&c, 0, sizeof(c));
		git_oid_tostr(c.id, sizeof(c.id), &oid);
		c.time = git_commit_time(commit);
		more = git_commit_parentcount(commit) > 0;
		if (more)
			git_oid_cpy(&oid, git_commit_parent_id(commit, 0));
		msg = strdup(git_commit_message(commit));
		git_commit_free(commit);
		if (!msg) {
			rc = -ENOMEM;
			break;
		}
		rc = parse_message(h, msg, &c);
		if (!rc)
			rc = visit(arg, &c);
		free(msg);
		if (!more)
			break;
	}
	git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 1);
	return rc;
}

int gfs_history_read_commit(struct gfs_history *h, const char *id,
			    struct gfs_history_commit *c, char **msg)
{
	git_commit *commit = NULL;
	git_oid oid;
	int rc;

	*msg = NULL;
	if (git_oid_fromstr(&oid, id) ||
	    git_commit_lookup(&commit, h->repo, &oid))
		return gfs_history_git_error("read commit");
	memset(c, 0, sizeof(*c));
	memcpy(c->id, id, 41);
	c->time = git_commit_time(commit);
	*msg = strdup(git_commit_message(commit));
	git_commit_free(commit);
	if (!*msg)
		return -ENOMEM;
	rc = parse_message(h, *msg, c);
	if (rc) {
		free(*msg);
		*msg = NULL;
	}
	return rc;
}

struct resolve_walk {
	bool session;
	time_t at;
	char *out;
	bool found;
};

static int resolve_visit(void *arg, const struct gfs_history_commit *c)
{
	struct resolve_walk *w = arg;

	if (w->session ? c->session_start : c->time <= w->at) {
		memcpy(w->out, c->id, 41);
		w->found = true;
		return 1;
	}
	return 0;
}

static bool is_hex(const char *s)
{
	size_t n = 0;

	for (; *s; s++, n++)
		if (!isxdigit((unsigned char)*s))
			return false;
	return n >= 4 && n <= 40;
}

int gfs_history_resolve(struct gfs_history *h, const char *text, time_t now,
			char out[41], char *err, size_t err_size)
{
	struct resolve_walk w = {.out = out};
	git_object *obj = NULL;
	git_oid oid;
	int rc;

	if (!strcmp(text, "HEAD")) {
		if (git_reference_name_to_id(&oid, h->repo, "HEAD")) {
			snprintf(err, err_size, "the store has no snapshots");
			return -ENOENT;
		}
		git_oid_tostr(out, 41, &oid);
		return 0;
	}
	if (is_hex(text)) {
		if (!git_oid_fromstrn(&oid, text, strlen(text)) &&
		    !git_object_lookup_prefix(&obj, h->repo, &oid, strlen(text),
					      GIT_OBJECT_COMMIT)) {
			git_oid_tostr(out, 41, git_object_id(obj));
			git_object_free(obj);
			return 0;
		}
		if (git_error_last() &&
		    git_error_last()->klass == GIT_ERROR_ODB &&
		    strstr(git_error_last()->message, "ambiguous")) {
			snprintf(err, err_size, "ambiguous id '%s'", text);
			return -ENOENT;
		}
		/* hex that is no snapshot: a time never looks like this */
		if (strlen(text) >= 7 || !isdigit((unsigned char)text[0])) {
			snprintf(err, err_size, "no snapshot with id '%s'",
				 text);
			return -ENOENT;
		}
	}
	if (!strcmp(text, "session")) {
		w.session = true;
	} else if (gfs_time_parse(text, now, &w.at)) {
		snprintf(err, err_size,
			 "'%s' is neither a snapshot id nor a time "
			 "(90s, 15m, 2h, 1d, yesterday, 10:30, "
			 "'yesterday 10:30', 2026-11-24T13:05:00+00:00, "
			 "session)",
			 text);
		return -EINVAL;
	}
	rc = gfs_history_walk(h, resolve_visit, &w);
	if (rc < 0)
		return rc;
	if (!w.found) {
		snprintf(err, err_size,
			 w.session ? "no session in the store"
				   : "no snapshot at or before '%s'",
			 text);
		return -ENOENT;
	}
	return 0;
}

int gfs_history_resolve_op(struct gfs_history *h, const char *text,
			   char out[41], uint64_t *seq, char *err,
			   size_t err_size)
{
	const char *at = strchr(text, '@');
	struct gfs_history_commit c;
	char commit[41], *msg = NULL, *end;
	size_t i, len = at ? (size_t)(at - text) : strlen(text);
	int rc;

	uint64_t number;

	*seq = 0;
	/* an action: the folder right after it, its newest commit */
	if (gfs_history_action_parse(text, &number))
		return gfs_history_action_last(h, number, out, err, err_size);
	if (!at)
		return gfs_history_resolve(h, text, time(NULL), out, err,
					   err_size);
	errno = 0;
	*seq = strtoull(at + 1, &end, 10);
	if (len < 4 || len > 40 || !isdigit((unsigned char)at[1]) || *end ||
	    errno || !*seq) {
		snprintf(err, err_size,
			 "'%s' is no operation id (COMMIT@SEQ, as guardfs log "
			 "prints it)",
			 text);
		return -EINVAL;
	}
	memcpy(commit, text, len);
	commit[len] = '\0';
	if (!is_hex(commit)) {
		snprintf(err, err_size, "no snapshot with id '%s'", commit);
		return -ENOENT;
	}
	rc = gfs_history_resolve(h, commit, time(NULL), out, err, err_size);
	if (!rc)
		rc = gfs_history_read_commit(h, out, &c, &msg);
	for (i = 0; !rc && i < c.nops; i++)
		if (c.ops[i].seq == *seq)
			break;
	if (!rc && i == c.nops) {
		snprintf(err, err_size,
			 "snapshot '%.10s' holds no operation %s", out, at + 1);
		rc = -ENOENT;
	}
	free(msg);
	return rc;
}

int gfs_history_tree_of(struct gfs_history *h, const char *id, git_tree **tree,
			git_oid *parent, bool *has_parent)
{
	git_commit *c = NULL;
	git_oid oid;
	int rc = 0;

	if (git_oid_fromstr(&oid, id) || git_commit_lookup(&c, h->repo, &oid))
		return gfs_history_git_error("read commit");
	if (tree && git_commit_tree(tree, c))
		rc = gfs_history_git_error("read tree");
	if (has_parent) {
		*has_parent = git_commit_parentcount(c) > 0;
		if (*has_parent)
			git_oid_cpy(parent, git_commit_parent_id(c, 0));
	}
	git_commit_free(c);
	return rc;
}

int gfs_history_parent(struct gfs_history *h, const char *id, char out[41])
{
	git_oid parent;
	bool has_parent;
	int rc = gfs_history_tree_of(h, id, NULL, &parent, &has_parent);

	if (rc)
		return rc;
	if (!has_parent)
		return -ENOENT;
	git_oid_tostr(out, 41, &parent);
	return 0;
}

int gfs_history_encode_path(const char *path, struct gfs_buf *out)
{
	int rc = 0;

	while (*path && !rc) {
		size_t len = strcspn(path, "/");

		rc = gfs_buf_add(out, path, len);
		if (!rc && gfs_store_name_needs_suffix(path, len))
			rc = gfs_buf_adds(out, GFS_STORE_NAME_SUFFIX);
		path += len;
		if (*path == '/') {
			path++;
			if (*path && !rc)
				rc = gfs_buf_addch(out, '/');
		}
	}
	return rc ? rc : gfs_buf_adds(out, "");
}

int gfs_history_decode_path(const char *path, struct gfs_buf *out)
{
	int rc = gfs_buf_adds(out, "");

	while (*path && !rc) {
		size_t len = strcspn(path, "/");

		rc = gfs_buf_add(out, path,
				 gfs_store_name_decoded_len(path, len));
		path += len;
		if (*path == '/') {
			path++;
			if (!rc)
				rc = gfs_buf_addch(out, '/');
		}
	}
	return rc;
}

/*
 * A large file's chunks (store_chunks.c) are no files of the folder:
 * the file itself changes with its manifest, at its own name.
 */
static int skip_chunks(const git_diff *diff, const git_diff_delta *d,
		       const char *pathspec, void *payload)
{
	(void)diff;
	(void)pathspec;
	(void)payload;
	return gfs_chunks_in_path(d->old_file.path) ||
	       gfs_chunks_in_path(d->new_file.path);
}

bool gfs_history_chunk_tree(const git_tree_entry *e)
{
	const char *name = git_tree_entry_name(e);

	return git_tree_entry_type(e) == GIT_OBJECT_TREE &&
	       gfs_chunks_dir_name(name, strlen(name));
}

void gfs_history_diff_opts_init(git_diff_options *opts)
{
	git_diff_options_init(opts, GIT_DIFF_OPTIONS_VERSION);
	opts->notify_cb = skip_chunks;
}

int gfs_history_diff_opts(git_diff_options *opts, const char *const *paths,
			  size_t npaths, char ***encoded)
{
	size_t i;

	gfs_history_diff_opts_init(opts);
	opts->flags |= GIT_DIFF_DISABLE_PATHSPEC_MATCH;
	*encoded = NULL;
	if (!npaths)
		return 0;
	*encoded = calloc(npaths, sizeof(char *));
	if (!*encoded)
		return -ENOMEM;
	for (i = 0; i < npaths; i++) {
		struct gfs_buf b = GFS_BUF_INIT;

		if (gfs_history_encode_path(paths[i], &b))
			return -ENOMEM;
		(*encoded)[i] = gfs_buf_detach(&b);
	}
	opts->pathspec.strings = *encoded;
	opts->pathspec.count = npaths;
	return 0;
}

void gfs_history_free_paths(char **encoded, size_t n)
{
	size_t i;

	if (!encoded)
		return;
	for (i = 0; i < n; i++)
		free(encoded[i]);
	free(encoded);
}

/*
 * Header lines name paths as the store does: one suffix comes off each
 * component that carries it (".git~guardfs/" -> ".git/").
 */
static int add_decoded(struct gfs_buf *out, const char *s, size_t len)
{
	size_t sl = strlen(GFS_STORE_NAME_SUFFIX), i = 0;
	int rc = 0;

	while (i < len && !rc) {
		if (len - i >= sl &&
		    !memcmp(s + i, GFS_STORE_NAME_SUFFIX, sl) &&
		    (i + sl == len || strchr("/ \t\n", s[i + sl]))) {
			i += sl;
			continue;
		}
		rc = gfs_buf_addch(out, s[i++]);
	}
	return rc;
}

int gfs_history_print_line(const git_diff_delta *d, const git_diff_hunk *hunk,
			   const git_diff_line *l, void *arg)
{
	struct gfs_buf *out = arg;

	(void)d;
	(void)hunk;
	if (l->origin == GIT_DIFF_LINE_CONTEXT ||
	    l->origin == GIT_DIFF_LINE_ADDITION ||
	    l->origin == GIT_DIFF_LINE_DELETION)
		if (gfs_buf_addch(out, l->origin))
			return -1;
	if (l->origin == GIT_DIFF_LINE_FILE_HDR ||
	    l->origin == GIT_DIFF_LINE_BINARY)
		return add_decoded(out, l->content, l->content_len) ? -1 : 0;
	return gfs_buf_add(out, l->content, l->content_len) ? -1 : 0;
}

int gfs_history_diff_trees(struct gfs_history *h, const char *old_id,
			   const char *new_id, git_tree **old_tree,
			   git_tree **new_tree)
{
	char pid[41];
	git_oid parent;
	bool has_parent;
	int rc;

	if (new_id) {
		rc = gfs_history_tree_of(h, old_id, old_tree, NULL, NULL);
		return rc ? rc
			  : gfs_history_tree_of(h, new_id, new_tree, NULL,
						NULL);
	}
	/* one operation: its commit against its parent (or nothing) */
	rc = gfs_history_tree_of(h, old_id, new_tree, &parent, &has_parent);
	if (rc || !has_parent)
		return rc;
	git_oid_tostr(pid, sizeof(pid), &parent);
	return gfs_history_tree_of(h, pid, old_tree, NULL, NULL);
}

int gfs_history_diff(struct gfs_history *h, const char *old_id,
		     const char *new_id, const char *const *paths,
		     size_t npaths, struct gfs_buf *out)
{
	git_tree *old_tree = NULL, *new_tree = NULL;
	git_diff_options opts;
	git_diff *diff = NULL;
	char **encoded = NULL;
	int rc;

	rc = gfs_history_diff_opts(&opts, paths, npaths, &encoded);
	if (rc)
		goto out;
	rc = gfs_history_diff_trees(h, old_id, new_id, &old_tree, &new_tree);
	if (rc)
		goto out;
	/* renames shown as renames, as git log -M would */
	if (git_diff_tree_to_tree(&diff, h->repo, old_tree, new_tree, &opts) ||
	    git_diff_find_similar(diff, NULL) ||
	    git_diff_print(diff, GIT_DIFF_FORMAT_PATCH, gfs_history_print_line,
			   out))
		rc = gfs_history_git_error("diff");
out:
	git_diff_free(diff);
	git_tree_free(old_tree);
	git_tree_free(new_tree);
	gfs_history_free_paths(encoded, npaths);
	return rc;
}

/* The entry at path in tree (id and mode), or false when absent. */
static bool entry_at(git_tree *tree, const char *path, git_oid *id,
		     uint32_t *mode)
{
	git_tree_entry *e = NULL;

	if (!*path) {
		git_oid_cpy(id, git_tree_id(tree));
		*mode = 040000;
		return true;
	}
	if (git_tree_entry_bypath(&e, tree, path))
		return false;
	git_oid_cpy(id, git_tree_entry_id(e));
	*mode = git_tree_entry_filemode(e);
	git_tree_entry_free(e);
	return true;
}

struct last_change {
	struct gfs_history *h;
	const char *path; /* encoded */
	char *out;
	int rc;
};

static int last_change_visit(void *arg, const struct gfs_history_commit *c)
{
	struct last_change *w = arg;
	git_tree *tree = NULL, *ptree = NULL;
	git_oid parent, a, b;
	uint32_t ma = 0, mb = 0;
	bool has_parent, ina, inb = false;
	char pid[41];
	int rc;

	rc = gfs_history_tree_of(w->h, c->id, &tree, &parent, &has_parent);
	if (rc) {
		w->rc = rc;
		return 1;
	}
	ina = entry_at(tree, w->path, &a, &ma);
	if (has_parent) {
		git_oid_tostr(pid, sizeof(pid), &parent);
		rc = gfs_history_tree_of(w->h, pid, &ptree, NULL, NULL);
		if (rc) {
			git_tree_free(tree);
			w->rc = rc;
			return 1;
		}
		inb = entry_at(ptree, w->path, &b, &mb);
	}
	git_tree_free(tree);
	git_tree_free(ptree);
	if (ina == inb && (!ina || (git_oid_equal(&a, &b) && ma == mb)))
		return 0;
	if (!has_parent) {
		w->rc = -ENOENT;
		return 1;
	}
	memcpy(w->out, pid, 41);
	w->rc = 0;
	return 1;
}

int gfs_history_before_last_change(struct gfs_history *h, const char *path,
				   char out[41])
{
	struct gfs_buf enc = GFS_BUF_INIT;
	struct last_change w = {.h = h, .out = out, .rc = -ENOENT};
	int rc;

	rc = gfs_history_encode_path(path, &enc);
	if (rc)
		return rc;
	w.path = enc.data;
	rc = gfs_history_walk(h, last_change_visit, &w);
	gfs_buf_release(&enc);
	return rc < 0 ? rc : w.rc;
}

int gfs_history_diff_op(struct gfs_history *h, const char *id, uint64_t seq,
			const char *const *paths, size_t npaths,
			struct gfs_buf *out)
{
	return gfs_history_diff_op_view(h, id, seq, paths, npaths, NULL, out);
}

int gfs_history_diff_op_view(struct gfs_history *h, const char *id,
			     uint64_t seq, const char *const *paths,
			     size_t npaths,
			     const struct gfs_history_diff_view *view,
			     struct gfs_buf *out)
{
	struct gfs_history_commit c;
	const char *mine[2];
	size_t i, n = 0;
	char *msg = NULL;
	int rc;

	if (!seq)
		return gfs_history_diff_view(h, id, NULL, paths, npaths, view,
					     out);
	rc = gfs_history_read_commit(h, id, &c, &msg);
	if (rc)
		return rc;
	rc = -ENOENT;
	for (i = 0; i < c.nops; i++) {
		if (c.ops[i].seq != seq)
			continue;
		mine[n++] = c.ops[i].path;
		if (c.ops[i].from)
			mine[n++] = c.ops[i].from;
		rc = 0;
		break;
	}
	/*
	 * The commit's change of the operation's own paths; the caller's
	 * paths, if any, narrow it further.
	 */
	for (i = 0; !rc && npaths && i < n;) {
		size_t k;
		bool wanted = false;

		for (k = 0; k < npaths; k++)
			wanted |= !strcmp(paths[k], mine[i]);
		if (wanted)
			i++;
		else
			mine[i] = mine[--n];
	}
	if (!rc && n)
		rc = gfs_history_diff_view(h, id, NULL, mine, n, view, out);
	free(msg);
	return rc;
}
