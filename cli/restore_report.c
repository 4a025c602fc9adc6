/* The lines restore and undo print for each change they make. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "restore_report.h"

static const char *const verbs[][2] = {
	[GFS_HISTORY_CREATE] = {"restored", "would restore"},
	[GFS_HISTORY_UPDATE] = {"rolled back", "would roll back"},
	[GFS_HISTORY_MODE] = {"reset mode of", "would reset mode of"},
	[GFS_HISTORY_REMOVE] = {"removed", "would remove"},
};

/* Why a path was left alone, for the errors that mean so; else NULL. */
static const char *refusal(int error)
{
	switch (error) {
	case -EEXIST:
		return "it holds changes the store has not recorded "
		       "(--force overwrites them)";
	case -EBUSY:
		return "a later operation changed it again";
	case -ENODATA:
		return "the store did not record its state between the "
		       "operations of one snapshot";
	default:
		return NULL;
	}
}

void gfs_restore_report(void *arg, enum gfs_history_change what,
			const char *path, int error)
{
	struct gfs_restore_progress *pr = arg;
	const char *why = refusal(error);

	if (why) {
		pr->refused++;
		gfs_cli_error("left '%s' alone: %s", path, why);
		return;
	}
	if (error) {
		pr->failed++;
		gfs_cli_error("cannot restore '%s': %s", path,
			      strerror(-error));
		return;
	}
	pr->done++;
	printf("%s %s\n", verbs[what][pr->dry_run], path);
	if (pr->tty && pr->done % 500 == 0)
		fprintf(stderr, "guardfs: %u changes so far...\n", pr->done);
}

int gfs_restore_finish(struct gfs_restore_progress *pr, int rc)
{
	if (!pr->done && !pr->refused && !pr->failed && !rc)
		printf("nothing to change\n");
	if (rc && rc != -EEXIST && rc != -EBUSY && !pr->failed)
		gfs_cli_error("restore failed: %s", strerror(-rc));
	return rc ? 1 : 0;
}
