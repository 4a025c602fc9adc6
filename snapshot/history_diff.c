/*
 * Diffs as the user reads them: a patch, per-path line counts (--stat) or
 * status letters (--name-status), in colour when asked, with the files
 * inside a repository's .git/ directory summarised unless asked for.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "history_internal.h"

#define COLOR_BOLD  "\033[1m"
#define COLOR_RED   "\033[31m"
#define COLOR_GREEN "\033[32m"
#define COLOR_CYAN  "\033[36m"
#define COLOR_RESET "\033[m"

/* One repository's .git/ directory, and how many of its files changed. */
struct git_dir {
	char *prefix; /* "repo/.git/" or ".git/" */
	size_t files;
};

/* One changed path, for --stat and --name-status. */
struct change {
	char status;
	char *name; /* "path", or "old => new" for a rename */
	size_t added, deleted;
	bool binary;
	bool withheld; /* screened: its content is not shown */
	int64_t old_size, new_size;
};

struct view_state {
	const struct gfs_history_diff_view *view;
	git_repository *repo;
	struct gfs_buf *out;
	struct git_dir *dirs;
	size_t ndirs;
	struct change *changes;
	size_t nchanges;
};

/*
 * The length of path up to and including its first ".git/" component
 * (decoded names), or 0 when it has none: git's own bookkeeping.
 */
static size_t git_dir_prefix(const char *path)
{
	const char *p = path;

	while (*p) {
		size_t len = strcspn(p, "/");

		if (len == 4 && !strncasecmp(p, ".git", 4) && p[len] == '/')
			return (size_t)(p - path) + len + 1;
		p += len;
		if (*p == '/')
			p++;
	}
	return 0;
}

static int count_git_file(struct view_state *st, const char *path, size_t len)
{
	size_t i;
	void *grown;

	for (i = 0; i < st->ndirs; i++) {
		if (strlen(st->dirs[i].prefix) == len &&
		    !strncmp(st->dirs[i].prefix, path, len)) {
			st->dirs[i].files++;
			return 0;
		}
	}
	grown = realloc(st->dirs, (st->ndirs + 1) * sizeof(*st->dirs));
	if (!grown)
		return -ENOMEM;
	st->dirs = grown;
	st->dirs[st->ndirs].prefix = strndup(path, len);
	if (!st->dirs[st->ndirs].prefix)
		return -ENOMEM;
	st->dirs[st->ndirs++].files = 1;
	return 0;
}

/* Appends text, each line wrapped in color (when on) and reset. */
static int add_colored(struct view_state *st, const char *color, char prefix,
		       const char *text, size_t len)
{
	bool on = st->view->color && color;
	int rc = 0;

	while (!rc && (len || prefix)) {
		const char *nl = memchr(text, '\n', len);
		size_t n = nl ? (size_t)(nl - text) : len;

		if (on)
			rc |= gfs_buf_adds(st->out, color);
		if (prefix)
			rc |= gfs_buf_addch(st->out, prefix);
		rc |= gfs_buf_add(st->out, text, n);
		if (on)
			rc |= gfs_buf_adds(st->out, COLOR_RESET);
		if (nl) {
			rc |= gfs_buf_addch(st->out, '\n');
			n++;
		}
		text += n;
		len -= n;
		prefix = 0;
	}
	return rc;
}

static int print_patch_line(const git_diff_delta *d, const git_diff_hunk *hunk,
			    const git_diff_line *l, void *arg)
{
	struct view_state *st = arg;
	struct gfs_buf decoded = GFS_BUF_INIT;
	int rc;

	if (!st->view->color)
		return gfs_history_print_line(d, hunk, l, st->out);
	switch (l->origin) {
	case GIT_DIFF_LINE_FILE_HDR:
		/* names as the folder has them: decode through the plain cb */
		rc = gfs_history_print_line(d, hunk, l, &decoded);
		if (!rc)
			rc = add_colored(st, COLOR_BOLD, 0, decoded.data,
					 decoded.len);
		gfs_buf_release(&decoded);
		return rc ? -1 : 0;
	case GIT_DIFF_LINE_HUNK_HDR:
		rc = add_colored(st, COLOR_CYAN, 0, l->content, l->content_len);
		break;
	case GIT_DIFF_LINE_ADDITION:
		rc = add_colored(st, COLOR_GREEN, '+', l->content,
				 l->content_len);
		break;
	case GIT_DIFF_LINE_DELETION:
		rc = add_colored(st, COLOR_RED, '-', l->content,
				 l->content_len);
		break;
	default:
		return gfs_history_print_line(d, hunk, l, st->out);
	}
	return rc ? -1 : 0;
}

static char status_letter(git_delta_t status)
{
	switch (status) {
	case GIT_DELTA_ADDED:
		return 'A';
	case GIT_DELTA_DELETED:
		return 'D';
	case GIT_DELTA_RENAMED:
		return 'R';
	case GIT_DELTA_COPIED:
		return 'C';
	case GIT_DELTA_TYPECHANGE:
		return 'T';
	default:
		return 'M';
	}
}

static int add_change(struct view_state *st, const git_diff_delta *d,
		      const char *old_path, const char *new_path,
		      git_patch *patch)
{
	struct change *c;
	void *grown;
	int len;

	grown = realloc(st->changes, (st->nchanges + 1) * sizeof(*c));
	if (!grown)
		return -ENOMEM;
	st->changes = grown;
	c = &st->changes[st->nchanges];
	memset(c, 0, sizeof(*c));
	c->status = status_letter(d->status);
	if (c->status == 'R' || c->status == 'C')
		len = asprintf(&c->name,
			       st->view->style == GFS_HISTORY_STAT ? "%s => %s"
								   : "%s\t%s",
			       old_path, new_path);
	else
		len = asprintf(&c->name, "%s",
			       c->status == 'D' ? old_path : new_path);
	if (len < 0)
		return -ENOMEM;
	st->nchanges++;
	if (!patch)
		return 0;
	c->binary = d->flags & GIT_DIFF_FLAG_BINARY;
	c->old_size = (int64_t)d->old_file.size;
	c->new_size = (int64_t)d->new_file.size;
	if (git_patch_line_stats(NULL, &c->added, &c->deleted, patch))
		return gfs_history_git_error("count lines");
	return 0;
}

static int digits(size_t n)
{
	int d = 1;

	while (n >= 10) {
		n /= 10;
		d++;
	}
	return d;
}

/* git's --stat: " path | 3 ++-", then the totals. */
static int print_stat(struct view_state *st)
{
	size_t i, width = 0, most = 0, added = 0, deleted = 0;
	const size_t bar = 40;
	int rc = 0, count_width;

	for (i = 0; i < st->nchanges; i++) {
		const struct change *c = &st->changes[i];

		if (strlen(c->name) > width)
			width = strlen(c->name);
		if (!c->binary && c->added + c->deleted > most)
			most = c->added + c->deleted;
	}
	count_width = digits(most);
	for (i = 0; i < st->nchanges && !rc; i++) {
		const struct change *c = &st->changes[i];
		size_t plus = c->added, minus = c->deleted, k;

		rc = gfs_buf_addf(st->out, " %-*s | ", (int)width, c->name);
		if (c->withheld) {
			rc |= gfs_buf_adds(st->out, "content withheld\n");
			continue;
		}
		if (c->binary) {
			rc |= gfs_buf_addf(st->out, "Bin %lld -> %lld bytes\n",
					   (long long)c->old_size,
					   (long long)c->new_size);
			continue;
		}
		added += plus;
		deleted += minus;
		rc |= gfs_buf_addf(st->out, "%*zu", count_width, plus + minus);
		if (most > bar) {
			/* scaled, but a change never shows as nothing */
			plus = plus ? (plus * bar + most - 1) / most : 0;
			minus = minus ? (minus * bar + most - 1) / most : 0;
		}
		if (plus + minus)
			rc |= gfs_buf_addch(st->out, ' ');
		if (st->view->color && plus)
			rc |= gfs_buf_adds(st->out, COLOR_GREEN);
		for (k = 0; k < plus; k++)
			rc |= gfs_buf_addch(st->out, '+');
		if (st->view->color && plus)
			rc |= gfs_buf_adds(st->out, COLOR_RESET);
		if (st->view->color && minus)
			rc |= gfs_buf_adds(st->out, COLOR_RED);
		for (k = 0; k < minus; k++)
			rc |= gfs_buf_addch(st->out, '-');
		if (st->view->color && minus)
			rc |= gfs_buf_adds(st->out, COLOR_RESET);
		rc |= gfs_buf_addch(st->out, '\n');
	}
	if (rc || !st->nchanges)
		return rc;
	rc = gfs_buf_addf(st->out, " %zu file%s changed", st->nchanges,
			  st->nchanges == 1 ? "" : "s");
	if (added || !deleted)
		rc |= gfs_buf_addf(st->out, ", %zu insertion%s(+)", added,
				   added == 1 ? "" : "s");
	if (deleted || !added)
		rc |= gfs_buf_addf(st->out, ", %zu deletion%s(-)", deleted,
				   deleted == 1 ? "" : "s");
	return rc | gfs_buf_addch(st->out, '\n');
}

static int print_name_status(struct view_state *st)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < st->nchanges && !rc; i++)
		rc = gfs_buf_addf(st->out, "%c\t%s\n", st->changes[i].status,
				  st->changes[i].name);
	return rc;
}

/* The bytes of one side of a delta, or NULL (absent, or a directory). */
static git_blob *side_blob(git_repository *repo, const git_diff_file *f)
{
	git_blob *b = NULL;

	if (!(f->flags & GIT_DIFF_FLAG_EXISTS) || git_oid_is_zero(&f->id) ||
	    f->mode == GIT_FILEMODE_TREE || f->mode == GIT_FILEMODE_COMMIT)
		return NULL;
	return git_blob_lookup(&b, repo, &f->id) ? NULL : b;
}

/*
 * Asks view->screen about a delta: GFS_HISTORY_SHOW, or the line that
 * stands for it written (withheld), or nothing (left out).
 */
static int screen_delta(struct view_state *st, const git_diff_delta *d,
			const char *old_path, const char *new_path,
			int *verdict)
{
	git_repository *repo = st->repo;
	git_blob *old = side_blob(repo, &d->old_file);
	git_blob *new = side_blob(repo, &d->new_file);
	const char *reason = NULL, *name;
	int rc = 0;

	*verdict = st->view->screen(st->view->screen_arg, old_path, new_path,
				    old ? git_blob_rawcontent(old) : NULL,
				    old ? (size_t)git_blob_rawsize(old) : 0,
				    new ? git_blob_rawcontent(new) : NULL,
				    new ? (size_t)git_blob_rawsize(new) : 0,
				    &reason);
	git_blob_free(old);
	git_blob_free(new);
	if (*verdict != GFS_HISTORY_WITHHOLD)
		return 0;
	name = d->status == GIT_DELTA_DELETED ? old_path : new_path;
	if (st->view->style == GFS_HISTORY_PATCH)
		rc = gfs_buf_addf(st->out,
				  "diff --guardfs %s\n"
				  "(content withheld: %s)\n",
				  name, reason ? reason : "hidden");
	else if (st->view->style == GFS_HISTORY_NAME_STATUS)
		rc = add_change(st, d, old_path, new_path, NULL);
	else if (!(rc = add_change(st, d, old_path, new_path, NULL)))
		st->changes[st->nchanges - 1].withheld = true;
	return rc;
}

/*
 * A side of a delta that is a large file's manifest: 1, its size and
 * tree. 0 for another side (its size when it is a file), or -errno.
 */
static int side_chunks(git_repository *repo, const git_diff_file *f,
		       uint64_t *size, git_oid *tree)
{
	git_odb *odb = NULL;
	int rc;

	*size = 0;
	if (!(f->flags & GIT_DIFF_FLAG_EXISTS) || git_oid_is_zero(&f->id) ||
	    f->mode == GIT_FILEMODE_TREE || f->mode == GIT_FILEMODE_COMMIT ||
	    f->mode == GIT_FILEMODE_LINK)
		return 0;
	if (git_repository_odb(&odb, repo))
		return gfs_history_git_error("open object database");
	rc = gfs_chunks_of_blob(odb, &f->id, size, tree);
	if (!rc) {
		/* a plain file (one that grew past max_file_size): its size */
		git_object_t type;
		size_t len;

		if (!git_odb_read_header(&len, &type, odb, &f->id))
			*size = len;
	}
	git_odb_free(odb);
	return rc;
}

struct chunk_list {
	git_oid *oids;
	size_t len, cap;
};

static int list_chunk(void *arg, uint64_t index, uint64_t xxh,
		      const git_oid *id)
{
	struct chunk_list *l = arg;

	(void)xxh;
	if (index >= l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 256;
		void *p;

		while (cap <= index)
			cap *= 2;
		p = realloc(l->oids, cap * sizeof(*l->oids));
		if (!p)
			return -ENOMEM;
		l->oids = p;
		l->cap = cap;
	}
	git_oid_cpy(&l->oids[index], id);
	l->len = index + 1;
	return 0;
}

/*
 * A large file stored in chunks (store_chunks.c) is shown by its sizes
 * and how many of its chunks changed, not by its manifest's text. 1 when
 * d was such a file and its lines are written, 0 when not, or -errno.
 */
static int print_chunked(struct view_state *st, const git_diff_delta *d,
			 const char *old_path, const char *new_path)
{
	struct chunk_list a = {0}, b = {0};
	uint64_t old_size, new_size;
	git_oid old_tree, new_tree;
	git_odb *odb = NULL;
	size_t i, changed = 0;
	int ro = side_chunks(st->repo, &d->old_file, &old_size, &old_tree);
	int rn = side_chunks(st->repo, &d->new_file, &new_size, &new_tree);
	int rc = 0;

	if (ro < 0 || rn < 0)
		return ro < 0 ? ro : rn;
	if (!ro && !rn)
		return 0;
	if (git_repository_odb(&odb, st->repo))
		return gfs_history_git_error("open object database");
	if (ro)
		rc = gfs_chunks_each(odb, &old_tree, list_chunk, &a);
	if (!rc && rn)
		rc = gfs_chunks_each(odb, &new_tree, list_chunk, &b);
	git_odb_free(odb);
	for (i = 0; !rc && i < b.len; i++)
		changed += i >= a.len || !git_oid_equal(&a.oids[i], &b.oids[i]);
	if (!rc)
		rc = gfs_buf_addf(st->out,
				  "diff --guardfs a/%s b/%s\n"
				  "large file, stored in chunks: %llu -> %llu "
				  "bytes, %zu of %zu chunks new\n",
				  old_path, new_path,
				  (unsigned long long)old_size,
				  (unsigned long long)new_size, changed, b.len);
	free(a.oids);
	free(b.oids);
	return rc ? rc : 1;
}

static int visit_delta(struct view_state *st, git_diff *diff, size_t i)
{
	const git_diff_delta *d = git_diff_get_delta(diff, i);
	struct gfs_buf old_path = GFS_BUF_INIT, new_path = GFS_BUF_INIT;
	git_patch *patch = NULL;
	size_t git_len;
	int rc;

	rc = gfs_history_decode_path(d->old_file.path, &old_path);
	if (!rc)
		rc = gfs_history_decode_path(d->new_file.path, &new_path);
	if (rc)
		goto out;
	git_len = git_dir_prefix(
		d->status == GIT_DELTA_DELETED ? old_path.data : new_path.data);
	if (git_len && !st->view->git_internals) {
		rc = count_git_file(st,
				    d->status == GIT_DELTA_DELETED
					    ? old_path.data
					    : new_path.data,
				    git_len);
		goto out;
	}
	if (st->view->screen) {
		int verdict;

		rc = screen_delta(st, d, old_path.data, new_path.data,
				  &verdict);
		if (rc || verdict != GFS_HISTORY_SHOW)
			goto out;
	}
	if (st->view->style == GFS_HISTORY_PATCH) {
		rc = print_chunked(st, d, old_path.data, new_path.data);
		if (rc) {
			rc = rc > 0 ? 0 : rc; /* 1: shown */
			goto out;
		}
	}
	if (st->view->style != GFS_HISTORY_NAME_STATUS &&
	    git_patch_from_diff(&patch, diff, i)) {
		rc = gfs_history_git_error("diff");
		goto out;
	}
	if (st->view->style == GFS_HISTORY_PATCH) {
		if (patch && git_patch_print(patch, print_patch_line, st))
			rc = gfs_history_git_error("diff");
	} else {
		rc = add_change(st, d, old_path.data, new_path.data, patch);
	}
out:
	git_patch_free(patch);
	gfs_buf_release(&old_path);
	gfs_buf_release(&new_path);
	return rc;
}

int gfs_history_diff_view(struct gfs_history *h, const char *old_id,
			  const char *new_id, const char *const *paths,
			  size_t npaths,
			  const struct gfs_history_diff_view *view,
			  struct gfs_buf *out)
{
	static const struct gfs_history_diff_view plain = {
		.git_internals = true,
	};
	struct view_state st = {
		.view = view ? view : &plain, .repo = h->repo, .out = out};
	git_tree *old_tree = NULL, *new_tree = NULL;
	git_diff_options opts;
	git_diff *diff = NULL;
	char **encoded = NULL;
	size_t i, n;
	int rc;

	rc = gfs_history_diff_opts(&opts, paths, npaths, &encoded);
	if (rc)
		goto out;
	if (st.view->style != GFS_HISTORY_PATCH)
		opts.flags |= GIT_DIFF_INCLUDE_TYPECHANGE;
	rc = gfs_history_diff_trees(h, old_id, new_id, &old_tree, &new_tree);
	if (rc)
		goto out;
	if (git_diff_tree_to_tree(&diff, h->repo, old_tree, new_tree, &opts) ||
	    git_diff_find_similar(diff, NULL)) {
		rc = gfs_history_git_error("diff");
		goto out;
	}
	n = git_diff_num_deltas(diff);
	for (i = 0; i < n && !rc; i++)
		rc = visit_delta(&st, diff, i);
	if (!rc && st.view->style == GFS_HISTORY_STAT)
		rc = print_stat(&st);
	else if (!rc && st.view->style == GFS_HISTORY_NAME_STATUS)
		rc = print_name_status(&st);
	for (i = 0; i < st.ndirs && !rc; i++)
		rc = gfs_buf_addf(out,
				  "%s: %zu file%s changed (git's own "
				  "bookkeeping; --git shows them)\n",
				  st.dirs[i].prefix, st.dirs[i].files,
				  st.dirs[i].files == 1 ? "" : "s");
out:
	for (i = 0; i < st.ndirs; i++)
		free(st.dirs[i].prefix);
	free(st.dirs);
	for (i = 0; i < st.nchanges; i++)
		free(st.changes[i].name);
	free(st.changes);
	git_diff_free(diff);
	git_tree_free(old_tree);
	git_tree_free(new_tree);
	gfs_history_free_paths(encoded, npaths);
	return rc;
}

int gfs_history_has_path(struct gfs_history *h, const char *id,
			 const char *path)
{
	struct gfs_buf enc = GFS_BUF_INIT;
	git_tree *tree = NULL;
	git_tree_entry *e = NULL;
	int rc;

	if (!*path)
		return 1;
	rc = gfs_history_encode_path(path, &enc);
	if (!rc)
		rc = gfs_history_tree_of(h, id, &tree, NULL, NULL);
	if (!rc)
		rc = git_tree_entry_bypath(&e, tree, enc.data) ? 0 : 1;
	git_tree_entry_free(e);
	git_tree_free(tree);
	gfs_buf_release(&enc);
	return rc;
}
