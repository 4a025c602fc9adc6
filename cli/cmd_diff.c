#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "guardfs/history.h"
#include "options.h"
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

int gfs_cmd_diff(int argc, char **argv)
{
	struct gfs_buf out = GFS_BUF_INIT;
	struct gfs_history *h = NULL;
	const char *config = NULL, *when = "session";
	char **paths = NULL;
	struct gfs_project p;
	char err[600], from[41], head[41];
	uint64_t seq = 0;
	bool one = false;
	int first, i, npaths = 0, rc = 1;
	const struct gfs_option options[] = {
		GFS_OPT_STR('c', "config", "FILE", "the project's config",
			    &config),
		GFS_OPT_END,
	};
	const struct gfs_command_spec spec = {
		.usage = "guardfs diff [-c FILE] [WHEN|ID] [PATH...]",
		.about = "Shows, as a unified diff, what changed in the folder "
			 "since WHEN (default: the start of the current "
			 "session), or what the one operation ID changed: a "
			 "snapshot id, or SNAPSHOT@SEQ for one of several "
			 "operations that share a snapshot (as guardfs log "
			 "shows them), which shows what that snapshot changed "
			 "at the operation's paths. Binary files are "
			 "summarized.\n"
			 "WHEN: 90s, 15m, 2h, 1d, an ISO-8601 time, or "
			 "'session'.",
		.options = options,
	};

	first = gfs_options_parse(&spec, argc, argv);
	if (first < 0)
		return gfs_options_exit(first);
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
			one = is_hex_id(when) || seq;
		} else if (r != -EINVAL || is_hex_id(argv[first]) ||
			   is_op_id(argv[first])) {
			gfs_cli_error("%s", err);
			goto out;
		}
	}
	if (!one &&
	    gfs_history_resolve(h, when, time(NULL), from, err, sizeof(err))) {
		gfs_cli_error("%s", err);
		goto out;
	}
	if (gfs_history_resolve(h, "HEAD", time(NULL), head, err,
				sizeof(err))) {
		gfs_cli_error("%s", err);
		goto out;
	}
	paths = calloc(argc - first + 1, sizeof(char *));
	for (i = first; paths && i < argc; i++) {
		struct gfs_buf rel = GFS_BUF_INIT;

		if (gfs_project_relpath(&p, argv[i], &rel))
			goto out;
		paths[npaths++] = gfs_buf_detach(&rel);
	}
	if (one ? gfs_history_diff_op(h, from, seq, (const char *const *)paths,
				      npaths, &out)
		: gfs_history_diff(h, from, head, (const char *const *)paths,
				   npaths, &out)) {
		gfs_cli_error("cannot diff");
		goto out;
	}
	if (out.len)
		fwrite(out.data, 1, out.len, stdout);
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
