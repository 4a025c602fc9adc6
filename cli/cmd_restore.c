/* guardfs restore and guardfs undo: both write old versions back. */
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

static const char restore_usage[] =
	"guardfs restore [-c FILE] PATH... [--at WHEN|ID] [--dry-run]\n"
	"       guardfs restore [-c FILE] --all --at WHEN|ID [--dry-run]";
static const char undo_usage[] = "guardfs undo [-c FILE] [N|ID] [--dry-run]";

struct progress {
	bool dry_run;
	bool tty;
	unsigned done;
	unsigned refused;
	unsigned failed;
};

static const char *const verbs[][2] = {
	[GFS_HISTORY_CREATE] = {"restored", "would restore"},
	[GFS_HISTORY_UPDATE] = {"rolled back", "would roll back"},
	[GFS_HISTORY_MODE] = {"reset mode of", "would reset mode of"},
	[GFS_HISTORY_REMOVE] = {"removed", "would remove"},
};

static void report(void *arg, enum gfs_history_change what, const char *path,
		   int error)
{
	struct progress *pr = arg;

	if (error == -EEXIST) {
		pr->refused++;
		gfs_cli_error("left '%s' alone: it holds changes the store has "
			      "not recorded (--force overwrites them)",
			      path);
		return;
	}
	if (error == -EBUSY) {
		pr->refused++;
		gfs_cli_error("left '%s' alone: a later operation changed it "
			      "again",
			      path);
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

static int finish(struct progress *pr, int rc)
{
	if (!pr->done && !pr->refused && !pr->failed && !rc)
		printf("nothing to change\n");
	if (rc && rc != -EEXIST && rc != -EBUSY && !pr->failed)
		gfs_cli_error("restore failed: %s", strerror(-rc));
	return rc ? 1 : 0;
}

int gfs_cmd_restore(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"config", required_argument, NULL, 'c'},
		{"at", required_argument, NULL, 'a'},
		{"all", no_argument, NULL, 'A'},
		{"dry-run", no_argument, NULL, 'n'},
		{"force", no_argument, NULL, 'f'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct progress pr = {.tty = isatty(2)};
	struct gfs_history *h = NULL;
	const char *config = NULL, *at = NULL;
	struct gfs_project p;
	unsigned flags = 0;
	bool all = false;
	char err[600], id[41];
	int c, i, dest = -1, rc = 1, r = 0;

	while ((c = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			config = optarg;
			break;
		case 'a':
			at = optarg;
			break;
		case 'A':
			all = true;
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
			       "Brings PATHs back as they were before their "
			       "last change, or\n"
			       "at WHEN|ID; deleted files and whole "
			       "directories come back.\n"
			       "--all rolls the whole folder back: changed "
			       "files, created ones\n"
			       "removed, deleted ones recreated, modes and "
			       "symlinks too.\n"
			       "Content the store has not recorded is left "
			       "alone (--force).\n"
			       "When mounted, the restore goes through the "
			       "mount and is recorded.\n",
			       restore_usage);
			return 0;
		default:
			return gfs_cli_usage(restore_usage);
		}
	}
	if (all ? (!at || optind < argc) : optind >= argc)
		return gfs_cli_usage(restore_usage);
	if (gfs_project_find(&p, config))
		return 1;
	if (gfs_project_open_history(&p, &h))
		goto out;
	if (at &&
	    gfs_history_resolve(h, at, time(NULL), id, err, sizeof(err))) {
		gfs_cli_error("%s", err);
		goto out;
	}
	dest = gfs_project_open_dest(&p);
	if (dest < 0) {
		gfs_cli_error("cannot open '%s': %s", p.cfg.root,
			      strerror(-dest));
		goto out;
	}
	if (all) {
		r = gfs_history_restore(h, id, NULL, 0, dest, flags, report,
					&pr);
		rc = finish(&pr, r);
		goto out;
	}
	for (i = optind; i < argc; i++) {
		struct gfs_buf rel = GFS_BUF_INIT;
		const char *one[1];
		char before[41];
		int ri;

		if (gfs_project_relpath(&p, argv[i], &rel)) {
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
			ri = gfs_history_restore(h, before, one, 1, dest, flags,
						 report, &pr);
		if (ri && !r)
			r = ri;
		gfs_buf_release(&rel);
	}
	rc = finish(&pr, r);
out:
	if (dest >= 0)
		close(dest);
	gfs_history_free(h);
	gfs_project_release(&p);
	return rc;
}

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
	struct progress pr = {.tty = isatty(2)};
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
		r = gfs_history_restore(h, id, NULL, 0, dest, flags, report,
					&pr);
		rc = finish(&pr, r);
		goto out;
	}
	if (gfs_history_resolve(h, arg, time(NULL), id, err, sizeof(err))) {
		gfs_cli_error("%s", err);
		goto out;
	}
	r = gfs_history_revert(h, id, dest, flags, report, &pr);
	if (r == -ENOENT)
		gfs_cli_error("'%s' is the first snapshot: nothing before it",
			      arg);
	rc = finish(&pr, r);
out:
	if (dest >= 0)
		close(dest);
	gfs_history_free(h);
	gfs_project_release(&p);
	return rc;
}
