/*
 * Inside the sandbox of `guardfs run`/`exec`: guardfs log, diff and
 * undo speak to the agent's socket (agent_serve.c) and print what it
 * answers; every other command refuses. The sandbox sets GUARDFS_AGENT
 * to the socket; nothing here is a boundary (the server decides), only
 * the agent's way in.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent.h"
#include "cli.h"
#include "guardfs/control.h"
#include "options.h"
#include "pager.h"

bool gfs_agent_inside(void)
{
	const char *path = getenv(GFS_AGENT_ENV);
	struct stat st;

	return path && path[0] == '/' && stat(path, &st) == 0 &&
	       S_ISSOCK(st.st_mode);
}

int gfs_agent_refuse(const char *command)
{
	gfs_cli_error("inside the guardfs sandbox only 'guardfs log', "
		      "'guardfs diff' and 'guardfs undo' of the agent's own "
		      "actions are available, not '%s'",
		      command);
	return 2;
}

/*
 * Sends the request and reads the whole reply. 0 or -errno. No time
 * limit here: the server bounds each request itself (agent_serve.c).
 */
static int ask(const char *request, struct gfs_buf *reply)
{
	return gfs_control_ask_socket(getenv(GFS_AGENT_ENV), request, -1,
				      reply);
}

/* One "NAME LEN\n" header of the reply, moving *p past it. */
static bool header(const char **p, const char *end, const char *name,
		   unsigned long long *value)
{
	size_t len = strlen(name);
	char *stop;

	if ((size_t)(end - *p) < len + 2 || strncmp(*p, name, len) ||
	    (*p)[len] != ' ')
		return false;
	*value = strtoull(*p + len + 1, &stop, 10);
	if (stop >= end || *stop != '\n')
		return false;
	*p = stop + 1;
	return true;
}

/* Asks, prints stdout (paged when page) and stderr; the exit status. */
static int relay(const char *request, bool page, bool no_pager)
{
	struct gfs_buf reply = GFS_BUF_INIT;
	unsigned long long status, out_len, err_len;
	const char *p, *end, *out;
	FILE *to;
	int rc = ask(request, &reply);

	if (rc) {
		gfs_cli_error("the agent's verbs do not answer: %s",
			      strerror(-rc));
		gfs_buf_release(&reply);
		return 1;
	}
	p = reply.data ? reply.data : "";
	end = p + reply.len;
	if (!header(&p, end, "status", &status) ||
	    !header(&p, end, "out", &out_len) ||
	    out_len > (unsigned long long)(end - p)) {
		gfs_cli_error("the agent's verbs sent a bad reply");
		gfs_buf_release(&reply);
		return 1;
	}
	out = p;
	p += out_len;
	if (header(&p, end, "err", &err_len) &&
	    err_len <= (unsigned long long)(end - p))
		fwrite(p, 1, err_len, stderr);
	if (out_len) {
		to = page ? gfs_pager_open(no_pager) : stdout;
		fwrite(out, 1, out_len, to);
		if (page)
			gfs_pager_close(to);
	}
	gfs_buf_release(&reply);
	return status > 255 ? 1 : (int)status;
}

/* ACTION as the agent typed it: "last", A<n> or (older stores) COMMIT@SEQ. */
static bool action_well_formed(const char *id)
{
	const char *at = strchr(id, '@');

	if (!strcmp(id, "last"))
		return true;
	if (id[0] == 'A' && id[1] &&
	    strspn(id + 1, "0123456789") == strlen(id + 1))
		return true;
	return at && at - id >= 4 &&
	       strspn(id, "0123456789abcdef") == (size_t)(at - id) && at[1] &&
	       strspn(at + 1, "0123456789") == strlen(at + 1);
}

/* Whether id is an ACTION; says why not when it is not. */
static bool action_ok(const char *id)
{
	if (action_well_formed(id))
		return true;
	gfs_cli_error("'%s' is no action id (as guardfs log prints it, or "
		      "'last')",
		      id);
	return false;
}

static const char inside_about[] =
	"Inside the guardfs sandbox (guardfs run, guardfs exec) this works "
	"on the agent's own actions of the current session only: what each "
	"command run in a sandbox changed. ACTION is an id as guardfs log "
	"prints it, or 'last' (the default).";

static int log_inside(int argc, char **argv)
{
	bool json = false, ops = false;
	const struct gfs_option options[] = {
		GFS_OPT_BOOL(0, "json", "one JSON array of objects", &json),
		GFS_OPT_BOOL('v', "ops", "each action's operations too", &ops),
		GFS_OPT_END,
	};
	const struct gfs_command_spec spec = {
		.usage = "guardfs log [--json] [-v|--ops]",
		.about = "Lists the agent's actions, newest first: id, time, "
			 "[command line], files changed, created and deleted."
			 "\n(inside the sandbox) The user's operations are not "
			 "listed.",
		.options = options,
	};
	struct gfs_buf req = GFS_BUF_INIT;
	int first = gfs_options_parse(&spec, argc, argv), rc;

	if (first < 0)
		return gfs_options_exit(first);
	if (first < argc) {
		gfs_cli_error("inside the sandbox, log lists the agent's "
			      "actions only (no PATH)");
		return gfs_options_usage(&spec);
	}
	gfs_buf_addf(&req, "agent-actions%s%s", json ? " json" : "",
		     ops ? " ops" : "");
	rc = relay(req.data, false, true);
	gfs_buf_release(&req);
	return rc;
}

static int diff_inside(int argc, char **argv)
{
	bool stat = false, names = false, git = false, no_pager = false;
	const char *color = NULL, *id = "last";
	const struct gfs_option options[] = {
		GFS_OPT_BOOL(0, "stat", "per path the lines added and removed",
			     &stat),
		GFS_OPT_BOOL(0, "name-only", "per path a status letter",
			     &names),
		GFS_OPT_BOOL(0, "git", "the files inside .git/ too", &git),
		GFS_OPT_STR(0, "color", "WHEN", "auto, always or never",
			    &color),
		GFS_OPT_BOOL('P', "no-pager", "never page", &no_pager),
		GFS_OPT_END,
	};
	const struct gfs_command_spec spec = {
		.usage = "guardfs diff [--stat|--name-only] [--git] "
			 "[--color=WHEN] [-P] [ACTION]",
		.about = inside_about,
		.options = options,
	};
	struct gfs_buf req = GFS_BUF_INIT;
	int first = gfs_options_parse(&spec, argc, argv), colored, rc;

	if (first < 0)
		return gfs_options_exit(first);
	if (first < argc)
		id = argv[first++];
	if (first < argc || (stat && names))
		return gfs_options_usage(&spec);
	if (!action_ok(id))
		return 2;
	colored = gfs_color_wanted(color);
	if (colored < 0)
		return 2;
	gfs_buf_addf(&req, "agent-diff %s%s%s%s%s", id, stat ? " stat" : "",
		     names ? " names" : "", git ? " git" : "",
		     colored ? " color" : "");
	rc = relay(req.data, true, no_pager);
	gfs_buf_release(&req);
	return rc;
}

static int undo_inside(int argc, char **argv)
{
	bool dry_run = false;
	const char *id = "last";
	const struct gfs_option options[] = {
		GFS_OPT_BOOL(0, "dry-run", "show what would change", &dry_run),
		GFS_OPT_END,
	};
	const struct gfs_command_spec spec = {
		.usage = "guardfs undo [--dry-run] [ACTION]",
		.about = "Puts back every path the agent's action changed, as "
			 "it was before it. Refused, naming the paths, when "
			 "anything else (the user, a later action, an earlier "
			 "undo) changed them since.\n"
			 "(inside the sandbox) Only the agent's own actions "
			 "of the current session can be undone.",
		.options = options,
	};
	struct gfs_buf req = GFS_BUF_INIT;
	int first = gfs_options_parse(&spec, argc, argv), rc;

	if (first < 0)
		return gfs_options_exit(first);
	if (first < argc)
		id = argv[first++];
	if (first < argc)
		return gfs_options_usage(&spec);
	if (!action_ok(id))
		return 2;
	gfs_buf_addf(&req, "agent-undo %s%s", id, dry_run ? " dry-run" : "");
	rc = relay(req.data, false, true);
	gfs_buf_release(&req);
	return rc;
}

int gfs_agent_command(int argc, char **argv)
{
	if (!strcmp(argv[0], "--help") || !strcmp(argv[0], "-h") ||
	    !strcmp(argv[0], "help")) {
		fputs("usage: guardfs log|diff|undo [ARGS...]\n\n"
		      "Inside the guardfs sandbox, on the agent's own actions "
		      "of this session:\n"
		      "  log       list them, newest first\n"
		      "  diff      show what one changed (default: the last)\n"
		      "  undo      put back what one changed (default: the "
		      "last)\n\n"
		      "guardfs COMMAND --help describes each command.\n",
		      stdout);
		return 0;
	}
	if (!strcmp(argv[0], "--version") || !strcmp(argv[0], "-V")) {
		printf("guardfs %s\n", GFS_VERSION);
		return 0;
	}
	if (!strcmp(argv[0], "log"))
		return log_inside(argc, argv);
	if (!strcmp(argv[0], "diff"))
		return diff_inside(argc, argv);
	if (!strcmp(argv[0], "undo"))
		return undo_inside(argc, argv);
	return gfs_agent_refuse(argv[0]);
}
