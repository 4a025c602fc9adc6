/*
 * What a rename or a link would expose (P1, P2).
 *
 * The policy judges a path by its own name, its ancestors having been
 * judged when they were looked up, and the content scanner skips paths
 * under [secrets] allow_path. A move changes the path of everything it
 * carries: renaming ".m2" to "m2" would turn the hidden ".m2/settings.xml"
 * into a visible "m2/settings.xml", moving a refused file into an
 * allow_path directory would make it readable, and moving a directory
 * closer to the root would let a relative symlink inside it climb out.
 * So before a move, what it carries is judged at both paths, and the move
 * is refused (EACCES, audited with the deciding rule) when anything would
 * go from hidden, refused or inside to visible, readable or outside.
 *
 * Most moves carry nothing whose verdict can change: a rule on basenames
 * judges "a/x" and "b/x" alike, and the policy says up front whether any
 * rule could tell the two prefixes apart. Only then, or when a directory
 * moves up (its symlinks may climb further), or into an allow_path, is
 * the subtree walked, through descriptors opened with O_NOFOLLOW from the
 * parent's O_PATH fd, never a path string, pruning every directory below
 * which nothing can change. A walk that would visit more than
 * GFS_MOVE_WALK_MAX entries answers EXDEV, as a rename across file
 * systems does: mv and friends then copy and delete, and every file they
 * copy is read through the mount, under its own name and content verdict.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fs_internal.h"

/* Entries one walk may visit: about a tenth of a second of getdents. */
#define GFS_MOVE_WALK_MAX 200000
/* Directory levels one walk descends (each holds a descriptor open). */
#define GFS_MOVE_DEPTH_MAX 128

enum {
	CHECK_NAMES = 1 << 0, /* a name rule may judge old and new apart */
	CHECK_ALLOW = 1 << 1, /* a file may land under allow_path */
	CHECK_LINKS = 1 << 2, /* a relative symlink may now climb out */
};

struct move_walk {
	struct gfs_fs *fs;
	struct gfs_buf from; /* the entry's path before the move */
	struct gfs_buf to;   /* and after it */
	size_t visited;
	struct gfs_move_verdict *out;
};

static unsigned path_depth(const char *path)
{
	unsigned depth = *path ? 1 : 0;

	for (; *path; path++)
		depth += *path == '/';
	return depth;
}

static bool scan_allowed_dir(struct gfs_fs *fs, const char *dir)
{
	return fs->guards.scan_allow &&
	       gfs_ignore_match_tree(fs->guards.scan_allow, dir, true, NULL) ==
		       GFS_IGNORE_MATCH;
}

/* Which checks the entries below directory from (moving to to) need. */
static unsigned dir_checks(struct gfs_fs *fs, const char *from, const char *to,
			   unsigned parent_checks)
{
	unsigned checks = parent_checks & CHECK_LINKS;

	if ((parent_checks & CHECK_NAMES) &&
	    gfs_policy_moves_matter(fs->guards.policy, from, to))
		checks |= CHECK_NAMES;
	/* everything below a directory already allowed stays allowed */
	if ((parent_checks & CHECK_ALLOW) && !scan_allowed_dir(fs, from) &&
	    (scan_allowed_dir(fs, to) ||
	     gfs_ignore_moves_matter(fs->guards.scan_allow, from, to)))
		checks |= CHECK_ALLOW;
	return checks;
}

static int refuse(struct move_walk *w, const char *rule)
{
	snprintf(w->out->rule, sizeof(w->out->rule), "%s", rule);
	gfs_buf_reset(&w->out->below);
	gfs_buf_add(&w->out->below, w->from.data, w->from.len);
	return -EACCES;
}

/*
 * A symlink keeps its target: does it climb out from its new place? The
 * name is read at dirfd, or the link itself is dirfd when name is "".
 */
static int check_link(struct move_walk *w, int dirfd, const char *name)
{
	char target[PATH_MAX + 1];
	ssize_t n = readlinkat(dirfd, name, target, sizeof(target));

	if (n < 0)
		return -errno;
	if (n == (ssize_t)sizeof(target))
		return -ENAMETOOLONG;
	target[n] = '\0';
	/* one that already led out was hidden, and stays hidden */
	if (gfs_policy_link_target(w->fs->guards.policy, w->to.data, target) ==
		    GFS_LINK_OUT &&
	    gfs_policy_link_target(w->fs->guards.policy, w->from.data,
				   target) != GFS_LINK_OUT)
		return refuse(w, gfs_rule_escaping_symlink);
	return 0;
}

static bool lands_in_allow_path(struct move_walk *w)
{
	return gfs_guards_scan_allowed(&w->fs->guards, w->to.data) &&
	       !gfs_guards_scan_allowed(&w->fs->guards, w->from.data);
}

/*
 * A file moving under allow_path keeps the verdict its bytes have now:
 * what open would answer at its old name. Takes fd (open for reading).
 */
static int check_content(struct move_walk *w, int fd)
{
	struct gfs_fs *fs = w->fs;
	struct gfs_verdict verdict;
	char rule[96];
	int rc;

	if (fd < 0)
		return fd;
	rc = gfs_scan_fd(fs->guards.scanner, fs->guards.verdicts, fd,
			 fs->cfg->scan_max_size, &verdict);
	close(fd);
	if (rc <= 0)
		return rc;
	return refuse(w, gfs_rule_secret(&verdict, rule, sizeof(rule)));
}

static int open_at(int dirfd, const char *name)
{
	int fd = openat(dirfd, name,
			O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

static int check_entry(struct move_walk *w, int dirfd, const char *name,
		       unsigned char type, unsigned checks, unsigned depth);

static int walk_dir(struct move_walk *w, int parent_fd, const char *name,
		    unsigned checks, unsigned depth)
{
	struct dirent *d;
	DIR *dir;
	int fd, rc = 0;

	if (depth >= GFS_MOVE_DEPTH_MAX)
		return -EXDEV;
	/* a check is no access of the user's: leave the times alone */
	fd = openat(parent_fd, name,
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC |
			    O_NOATIME);
	if (fd < 0 && errno == EPERM)
		fd = openat(parent_fd, name,
			    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	dir = fdopendir(fd);
	if (!dir) {
		rc = -errno;
		close(fd);
		return rc;
	}
	while (!rc) {
		errno = 0;
		d = readdir(dir);
		if (!d) {
			rc = -errno;
			break;
		}
		if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, ".."))
			continue;
		rc = check_entry(w, dirfd(dir), d->d_name, d->d_type, checks,
				 depth + 1);
	}
	closedir(dir);
	return rc;
}

static int check_entry(struct move_walk *w, int dirfd, const char *name,
		       unsigned char type, unsigned checks, unsigned depth)
{
	struct gfs_fs *fs = w->fs;
	size_t from_len = w->from.len, to_len = w->to.len;
	const char *rule = NULL;
	bool hidden_before, hidden_after, is_dir;
	struct stat st;
	int rc = 0;

	if (++w->visited > GFS_MOVE_WALK_MAX)
		return -EXDEV;
	if (type == DT_UNKNOWN) {
		if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW))
			return -errno;
		type = IFTODT(st.st_mode);
	}
	is_dir = type == DT_DIR;
	if (depth && ((rc = gfs_buf_addch(&w->from, '/')) ||
		      (rc = gfs_buf_adds(&w->from, name)) ||
		      (rc = gfs_buf_addch(&w->to, '/')) ||
		      (rc = gfs_buf_adds(&w->to, name))))
		goto out;
	hidden_after =
		gfs_policy_hides(fs->guards.policy, w->to.data, is_dir, NULL);
	/* where no name rule tells the two apart, one match says both */
	hidden_before = checks & CHECK_NAMES
				? gfs_policy_hides(fs->guards.policy,
						   w->from.data, is_dir, &rule)
				: hidden_after;
	if (hidden_before && !hidden_after) {
		rc = refuse(w, rule ? rule : "hidden");
		goto out;
	}
	/* hidden on either side: nothing below it can be seen there */
	if (hidden_before || hidden_after)
		goto out;
	if (type == DT_LNK && (checks & CHECK_LINKS))
		rc = check_link(w, dirfd, name);
	else if (type == DT_REG && (checks & CHECK_ALLOW) &&
		 lands_in_allow_path(w))
		rc = check_content(w, open_at(dirfd, name));
	else if (is_dir) {
		checks = dir_checks(fs, w->from.data, w->to.data, checks);
		if (checks)
			rc = walk_dir(w, dirfd, name, checks, depth);
	}
out:
	/* what went meanwhile moves nowhere; what cannot be read is not
	 * judged, so it does not move */
	if (rc == -ENOENT && depth)
		rc = 0;
	if ((rc == -EACCES || rc == -EPERM) && !w->out->rule[0])
		rc = refuse(w, "move-unreadable");
	w->from.len = from_len;
	w->to.len = to_len;
	if (w->from.data)
		w->from.data[from_len] = '\0';
	if (w->to.data)
		w->to.data[to_len] = '\0';
	return rc;
}

/* Which checks moving an entry of mode from -> to needs; 0: none. */
static unsigned move_checks(struct gfs_fs *fs, mode_t mode, const char *from,
			    const char *to, unsigned flags)
{
	bool scanning = fs->guards.scanner && fs->guards.scan_allow &&
			!(flags & GFS_MOVE_RESTORE);
	unsigned checks = CHECK_NAMES;

	if (S_ISLNK(mode))
		return CHECK_LINKS;
	if (S_ISREG(mode))
		return scanning && gfs_guards_scan_allowed(&fs->guards, to) &&
				       !gfs_guards_scan_allowed(&fs->guards,
								from)
			       ? CHECK_ALLOW
			       : 0;
	if (!S_ISDIR(mode))
		return 0;
	if (scanning)
		checks |= CHECK_ALLOW;
	/* Moved deeper or level, no relative link can climb further out. */
	if (path_depth(to) < path_depth(from))
		checks |= CHECK_LINKS;
	return dir_checks(fs, from, to, checks);
}

/* Fills the verdict of a walk that ended with rc; returns the result. */
static int finish(struct move_walk *w, unsigned checks, int rc)
{
	/*
	 * Too large to judge. When only symlinks were in question the move
	 * goes ahead: a link that leads out is hidden at its next lookup and
	 * refused by readlink (gfs_guard_visible, op_readlink), and the
	 * caller drops what the kernel cached of those below.
	 */
	if (rc == -EXDEV && !(checks & (CHECK_NAMES | CHECK_ALLOW))) {
		w->out->links_unchecked = true;
		rc = 0;
	}
	if (rc == -EXDEV)
		snprintf(w->out->rule, sizeof(w->out->rule), "%s",
			 gfs_rule_move_unchecked);
	gfs_buf_release(&w->from);
	gfs_buf_release(&w->to);
	return rc;
}

static int start(struct move_walk *w, struct gfs_fs *fs, const char *from,
		 const char *to, struct gfs_move_verdict *out)
{
	int rc;

	w->fs = fs;
	w->out = out;
	rc = gfs_buf_adds(&w->from, from);
	if (!rc)
		rc = gfs_buf_adds(&w->to, to);
	return rc;
}

int gfs_move_check(struct gfs_fs *fs, struct gfs_inode *parent,
		   const char *name, const char *from, const char *to,
		   unsigned flags, struct gfs_move_verdict *out)
{
	struct move_walk w = {0};
	unsigned checks;
	struct stat st;
	int rc;

	out->rule[0] = '\0';
	out->links_unchecked = false;
	if (fstatat(parent->fd, name, &st, AT_SYMLINK_NOFOLLOW))
		return -errno;
	checks = move_checks(fs, st.st_mode, from, to, flags);
	if (!checks)
		return 0;
	if (!(flags & GFS_MOVE_EXCLUSIVE))
		return -EAGAIN;
	rc = start(&w, fs, from, to, out);
	if (!rc)
		rc = check_entry(&w, parent->fd, name, IFTODT(st.st_mode),
				 checks, 0);
	return finish(&w, checks, rc);
}

int gfs_move_check_link(struct gfs_fs *fs, struct gfs_inode *inode,
			const char *from, const char *to, unsigned flags,
			struct gfs_move_verdict *out)
{
	struct move_walk w = {0};
	unsigned checks;
	int rc;

	out->rule[0] = '\0';
	out->links_unchecked = false;
	checks = move_checks(fs, inode->type, from, to, flags);
	if (!checks)
		return 0;
	if (!(flags & GFS_MOVE_EXCLUSIVE))
		return -EAGAIN;
	rc = start(&w, fs, from, to, out);
	if (!rc && S_ISLNK(inode->type))
		rc = check_link(&w, inode->fd, "");
	else if (!rc)
		rc = check_content(
			&w, gfs_guard_reopen(fs, inode, O_RDONLY | O_NONBLOCK));
	return finish(&w, checks, rc);
}
