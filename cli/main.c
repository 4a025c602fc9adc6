#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "agent.h"
#include "cli.h"

static const struct gfs_command commands[] = {
	{"mount", gfs_cmd_mount,
	 "guard a folder: mount it, in place by default"},
	{"umount", gfs_cmd_umount, "unmount a guarded folder"},
	{"status", gfs_cmd_status, "list active mounts and their counters"},
	{"init", gfs_cmd_init, "write a commented starter config"},
	{"log", gfs_cmd_log,
	 "list recorded actions (or operations), newest first"},
	{"diff", gfs_cmd_diff,
	 "show what changed since a time, or in one operation"},
	{"restore", gfs_cmd_restore,
	 "bring paths, or the whole folder, back to a time"},
	{"undo", gfs_cmd_undo,
	 "revert the last action, some actions, or one operation"},
	{"review", gfs_cmd_review, "keep or revert each action since a time"},
	{"sessions", gfs_cmd_sessions,
	 "list the mount sessions the snapshot store holds"},
	{"check", gfs_cmd_check,
	 "verify the snapshot store: every commit, tree and blob"},
	{"prune", gfs_cmd_prune,
	 "drop whole sessions older than a duration from the store"},
	{"explain", gfs_cmd_explain, "tell why a path is hidden or refused"},
	{"watch", gfs_cmd_watch, "show what is done in a guarded folder, live"},
	{"ask", gfs_cmd_ask, "list and answer the accesses waiting for you"},
	{"freeze", gfs_cmd_freeze,
	 "stop every change through a mount now (the kill switch)"},
	{"unfreeze", gfs_cmd_unfreeze,
	 "let changes through a frozen mount again"},
	{"run", gfs_cmd_run,
	 "run a command in a sandbox whose only project is the folder"},
	{"exec", gfs_cmd_exec,
	 "run one command in the sandbox of a mounted folder, as one action"},
};

void gfs_cli_format_time(char *text, size_t size, int64_t t, bool utc)
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (utc)
		gmtime_r(&tt, &tm);
	else
		localtime_r(&tt, &tm);
	strftime(text, size, utc ? "%Y-%m-%dT%H:%M:%SZ" : "%Y-%m-%d %H:%M:%S",
		 &tm);
}

void gfs_cli_error(const char *fmt, ...)
{
	va_list ap;

	fputs("guardfs: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void print_help(FILE *out)
{
	size_t i;

	fputs("usage: guardfs COMMAND [ARGS...]\n\n"
	      "Guards a working folder for an AI agent: hides credentials,\n"
	      "records who did what, and snapshots every change.\n\n"
	      "commands:\n",
	      out);
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-9s %s\n", commands[i].name,
			commands[i].summary);
	fputs("\nguardfs COMMAND --help describes each command.\n"
	      "guardfs --version prints the version.\n",
	      out);
}

int main(int argc, char **argv)
{
	size_t i;

	if (argc < 2) {
		print_help(stderr);
		return 2;
	}
	/* inside the sandbox: the agent's own log, diff and undo only */
	if (gfs_agent_inside())
		return gfs_agent_command(argc - 1, argv + 1);
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		print_help(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("guardfs %s\n", GFS_VERSION);
		return 0;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	}
	gfs_cli_error("unknown command '%s' (see guardfs --help)", argv[1]);
	return 2;
}
