#ifndef GUARDFS_CLI_H
#define GUARDFS_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

/*
 * The command table. Each command lives in cli/cmd_<name>.c and exports
 * one entry point; main.c dispatches on argv[1]. A command returns the
 * process exit status: 0 success, 1 failure, 2 usage.
 */
struct gfs_command {
	const char *name;
	int (*run)(int argc, char **argv); /* argv[0] is the command name */
	const char *summary;		   /* one line for `guardfs --help` */
};

int gfs_cmd_mount(int argc, char **argv);
int gfs_cmd_umount(int argc, char **argv);
int gfs_cmd_status(int argc, char **argv);
int gfs_cmd_init(int argc, char **argv);
int gfs_cmd_explain(int argc, char **argv);
int gfs_cmd_log(int argc, char **argv);
int gfs_cmd_diff(int argc, char **argv);
int gfs_cmd_restore(int argc, char **argv);
int gfs_cmd_undo(int argc, char **argv);
int gfs_cmd_review(int argc, char **argv);
int gfs_cmd_run(int argc, char **argv);
int gfs_cmd_exec(int argc, char **argv);
int gfs_cmd_sessions(int argc, char **argv);
int gfs_cmd_check(int argc, char **argv);
int gfs_cmd_prune(int argc, char **argv);
int gfs_cmd_watch(int argc, char **argv);
int gfs_cmd_ask(int argc, char **argv);
int gfs_cmd_freeze(int argc, char **argv);
int gfs_cmd_unfreeze(int argc, char **argv);

struct gfs_buf;

/* What `guardfs mount` does, for commands that mount on their own. */
struct gfs_mount_args {
	const char *config_path; /* -c, or NULL */
	const char *root;	 /* ROOT, or NULL */
	const char *mountpoint;	 /* MOUNTPOINT, or NULL: in place */
	bool foreground;
	bool debug;
	bool trust_config;	    /* --trust-config */
	bool quiet;		    /* no "guarding ..." line on stdout */
	struct gfs_buf *mounted_at; /* receives the mount point, or NULL */
};

/* Mounts as `guardfs mount` does; returns its exit status. */
int gfs_cli_mount(const struct gfs_mount_args *a);

/* The bytes the snapshot store takes on disk (cmd_sessions.c). */
uint64_t gfs_cli_store_bytes(const char *store);

/*
 * Writes time t for people (local zone, TZ: "2026-12-06 10:30:00") or,
 * with utc, for scripts ("2026-12-06T09:30:00Z") into text.
 */
void gfs_cli_format_time(char *text, size_t size, int64_t t, bool utc);

/*
 * Sends "ask-VERB KEY ARGS" to the daemon with the mount's key (read
 * from the runtime directory); the reply is appended. 0 or -errno.
 */
int gfs_cli_ask_send(pid_t daemon, const char *verb, const char *args,
		     struct gfs_buf *reply);

/*
 * While `guardfs run` or `exec` waits for its command: a thread that asks
 * the daemon every quarter second whether the mount froze and tells
 * stderr once per freeze (cmd_freeze.c). NULL when it cannot start.
 */
struct gfs_freeze_watch;
struct gfs_freeze_watch *gfs_cli_freeze_watch(pid_t daemon,
					      const char *mountpoint);
/* Stops the watch after one last look; NULL is allowed. */
void gfs_cli_freeze_watch_end(struct gfs_freeze_watch *w);

/* Prints "guardfs: <message>\n" to stderr. */
void gfs_cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
