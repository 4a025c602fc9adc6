/*
 * The three verbs the agent is granted, answered outside the sandbox
 * (agent_serve.c) on the user's store:
 *
 *   agent-actions [json] [ops]          its actions of the current session
 *   agent-diff ACTION [stat|names] [git] [color]
 *   agent-undo ACTION [dry-run]
 *
 * ACTION is an id as agent-actions prints it, or "last". Only actions
 * made inside a sandbox in the current session exist here: the user's
 * operations, restores and other sessions cannot be named. A diff shows
 * nothing the mount hides: hidden names are left out, and a file that
 * held a credential in any version of the session the store recorded
 * (before, after, or since the session began) is named with its content
 * withheld. An undo writes through
 * the mount as one recorded restore and is refused as a whole when
 * anything else changed the action's paths since; nothing here deletes
 * or rewrites history.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "cli.h"
#include "guardfs/guards.h"
#include "guardfs/history.h"
#include "project.h"
#include "restore_report.h"

#define MAX_WORDS 8

struct request {
	const char *verb;
	const char *action;
	bool json, ops, stat, names, git, color, dry_run;
};

/* The screen of a diff: the policy and scanner of the mount's config. */
struct screen {
	const struct gfs_config *cfg;
	struct gfs_guards guards;
	struct gfs_history *h;
	struct gfs_history_agent *agent;
	char reason[128];
};

static int parse(char *line, struct request *r)
{
	char *words[MAX_WORDS + 1], *save = NULL, *w;
	int n = 0, i;

	memset(r, 0, sizeof(*r));
	for (w = strtok_r(line, " ", &save); w && n <= MAX_WORDS;
	     w = strtok_r(NULL, " ", &save))
		words[n++] = w;
	if (!n || n > MAX_WORDS)
		return -1;
	r->verb = words[0];
	i = 1;
	if (strcmp(r->verb, "agent-actions")) {
		if (strcmp(r->verb, "agent-diff") &&
		    strcmp(r->verb, "agent-undo"))
			return -1;
		if (n < 2)
			return -1;
		r->action = words[i++];
	}
	for (; i < n; i++) {
		bool actions = !strcmp(r->verb, "agent-actions");
		bool diff = !strcmp(r->verb, "agent-diff");

		if (actions && !strcmp(words[i], "json"))
			r->json = true;
		else if (actions && !strcmp(words[i], "ops"))
			r->ops = true;
		else if (diff && !strcmp(words[i], "stat"))
			r->stat = true;
		else if (diff && !strcmp(words[i], "names"))
			r->names = true;
		else if (diff && !strcmp(words[i], "git"))
			r->git = true;
		else if (diff && !strcmp(words[i], "color"))
			r->color = true;
		else if (!strcmp(r->verb, "agent-undo") &&
			 !strcmp(words[i], "dry-run"))
			r->dry_run = true;
		else
			return -1;
	}
	return 0;
}

static bool hidden(const struct screen *s, const char *path)
{
	return path &&
	       gfs_policy_hides_tree(s->guards.policy, path, false, NULL);
}

/* Whether bytes hold a credential; the rule goes into s->reason. */
static bool secret(struct screen *s, const char *path, const void *data,
		   size_t len)
{
	struct gfs_scan_finding f = {.rule_id = ""};
	size_t max = s->cfg->scan_max_size;

	if (!data || !s->guards.scanner ||
	    gfs_guards_scan_allowed(&s->guards, path))
		return false;
	if (gfs_scanner_scan(s->guards.scanner, data,
			     max && len > max ? max : len, &f) == 0)
		return false;
	/* (a scan out of memory counts as found: withhold) */
	snprintf(s->reason, sizeof(s->reason), "holds a credential (%s)",
		 f.rule_id[0] ? f.rule_id : "scan failed");
	return true;
}

struct version_scan {
	struct screen *screen;
	const char *path;
};

static int scan_version(void *arg, const char *commit)
{
	struct version_scan *v = arg;
	struct gfs_buf bytes = GFS_BUF_INIT;
	int found = 0;

	if (!gfs_history_file(v->screen->h, commit, v->path, &bytes))
		found = secret(v->screen, v->path, bytes.data ? bytes.data : "",
			       bytes.len);
	gfs_buf_release(&bytes);
	return found;
}

/*
 * Whether path held a credential at any time of the session that the
 * store recorded: such a file stays refused through the mount (its
 * taint) even once cut short, so its remains are not shown either.
 */
static bool secret_in_session(struct screen *s, const char *path)
{
	struct version_scan v = {.screen = s, .path = path};

	return path && gfs_history_agent_versions(s->agent, path, 64,
						  scan_version, &v) != 0;
}

static int screen_file(void *arg, const char *old_path, const char *new_path,
		       const void *old_data, size_t old_len,
		       const void *new_data, size_t new_len,
		       const char **reason)
{
	struct screen *s = arg;
	bool withhold;

	*reason = NULL;
	if (hidden(s, old_path) || hidden(s, new_path))
		return GFS_HISTORY_LEAVE_OUT;
	withhold = secret(s, old_path, old_data, old_len) ||
		   secret(s, new_path, new_data, new_len) ||
		   secret_in_session(s, old_path) ||
		   (new_path && old_path && strcmp(new_path, old_path) &&
		    secret_in_session(s, new_path));
	*reason = s->reason;
	return withhold ? GFS_HISTORY_WITHHOLD : GFS_HISTORY_SHOW;
}

static void add_json(struct gfs_buf *b, const char *key, const char *v)
{
	gfs_buf_addf(b, ",\"%s\":", key);
	if (v)
		gfs_buf_add_json(b, v, strlen(v));
	else
		gfs_buf_adds(b, "null");
}

struct ops_walk {
	struct screen *screen;
	struct gfs_buf *out;
	bool json;
	size_t shown;
};

static void print_op(void *arg, const char *commit,
		     const struct gfs_history_op *op)
{
	struct ops_walk *w = arg;

	(void)commit;
	if (hidden(w->screen, op->path) || hidden(w->screen, op->from))
		return;
	if (w->json) {
		gfs_buf_adds(w->out, w->shown++ ? "," : "");
		gfs_buf_adds(w->out, "{\"op\":");
		gfs_buf_add_json(w->out, op->op, strlen(op->op));
		add_json(w->out, "path", op->path);
		add_json(w->out, "from", op->from);
		gfs_buf_addf(w->out, ",\"pid\":%ld", op->pid);
		add_json(w->out, "process", op->process);
		gfs_buf_addch(w->out, '}');
		return;
	}
	gfs_buf_addf(w->out, "    %s %s", op->op, op->path);
	if (op->from)
		gfs_buf_addf(w->out, " <- %s", op->from);
	gfs_buf_addch(w->out, '\n');
}

static int list_actions(struct screen *s, struct gfs_history_agent *a,
			const struct request *r)
{
	struct gfs_buf out = GFS_BUF_INIT;
	struct ops_walk w = {.screen = s, .out = &out, .json = r->json};
	const struct gfs_history_agent_action *act;
	char start[40];
	size_t i;

	if (r->json)
		gfs_buf_adds(&out, "[");
	for (i = 0; (act = gfs_history_agent_get(a, i)); i++) {
		if (r->json) {
			gfs_buf_addf(&out, "%s{\"id\":\"%s\"", i ? ",\n " : "",
				     act->id);
			add_json(&out, "label", act->label);
			gfs_cli_format_time(start, sizeof(start), act->start,
					    true);
			add_json(&out, "time", start);
			gfs_buf_addf(&out,
				     ",\"operations\":%zu,\"changed\":%zu,"
				     "\"created\":%zu,\"deleted\":%zu",
				     act->nops, act->changed, act->created,
				     act->deleted);
			if (r->ops) {
				gfs_buf_adds(&out, ",\"ops\":[");
				w.shown = 0;
				gfs_history_agent_ops(a, act, print_op, &w);
				gfs_buf_adds(&out, "]");
			}
			gfs_buf_adds(&out, "}");
			continue;
		}
		gfs_cli_format_time(start, sizeof(start), act->start, false);
		gfs_buf_addf(&out,
			     "%s  %s  [%s]  %zu changed, %zu created, "
			     "%zu deleted (%zu operation%s)\n",
			     act->id, start, act->label, act->changed,
			     act->created, act->deleted, act->nops,
			     act->nops == 1 ? "" : "s");
		if (r->ops)
			gfs_history_agent_ops(a, act, print_op, &w);
	}
	if (r->json)
		gfs_buf_adds(&out, "]\n");
	else if (!gfs_history_agent_count(a))
		fprintf(stderr, "guardfs: no actions of the agent in this "
				"session yet\n");
	if (out.len)
		fwrite(out.data, 1, out.len, stdout);
	gfs_buf_release(&out);
	return 0;
}

/* The action the request names; says why when none. */
static const struct gfs_history_agent_action *
named_action(const struct gfs_history_agent *a, const char *id)
{
	const struct gfs_history_agent_action *act =
		!strcmp(id, "last") ? gfs_history_agent_get(a, 0)
				    : gfs_history_agent_find(a, id);

	if (!act && !strcmp(id, "last"))
		gfs_cli_error("no actions of the agent in this session yet");
	else if (!act)
		gfs_cli_error("'%s' is not an action of the agent in this "
			      "session (guardfs log lists them); the user's "
			      "operations and other sessions cannot be "
			      "named here",
			      id);
	return act;
}

static int diff_action(struct screen *s, struct gfs_history_agent *a,
		       const struct request *r)
{
	struct gfs_history_diff_view view = {
		.style = r->stat    ? GFS_HISTORY_STAT
			 : r->names ? GFS_HISTORY_NAME_STATUS
				    : GFS_HISTORY_PATCH,
		.git_internals = r->git,
		.color = r->color,
		.screen = screen_file,
		.screen_arg = s,
	};
	const struct gfs_history_agent_action *act = named_action(a, r->action);
	struct gfs_buf out = GFS_BUF_INIT;
	int rc;

	if (!act)
		return 1;
	rc = gfs_history_agent_diff(s->h, a, act, &view, &out);
	if (rc)
		gfs_cli_error("cannot diff '%s': %s", r->action, strerror(-rc));
	else if (out.len)
		fwrite(out.data, 1, out.len, stdout);
	gfs_buf_release(&out);
	return rc ? 1 : 0;
}

/* The progress of restore and undo first, so its report takes us too. */
struct undo_state {
	struct gfs_restore_progress pr;
	struct screen *screen;
	unsigned conflicts;
	/* files open for writing elsewhere as the hold began */
	const struct gfs_project_writer *writers;
	size_t nwriters;
};

/* The undo's busy check: a path some other process may write at once. */
static bool busy(void *arg, const char *path)
{
	struct undo_state *u = arg;

	for (size_t i = 0; i < u->nwriters; i++) {
		if (strcmp(u->writers[i].path, path))
			continue;
		u->conflicts++;
		gfs_cli_error("'%s' is open for writing by another process "
			      "(pid %ld)",
			      hidden(u->screen, path) ? "(a hidden path)"
						      : path,
			      u->writers[i].pid);
		return true;
	}
	return false;
}

static void conflict(void *arg, const char *path,
		     const struct gfs_history_op *by)
{
	struct undo_state *u = arg;

	u->conflicts++;
	if (hidden(u->screen, path))
		path = "(a hidden path)";
	if (!by)
		gfs_cli_error("'%s' is not as the action left it", path);
	else if (by->sandbox) /* every op has an action; the agent's a sandbox
			       */
		gfs_cli_error("'%s' was changed since by a later action of "
			      "the agent ([%s], %s %s)",
			      path, by->action, by->process, by->op);
	else if (!strcmp(by->op, "restore"))
		gfs_cli_error("'%s' was restored since (an undo or a restore)",
			      path);
	else
		gfs_cli_error("'%s' was changed since outside the agent (%s, "
			      "pid %ld: %s)",
			      path, by->process, by->pid, by->op);
}

static int undo_action(struct screen *s, struct gfs_history_agent *a,
		       const struct gfs_project *p, const struct request *r,
		       const struct gfs_project_writer *writers,
		       size_t nwriters)
{
	const struct gfs_history_agent_action *act = named_action(a, r->action);
	struct undo_state u = {.pr = {.dry_run = r->dry_run},
			       .screen = s,
			       .writers = writers,
			       .nwriters = nwriters};
	const struct gfs_history_undo_checks checks = {.conflict = conflict,
						       .busy = busy};
	unsigned flags = r->dry_run ? GFS_HISTORY_DRY_RUN : 0;
	char label[600];
	int dest, rc;

	if (!act)
		return 1;
	dest = gfs_project_open_dest(p);
	if (dest < 0)
		return 1;
	snprintf(label, sizeof(label), "agent undo %s [%s]", act->id,
		 act->label);
	if (!r->dry_run)
		gfs_project_group_begin(p, label);
	rc = gfs_history_agent_undo(s->h, a, act, dest, flags, &checks,
				    gfs_restore_report, &u);
	if (!r->dry_run)
		gfs_project_group_end(p);
	close(dest);
	if (rc == -EBUSY && u.conflicts) {
		gfs_cli_error("nothing undone: %u path%s of %s changed after "
			      "it; an agent may not overwrite what the user "
			      "or a later action did (undo later actions "
			      "first, or ask the user)",
			      u.conflicts, u.conflicts == 1 ? "" : "s",
			      act->id);
		return 1;
	}
	return gfs_restore_finish(&u.pr, rc);
}

int gfs_agent_answer(const struct gfs_config *cfg, pid_t daemon,
		     const char *mount, const char *request)
{
	struct screen s = {.cfg = cfg};
	struct gfs_history_agent *a = NULL;
	struct gfs_project_writer *writers = NULL;
	size_t nwriters = 0;
	bool held = false;
	struct gfs_project p;
	struct request r;
	char line[GFS_AGENT_REQUEST_MAX + 1], err[600];
	int rc = 1;

	snprintf(line, sizeof(line), "%s", request);
	if (parse(line, &r)) {
		gfs_cli_error("the agent's verbs are agent-actions, agent-diff "
			      "ACTION and agent-undo ACTION; nothing else is "
			      "served here");
		return 2;
	}
	/* the project as `guardfs run`/`exec` found it; cfg stays ours */
	memset(&p, 0, sizeof(p));
	p.cfg = *cfg;
	p.daemon = daemon;
	gfs_buf_adds(&p.mount, mount);
	if (gfs_guards_init(&s.guards, cfg, err, sizeof(err))) {
		gfs_cli_error("%s", err);
		goto out;
	}
	/*
	 * An undo holds the mount before it reads the history: from the
	 * check to the last write nobody else changes the folder (fs/hold.c),
	 * and the history it checks against is complete.
	 */
	if (!strcmp(r.verb, "agent-undo") && !r.dry_run) {
		if (gfs_project_hold_begin(&p, &writers, &nwriters)) {
			gfs_cli_error("nothing undone: the undo could not "
				      "hold the mount");
			goto out;
		}
		held = true;
	}
	if (gfs_project_open_history(&p, &s.h))
		goto out;
	if (gfs_history_agent_load(&a, s.h)) {
		gfs_cli_error("cannot read the session's actions");
		goto out;
	}
	s.agent = a;
	if (!strcmp(r.verb, "agent-actions"))
		rc = list_actions(&s, a, &r);
	else if (!strcmp(r.verb, "agent-diff"))
		rc = diff_action(&s, a, &r);
	else
		rc = undo_action(&s, a, &p, &r, writers, nwriters);
out:
	if (held)
		gfs_project_hold_end(&p);
	gfs_project_writers_free(writers, nwriters);
	gfs_history_agent_free(a);
	gfs_history_free(s.h);
	gfs_guards_release(&s.guards);
	gfs_buf_release(&p.mount);
	return rc;
}
