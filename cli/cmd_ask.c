/* guardfs ask: the pending asks of a mount, and answering them. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "guardfs/control.h"
#include "options.h"
#include "project.h"

int gfs_cli_ask_send(pid_t daemon, const char *verb, const char *args,
		     struct gfs_buf *reply)
{
	struct gfs_buf key = GFS_BUF_INIT, command = GFS_BUF_INIT;
	int rc = gfs_control_read_key(daemon, &key);

	if (!rc && !key.data)
		rc = -EIO;
	if (!rc)
		rc = gfs_buf_addf(&command, "ask-%s %s%s%s", verb, key.data,
				  args ? " " : "", args ? args : "");
	if (!rc)
		rc = gfs_control_ask(daemon, command.data, reply);
	gfs_buf_release(&key);
	gfs_buf_release(&command);
	return rc;
}

/* Prints the pending asks: "ID OP PID PATH", one a line. */
static int list(pid_t daemon)
{
	struct gfs_buf reply = GFS_BUF_INIT, path = GFS_BUF_INIT;
	const char *line;
	int rc = gfs_cli_ask_send(daemon, "list", NULL, &reply);

	if (rc) {
		gfs_cli_error("cannot reach the mount: %s", strerror(-rc));
		return 1;
	}
	for (line = reply.data; line && *line;) {
		const char *nl = strchr(line, '\n');
		const char *end = nl ? nl : line + strlen(line);
		unsigned long long id;
		char op[16];
		long pid;
		int hex = 0;

		gfs_buf_reset(&path);
		if (sscanf(line, "ask\t%llu\t%15s\t%ld\t%n", &id, op, &pid,
			   &hex) == 3 &&
		    hex &&
		    !gfs_buf_add_unhex(&path, line + hex,
				       (size_t)(end - line - hex))) {
			printf("%llu\t%s\t%ld\t%s\n", id, op, pid,
			       path.data ? path.data : "");
		} else {
			gfs_cli_error("%.*s", (int)(end - line), line);
			rc = 1;
		}
		line = nl ? nl + 1 : NULL;
	}
	gfs_buf_release(&reply);
	gfs_buf_release(&path);
	return rc ? 1 : 0;
}

static int answer(pid_t daemon, const char *id, const char *word)
{
	struct gfs_buf reply = GFS_BUF_INIT, args = GFS_BUF_INIT;
	int rc;

	gfs_buf_addf(&args, "%s %s", id, word);
	rc = gfs_cli_ask_send(daemon, "answer", args.data, &reply);
	if (rc)
		gfs_cli_error("cannot reach the mount: %s", strerror(-rc));
	else if (!reply.data || strcmp(reply.data, "ask\tok\n")) {
		gfs_cli_error("ask %s: %s", id,
			      reply.data && !strncmp(reply.data, "ask\t", 4)
				      ? strtok(reply.data + 4, "\n")
				      : "no answer from the mount");
		rc = -1;
	}
	gfs_buf_release(&reply);
	gfs_buf_release(&args);
	return rc ? 1 : 0;
}

int gfs_cmd_ask(int argc, char **argv)
{
	struct gfs_buf mount = GFS_BUF_INIT;
	const struct gfs_option options[] = {GFS_OPT_END};
	const struct gfs_command_spec spec = {
		.usage = "guardfs ask list [PATH]\n"
			 "guardfs ask answer ID allow|always|deny|never [PATH]",
		.about = "The accesses waiting for an answer in the guarded "
			 "folder that holds PATH (default: the current "
			 "directory), for scripts (`guardfs watch` asks on a "
			 "terminal). list prints ID, operation, pid and path "
			 "of each; answer lets one go ahead this once (allow), "
			 "or from now on, written to the answers file "
			 "(always), or refuses it this once (deny) or from "
			 "now on (never). Once means the asking process, on "
			 "that path and below, while it runs. Answering takes "
			 "the mount's control key and the genuine guardfs "
			 "program, so an agent cannot answer its own asks.",
		.options = options,
	};
	const char *path;
	pid_t daemon;
	int first, rc = 1;
	bool listing;

	first = gfs_options_parse(&spec, argc, argv);
	if (first < 0)
		return gfs_options_exit(first);
	if (first >= argc)
		return gfs_options_usage(&spec);
	listing = !strcmp(argv[first], "list");
	if (listing ? argc - first > 2
		    : strcmp(argv[first], "answer") || argc - first < 3 ||
			      argc - first > 4)
		return gfs_options_usage(&spec);
	path = argc - first == (listing ? 2 : 4) ? argv[argc - 1] : ".";
	daemon = gfs_project_mount_at(path, &mount);
	if (!daemon)
		gfs_cli_error("no guarded folder is mounted at '%s'", path);
	else if (listing)
		rc = list(daemon);
	else
		rc = answer(daemon, argv[first + 1], argv[first + 2]);
	gfs_buf_release(&mount);
	return rc;
}
