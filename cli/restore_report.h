#ifndef GUARDFS_CLI_RESTORE_REPORT_H
#define GUARDFS_CLI_RESTORE_REPORT_H

#include <stdbool.h>

#include "guardfs/history.h"

/* What restore and undo print as they go, and count for the summary. */
struct gfs_restore_progress {
	bool dry_run;
	bool tty;
	unsigned done;
	unsigned refused;
	unsigned failed;
};

/* A gfs_history_report: one line per change, refusals on stderr. */
void gfs_restore_report(void *arg, enum gfs_history_change what,
			const char *path, int error);

/* Prints the closing words for rc; returns the exit status. */
int gfs_restore_finish(struct gfs_restore_progress *pr, int rc);

#endif
