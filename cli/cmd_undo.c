/* guardfs undo: revert the last operations, or one. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "guardfs/history.h"
#include "options.h"
#include "project.h"
#include "restore_report.h"

int gfs_cmd_undo(int argc, char **argv)
{
	struct gfs_restore_progress pr = {.tty = isatty(2)};
	struct gfs_history *h = NULL;
	const char *config = NULL, *arg = "1";
	uint64_t seq;
	struct gfs_project p;
	unsigned flags = 0;
	bool grouped = false, dry_run = false, force = false;
	char err[600], id[41];
	int first, dest = -1, rc = 1, r;
	const struct gfs_option options[] = {
		GFS_OPT_STR('c', "config", "FILE", "the project's config",
			    &config),
		GFS_OPT_BOOL(0, "dry-run", "show what would change", &dry_run),
		GFS_OPT_BOOL(0, "force", "overwrite unrecorded changes too",
			     &force),
		GFS_OPT_END,
	};
	const struct gfs_command_spec spec = {
		.usage = "guardfs undo [-c FILE] [N|ID] [--dry-run] [--force]",
		.about =
			"Reverts the last N recorded operations (default 1), "
			"or the one operation ID, as guardfs log lists them. "
			"Under a burst several operations share a snapshot; "
			"the log names each as SNAPSHOT@SEQ, and N or such an "
			"ID reverts exactly those operations, the others of "
			"the snapshot stay. A plain snapshot id reverts every "
			"operation it lists.\n"
			"An operation whose paths a later operation changed "
			"again is reverted only where it did not. A path whose "
			"state between two operations of one snapshot the "
			"store did not record is left alone and named. Files "
			"changed behind the store's back are left alone unless "
			"--force.",
		.options = options,
	};

	first = gfs_options_parse(&spec, argc, argv);
	if (first < 0)
		return gfs_options_exit(first);
	if (dry_run) {
		flags |= GFS_HISTORY_DRY_RUN;
		pr.dry_run = true;
	}
	if (force)
		flags |= GFS_HISTORY_FORCE;
	if (first < argc)
		arg = argv[first++];
	if (first < argc)
		return gfs_options_usage(&spec);
	if (gfs_project_find(&p, config))
		return 1;
	if (gfs_project_open_history(&p, &h))
		goto out;
	dest = gfs_project_open_dest(&p);
	if (dest < 0)
		goto out;
	/* Mounted, the undo is recorded as one operation of its own. */
	if (!(flags & GFS_HISTORY_DRY_RUN)) {
		char label[96];

		snprintf(label, sizeof(label), "undo %s", arg);
		gfs_project_group_begin(&p, label);
		grouped = true;
	}
	if (strspn(arg, "0123456789") == strlen(arg) && strlen(arg) < 4) {
		long n = strtol(arg, NULL, 10);

		if (n <= 0) {
			rc = gfs_options_usage(&spec);
			goto out;
		}
		r = gfs_history_undo_last(h, n, dest, flags, gfs_restore_report,
					  &pr);
		if (r == -ERANGE) {
			gfs_cli_error("the store holds fewer than %s "
				      "operations",
				      arg);
			goto out;
		}
		if (r == -ENOENT) {
			gfs_cli_error(
				"the last %s operations reach back to the "
				"first snapshot: nothing before it",
				arg);
			goto out;
		}
		rc = gfs_restore_finish(&pr, r);
		goto out;
	}
	if (gfs_history_resolve_op(h, arg, id, &seq, err, sizeof(err))) {
		gfs_cli_error("%s", err);
		goto out;
	}
	r = gfs_history_undo_op(h, id, seq, dest, flags, gfs_restore_report,
				&pr);
	if (r == -ENOENT) {
		gfs_cli_error("'%s' is the first snapshot: nothing before it",
			      arg);
		goto out;
	}
	rc = gfs_restore_finish(&pr, r);
out:
	if (grouped)
		gfs_project_group_end(&p);
	if (dest >= 0)
		close(dest);
	gfs_history_free(h);
	gfs_project_release(&p);
	return rc;
}
