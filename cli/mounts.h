#ifndef GUARDFS_CLI_MOUNTS_H
#define GUARDFS_CLI_MOUNTS_H

#include <stdbool.h>

#include "guardfs/buf.h"

/* True when path (absolute) is the mount point of a guardfs mount. */
bool gfs_mounts_is_guardfs(const char *path);

/*
 * Appends an absolute, normalized form of path without touching the
 * path itself where it cannot be resolved (a dead FUSE mount answers
 * every stat with ENOTCONN): realpath when it works, else lexically.
 */
int gfs_mounts_abspath(struct gfs_buf *out, const char *path);

/*
 * Appends the resolved form of a path that may not exist yet: the
 * deepest existing ancestor through realpath, then the rest as given.
 */
int gfs_mounts_resolve_future(struct gfs_buf *out, const char *path);

#endif
