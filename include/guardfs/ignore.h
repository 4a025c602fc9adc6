#ifndef GUARDFS_IGNORE_H
#define GUARDFS_IGNORE_H

#include <stdbool.h>
#include <stddef.h>

/*
 * A list of gitignore-syntax rules matched against paths relative to a
 * root: "dir/file", no leading or trailing slash, '/' separated.
 *
 * Syntax, as gitignore(5): blank lines and lines starting with '#' are
 * skipped; a leading '!' negates; a trailing '/' matches directories only;
 * a pattern with a slash at its start or middle is anchored to the root,
 * one without matches the last component at any depth; '*', '?', "[a-z]",
 * "[!x]", "**" (leading "**∕", trailing "∕**", and "∕**∕" in the middle);
 * backslash escapes; trailing unescaped spaces are dropped.
 *
 * The last rule that matches decides. Used for [deny] patterns, the
 * built-in credential list, [snapshot] exclude and [secrets] allow_path.
 * A list is read-only once built, so any number of threads may match
 * against it at once.
 */
struct gfs_ignore;

enum gfs_ignore_flags {
	GFS_IGNORE_CASEFOLD = 1 << 0, /* ASCII case-insensitive matching */
};

enum gfs_ignore_verdict {
	GFS_IGNORE_NONE = 0,	/* no rule matched */
	GFS_IGNORE_MATCH = 1,	/* the deciding rule matched */
	GFS_IGNORE_NEGATED = 2, /* the deciding rule is a '!' rule */
};

/* Creates an empty list; flags from enum gfs_ignore_flags. 0 or -ENOMEM. */
int gfs_ignore_new(struct gfs_ignore **out, unsigned flags);

/* Frees the list and its rules. NULL is allowed. */
void gfs_ignore_free(struct gfs_ignore *ig);

/*
 * Adds one line. origin (copied) names the rule in verdicts, for example
 * "conf/deny.builtin:12" or "/home/u/p/.guardfs.ini:7". Blank and comment
 * lines are accepted and ignored. Returns 0, -EINVAL for a malformed
 * pattern (an unterminated '[' class, an unknown "[:name:]", a trailing
 * backslash: git would keep such a rule but it could never match), or
 * -ENOMEM.
 */
int gfs_ignore_add(struct gfs_ignore *ig, const char *line, const char *origin);

/*
 * Adds every line of text (len bytes, newline separated); origin_name is
 * combined with the line number ("name:LINE") to name each rule. On a bad
 * line returns -EINVAL and sets *bad_line (if not NULL) to its number.
 */
int gfs_ignore_add_text(struct gfs_ignore *ig, const char *text, size_t len,
			const char *origin_name, unsigned *bad_line);

/*
 * Matches one path, ignoring its ancestors. is_dir says whether the path
 * is a directory, so that "dir/" rules apply. *rule (if not NULL) is set
 * to the deciding rule's origin, borrowed from the list, or NULL.
 */
enum gfs_ignore_verdict gfs_ignore_match(const struct gfs_ignore *ig,
					 const char *relpath, bool is_dir,
					 const char **rule);

/*
 * Matches a path as git does for a whole tree: if any ancestor directory
 * is matched (not negated), the path is matched through it, whatever its
 * own rules say; otherwise the path's own verdict.
 */
enum gfs_ignore_verdict gfs_ignore_match_tree(const struct gfs_ignore *ig,
					      const char *relpath, bool is_dir,
					      const char **rule);

/*
 * Whether moving directory from to to (paths relative to the root, neither
 * empty) could change the verdict of some path below it: true when a rule
 * could match "from/REL" and "to/REL" differently for some REL. Rules on
 * basenames alone never do, so most moves answer false without a walk.
 * Errs towards true. NULL is allowed (false).
 */
bool gfs_ignore_moves_matter(const struct gfs_ignore *ig, const char *from,
			     const char *to);

/* Number of rules (negated ones included), for tests and status. */
size_t gfs_ignore_count(const struct gfs_ignore *ig);

#endif
