/* guardfs undo: revert the last actions, some actions, or operations. */
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
	const char *config = NULL, *arg = "1", *op = NULL;
	long last_ops = -1;
	uint64_t *numbers = NULL;
	size_t nnumbers = 0;
	uint64_t seq;
	struct gfs_project p;
	unsigned flags = 0;
	bool grouped = false, dry_run = false, force = false;
	char err[600], id[41];
	int first, dest = -1, rc = 1, r;
	const struct gfs_option options[] = {
		GFS_OPT_STR('c', "config", "FILE", "the project's config",
			    &config),
		GFS_OPT_STR(0, "op", "ID",
			    "the one operation ID (SNAPSHOT@SEQ, as log -v "
			    "prints it) instead of actions",
			    &op),
		GFS_OPT_NUM(0, "last-ops", "N",
			    "exactly the last N operations instead of actions",
			    &last_ops),
		GFS_OPT_BOOL(0, "dry-run", "show what would change", &dry_run),
		GFS_OPT_BOOL(0, "force", "overwrite unrecorded changes too",
			     &force),
		GFS_OPT_END,
	};
	const struct gfs_command_spec spec = {
		.usage = "guardfs undo [-c FILE] [N|ACTION...] [--dry-run] "
			 "[--force]\n"
			 "guardfs undo [-c FILE] --op ID|--last-ops N "
			 "[--dry-run] [--force]",
		.about =
			"Reverts the last action (what one command did, as "
			"guardfs log lists them), the last N actions, or the "
			"actions named (A17 A18): every file they changed "
			"goes back to its state before they ran, what they "
			"created goes, what they deleted comes back. A "
			"temporary file a command made and renamed away "
			"(sed -i, git's index.lock) is in neither state and "
			"never comes back.\n"
			"--op ID reverts the one operation ID instead (log -v "
			"names each as SNAPSHOT@SEQ; a plain snapshot id "
			"reverts every operation it lists, and a bare ID "
			"operand does the same), --last-ops N exactly the "
			"last N operations.\n"
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
	if (op && first < argc)
		return gfs_options_usage(&spec);
	if (op)
		arg = op;
	else if (first < argc)
		arg = argv[first];
	/* one or more actions: A17 A18 */
	for (; !op && first < argc; first++) {
		uint64_t n;

		if (!gfs_history_action_parse(argv[first], &n))
			break;
		numbers = realloc(numbers, (nnumbers + 1) * sizeof(*numbers));
		if (!numbers)
			return 1;
		numbers[nnumbers++] = n;
	}
	if (nnumbers ? first < argc : first + 1 < argc) {
		free(numbers);
		return gfs_options_usage(&spec);
	}
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

		size_t k;

		if (op)
			snprintf(label, sizeof(label), "undo --op %s", op);
		else if (last_ops >= 0)
			snprintf(label, sizeof(label), "undo --last-ops %ld",
				 last_ops);
		else
			snprintf(label, sizeof(label), "undo %s", arg);
		for (k = 1; k < nnumbers; k++)
			snprintf(label + strlen(label),
				 sizeof(label) - strlen(label), " A%llu",
				 (unsigned long long)numbers[k]);
		gfs_project_group_begin(&p, label);
		grouped = true;
	}
	if (nnumbers ||
	    (!op && last_ops < 0 && strspn(arg, "0123456789") == strlen(arg) &&
	     strlen(arg) < 4)) {
		long n = nnumbers ? 0 : strtol(arg, NULL, 10);

		if (!nnumbers && n <= 0) {
			rc = gfs_options_usage(&spec);
			goto out;
		}
		r = gfs_history_undo_actions(h, numbers, nnumbers, n, dest,
					     flags, gfs_restore_report, &pr,
					     err, sizeof(err));
		if (r == -ERANGE || r == -ENOENT) {
			gfs_cli_error("%s", err);
			goto out;
		}
		rc = gfs_restore_finish(&pr, r);
		goto out;
	}
	if (last_ops >= 0) {
		long n = last_ops;

		if (n <= 0) {
			rc = gfs_options_usage(&spec);
			goto out;
		}
		r = gfs_history_undo_last(h, n, dest, flags, gfs_restore_report,
					  &pr);
		if (r == -ERANGE) {
			gfs_cli_error("the store holds fewer than %ld "
				      "operations",
				      n);
			goto out;
		}
		if (r == -ENOENT) {
			gfs_cli_error(
				"the last %ld operations reach back to the "
				"first snapshot: nothing before it",
				n);
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
	free(numbers);
	if (grouped)
		gfs_project_group_end(&p);
	if (dest >= 0)
		close(dest);
	gfs_history_free(h);
	gfs_project_release(&p);
	return rc;
}
