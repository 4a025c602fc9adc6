#ifndef GUARDFS_HISTORY_INTERNAL_H
#define GUARDFS_HISTORY_INTERNAL_H

/* Shared by history.c and history_restore.c only. */

#include <git2.h>

#include "guardfs/history.h"
#include "store_internal.h"

struct gfs_history {
	git_repository *repo;
	struct gfs_history_op *ops; /* scratch of gfs_history_walk() */
	size_t nops;
	size_t cap;
	bool scratch_odb; /* objects written go to memory only */
};

int gfs_history_git_error(const char *what);
/* The tree of commit id (NULL: not wanted) and its first parent. */
int gfs_history_tree_of(struct gfs_history *h, const char *id, git_tree **tree,
			git_oid *parent, bool *has_parent);
/*
 * The two trees a diff compares: old_id's and new_id's, or, with new_id
 * NULL, old_id's parent's (left NULL for the first commit) and old_id's.
 */
int gfs_history_diff_trees(struct gfs_history *h, const char *old_id,
			   const char *new_id, git_tree **old_tree,
			   git_tree **new_tree);
/* A folder path in the store's naming (".git" -> ".git~guardfs"). */
int gfs_history_encode_path(const char *path, struct gfs_buf *out);
/* And back. */
int gfs_history_decode_path(const char *path, struct gfs_buf *out);
/* Whether e is a large file's chunk tree (store_chunks.c): no folder's. */
bool gfs_history_chunk_tree(const git_tree_entry *e);
/* Diff options that leave large files' chunk trees out. */
void gfs_history_diff_opts_init(git_diff_options *opts);
/* The same, limited to literal paths (encoded into *encoded). */
int gfs_history_diff_opts(git_diff_options *opts, const char *const *paths,
			  size_t npaths, char ***encoded);
void gfs_history_free_paths(char **encoded, size_t n);
/* A git_diff_line_cb appending the line to the gfs_buf arg, names decoded. */
int gfs_history_print_line(const git_diff_delta *d, const git_diff_hunk *hunk,
			   const git_diff_line *l, void *arg);
/*
 * Reads and parses commit id into c; its strings point into *msg (to
 * free) and its ops into h's scratch, valid until the next walk or read.
 */
int gfs_history_read_commit(struct gfs_history *h, const char *id,
			    struct gfs_history_commit *c, char **msg);
/*
 * gfs_history_restore() to a tree rather than a commit: the tree may be
 * one the undo code built in memory (see history_undo.c).
 */
int gfs_history_restore_tree(struct gfs_history *h, git_tree *at_tree,
			     const char *const *paths, size_t npaths,
			     int dest_fd, unsigned flags,
			     gfs_history_report report, void *arg);
/*
 * From now on, objects h writes (trees an undo builds) go to memory
 * only (history_undo.c): the store on disk is never written.
 */
int gfs_history_scratch_odb(struct gfs_history *h);

#endif
