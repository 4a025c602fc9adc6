#ifndef GUARDFS_CLI_SANDBOX_FORBIDDEN_H
#define GUARDFS_CLI_SANDBOX_FORBIDDEN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "guardfs/config.h"

/*
 * How one entry of the sandbox's /etc is made. A directory of /etc that
 * holds something never shown (a private entry, a place of guardfs, the
 * project) is made afresh in the sandbox's own tmpfs, holding what
 * others may read of it; any other directory is bound whole. Nothing
 * made in the sandbox sits on the host's dentries, so no rename or
 * delete on the host can take it away (the kernel detaches a mount whose
 * dentry is renamed over or deleted in another mount namespace).
 */
enum gfs_etc_kind {
	GFS_ETC_DIR,   /* made afresh, with mode; what it shows follows */
	GFS_ETC_COPY,  /* a regular file, copied from fd, with mode */
	GFS_ETC_BIND,  /* bound read-only from fd, whole */
	GFS_ETC_LINK,  /* a symlink to target */
	GFS_ETC_PLACE, /* an empty directory where the project is bound */
};

struct gfs_etc_entry {
	enum gfs_etc_kind kind;
	char *path;
	char *target; /* GFS_ETC_LINK */
	mode_t mode;  /* of the host's entry */
	off_t size;
	int depth;	  /* 0: an entry of /etc itself */
	bool holds_mount; /* the project lies inside it */
	int fd;		  /* GFS_ETC_COPY, GFS_ETC_BIND; -1 when handed over */
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
	 * /etc (when it is a directory): etc_root is GFS_ETC_DIR when it is
	 * made afresh from etc[], in order (a directory before what it
	 * holds), or GFS_ETC_BIND with etc_fd when nothing in it is hidden.
	 */
	bool etc_walked;
	enum gfs_etc_kind etc_root;
	mode_t etc_mode;
	int etc_fd;
	struct gfs_etc_entry *etc;
	size_t etc_len;
};

/*
 * Fills f (zeroed) with the credential places of home and every file of
 * guardfs: its XDG directories and runtime directory, cfg's config, store
 * and trail, the root when mounted elsewhere than mount, and the store,
 * trail and config of every running mount; then with each entry of /etc
 * that others may not read (a directory once, not what it holds), and
 * with how /etc is shown (its entries opened, each judged by what was
 * opened). 0, or -1 with the reason in err when /etc could not be looked
 * through; f is to be released either way (it closes what it holds).
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

/* Frees what gfs_forbidden_collect() made. */
void gfs_forbidden_release(struct gfs_forbidden *f);

#endif
