/*
 * The store's picture of the folder: a tree of nodes kept by the worker,
 * loaded from the last commit at open and written back as git tree
 * objects for each commit, rewriting only the directories that changed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "store_internal.h"

/*
 * Git refuses some names in trees (git fsck: hasDotgit, and the
 * .gitmodules checks), yet a repository inside the folder must be
 * recorded like any file. Such a name is stored with a suffix; a name
 * that already ends with the suffix gets one more, so decoding (strip
 * one suffix) is exact. A name ending like a large file's chunk tree
 * (store_chunks.c) gets it too, so that no folder entry poses as one.
 */
bool gfs_store_name_needs_suffix(const char *name, size_t len)
{
	size_t sl = strlen(GFS_STORE_NAME_SUFFIX);
	size_t i;

	if (len >= sl && !memcmp(name + len - sl, GFS_STORE_NAME_SUFFIX, sl))
		return true;
	if (gfs_chunks_dir_name(name, len))
		return true;
	if ((len == 5 && !strncasecmp(name, "git~1", 5)) ||
	    (len == 11 && !strncasecmp(name, ".gitmodules", 11)))
		return true;
	if (len < 4 || strncasecmp(name, ".git", 4))
		return false;
	/* NTFS ignores trailing dots and spaces: ".git. " is ".git" */
	for (i = 4; i < len; i++)
		if (name[i] != '.' && name[i] != ' ')
			return false;
	return true;
}

size_t gfs_store_name_decoded_len(const char *name, size_t len)
{
	size_t sl = strlen(GFS_STORE_NAME_SUFFIX);

	if (len > sl && !memcmp(name + len - sl, GFS_STORE_NAME_SUFFIX, sl))
		return len - sl;
	return len;
}

struct gfs_store_node *gfs_store_node_new(const char *name, size_t len)
{
	struct gfs_store_node *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	n->name = strndup(name, len);
	if (!n->name) {
		free(n);
		return NULL;
	}
	return n;
}

void gfs_store_node_free(struct gfs_store_node *n)
{
	size_t i;

	if (!n)
		return;
	for (i = 0; i < n->nchildren; i++)
		gfs_store_node_free(n->children[i]);
	free(n->children);
	free(n->name);
	free(n);
}

/* Index of the first child whose name is >= name (len bytes). */
static size_t child_pos(const struct gfs_store_node *dir, const char *name,
			size_t len, bool *found)
{
	size_t lo = 0, hi = dir->nchildren;

	*found = false;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const char *cn = dir->children[mid]->name;
		int c = strncmp(cn, name, len);

		if (!c && cn[len])
			c = 1;
		if (!c) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

struct gfs_store_node *gfs_store_node_child(const struct gfs_store_node *dir,
					    const char *name, size_t len)
{
	bool found;
	size_t pos;

	if (dir->git_mode != 040000)
		return NULL;
	pos = child_pos(dir, name, len, &found);
	return found ? dir->children[pos] : NULL;
}

int gfs_store_node_insert(struct gfs_store_node *dir,
			  struct gfs_store_node *child)
{
	bool found;
	size_t pos = child_pos(dir, child->name, strlen(child->name), &found);

	if (found) {
		gfs_store_node_free(dir->children[pos]);
		dir->children[pos] = child;
		return 0;
	}
	if (dir->nchildren == dir->children_cap) {
		size_t cap = dir->children_cap ? dir->children_cap * 2 : 8;
		void *p = realloc(dir->children, cap * sizeof(*dir->children));

		if (!p)
			return -ENOMEM;
		dir->children = p;
		dir->children_cap = cap;
	}
	memmove(dir->children + pos + 1, dir->children + pos,
		(dir->nchildren - pos) * sizeof(*dir->children));
	dir->children[pos] = child;
	dir->nchildren++;
	return 0;
}

void gfs_store_node_remove(struct gfs_store_node *dir, const char *name)
{
	bool found;
	size_t pos = child_pos(dir, name, strlen(name), &found);

	if (!found)
		return;
	gfs_store_node_free(dir->children[pos]);
	memmove(dir->children + pos, dir->children + pos + 1,
		(dir->nchildren - pos - 1) * sizeof(*dir->children));
	dir->nchildren--;
}

struct gfs_store_node *gfs_store_node_lookup(struct gfs_store_node *root,
					     const char *path)
{
	struct gfs_store_node *n = root;

	while (n && *path) {
		const char *slash = strchr(path, '/');
		size_t len = slash ? (size_t)(slash - path) : strlen(path);

		n = gfs_store_node_child(n, path, len);
		path += len;
		if (*path == '/')
			path++;
	}
	return n;
}

/*
 * A large file's chunk tree (NAME~guardfs-chunks) is no node of its own:
 * it is the chunks of node NAME. Git sorts "NAME" before
 * "NAME~guardfs-chunks", so the file's node is there already. True when
 * name was such a tree.
 */
static bool chunks_attach(struct gfs_store *s, struct gfs_store_node *dir,
			  const char *name, const git_oid *tree)
{
	size_t len = strlen(name), sl = strlen(GFS_CHUNKS_SUFFIX);
	struct gfs_store_node *file;
	uint64_t size;
	git_oid said;

	if (!gfs_chunks_dir_name(name, len))
		return false;
	len -= sl;
	file = gfs_store_node_child(dir, name,
				    gfs_store_name_decoded_len(name, len));
	/* its manifest must name it (a directory of an old store might not) */
	if (!file || file->git_mode == 040000 ||
	    gfs_chunks_of_blob(s->odb, &file->oid, &size, &said) != 1 ||
	    !git_oid_equal(&said, tree))
		return false;
	file->chunked = true;
	git_oid_cpy(&file->chunks, tree);
	return true;
}

static int load_dir(struct gfs_store *s, struct gfs_store_node *dir,
		    const git_oid *oid, unsigned depth)
{
	git_tree *tree = NULL;
	size_t i, count;
	int rc = 0;

	if (depth > 4096)
		return -ELOOP;
	if (git_tree_lookup(&tree, s->repo, oid))
		return gfs_store_git_error("read tree");
	count = git_tree_entrycount(tree);
	for (i = 0; i < count; i++) {
		const git_tree_entry *e = git_tree_entry_byindex(tree, i);
		const char *name = git_tree_entry_name(e);
		struct gfs_store_node *child;

		if (git_tree_entry_filemode(e) == 040000 &&
		    chunks_attach(s, dir, name, git_tree_entry_id(e)))
			continue;
		child = gfs_store_node_new(
			name, gfs_store_name_decoded_len(name, strlen(name)));
		if (!child) {
			rc = -ENOMEM;
			break;
		}
		child->git_mode = git_tree_entry_filemode(e);
		git_oid_cpy(&child->oid, git_tree_entry_id(e));
		rc = gfs_store_node_insert(dir, child);
		if (rc) {
			gfs_store_node_free(child);
			break;
		}
		if (child->git_mode == 040000) {
			rc = load_dir(s, child, &child->oid, depth + 1);
			if (rc)
				break;
		}
	}
	git_tree_free(tree);
	return rc;
}

int gfs_store_tree_load(struct gfs_store *s, const git_oid *tree_oid)
{
	struct gfs_store_node *root = gfs_store_node_new("", 0);
	int rc = 0;

	if (!root)
		return -ENOMEM;
	root->git_mode = 040000;
	root->dirty = true;
	if (tree_oid) {
		rc = load_dir(s, root, tree_oid, 0);
		git_oid_cpy(&root->oid, tree_oid);
		root->dirty = false;
	}
	if (rc) {
		gfs_store_node_free(root);
		return rc;
	}
	gfs_store_node_free(s->root);
	s->root = root;
	return 0;
}

/* One entry of a tree being written, under its stored name. */
struct tree_entry {
	uint32_t mode;
	const git_oid *oid;
	const char *name;
	char *owned;
	size_t len;
};

/*
 * Git sorts tree entries by name as if every directory name ended in '/'.
 */
static int git_order(const struct tree_entry *x, const struct tree_entry *y)
{
	size_t m = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->name, y->name, m);
	unsigned char cx, cy;

	if (c)
		return c;
	cx = x->len > m ? (unsigned char)x->name[m]
			: (x->mode == 040000 ? '/' : 0);
	cy = y->len > m ? (unsigned char)y->name[m]
			: (y->mode == 040000 ? '/' : 0);
	return (int)cx - (int)cy;
}

/* Empty directories are left out, as git does. */
/*
 * Empty directories are kept, as entries naming the empty tree (git
 * itself never makes them, but reads them and git fsck accepts them), so
 * that a restore brings back a folder's empty directories too.
 */
static bool node_in_tree(const struct gfs_store_node *n)
{
	return !n->unrecorded && n->git_mode;
}

static int write_dir(struct gfs_store *s, struct gfs_store_node *dir,
		     unsigned depth)
{
	struct gfs_buf raw = GFS_BUF_INIT;
	struct tree_entry *sorted = NULL;
	size_t i, n = 0;
	int rc = 0;

	if (depth > 4096)
		return -ELOOP;
	for (i = 0; i < dir->nchildren; i++) {
		struct gfs_store_node *c = dir->children[i];

		if (c->git_mode == 040000 && c->dirty) {
			rc = write_dir(s, c, depth + 1);
			if (rc)
				return rc;
		}
	}
	/* room for each child and for each large file's chunk tree */
	if (dir->nchildren) {
		sorted = calloc(2 * dir->nchildren, sizeof(*sorted));
		if (!sorted)
			return -ENOMEM;
	}
	for (i = 0; i < dir->nchildren && !rc; i++) {
		struct gfs_store_node *c = dir->children[i];
		struct tree_entry *e = &sorted[n];

		if (!node_in_tree(c))
			continue;
		e->mode = c->git_mode;
		e->oid = &c->oid;
		e->name = c->name;
		e->len = strlen(c->name);
		if (gfs_store_name_needs_suffix(c->name, e->len)) {
			if (asprintf(&e->owned, "%s%s", c->name,
				     GFS_STORE_NAME_SUFFIX) < 0) {
				e->owned = NULL;
				rc = -ENOMEM;
				break;
			}
			e->name = e->owned;
			e->len = strlen(e->owned);
		}
		n++;
		if (c->chunked) {
			struct tree_entry *t = &sorted[n];

			t->mode = 040000;
			t->oid = &c->chunks;
			if (asprintf(&t->owned, "%s%s", e->name,
				     GFS_CHUNKS_SUFFIX) < 0) {
				t->owned = NULL;
				rc = -ENOMEM;
				break;
			}
			t->name = t->owned;
			t->len = strlen(t->owned);
			n++;
		}
	}
	/* strcmp order is almost git order: insertion sort is linear here */
	for (i = 1; i < n && !rc; i++) {
		struct tree_entry cur = sorted[i];
		size_t j = i;

		while (j > 0 && git_order(&sorted[j - 1], &cur) > 0) {
			sorted[j] = sorted[j - 1];
			j--;
		}
		sorted[j] = cur;
	}
	for (i = 0; i < n && !rc; i++) {
		rc = gfs_buf_addf(&raw, "%o ", sorted[i].mode);
		if (!rc)
			rc = gfs_buf_add(&raw, sorted[i].name,
					 sorted[i].len + 1);
		if (!rc)
			rc = gfs_buf_add(&raw, sorted[i].oid->id,
					 GIT_OID_RAWSZ);
	}
	for (i = 0; i < n; i++)
		free(sorted[i].owned);
	free(sorted);
	if (!rc && gfs_store_odb_write(s, &dir->oid, raw.data, raw.len,
				       GIT_OBJECT_TREE))
		rc = gfs_store_git_error("write tree");
	if (!rc) {
		dir->dirty = false;
		gfs_store_packer_kick(s, 1);
	}
	gfs_buf_release(&raw);
	return rc;
}

int gfs_store_tree_write(struct gfs_store *s, git_oid *out)
{
	int rc = 0;

	if (s->root->dirty)
		rc = write_dir(s, s->root, 0);
	if (!rc)
		git_oid_cpy(out, &s->root->oid);
	return rc;
}
