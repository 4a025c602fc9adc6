/* guardfs restore: write old versions of paths, or of everything, back. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "guardfs/history.h"
#include "options.h"
#include "project.h"
#include "restore_report.h"

/* Names the restore's commit as the user asked for it. */
static void begin_group(const struct gfs_project *p, int first, int argc,
			char **argv, bool all, const char *at)
{
	struct gfs_buf label = GFS_BUF_INIT;
	int i;

	gfs_buf_adds(&label, "restore");
	if (all)
		gfs_buf_adds(&label, " --all");
	for (i = first; i < argc; i++)
		gfs_buf_addf(&label, " %s", argv[i]);
	if (at)
		gfs_buf_addf(&label, " --at %s", at);
	gfs_project_group_begin(p, label.data ? label.data : "restore");
	gfs_buf_release(&label);
}

int gfs_cmd_restore(int argc, char **argv)
{
	struct gfs_restore_progress pr = {.tty = isatty(2)};
	struct gfs_history *h = NULL;
	const char *config = NULL, *at = NULL;
	struct gfs_project p;
	unsigned flags = 0;
	bool all = false, grouped = false, dry_run = false, force = false;
	char err[600], id[41];
	uint64_t seq = 0;
	int first, i, dest = -1, rc = 1, r = 0;
	const struct gfs_option options[] = {
		GFS_OPT_STR('c', "config", "FILE", "the project's config",
			    &config),
		GFS_OPT_STR(0, "at", "WHEN|ID",
			    "the time or operation to go back to (default for "
			    "PATHs: before their last change)",
			    &at),
		GFS_OPT_BOOL(0, "all", "the whole folder (needs --at)", &all),
		GFS_OPT_BOOL(0, "dry-run", "show what would change", &dry_run),
		GFS_OPT_BOOL(0, "force", "overwrite unrecorded changes too",
			     &force),
		GFS_OPT_END,
	};
	const struct gfs_command_spec spec = {
		.usage = "guardfs restore [-c FILE] PATH... [--at WHEN|ID] "
			 "[--dry-run]\n"
			 "guardfs restore [-c FILE] --all --at WHEN|ID "
			 "[--dry-run]",
		.about =
			"Brings PATHs back as they were before their last "
			"change, or at WHEN|ID; deleted files and whole "
			"directories come back.\n"
			"--all rolls the whole folder back: changed files, "
			"created ones removed, deleted ones recreated, modes "
			"and symlinks too. Content the store has not recorded "
			"is left alone (--force), and so are the trees it does "
			"not record ([snapshot] exclude, the default excludes "
			"such as node_modules/ and .venv/), named in a last "
			"'left alone:' line before the summary of counts. On "
			"a terminal, with the list going elsewhere, a count "
			"of changes shows on stderr as it goes.\n"
			"WHEN: 90s, 15m, 2h, 1d, yesterday, today, 10:30, "
			"'yesterday 10:30', '2026-12-06 10:30' (local time), "
			"an "
			"ISO-8601 time, or 'session': the folder as the last "
			"snapshot at or before it holds it. ID: a snapshot id "
			"(the folder after it), or SNAPSHOT@SEQ as guardfs log "
			"prints it: the folder right after that one operation, "
			"rebuilt from the operations the snapshot lists; a "
			"path "
			"whose state at that point the store did not record (a "
			"file written twice within the snapshot) is left alone "
			"and named.\n"
			"When mounted, the restore goes through the mount and "
			"is recorded as one operation (one commit), which undo "
			"can take back.",
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
	if (all ? (!at || first < argc) : first >= argc)
		return gfs_options_usage(&spec);
	if (gfs_project_find(&p, config))
		return 1;
	if (gfs_project_open_history(&p, &h))
		goto out;
	/* (without an '@' the same as gfs_history_resolve) */
	if (at && gfs_history_resolve_op(h, at, id, &seq, err, sizeof(err))) {
		gfs_cli_error("%s", err);
		goto out;
	}
	/*
	 * Unmounted, the folder may have lost files no snapshot saw go:
	 * the restore looks at the folder for them too.
	 */
	if (!p.daemon)
		flags |= GFS_HISTORY_MISSING;
	dest = gfs_project_open_dest(&p);
	if (dest < 0)
		goto out;
	grouped = !(flags & GFS_HISTORY_DRY_RUN);
	if (grouped)
		begin_group(&p, first, argc, argv, all, at);
	if (all) {
		r = gfs_history_restore_op(h, id, seq, NULL, 0, dest, flags,
					   gfs_restore_report, &pr);
		if (grouped)
			gfs_project_group_end(&p);
		grouped = false;
		/* what it did not touch, and why, then the counts */
		gfs_restore_excluded(&pr, &p.cfg, dest);
		rc = gfs_restore_finish_summary(&pr, r);
		goto out;
	}
	for (i = first; i < argc; i++) {
		struct gfs_buf rel = GFS_BUF_INIT;
		const char *one[1];
		char before[41];
		int ri;

		if (gfs_project_relpath_name(&p, argv[i], &rel)) {
			r = -EINVAL;
			continue;
		}
		one[0] = rel.data;
		if (!at) {
			ri = gfs_history_before_last_change(h, rel.data,
							    before);
			if (ri == -ENOENT) {
				gfs_cli_error("no earlier version of '%s' in "
					      "the store",
					      argv[i]);
				gfs_buf_release(&rel);
				r = ri;
				continue;
			}
		} else {
			ri = 0;
			memcpy(before, id, sizeof(before));
		}
		if (!ri)
			ri = gfs_history_restore_op(h, before, at ? seq : 0,
						    one, 1, dest, flags,
						    gfs_restore_report, &pr);
		if (ri && !r)
			r = ri;
		gfs_buf_release(&rel);
	}
	if (grouped)
		gfs_project_group_end(&p);
	rc = gfs_restore_finish(&pr, r);
out:
	if (dest >= 0)
		close(dest);
	gfs_history_free(h);
	gfs_project_release(&p);
	return rc;
}
