#ifndef GUARDFS_GUARDS_H
#define GUARDFS_GUARDS_H

#include <stddef.h>
#include <stdint.h>

#include "guardfs/buf.h"

#include "guardfs/config.h"
#include "guardfs/ignore.h"
#include "guardfs/policy.h"
#include "guardfs/scan.h"

/*
 * Everything that decides what the agent may see, built from one
 * configuration: the mount uses it on every request, and `guardfs
 * explain` uses the same pieces to say why. Read-only once built.
 */
struct gfs_guards {
	struct gfs_policy *policy;
	struct gfs_scanner *scanner;	    /* NULL when [secrets] scan = no */
	struct gfs_verdict_cache *verdicts; /* NULL when scan = no */
	struct gfs_ignore *scan_allow;	    /* [secrets] allow_path, or NULL */
};

/*
 * Builds the name policy (built-in list, [deny] patterns, guardfs's own
 * files inside the root) and the content scanner (shipped rules, [secrets]
 * rules files, allow_value, allow_path). 0, or -errno with a message
 * naming the file and line in err.
 */
int gfs_guards_init(struct gfs_guards *g, const struct gfs_config *cfg,
		    char *err, size_t err_size);

/* Frees what gfs_guards_init built; a zeroed struct is fine. */
void gfs_guards_release(struct gfs_guards *g);

/*
 * Builds a gitignore list: the rules in defaults (newline separated, or
 * NULL) first, then the config lines, each keeping its FILE:LINE. *out is
 * NULL when there is nothing to match.
 */
int gfs_guards_list(struct gfs_ignore **out, const char *defaults,
		    const struct gfs_strlist *lines, unsigned flags, char *err,
		    size_t err_size);

/* True when relpath lies under an allow_path and is never scanned. */
bool gfs_guards_scan_allowed(const struct gfs_guards *g, const char *relpath);

/*
 * Explains what the agent meets at relpath under the root open at
 * root_fd, as "key<TAB>value" lines appended to out: "verdict" is one of
 * visible, hidden (by a name rule, or a symlink leading out of the root),
 * refused (content holds a credential) or missing; "rule" names the
 * deciding rule and "line" the line of a content match; for a hidden or
 * refused file in a git worktree inside the root, "repo" names the
 * worktree's directory relative to the root. Reads the file
 * through root_fd only, never following symlinks. 0 or -errno.
 */
int gfs_guards_explain(const struct gfs_guards *g, int root_fd,
		       const char *relpath, uint64_t scan_max_size,
		       struct gfs_buf *out);

#endif
