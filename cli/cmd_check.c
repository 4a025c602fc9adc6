/* guardfs check: the snapshot store's integrity. */
#include <stdio.h>

#include "cli.h"
#include "guardfs/history.h"
#include "options.h"
#include "project.h"

static void report(void *arg, const char *what)
{
	(void)arg;
	gfs_cli_error("check: %s", what);
}

int gfs_cmd_check(int argc, char **argv)
{
	struct gfs_history_check res;
	struct gfs_history *h = NULL;
	const char *config = NULL;
	struct gfs_project p;
	int first, rc = 1;
	const struct gfs_option options[] = {
		GFS_OPT_STR('c', "config", "FILE", "the project's config",
			    &config),
		GFS_OPT_END,
	};
	const struct gfs_command_spec spec = {
		.usage = "guardfs check [-c FILE]",
		.about = "Verifies the snapshot store, as git fsck would and "
			 "more: reads every commit reachable from its branch "
			 "and every tree and blob they name, each checked "
			 "against its hash; checks that every commit lists "
			 "its operations, that guardfs's stat index "
			 "(guardfs-index) is well formed, and that every "
			 "version the journal (guardfs-journal) says a session "
			 "relied on is in the store. Prints what it read; "
			 "exits 1 after naming each thing wrong.",
		.options = options,
	};

	first = gfs_options_parse(&spec, argc, argv);
	if (first < 0)
		return gfs_options_exit(first);
	if (first < argc)
		return gfs_options_usage(&spec);
	if (gfs_project_find(&p, config))
		return 1;
	if (gfs_project_open_history(&p, &h))
		goto out;
	if (gfs_history_check(h, &res, report, NULL)) {
		gfs_cli_error("check: could not run");
		goto out;
	}
	printf("store %s\n", p.cfg.store);
	printf("history: %zu commits, %zu trees, %zu blobs read, hashes "
	       "verified\n",
	       res.commits, res.trees, res.blobs);
	if (res.index)
		printf("index: %zu records, %zu of blobs no longer kept "
		       "(a cache: harmless)\n",
		       res.index_records, res.index_stale);
	else
		printf("index: none (the next mount reads the folder whole)\n");
	if (!res.journal_records)
		printf("journal: empty\n");
	else
		printf("journal: %zu versions %s%s\n", res.journal_records,
		       p.daemon ? "awaiting their commit"
				: "a session that died relied on; the next "
				  "mount commits them",
		       res.journal_torn ? " (and one cut short by the kill)"
					: "");
	if (res.problems) {
		printf("%zu problem%s found\n", res.problems,
		       res.problems == 1 ? "" : "s");
		goto out;
	}
	printf("no problems found\n");
	rc = 0;
out:
	gfs_history_free(h);
	gfs_project_release(&p);
	return rc;
}
