#ifndef GUARDFS_FS_H
#define GUARDFS_FS_H

#include <stdbool.h>
#include <stdint.h>

#include "guardfs/config.h"

/*
 * The guarded filesystem of one mount: runs the FUSE session for a
 * configuration until it is unmounted or signalled.
 */

struct gfs_fs_opts {
	const struct gfs_config *cfg; /* resolved; borrowed for the run */
	int root_fd; /* O_PATH|O_DIRECTORY fd of cfg->root, owned */
	const char *mountpoint;
	bool debug; /* libfuse request tracing to stderr */
	/*
	 * Called once the kernel mount exists and the session is about to
	 * serve requests, or with an error message when setting up failed.
	 * The daemon uses it to tell the waiting `guardfs mount` parent.
	 */
	void (*ready)(void *arg, int rc, const char *message);
	/*
	 * Called before that while the store records the folder as found
	 * (every entry is read at the first mount), a few times a second
	 * with the entries read so far. NULL: no calls. Same arg.
	 */
	void (*progress)(void *arg, uint64_t entries);
	void *ready_arg;
};

/*
 * Sets up policy, audit trail, store and control socket, mounts and
 * serves until unmounted or signalled (SIGTERM, SIGINT, SIGHUP), then
 * flushes everything and unmounts. Returns 0 or 1 (exit status).
 */
int gfs_fs_run(const struct gfs_fs_opts *opts);

#endif
