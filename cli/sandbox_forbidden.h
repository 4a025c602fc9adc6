#ifndef GUARDFS_CLI_SANDBOX_FORBIDDEN_H
#define GUARDFS_CLI_SANDBOX_FORBIDDEN_H

#include <stddef.h>

#include "guardfs/config.h"

/*
 * The places the sandbox never shows, whatever [run] ro/rw say, each
 * with what it is (for the message that refuses sharing it).
 */
struct gfs_forbidden {
	char **paths; /* resolved */
	char **whats;
	size_t len;
};

/*
 * Fills f (zeroed) with the credential places of home and every file of
 * guardfs: its XDG directories and runtime directory, cfg's config, store
 * and trail, the root when mounted elsewhere than mount, and the store,
 * trail and config of every running mount; then with each entry of /etc
 * that others may not read (a directory once, not what it holds). 0, or
 * -1 with the reason in err when /etc could not be looked through; f is
 * to be released either way.
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
