/*
 * guardfs freeze and unfreeze (the kill switch), and the watch that
 * `guardfs run` and `exec` keep on the breaker while their command runs.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "guardfs/control.h"
#include "mounts.h"
#include "options.h"
#include "project.h"

/* How often run and exec ask the daemon whether it froze. */
#define WATCH_INTERVAL_MS 250

static int freeze_or_thaw(int argc, char **argv, bool freeze)
{
	const struct gfs_option options[] = {GFS_OPT_END};
	const struct gfs_command_spec spec = {
		.usage = freeze ? "guardfs freeze PATH"
				: "guardfs unfreeze PATH",
		.about = freeze ? "Freezes the guarded folder mounted at PATH "
				  "now (the kill switch): every change through "
				  "the mount fails with EROFS, reads go on, "
				  "until `guardfs unfreeze PATH`. Refused from "
				  "inside `guardfs run` and `exec`, and to "
				  "another user."
				: "Thaws a mount the breaker or `guardfs "
				  "freeze` "
				  "froze: changes go through again, and the "
				  "breaker's counts start over. Refused from "
				  "inside `guardfs run` and `exec`, and to "
				  "another user, so an agent cannot thaw "
				  "itself.",
		.options = options,
	};
	struct gfs_buf path = GFS_BUF_INIT, key = GFS_BUF_INIT;
	struct gfs_buf cmd = GFS_BUF_INIT, reply = GFS_BUF_INIT;
	struct gfs_buf answer = GFS_BUF_INIT;
	const char *verb = freeze ? "freeze" : "unfreeze";
	pid_t daemon;
	int first, rc = 1, err;

	first = gfs_options_parse(&spec, argc, argv);
	if (first < 0)
		return gfs_options_exit(first);
	if (argc - first != 1)
		return gfs_options_usage(&spec);
	if (gfs_mounts_abspath(&path, argv[first])) {
		gfs_cli_error("cannot resolve '%s'", argv[first]);
		return 1;
	}
	daemon = gfs_project_mount_at(path.data, NULL);
	if (!daemon) {
		gfs_cli_error("no guarded folder of this user is mounted at "
			      "'%s'",
			      path.data);
		goto out;
	}
	/* The key proves this process can read the user's runtime dir. */
	err = gfs_control_read_key(daemon, &key);
	if (err || !key.data) {
		gfs_cli_error("cannot read the key of the mount at '%s': %s",
			      path.data, strerror(err ? -err : EIO));
		goto out;
	}
	gfs_buf_addf(&cmd, "%s %s", verb, key.data);
	err = gfs_control_ask(daemon, cmd.data, &reply);
	if (!err &&
	    gfs_control_reply_get(reply.data ? reply.data : "", verb, &answer))
		err = -EPROTO;
	if (err) {
		gfs_cli_error("cannot reach the mount at '%s': %s", path.data,
			      strerror(-err));
		goto out;
	}
	if (!strcmp(answer.data, "ok"))
		printf("%s %s\n", freeze ? "froze" : "unfroze", path.data);
	else if (!strcmp(answer.data, "already frozen") ||
		 !strcmp(answer.data, "not frozen"))
		printf("'%s' is %s\n", path.data, answer.data);
	else {
		gfs_cli_error("%s of '%s' %s", verb, path.data, answer.data);
		goto out;
	}
	rc = 0;
out:
	gfs_buf_release(&path);
	gfs_buf_release(&key);
	gfs_buf_release(&cmd);
	gfs_buf_release(&reply);
	gfs_buf_release(&answer);
	return rc;
}

int gfs_cmd_freeze(int argc, char **argv)
{
	return freeze_or_thaw(argc, argv, true);
}

int gfs_cmd_unfreeze(int argc, char **argv)
{
	return freeze_or_thaw(argc, argv, false);
}

struct gfs_freeze_watch {
	pid_t daemon;
	char *mountpoint;
	int stop[2];
	pthread_t thread;
	char told[32]; /* frozen_since of the freeze already told */
};

/* Tells stderr once per freeze: the agent's terminal is the user's too. */
static void look(struct gfs_freeze_watch *w)
{
	struct gfs_buf reply = GFS_BUF_INIT, frozen = GFS_BUF_INIT;
	struct gfs_buf rule = GFS_BUF_INIT, since = GFS_BUF_INIT;
	struct gfs_buf counts = GFS_BUF_INIT;

	if (gfs_control_ask(w->daemon, "breaker", &reply) || !reply.data ||
	    gfs_control_reply_get(reply.data, "frozen", &frozen) ||
	    strcmp(frozen.data, "yes") ||
	    gfs_control_reply_get(reply.data, "frozen_since", &since) ||
	    !strcmp(since.data, w->told))
		goto out;
	gfs_control_reply_get(reply.data, "frozen_rule", &rule);
	gfs_control_reply_get(reply.data, "breaker", &counts);
	snprintf(w->told, sizeof(w->told), "%s", since.data);
	fprintf(stderr,
		"guardfs: the mount at '%s' is frozen (rule %s; %s): changes "
		"fail with EROFS until the user runs `guardfs unfreeze %s` "
		"outside the sandbox\n",
		w->mountpoint, rule.data ? rule.data : "?",
		counts.data ? counts.data : "", w->mountpoint);
out:
	gfs_buf_release(&reply);
	gfs_buf_release(&frozen);
	gfs_buf_release(&rule);
	gfs_buf_release(&since);
	gfs_buf_release(&counts);
}

static void *watch_main(void *arg)
{
	struct gfs_freeze_watch *w = arg;
	struct pollfd p = {.fd = w->stop[0], .events = POLLIN};

	do
		look(w);
	while (poll(&p, 1, WATCH_INTERVAL_MS) == 0);
	return NULL;
}

struct gfs_freeze_watch *gfs_cli_freeze_watch(pid_t daemon,
					      const char *mountpoint)
{
	struct gfs_freeze_watch *w = calloc(1, sizeof(*w));
	sigset_t all, old;
	int rc;

	if (!w)
		return NULL;
	w->daemon = daemon;
	w->mountpoint = strdup(mountpoint);
	if (!w->mountpoint || pipe2(w->stop, O_CLOEXEC)) {
		free(w->mountpoint);
		free(w);
		return NULL;
	}
	/* signals stay with the thread that forwards them to the sandbox */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = pthread_create(&w->thread, NULL, watch_main, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc) {
		close(w->stop[0]);
		close(w->stop[1]);
		free(w->mountpoint);
		free(w);
		return NULL;
	}
	return w;
}

void gfs_cli_freeze_watch_end(struct gfs_freeze_watch *w)
{
	if (!w)
		return;
	/* one byte ends the poll; then a last look for a late freeze */
	(void)!write(w->stop[1], "x", 1);
	pthread_join(w->thread, NULL);
	look(w);
	close(w->stop[0]);
	close(w->stop[1]);
	free(w->mountpoint);
	free(w);
}
