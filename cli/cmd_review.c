/*
 * guardfs review: walk the actions since WHEN, see each one's changes,
 * keep or revert each. On a terminal it asks; otherwise it prints a plan
 * ("keep A17" lines, the changes as comments) that --apply --plan FILE
 * carries out once edited ("revert A17"). Nothing is held back while
 * the agent works: review corrects afterwards, by undo of whole actions.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "guardfs/history.h"
#include "guardfs/util.h"
#include "options.h"
#include "pager.h"
#include "project.h"
#include "restore_report.h"

struct review {
	struct gfs_history *h;
	struct gfs_history_action *acts; /* copies, strings owned below */
	char **labels;
	size_t n;
	bool color;
};

static int collect_visit(void *arg, const struct gfs_history_action *a)
{
	struct review *r = arg;
	void *p = realloc(r->acts, (r->n + 1) * sizeof(*r->acts));
	void *q = realloc(r->labels, (r->n + 1) * sizeof(*r->labels));

	if (p)
		r->acts = p;
	if (q)
		r->labels = q;
	if (!p || !q)
		return -ENOMEM;
	r->acts[r->n] = *a;
	r->acts[r->n].ops = NULL;
	r->labels[r->n] = strdup(a->label);
	if (!r->labels[r->n])
		return -ENOMEM;
	r->acts[r->n].label = r->labels[r->n];
	r->acts[r->n].process = "";
	r->acts[r->n].session = "";
	r->n++;
	return 0;
}

/* "A17  TIME  N changed, N created, N deleted  LABEL" */
static void add_header(struct gfs_buf *b, const struct gfs_history_action *a)
{
	char when[40];

	gfs_cli_format_time(when, sizeof(when), a->start, false);
	gfs_buf_addf(b, "%s  %s  %zu changed, %zu created, %zu deleted  %s\n",
		     a->id, when, a->changed, a->created, a->deleted, a->label);
}

/* Each line of text prefixed ("#   "), for the plan. */
static void add_commented(struct gfs_buf *b, const struct gfs_buf *text)
{
	const char *p = text->data, *end = text->data + text->len;

	while (p && p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);

		gfs_buf_addf(b, "#   %.*s\n", (int)len, p);
		p = nl ? nl + 1 : NULL;
	}
}

static int print_plan(struct review *r)
{
	struct gfs_history_diff_view stat = {.style = GFS_HISTORY_STAT};
	struct gfs_buf out = GFS_BUF_INIT, changes = GFS_BUF_INIT;
	size_t i;

	gfs_buf_adds(&out,
		     "# guardfs review: one line per action, newest first.\n"
		     "# Change 'keep' to 'revert' for each action to undo, "
		     "then run:\n"
		     "#   guardfs review --apply --plan FILE\n");
	for (i = 0; i < r->n; i++) {
		const struct gfs_history_action *a = &r->acts[i];

		gfs_buf_adds(&out, "keep ");
		add_header(&out, a);
		gfs_buf_reset(&changes);
		if (a->number && !gfs_history_diff_action(r->h, a->number, NULL,
							  0, &stat, &changes))
			add_commented(&out, &changes);
	}
	fwrite(out.data, 1, out.len, stdout);
	gfs_buf_release(&out);
	gfs_buf_release(&changes);
	return 0;
}

/* Reads "keep A17" / "revert A17" lines; the reverts into *numbers. */
static int read_plan(const char *path, uint64_t **numbers, size_t *n)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "re") : stdin;
	char line[4096];
	int lineno = 0, rc = 0;

	if (!f) {
		gfs_cli_error("cannot open plan '%s': %s", path,
			      strerror(errno));
		return 1;
	}
	while (!rc && fgets(line, sizeof(line), f)) {
		char verb[16], id[32];
		uint64_t number;

		lineno++;
		if (line[0] == '#' || strspn(line, " \t\r\n") == strlen(line))
			continue;
		if (sscanf(line, "%15s %31s", verb, id) != 2 ||
		    (strcmp(verb, "keep") && strcmp(verb, "revert")) ||
		    !gfs_history_action_parse(id, &number)) {
			gfs_cli_error("%s:%d: not 'keep ACTION' or 'revert "
				      "ACTION'",
				      path, lineno);
			rc = 2;
			break;
		}
		if (strcmp(verb, "revert"))
			continue;
		*numbers = realloc(*numbers, (*n + 1) * sizeof(**numbers));
		if (!*numbers)
			rc = 1;
		else
			(*numbers)[(*n)++] = number;
	}
	if (f != stdin)
		fclose(f);
	return rc;
}

/* On a terminal: each action, its --stat, then keep / revert / diff. */
static int ask(struct review *r, uint64_t **numbers, size_t *n)
{
	struct gfs_history_diff_view stat = {.style = GFS_HISTORY_STAT,
					     .color = r->color};
	struct gfs_history_diff_view patch = {.style = GFS_HISTORY_PATCH,
					      .color = r->color};
	struct gfs_buf b = GFS_BUF_INIT;
	char answer[64];
	size_t i;

	for (i = 0; i < r->n; i++) {
		const struct gfs_history_action *a = &r->acts[i];

		gfs_buf_reset(&b);
		gfs_buf_addf(&b, "\n(%zu/%zu) ", i + 1, r->n);
		add_header(&b, a);
		if (a->number)
			gfs_history_diff_action(r->h, a->number, NULL, 0, &stat,
						&b);
		fwrite(b.data, 1, b.len, stdout);
		for (;;) {
			printf("keep, revert, diff, quit? [k/r/d/q] ");
			fflush(stdout);
			if (!fgets(answer, sizeof(answer), stdin))
				answer[0] = 'q';
			if (answer[0] == 'd' && a->number) {
				FILE *to = gfs_pager_open(false);

				gfs_buf_reset(&b);
				gfs_history_diff_action(r->h, a->number, NULL,
							0, &patch, &b);
				fwrite(b.data, 1, b.len, to);
				gfs_pager_close(to);
				continue;
			}
			if (answer[0] == 'k' || answer[0] == 'r' ||
			    answer[0] == 'q')
				break;
		}
		if (answer[0] == 'q')
			break;
		if (answer[0] == 'r' && a->number) {
			*numbers =
				realloc(*numbers, (*n + 1) * sizeof(**numbers));
			if (!*numbers)
				return 1;
			(*numbers)[(*n)++] = a->number;
		}
	}
	gfs_buf_release(&b);
	return 0;
}

int gfs_cmd_review(int argc, char **argv)
{
	struct gfs_restore_progress pr = {.tty = isatty(2)};
	const char *config = NULL, *since = "session", *plan = NULL;
	bool apply = false, dry_run = false;
	const struct gfs_option options[] = {
		GFS_OPT_STR('c', "config", "FILE", "the project's config",
			    &config),
		GFS_OPT_STR(0, "since", "WHEN",
			    "the actions since WHEN (default: 'session', the "
			    "current mount's)",
			    &since),
		GFS_OPT_BOOL(0, "apply",
			     "carry out the plan --plan names (no questions)",
			     &apply),
		GFS_OPT_STR(0, "plan", "FILE",
			    "the plan to apply: 'keep A17' and 'revert A17' "
			    "lines, '#' comments ('-': standard input)",
			    &plan),
		GFS_OPT_BOOL(0, "dry-run",
			     "with --apply: show what would change", &dry_run),
		GFS_OPT_END,
	};
	const struct gfs_command_spec spec = {
		.usage = "guardfs review [-c FILE] [--since WHEN]\n"
			 "guardfs review [-c FILE] --apply --plan FILE "
			 "[--dry-run]",
		.about = "Walks the actions since WHEN, newest first, with "
			 "what each changed (--stat), to keep or revert each. "
			 "On a terminal it asks for each (d shows the diff); "
			 "otherwise it prints a plan: one 'keep ACTION' line "
			 "per action, its changes as '#' comments. Edit "
			 "'keep' to 'revert' where wanted and run it with "
			 "--apply --plan FILE: the reverted actions are "
			 "undone together, as guardfs undo A17 A18 would.",
		.options = options,
	};
	struct gfs_history_action_query q = {
		.since = -1,
		.max = -1,
		.flags = GFS_HISTORY_ACTION_COUNTS,
	};
	struct review r = {0};
	struct gfs_project p;
	uint64_t *numbers = NULL;
	size_t nnumbers = 0, i;
	bool grouped = false;
	char err[600];
	int first, dest = -1, rc = 1, got;

	first = gfs_options_parse(&spec, argc, argv);
	if (first < 0)
		return gfs_options_exit(first);
	if (first < argc || (apply != (plan != NULL)))
		return gfs_options_usage(&spec);
	if (!strcmp(since, "session")) {
		q.last_session = true;
	} else {
		time_t t;

		if (gfs_time_parse(since, time(NULL), &t)) {
			gfs_cli_error("bad time '%s' (90s, 15m, 2h, 1d, "
				      "yesterday, 10:30, session)",
				      since);
			return 2;
		}
		q.since = t;
	}
	if (gfs_project_find(&p, config))
		return 1;
	if (gfs_project_open_history(&p, &r.h))
		goto out;
	if (apply) {
		got = read_plan(plan, &numbers, &nnumbers);
		if (got) {
			rc = got;
			goto out;
		}
	} else {
		if (gfs_history_actions(r.h, &q, collect_visit, &r) < 0)
			goto out;
		if (!r.n) {
			printf("no actions since %s\n", since);
			rc = 0;
			goto out;
		}
		if (!isatty(0) || !isatty(1)) {
			rc = print_plan(&r);
			goto out;
		}
		r.color = gfs_color_wanted("auto") > 0;
		if (ask(&r, &numbers, &nnumbers))
			goto out;
	}
	if (!nnumbers) {
		printf("nothing to revert\n");
		rc = 0;
		goto out;
	}
	dest = gfs_project_open_dest(&p);
	if (dest < 0)
		goto out;
	pr.dry_run = dry_run;
	if (!dry_run) {
		gfs_project_group_begin(&p, "review --apply");
		grouped = true;
	}
	got = gfs_history_undo_actions(r.h, numbers, nnumbers, 0, dest,
				       dry_run ? GFS_HISTORY_DRY_RUN : 0,
				       gfs_restore_report, &pr, err,
				       sizeof(err));
	if (got == -ENOENT || got == -ERANGE) {
		gfs_cli_error("%s", err);
		goto out;
	}
	rc = gfs_restore_finish(&pr, got);
out:
	if (grouped)
		gfs_project_group_end(&p);
	if (dest >= 0)
		close(dest);
	for (i = 0; i < r.n; i++)
		free(r.labels[i]);
	free(r.labels);
	free(r.acts);
	free(numbers);
	gfs_history_free(r.h);
	gfs_project_release(&p);
	return rc;
}
