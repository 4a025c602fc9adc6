/* guardfs undo: revert the last operations, or one. */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "guardfs/history.h"
#include "project.h"
#include "restore_report.h"

static const char undo_usage[] = "guardfs undo [-c FILE] [N|ID] [--dry-run]";

struct nth_op {
	long n;
	char parent_of[41];
	bool found;
};

static int nth_visit(void *arg, const struct gfs_history_commit *c)
{
	struct nth_op *w = arg;

	if (c->session_start)
		return 0;
	/* operations, not commits: a commit may list several */
	w->n -= (long)c->nops < w->n ? (long)c->nops : w->n;
	if (w->n == 0) {
		memcpy(w->parent_of, c->id, 41);
		w->found = true;
		return 1;
	}
	return 0;
}

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
	struct nth_op w = {0};
	struct gfs_project p;
	unsigned flags = 0;
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
			       "(default "
			       "1), or the one\n"
			       "operation ID. Operations that shared a commit "
			       "are reverted\n"
			       "together. An operation whose paths changed "
			       "again later is\n"
			       "reverted only where they did not.\n",
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
	if (dest < 0) {
		gfs_cli_error("cannot open '%s': %s", p.cfg.root,
			      strerror(-dest));
		goto out;
	}
	if (strspn(arg, "0123456789") == strlen(arg) && strlen(arg) < 4) {
		char *end;

		w.n = strtol(arg, &end, 10);
		if (w.n <= 0)
			return gfs_cli_usage(undo_usage);
		if (gfs_history_walk(h, nth_visit, &w) < 0)
			goto out;
		if (!w.found) {
			gfs_cli_error("the store holds fewer than %s "
				      "operations",
				      arg);
			goto out;
		}
		/* everything since the Nth newest operation goes back */
		if (gfs_history_parent(h, w.parent_of, id)) {
			gfs_cli_error("'%.10s' is the first snapshot: nothing "
				      "before it",
				      w.parent_of);
			goto out;
		}
		r = gfs_history_restore(h, id, NULL, 0, dest, flags,
					gfs_restore_report, &pr);
		rc = gfs_restore_finish(&pr, r);
		goto out;
	}
	if (gfs_history_resolve(h, arg, time(NULL), id, err, sizeof(err))) {
		gfs_cli_error("%s", err);
		goto out;
	}
	r = gfs_history_revert(h, id, dest, flags, gfs_restore_report, &pr);
	if (r == -ENOENT)
		gfs_cli_error("'%s' is the first snapshot: nothing before it",
			      arg);
	rc = gfs_restore_finish(&pr, r);
out:
	if (dest >= 0)
		close(dest);
	gfs_history_free(h);
	gfs_project_release(&p);
	return rc;
}
