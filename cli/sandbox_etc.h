#ifndef GUARDFS_CLI_SANDBOX_ETC_H
#define GUARDFS_CLI_SANDBOX_ETC_H

#include <stdbool.h>
#include <stddef.h>

#include "sandbox_forbidden.h"

/*
 * The sandbox's /etc: a copy of what others may read in the host's /etc
 * (the entries gfs_forbidden_collect() found shown), made by guardfs in
 * a directory of its own below the runtime directory and bound
 * read-only, whole, by bubblewrap. Nothing of the host's /etc is bound,
 * so nothing the host makes, renames or turns private in it later shows
 * in a sandbox that runs meanwhile; each sandbox gets /etc as it was
 * when the sandbox started.
 *
 * A copy is named by a hash of everything the walk saw of /etc (each
 * entry's path, type, mode, inode, size and times), so the next sandbox
 * reuses it while /etc stays as it was and gets a new one as soon as
 * anything in it changes. Each sandbox holds its copy (a shared flock
 * on its directory) until it ends; copies no sandbox holds are removed
 * when a new one is made.
 */
struct gfs_etc_copy {
	int fd;	       /* the copy's directory, held; -1 */
	int parent_fd; /* the directory of copies; -1 */
	char name[40]; /* the copy's name in it */
	char *path;    /* where the copy lies, for messages */
	bool unshared; /* made for this sandbox alone: removed at release */
};

#define GFS_ETC_COPY_INIT                                                      \
	{                                                                      \
		.fd = -1, .parent_fd = -1                                      \
	}

/*
 * Finds the copy of what f shows of /etc, or makes it, and holds it in
 * c (initialized with GFS_ETC_COPY_INIT). Every entry is judged again on
 * the descriptor its bytes are copied from, before and after the copy:
 * what turned private, changed type or went meanwhile is left out. 0,
 * or -1 with the reason in err; c is to be released either way.
 */
int gfs_etc_copy_get(struct gfs_etc_copy *c, const struct gfs_forbidden *f,
		     char *err, size_t err_size);

/* Lets the copy go, and removes it when it was made for this one alone. */
void gfs_etc_copy_release(struct gfs_etc_copy *c);

/*
 * The mode a copy of an entry of /etc gets: the copy belongs to the
 * sandbox's user, who must read it as others could read the original.
 */
int gfs_etc_shown_mode(mode_t mode);

#endif
