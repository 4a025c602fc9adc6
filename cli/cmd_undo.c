/* guardfs undo: revert the last operations, or one. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "guardfs/history.h"
#include "project.h"
#include "restore_report.h"

static const char undo_usage[] = "guardfs undo [-c FILE] [N|ID] [--dry-run]";

int gfs_cmd_undo(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"config", required_argument, NULL, 'c'},
		{"dry-run", no_argument, NULL, 'n'},
		{"force", no_argument, NULL, 'f'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct gfs_restore_progress pr = {.tty = isatty(2)};
	struct gfs_history *h = NULL;
	const char *config = NULL, *arg = "1";
	uint64_t seq;
	struct gfs_project p;
	unsigned flags = 0;
	bool grouped = false;
	char err[600], id[41];
	int c, dest = -1, rc = 1, r;

	while ((c = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			config = optarg;
			break;
		case 'n':
			flags |= GFS_HISTORY_DRY_RUN;
			pr.dry_run = true;
			break;
		case 'f':
			flags |= GFS_HISTORY_FORCE;
			break;
		case 'h':
			printf("usage: %s\n\n"
			       "Reverts the last N recorded operations "
			       "(default 1), or the one\n"
			       "operation ID, as guardfs log lists them. "
			       "Under a burst several\n"
			       "operations share a snapshot; the log names "
			       "each as SNAPSHOT@SEQ,\n"
			       "and N or such an ID reverts exactly those "
			       "operations, the others\n"
			       "of the snapshot stay. A plain snapshot id "
			       "reverts every operation\n"
			       "it lists. An operation whose paths a later "
			       "operation changed again\n"
			       "is reverted only where it did not. A path "
			       "whose state between two\n"
			       "operations of one snapshot the store did "
			       "not record is left alone\n"
			       "and named. Files changed behind the store's "
			       "back are left alone\n"
			       "unless --force.\n\n"
			       "options:\n"
			       "  -c, --config FILE  the project's config\n"
			       "  --dry-run          show what would change\n"
			       "  --force            overwrite unrecorded "
			       "changes too\n"
			       "  -h, --help         show this help\n",
			       undo_usage);
			return 0;
		default:
			return gfs_cli_usage(undo_usage);
		}
	}
	if (optind < argc)
		arg = argv[optind++];
	if (optind < argc)
		return gfs_cli_usage(undo_usage);
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
			rc = gfs_cli_usage(undo_usage);
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
