#ifndef GUARDFS_CLI_SANDBOX_FORBIDDEN_H
#define GUARDFS_CLI_SANDBOX_FORBIDDEN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "guardfs/config.h"

/*
 * One entry of /etc that the sandbox shows, as the walk saw it (lstat):
 * the sandbox's /etc is a copy of these (sandbox_etc.h), and each is
 * judged again on the descriptor the copy is made from.
 */
enum gfs_etc_kind {
	GFS_ETC_DIR,  /* a directory others may read (or holding the project) */
	GFS_ETC_FILE, /* a regular file others may read */
	GFS_ETC_LINK, /* a symlink */
	GFS_ETC_PLACE, /* where the project is bound: an empty directory */
};

/* How deep the walk goes into /etc; deeper refuses the sandbox. */
#define GFS_ETC_MAX_DEPTH 32

struct gfs_etc_entry {
	enum gfs_etc_kind kind;
	char *path;
	int depth;	  /* 0: an entry of /etc itself */
	bool holds_mount; /* the project lies inside it */
	/* what the copy is checked against, and what names the copy */
	mode_t mode;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	struct timespec ctime;
};

/*
 * The places the sandbox never shows, whatever [run] ro/rw say, each
 * with what it is (for the message that refuses sharing it); and how
 * /etc is shown.
 */
struct gfs_forbidden {
	char **paths; /* resolved */
	char **whats;
	size_t len;
	/*
	 * /etc (when it is a directory): etc_fd, the directory walked, and
	 * etc[] what it shows, in order (a directory before what it holds).
	 */
	bool etc_walked;
	struct gfs_etc_entry etc_root; /* /etc itself (kind, path unused) */
	int etc_fd;		       /* O_PATH */
	struct gfs_etc_entry *etc;
	size_t etc_len;
};

/*
 * Fills f (zeroed) with the credential places of home and every file of
 * guardfs: its XDG directories and runtime directory, cfg's config, store
 * and trail, the root when mounted elsewhere than mount, and the store,
 * trail and config of every running mount; then with each entry of /etc
 * that others may not read (a directory once, not what it holds), and
 * with every entry of /etc that is shown. 0, or -1 with the reason in
 * err when /etc could not be looked through; f is to be released either
 * way (it closes what it holds).
 */
int gfs_forbidden_collect(struct gfs_forbidden *f, const struct gfs_config *cfg,
			  const char *home, const char *mount, char *err,
			  size_t err_size);

/*
 * Refuses path when it is, holds or lies inside a forbidden place, both
 * as written and as resolved (a symlink must not lead around the check):
 * -1 with "ORIGIN: cannot share ..." in err, else 0.
 */
int gfs_forbidden_check(const struct gfs_forbidden *f, const char *written,
			const char *resolved, const char *origin, char *err,
			size_t err_size);

/*
 * Whether others may read an entry of this mode: a file with r, a
 * directory with r and x. The sandbox shows nothing of /etc else.
 */
bool gfs_forbidden_others_may_read(mode_t mode);

/* Frees what gfs_forbidden_collect() made. */
void gfs_forbidden_release(struct gfs_forbidden *f);

#endif
