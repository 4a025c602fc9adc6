/* guardfs prune: drop whole old sessions from the snapshot store. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "guardfs/history.h"
#include "guardfs/util.h"
#include "options.h"
#include "project.h"

struct prune_out {
	bool dry_run;
	size_t sessions, commits;
};

static void dropped(void *arg, const char *session, int64_t start, int64_t last,
		    size_t commits)
{
	struct prune_out *o = arg;
	char a[32], b[32];

	gfs_cli_format_time(a, sizeof(a), start, false);
	gfs_cli_format_time(b, sizeof(b), last, false);
	printf("%s session %s (%s .. %s, %zu snapshot%s)\n",
	       o->dry_run ? "would drop" : "dropping", session, a, b, commits,
	       commits == 1 ? "" : "s");
	o->sessions++;
	o->commits += commits;
}

int gfs_cmd_prune(int argc, char **argv)
{
	struct prune_out o = {0};
	struct gfs_history *h = NULL;
	const char *config = NULL, *keep = NULL;
	struct gfs_project p;
	uint64_t before, after;
	time_t cutoff;
	char when[32];
	int first, rc = 1, r;
	const struct gfs_option options[] = {
		GFS_OPT_STR('c', "config", "FILE", "the project's config",
			    &config),
		GFS_OPT_STR(0, "keep", "DURATION",
			    "keep the sessions that ended within DURATION "
			    "(30d, 12h, 2w) or since a time",
			    &keep),
		GFS_OPT_BOOL(0, "dry-run",
			     "list the sessions that would go, change nothing",
			     &o.dry_run),
		GFS_OPT_END,
	};
	const struct gfs_command_spec spec = {
		.usage = "guardfs prune [-c FILE] --keep DURATION [--dry-run]",
		.about = "Drops from the snapshot store the whole sessions "
			 "whose last snapshot is older than DURATION, never "
			 "the newest session, and never while the folder is "
			 "mounted. The kept sessions' snapshots stay as they "
			 "were (same trees, times, messages; new ids, since "
			 "their history changes), the oldest kept one becoming "
			 "the first; then the store is repacked and everything "
			 "only the dropped sessions held is deleted, so it "
			 "shrinks. What was dropped cannot be restored.",
		.options = options,
	};

	first = gfs_options_parse(&spec, argc, argv);
	if (first < 0)
		return gfs_options_exit(first);
	if (first < argc || !keep)
		return gfs_options_usage(&spec);
	if (gfs_time_parse(keep, time(NULL), &cutoff)) {
		gfs_cli_error("--keep takes a duration (30d, 12h, 2w) or a "
			      "time, not '%s'",
			      keep);
		return 2;
	}
	if (gfs_project_find(&p, config))
		return 1;
	if (p.daemon) {
		gfs_cli_error("prune: the folder is mounted (daemon pid %ld); "
			      "unmount it first",
			      (long)p.daemon);
		goto out;
	}
	if (gfs_project_open_history(&p, &h))
		goto out;
	before = gfs_cli_store_bytes(p.cfg.store);
	r = gfs_history_prune(h, cutoff, o.dry_run, dropped, &o);
	if (r == -EBUSY) {
		gfs_cli_error("prune: the store is in use by a mount");
		goto out;
	}
	if (r == -EAGAIN) {
		gfs_cli_error("prune: the store's journal holds versions a "
			      "session that died relied on; mount once (the "
			      "mount commits them), then prune");
		goto out;
	}
	if (r) {
		gfs_cli_error("prune failed: %s", strerror(-r));
		goto out;
	}
	gfs_cli_format_time(when, sizeof(when), cutoff, false);
	if (!o.sessions) {
		printf("nothing to prune: no session but the newest ended "
		       "before %s\n",
		       when);
	} else if (o.dry_run) {
		printf("would drop %zu session%s (%zu snapshots) that ended "
		       "before %s\n",
		       o.sessions, o.sessions == 1 ? "" : "s", o.commits, when);
	} else {
		after = gfs_cli_store_bytes(p.cfg.store);
		printf("dropped %zu session%s (%zu snapshots); the store went "
		       "from %.1f MiB to %.1f MiB on disk\n",
		       o.sessions, o.sessions == 1 ? "" : "s", o.commits,
		       (double)before / (1024.0 * 1024.0),
		       (double)after / (1024.0 * 1024.0));
	}
	rc = 0;
out:
	gfs_history_free(h);
	gfs_project_release(&p);
	return rc;
}
