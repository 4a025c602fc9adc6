#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli.h"
#include "guardfs/history.h"
#include "guardfs/util.h"
#include "options.h"
#include "pager.h"
#include "project.h"

static bool is_hex_id(const char *s)
{
	size_t n = strspn(s, "0123456789abcdefABCDEF");

	return n >= 4 && n <= 40 && !s[n];
}

/* SNAPSHOT@SEQ: one operation of a snapshot several share (guardfs log). */
static bool is_op_id(const char *s)
{
	const char *at = strchr(s, '@');
	size_t n = strspn(s, "0123456789abcdefABCDEF");

	return at && s + n == at && n >= 4 && at[1] &&
	       strspn(at + 1, "0123456789") == strlen(at + 1);
}

static int oldest_visit(void *arg, const struct gfs_history_commit *c)
{
	memcpy(arg, c->id, 41);
	return 0;
}

/* The id of the first commit into out; -ENOENT when there is none. */
static int oldest(struct gfs_history *h, char out[41])
{
	out[0] = '\0';
	if (gfs_history_walk(h, oldest_visit, out) < 0)
		return -EIO;
	return out[0] ? 0 : -ENOENT;
}

/*
 * A path operand names something in the folder or in one of the two
 * snapshots compared; anything else is a mistyped WHEN or path, which
 * would otherwise print an empty diff and look like "nothing changed".
 */
static bool known_path(struct gfs_history *h, const char *arg, const char *rel,
		       const char *from, const char *head, bool one)
{
	struct stat st;
	char parent[41];

	if (!lstat(arg, &st) || gfs_history_has_path(h, from, rel) > 0 ||
	    gfs_history_has_path(h, head, rel) > 0)
		return true;
	/* one operation: what it deleted is in the snapshot before it */
	return one && !gfs_history_parent(h, from, parent) &&
	       gfs_history_has_path(h, parent, rel) > 0;
}

int gfs_cmd_diff(int argc, char **argv)
{
	struct gfs_history_diff_view view = {.style = GFS_HISTORY_PATCH};
	struct gfs_buf out = GFS_BUF_INIT;
	struct gfs_history *h = NULL;
	const char *config = NULL, *when = "session", *color = NULL;
	char **paths = NULL;
	struct gfs_project p;
	char err[600], from[41], head[41];
	uint64_t seq = 0, action = 0;
	bool one = false, stat = false, names = false, no_pager = false;
	int first, i, npaths = 0, rc = 1, colored;
	time_t t;
	FILE *to;
	const struct gfs_option options[] = {
		GFS_OPT_STR('c', "config", "FILE", "the project's config",
			    &config),
		GFS_OPT_BOOL(0, "stat",
			     "per path the lines added and removed, as git "
			     "diff --stat, then the totals",
			     &stat),
		GFS_OPT_BOOL(
			0, "name-only",
			"per path a status letter (A added, M modified, "
			"D deleted, T type changed, R renamed) and the path",
			&names),
		GFS_OPT_BOOL(0, "git",
			     "show the files inside .git/ directories too "
			     "(default: one line per repository counts them)",
			     &view.git_internals),
		GFS_OPT_STR(0, "color", "WHEN",
			    "auto (default: on a terminal, unless NO_COLOR is "
			    "set), always or never",
			    &color),
		GFS_OPT_BOOL('P', "no-pager",
			     "never page (default on a terminal: "
			     "$GUARDFS_PAGER, else $PAGER, else less -FRX)",
			     &no_pager),
		GFS_OPT_END,
	};
	const struct gfs_command_spec spec = {
		.usage = "guardfs diff [-c FILE] [--stat|--name-only] [--git] "
			 "[--color=WHEN] [-P] [WHEN|ID] [PATH...]",
		.about = "Shows, as a unified diff, what changed in the folder "
			 "since WHEN (default: the start of the current "
			 "session), what the action ID (A17) changed from "
			 "before its first operation to after its last, "
			 "or what the one operation ID changed: a "
			 "snapshot id, or SNAPSHOT@SEQ for one of several "
			 "operations that share a snapshot (as guardfs log "
			 "shows them), which shows what that snapshot changed "
			 "at the operation's paths. Binary files are "
			 "summarized. Files inside a repository's .git/ "
			 "directory are git's own bookkeeping: one line counts "
			 "them unless --git.\n"
			 "WHEN: 90s, 15m, 2h, 1d, yesterday, today, 10:30, "
			 "'yesterday 10:30', '2026-12-06 10:30' (local time), "
			 "an ISO-8601 time, or 'session'. A first operand "
			 "that is neither a time, an id, nor a path in the "
			 "folder or its history is refused.",
		.options = options,
	};

	first = gfs_options_parse(&spec, argc, argv);
	if (first < 0)
		return gfs_options_exit(first);
	if (stat && names) {
		gfs_cli_error("--stat and --name-only exclude each other");
		return gfs_options_usage(&spec);
	}
	if (stat)
		view.style = GFS_HISTORY_STAT;
	if (names)
		view.style = GFS_HISTORY_NAME_STATUS;
	colored = gfs_color_wanted(color);
	if (colored < 0)
		return 2;
	view.color = colored;
	if (gfs_project_find(&p, config))
		return 1;
	if (gfs_project_open_history(&p, &h))
		goto out;
	/* the first argument is WHEN or ID when it reads as one */
	if (first < argc) {
		/* (without an '@' the same as gfs_history_resolve) */
		int r = gfs_history_resolve_op(h, argv[first], from, &seq, err,
					       sizeof(err));

		if (r == 0) {
			when = argv[first++];
			one = is_hex_id(when) || seq ||
			      gfs_history_action_parse(when, &action);
		} else if (r == -ENOENT && !is_hex_id(argv[first]) &&
			   !is_op_id(argv[first]) &&
			   !gfs_time_parse(argv[first], time(NULL), &t)) {
			/* a time before the store began: see below */
			when = argv[first++];
		} else if (r != -EINVAL || is_hex_id(argv[first]) ||
			   is_op_id(argv[first])) {
			gfs_cli_error("%s", err);
			goto out;
		}
	}
	if (!one) {
		int r = gfs_history_resolve(h, when, time(NULL), from, err,
					    sizeof(err));

		/*
		 * A time before the store began: everything since the
		 * first snapshot (the folder as guarding found it).
		 */
		if (r == -ENOENT && strcmp(when, "session") &&
		    !is_hex_id(when) && oldest(h, from) == 0) {
			fprintf(stderr,
				"guardfs: history begins after '%s': changes "
				"since its first snapshot\n",
				when);
			r = 0;
		}
		if (r) {
			gfs_cli_error("%s", err);
			goto out;
		}
	}
	if (gfs_history_resolve(h, "HEAD", time(NULL), head, err,
				sizeof(err))) {
		gfs_cli_error("%s", err);
		goto out;
	}
	paths = calloc(argc - first + 1, sizeof(char *));
	for (i = first; paths && i < argc; i++) {
		struct gfs_buf rel = GFS_BUF_INIT;

		if (gfs_project_relpath_name(&p, argv[i], &rel))
			goto out;
		paths[npaths++] = gfs_buf_detach(&rel);
		if (!known_path(h, argv[i], paths[npaths - 1], from, head,
				one)) {
			gfs_cli_error("'%s' is neither a time, an operation "
				      "id, nor a path in the folder or its "
				      "history",
				      argv[i]);
			rc = 2;
			goto out;
		}
	}
	if (action ? gfs_history_diff_action(h, action,
					     (const char *const *)paths, npaths,
					     &view, &out)
	    : one  ? gfs_history_diff_op_view(h, from, seq,
					      (const char *const *)paths, npaths,
					      &view, &out)
		   : gfs_history_diff_view(h, from, head,
					   (const char *const *)paths, npaths,
					   &view, &out)) {
		gfs_cli_error("cannot diff");
		goto out;
	}
	if (out.len) {
		to = gfs_pager_open(no_pager);
		fwrite(out.data, 1, out.len, to);
		gfs_pager_close(to);
	}
	rc = 0;
out:
	for (i = 0; i < npaths; i++)
		free(paths[i]);
	free(paths);
	gfs_buf_release(&out);
	gfs_history_free(h);
	gfs_project_release(&p);
	return rc;
}
