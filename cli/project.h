#ifndef GUARDFS_CLI_PROJECT_H
#define GUARDFS_CLI_PROJECT_H

#include <stdbool.h>
#include <sys/types.h>

#include "guardfs/buf.h"
#include "guardfs/config.h"
#include "guardfs/history.h"

/*
 * The project a history command (log, diff, restore, undo) works on:
 * its config, and the running mount if there is one.
 */
struct gfs_project {
	struct gfs_config cfg;
	pid_t daemon;	      /* 0 when not mounted */
	struct gfs_buf mount; /* where the folder is seen when mounted */
};

/*
 * Finds the project: config_path if given; else the running mount whose
 * root holds the current directory; else the nearest .guardfs.ini above
 * it; else the nearest directory above it that has a store. Prints the
 * error and returns -1 when none is found.
 */
int gfs_project_find(struct gfs_project *p, const char *config_path);

/*
 * Loads the config of the running mount pid of root into cfg (which holds
 * defaults): the daemon sends the text it loaded, since the file itself
 * is hidden under the mount. 0, or -1 with a message in err.
 */
int gfs_project_load_mounted(struct gfs_config *cfg, pid_t pid,
			     const char *root, char *err, size_t err_size);

/*
 * The pid of the running mount that loaded the config file config_path
 * (its root appended to root), or 0 when no mount did.
 */
pid_t gfs_project_mount_of_config(const char *config_path,
				  struct gfs_buf *root);

/*
 * The pid of the running mount whose root or mount point holds path (the
 * deepest root), its mount point appended to mount (if not NULL); 0 when
 * none does.
 */
pid_t gfs_project_mount_at(const char *path, struct gfs_buf *mount);

/* Releases what gfs_project_find() filled. */
void gfs_project_release(struct gfs_project *p);

/*
 * The path relative to the root that the user's arg names (absolute, or
 * relative to the current directory; under the root or the mount point).
 * Prints the error and returns -1 when it lies outside.
 */
int gfs_project_relpath(const struct gfs_project *p, const char *arg,
			struct gfs_buf *out);

/*
 * The same for arg as named: its directory resolved, its last component
 * kept, so that a symlink standing at the path is the path itself, not
 * what the link leads to (restore, diff and log of a link).
 */
int gfs_project_relpath_name(const struct gfs_project *p, const char *arg,
			     struct gfs_buf *out);

/*
 * Opens the folder to restore into: the mount when mounted (so that the
 * restore is itself recorded), else the root. O_PATH fd, or -errno
 * after saying what could not be opened.
 */
int gfs_project_open_dest(const struct gfs_project *p);

/*
 * Brackets the writes of a restore or undo when mounted: the daemon then
 * records them as one commit named label (trimmed to fit). Without a
 * mount, or when the daemon does not answer, the restore goes on with
 * each write recorded on its own. end waits until the commit is made.
 */
void gfs_project_group_begin(const struct gfs_project *p, const char *label);
void gfs_project_group_end(const struct gfs_project *p);

/* A file that another process had open for writing as a hold began. */
struct gfs_project_writer {
	long pid;
	char *path; /* relative to the root */
};

/*
 * Holds the running mount for the agent's undo (fs/hold.c): until
 * hold_end, or this process's exit, every other process's change through
 * the mount waits. *writers (n of them) are the files open for writing
 * elsewhere meanwhile, which may change at any time. Prints the error and
 * returns -1 when the mount refuses or does not answer: an undo must not
 * go on unheld. Without a mount: 0 and no writers.
 */
int gfs_project_hold_begin(const struct gfs_project *p,
			   struct gfs_project_writer **writers, size_t *n);
void gfs_project_hold_end(const struct gfs_project *p);
void gfs_project_writers_free(struct gfs_project_writer *w, size_t n);

/*
 * Opens the project's history for log, diff, restore and undo, after
 * asking the running mount, if any, to commit what it has queued ("flush"
 * on its control socket) so that history is current. Prints the error and
 * returns -1 on failure.
 */
int gfs_project_open_history(const struct gfs_project *p,
			     struct gfs_history **h);

#endif
