#ifndef GUARDFS_CLI_RESTORE_REPORT_H
#define GUARDFS_CLI_RESTORE_REPORT_H

#include <stdbool.h>

#include "guardfs/config.h"
#include "guardfs/history.h"

/* What restore and undo print as they go, and count for the summary. */
struct gfs_restore_progress {
	bool dry_run;
	bool tty; /* stderr is a terminal: counts as it goes */
	unsigned done;
	unsigned refused;
	unsigned failed;
	unsigned kinds[4];   /* done, by enum gfs_history_change */
	unsigned excluded;   /* trees left alone as not recorded */
	long long shown_ns;  /* when the progress line was last drawn */
	bool progress_shown; /* a progress line waits to be cleared */
};

/* A gfs_history_report: one line per change, refusals on stderr. */
void gfs_restore_report(void *arg, enum gfs_history_change what,
			const char *path, int error);

/*
 * Names the trees of the folder under dest_fd that the store does not
 * record ([snapshot] exclude, the default excludes), which a restore
 * therefore leaves as they are: one "left alone: ..." line per kind of
 * rule. 0 or -errno.
 */
int gfs_restore_excluded(struct gfs_restore_progress *pr,
			 const struct gfs_config *cfg, int dest_fd);

/*
 * Prints the closing words for rc (with a summary line of the counts
 * when summary); returns the exit status.
 */
int gfs_restore_finish(struct gfs_restore_progress *pr, int rc);
int gfs_restore_finish_summary(struct gfs_restore_progress *pr, int rc);

#endif
