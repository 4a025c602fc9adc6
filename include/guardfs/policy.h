#ifndef GUARDFS_POLICY_H
#define GUARDFS_POLICY_H

#include <stdbool.h>
#include <stddef.h>

/*
 * The name policy of one mount: may a path relative to the root be seen?
 *
 * It combines, in this order (the last matching rule decides, so a user's
 * "!pattern" can re-expose a built-in entry): the built-in credential list
 * (conf/deny.builtin, compiled in) unless turned off, then the user's
 * [deny] patterns. On top of them, guardfs's own files (the config, the
 * store, the audit trail) are hidden by exact path and cannot be
 * re-exposed. Read-only once built; safe to share between threads.
 */
struct gfs_policy;

struct gfs_policy_opts {
	bool builtin;	     /* include the built-in credential list */
	bool case_sensitive; /* default is ASCII case-insensitive */
};

/* The built-in credential list, as shipped in conf/deny.builtin. */
extern const char gfs_builtin_deny_rules[];
extern const unsigned long gfs_builtin_deny_rules_len;

/* Creates a policy holding the built-in list if opts->builtin. */
int gfs_policy_new(struct gfs_policy **out, const struct gfs_policy_opts *opts);

/* Frees the policy. NULL is allowed. */
void gfs_policy_free(struct gfs_policy *p);

/* Adds one user deny pattern in gitignore syntax; origin as in ignore.h. */
int gfs_policy_add_pattern(struct gfs_policy *p, const char *pattern,
			   const char *origin);

/*
 * Hides relpath (and everything below it) unconditionally, for guardfs's
 * own files that happen to lie inside the root. origin names why. The
 * comparison ignores ASCII case whatever opts->case_sensitive says. Returns
 * 0, -EINVAL for an empty, absolute or ".."-climbing path, or -ENOMEM.
 */
int gfs_policy_hide_exact(struct gfs_policy *p, const char *relpath,
			  const char *origin);

/*
 * Hides every entry named name (one path component, compared ignoring
 * ASCII case) at any depth, and everything below it, unconditionally:
 * for names guardfs itself reads wherever they are, such as a project's
 * .guardfs.ini. 0, -EINVAL for a name with a slash, or -ENOMEM.
 */
int gfs_policy_hide_name(struct gfs_policy *p, const char *name,
			 const char *origin);

/*
 * Decides whether relpath may be seen, looking at its own name only (its
 * ancestors were checked when they were looked up). Returns true when it
 * is hidden and sets *rule (if not NULL) to the deciding rule's origin.
 */
bool gfs_policy_hides(const struct gfs_policy *p, const char *relpath,
		      bool is_dir, const char **rule);

/* Like gfs_policy_hides, but checks every ancestor too (for the CLI). */
bool gfs_policy_hides_tree(const struct gfs_policy *p, const char *relpath,
			   bool is_dir, const char **rule);

/*
 * Whether moving directory from to to could hide or expose some path below
 * it (see gfs_ignore_moves_matter); guardfs's own files count too. When
 * false, every path below keeps its verdict and a rename needs no walk.
 */
bool gfs_policy_moves_matter(const struct gfs_policy *p, const char *from,
			     const char *to);

/*
 * True when a symlink at link_relpath with the given target would resolve
 * outside the root: an absolute target, or one whose ".." components climb
 * above the root, judged lexically from the link's directory. Because a
 * name in the target may itself be a symlink, a ".." after a name ("a/..")
 * also counts as escaping; an empty target or link path counts too.
 */
bool gfs_policy_symlink_escapes(const char *link_relpath, const char *target);

/* Where a symlink's target leads, for gfs_policy_link_target. */
enum gfs_link_target {
	GFS_LINK_INSIDE, /* stays in the folder */
	GFS_LINK_SYSTEM, /* into a read-only system tree (/usr, ...) */
	GFS_LINK_OUT,	 /* anywhere else: refused when made, hidden found */
};

/*
 * Sets the absolute path at which the agent sees the folder (the mount
 * point; in place, the root): an absolute target below it leads inside.
 * 0 or -ENOMEM.
 */
int gfs_policy_set_mount(struct gfs_policy *p, const char *mount);

/*
 * Judges the target of a symlink at link_relpath. A relative target as
 * gfs_policy_symlink_escapes does. An absolute one written plainly (no
 * ".", "..", or doubled '/'): inside when below the mount point, system when
 * below one of the read-only system trees (/usr but /usr/local, /bin,
 * /sbin, /lib*, /etc/alternatives), out otherwise.
 */
enum gfs_link_target gfs_policy_link_target(const struct gfs_policy *p,
					    const char *link_relpath,
					    const char *target);

/*
 * For an absolute target gfs_policy_link_target calls inside: the path
 * it names relative to the root ("" for the root), pointing into target;
 * NULL for any other target.
 */
const char *gfs_policy_link_inside(const struct gfs_policy *p,
				   const char *target);

/*
 * Follows relpath beneath root_fd as the kernel follows it through the
 * mount, judging each symlink on the way with gfs_policy_link_target.
 * True when a step leads out (a target judged out, ".." above the root,
 * an unreadable step); false when the path stays inside, ends at a
 * missing name, reaches a system tree, or loops (more than the 40 links
 * the kernel follows: it answers ELOOP before reaching anything).
 */
bool gfs_policy_path_leads_out(const struct gfs_policy *p, int root_fd,
			       const char *relpath);

#endif
