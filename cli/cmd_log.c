#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli.h"
#include "guardfs/history.h"
#include "guardfs/util.h"
#include "options.h"
#include "project.h"

struct log_walk {
	char **paths;
	size_t npaths;
	int64_t since; /* -1: no limit */
	const char *process;
	long max;
	long shown;
	bool json;
	bool ops;	    /* -v, --ops: each action's operations too */
	bool until_session; /* --since session: stop at its start */
	struct gfs_buf out;
};

static bool under(const char *path, const char *prefix)
{
	size_t len = strlen(prefix);

	if (!len)
		return true;
	return path && !strncmp(path, prefix, len) &&
	       (path[len] == '\0' || path[len] == '/');
}

static bool wanted(const struct log_walk *w, const struct gfs_history_op *op)
{
	size_t i;

	if (w->process && strcmp(op->process, w->process))
		return false;
	if (!w->npaths)
		return true;
	for (i = 0; i < w->npaths; i++)
		if (under(op->path, w->paths[i]) ||
		    under(op->from, w->paths[i]))
			return true;
	return false;
}

/*
 * Text output in the local zone (TZ), as people read a clock; --json in
 * UTC with a Z, as scripts parse it.
 */
static void add_time(struct gfs_buf *b, int64_t t, bool utc)
{
	char text[40];

	gfs_cli_format_time(text, sizeof(text), t, utc);
	gfs_buf_adds(b, text);
}

static void add_json_field(struct gfs_buf *b, const char *key, const char *v)
{
	gfs_buf_addf(b, ",\"%s\":", key);
	if (v)
		gfs_buf_add_json(b, v, strlen(v));
	else
		gfs_buf_adds(b, "null");
}

static int log_visit(void *arg, const struct gfs_history_commit *c)
{
	struct log_walk *w = arg;
	char op_id[24];
	size_t i;

	if (w->since >= 0 && c->time < w->since)
		return 1;
	for (i = c->nops; i-- > 0;) {
		const struct gfs_history_op *op = &c->ops[i];

		if (w->max >= 0 && w->shown >= w->max)
			return 1;
		if (!wanted(w, op))
			continue;
		w->shown++;
		/* one of several in a snapshot: undo and diff take this */
		op_id[0] = '\0';
		if (c->nops > 1 && op->seq)
			snprintf(op_id, sizeof(op_id), "@%llu",
				 (unsigned long long)op->seq);
		if (w->json) {
			gfs_buf_adds(&w->out, w->shown > 1 ? ",\n " : "[");
			gfs_buf_addf(&w->out,
				     "{\"id\":\"%s\",\"op_id\":\"%.*s%s\","
				     "\"time\":\"",
				     c->id, op_id[0] ? 10 : 40, c->id, op_id);
			add_time(&w->out, c->time, true);
			gfs_buf_addch(&w->out, '"');
			add_json_field(&w->out, "process", op->process);
			gfs_buf_addf(&w->out, ",\"pid\":%ld", op->pid);
			add_json_field(&w->out, "op", op->op);
			add_json_field(&w->out, "path", op->path);
			add_json_field(&w->out, "from", op->from);
			gfs_buf_addf(&w->out, ",\"seq\":%llu",
				     (unsigned long long)op->seq);
			add_json_field(&w->out, "session", c->session);
			add_json_field(&w->out, "action", op->action);
			if (op->action_id)
				gfs_buf_addf(&w->out,
					     ",\"action_id\":\"A%llu\"",
					     (unsigned long long)op->action_id);
			gfs_buf_addch(&w->out, '}');
			continue;
		}
		gfs_buf_addf(&w->out, "%.10s%s  ", c->id, op_id);
		add_time(&w->out, c->time, false);
		gfs_buf_addf(&w->out, "  %s (%ld)  %s  %s", op->process,
			     op->pid, op->op, op->path ? op->path : "");
		if (op->from)
			gfs_buf_addf(&w->out, " <- %s", op->from);
		gfs_buf_addch(&w->out, '\n');
	}
	if (w->until_session && c->session_start)
		return 1;
	/* flush as we go: a long history starts printing at once */
	if (w->out.len > 65536) {
		fwrite(w->out.data, 1, w->out.len, stdout);
		gfs_buf_reset(&w->out);
	}
	return 0;
}

static void add_op_json(struct gfs_buf *b,
			const struct gfs_history_action_op *op)
{
	gfs_buf_addf(b, "{\"id\":\"%s\",\"op_id\":\"%.10s@%llu\",\"time\":\"",
		     op->commit, op->commit, (unsigned long long)op->seq);
	add_time(b, op->time, true);
	gfs_buf_addch(b, '"');
	add_json_field(b, "process", op->process);
	gfs_buf_addf(b, ",\"pid\":%ld", op->pid);
	add_json_field(b, "op", op->op);
	add_json_field(b, "path", op->path);
	add_json_field(b, "from", op->from);
	gfs_buf_addf(b, ",\"seq\":%llu}", (unsigned long long)op->seq);
}

/*
 * One action: "A17  TIME  process (pid)  N changed, N created, N deleted
 * LABEL", its operations below with -v; or one JSON object.
 */
static int action_visit(void *arg, const struct gfs_history_action *a)
{
	struct log_walk *w = arg;
	size_t i;

	w->shown++;
	if (w->json) {
		gfs_buf_adds(&w->out, w->shown > 1 ? ",\n " : "[");
		gfs_buf_addf(&w->out, "{\"id\":\"%s\",\"number\":%llu", a->id,
			     (unsigned long long)a->number);
		add_json_field(&w->out, "label", a->label);
		add_json_field(&w->out, "process", a->process);
		gfs_buf_addf(&w->out, ",\"pid\":%ld", a->pid);
		add_json_field(&w->out, "session", a->session);
		gfs_buf_adds(&w->out, ",\"start\":\"");
		add_time(&w->out, a->start, true);
		gfs_buf_adds(&w->out, "\",\"end\":\"");
		add_time(&w->out, a->end, true);
		gfs_buf_addf(&w->out,
			     "\",\"first\":\"%s\",\"last\":\"%s\","
			     "\"commits\":%zu,\"ops\":%zu,\"changed\":%zu,"
			     "\"created\":%zu,\"deleted\":%zu",
			     a->first, a->last, a->commits, a->nops, a->changed,
			     a->created, a->deleted);
		if (w->ops) {
			gfs_buf_adds(&w->out, ",\"operations\":[");
			for (i = 0; i < a->nops; i++) {
				if (i)
					gfs_buf_addch(&w->out, ',');
				add_op_json(&w->out, &a->ops[i]);
			}
			gfs_buf_addch(&w->out, ']');
		}
		gfs_buf_addch(&w->out, '}');
		goto flush;
	}
	gfs_buf_addf(&w->out, "%s  ", a->id);
	add_time(&w->out, a->start, false);
	gfs_buf_addf(&w->out,
		     "  %s (%ld)  %zu changed, %zu created, %zu deleted  %s\n",
		     a->process, a->pid, a->changed, a->created, a->deleted,
		     a->label);
	for (i = 0; w->ops && i < a->nops; i++) {
		const struct gfs_history_action_op *op = &a->ops[i];

		gfs_buf_addf(&w->out, "    %.10s@%llu  ", op->commit,
			     (unsigned long long)op->seq);
		add_time(&w->out, op->time, false);
		gfs_buf_addf(&w->out, "  %s (%ld)  %s  %s", op->process,
			     op->pid, op->op, op->path);
		if (op->from)
			gfs_buf_addf(&w->out, " <- %s", op->from);
		gfs_buf_addch(&w->out, '\n');
	}
flush:
	if (w->out.len > 65536) {
		fwrite(w->out.data, 1, w->out.len, stdout);
		gfs_buf_reset(&w->out);
	}
	return 0;
}

int gfs_cmd_log(int argc, char **argv)
{
	struct log_walk w = {.since = -1, .max = -1, .out = GFS_BUF_INIT};
	const char *config = NULL, *since = NULL;
	const struct gfs_option options[] = {
		GFS_OPT_STR('c', "config", "FILE",
			    "the project's config (default: the mount or "
			    ".guardfs.ini around the current directory)",
			    &config),
		GFS_OPT_STR(0, "since", "WHEN",
			    "only since WHEN: 90s, 15m, 2h, 1d, yesterday, "
			    "today, 10:30, 'yesterday 10:30', '2026-12-06 "
			    "10:30' (local time), an ISO-8601 time, or "
			    "'session'",
			    &since),
		GFS_OPT_STR(0, "process", "NAME",
			    "only operations by processes named NAME",
			    &w.process),
		GFS_OPT_NUM('n', NULL, "N",
			    "at most N actions (with PATH or --process: "
			    "operations)",
			    &w.max),
		GFS_OPT_BOOL('v', "ops", "each action's operations too",
			     &w.ops),
		GFS_OPT_BOOL(0, "json", "one JSON array of objects", &w.json),
		GFS_OPT_END,
	};
	const struct gfs_command_spec spec = {
		.usage =
			"guardfs log [-c FILE] [--since WHEN] [-n N] "
			"[-v|--ops] "
			"[--json]\n"
			"guardfs log [-c FILE] [--since WHEN] [--process NAME] "
			"[-n N] [--json] PATH...",
		.about = "Lists the recorded actions, newest first (what one "
			 "command did: a guardfs exec, or a process group "
			 "until it is quiet for 2 s): action id (A17), time "
			 "(local, TZ; --json: UTC), the process of its first "
			 "operation (pid), the files it changed, created and "
			 "deleted, and its command line. -v lists each "
			 "action's operations below it, by operation id "
			 "(SNAPSHOT@SEQ).\n"
			 "With PATH or --process it lists the operations that "
			 "touched PATH or were made by NAME instead, each "
			 "with its action.\n"
			 "undo, diff and restore --at take every id log "
			 "prints.",
		.options = options,
	};
	struct gfs_history *h = NULL;
	struct gfs_project p;
	int i, first, rc = 1;

	first = gfs_options_parse(&spec, argc, argv);
	if (first < 0)
		return gfs_options_exit(first);
	if (gfs_project_find(&p, config))
		return 1;
	if (gfs_project_open_history(&p, &h))
		goto out;
	w.npaths = argc - first;
	w.paths = calloc(w.npaths + 1, sizeof(char *));
	for (i = 0; w.paths && i < (int)w.npaths; i++) {
		struct gfs_buf rel = GFS_BUF_INIT;

		if (gfs_project_relpath(&p, argv[first + i], &rel))
			goto out;
		w.paths[i] = gfs_buf_detach(&rel);
	}
	if (since && !strcmp(since, "session")) {
		w.until_session = true;
	} else if (since) {
		time_t t;

		if (gfs_time_parse(since, time(NULL), &t)) {
			gfs_cli_error("bad time '%s' (90s, 15m, 2h, 1d, "
				      "yesterday, 10:30, 'yesterday 10:30', "
				      "2026-11-24T13:05:00+00:00, session)",
				      since);
			rc = 2;
			goto out;
		}
		w.since = t;
	}
	if (!w.npaths && !w.process) {
		/* actions, which --since session keeps to the session */
		struct gfs_history_action_query q = {
			.since = w.since,
			.last_session = w.until_session,
			.max = w.max,
			.flags = GFS_HISTORY_ACTION_COUNTS |
				 (w.ops ? GFS_HISTORY_ACTION_OPS : 0),
		};

		if (gfs_history_actions(h, &q, action_visit, &w) < 0)
			goto out;
	} else if (w.ops) {
		gfs_cli_error("-v lists actions' operations: with PATH or "
			      "--process, log lists operations already");
		rc = 2;
		goto out;
	} else if (gfs_history_walk(h, log_visit, &w) < 0) {
		goto out;
	}
	/* a mistyped path would otherwise look like "nothing happened" */
	for (i = 0; !w.shown && i < (int)w.npaths; i++) {
		struct stat st;

		if (!lstat(argv[first + i], &st))
			continue;
		gfs_cli_error("'%s' is not in the folder, and no recorded "
			      "operation%s touched it",
			      argv[first + i], since ? " since then" : "");
		goto out;
	}
	if (w.json)
		gfs_buf_adds(&w.out, w.shown ? "]\n" : "[]\n");
	if (w.out.len)
		fwrite(w.out.data, 1, w.out.len, stdout);
	rc = 0;
out:
	if (w.paths)
		for (i = 0; i < (int)w.npaths; i++)
			free(w.paths[i]);
	free(w.paths);
	gfs_buf_release(&w.out);
	gfs_history_free(h);
	gfs_project_release(&p);
	return rc;
}
