/*
 * The user's desktop: finding notify-send, and starting it, one way (the
 * breaker's trip) or waiting for an action (the asks). See
 * guardfs/desktop.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "guardfs/buf.h"
#include "guardfs/desktop.h"

extern char **environ;

/* Enough for "-A" "KEY=LABEL" pairs of a prompt and the fixed options. */
#define MAX_ACTIONS 8
#define MAX_ARGS    (12 + 2 * MAX_ACTIONS)

bool gfs_desktop_notifier(char *out, size_t size)
{
	const char *path = getenv("PATH");
	const char *p, *end;

	if (!getenv("DISPLAY") && !getenv("WAYLAND_DISPLAY") &&
	    !getenv("DBUS_SESSION_BUS_ADDRESS"))
		return false;
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (p = path; *p; p = *end ? end + 1 : end) {
		end = strchrnul(p, ':');
		if (end == p)
			continue;
		snprintf(out, size, "%.*s/notify-send", (int)(end - p), p);
		if (access(out, X_OK) == 0)
			return true;
	}
	return false;
}

/*
 * notify-send reads its body argument as a C string literal would be
 * (g_strcompress: "\n", "\\", octal): backslashes doubled, it shows
 * the text as given.
 */
static char *body_arg(const char *body)
{
	struct gfs_buf arg = GFS_BUF_INIT;
	const char *p;

	for (p = body; *p; p++)
		if (gfs_buf_addch(&arg, *p) ||
		    (*p == '\\' && gfs_buf_addch(&arg, '\\')))
			break;
	if (*p) {
		gfs_buf_release(&arg);
		return NULL;
	}
	return gfs_buf_detach(&arg);
}

void gfs_desktop_notify(const char *title, const char *body)
{
	char notifier[512];
	char *text = body_arg(body);
	char *argv[] = {notifier,
			(char *)"-u",
			(char *)"critical",
			(char *)"-a",
			(char *)"guardfs",
			(char *)"--",
			(char *)title,
			text,
			NULL};
	pid_t pid;
	int null;

	if (!text || !gfs_desktop_notifier(notifier, sizeof(notifier))) {
		free(text);
		return;
	}
	pid = fork();
	if (pid == 0) {
		/* only async-signal-safe calls from here: threads were live */
		if (fork() == 0) {
			setsid();
			null = open("/dev/null", O_RDWR | O_CLOEXEC);
			if (null >= 0) {
				dup2(null, 0);
				dup2(null, 1);
				dup2(null, 2);
			}
			close_range(3, ~0u, 0);
			execv(notifier, argv);
		}
		_exit(0);
	}
	if (pid > 0)
		waitpid(pid, NULL, 0);
	free(text);
}

/*
 * Starts argv with stdout on out, stdin and stderr on /dev/null, in a
 * session of its own, every signal default and unblocked, and no other
 * descriptor (not even one the daemon inherited without close-on-exec).
 * 0 or -errno.
 */
static int spawn(pid_t *pid, const char *path, char *const argv[], int out)
{
	posix_spawn_file_actions_t files;
	posix_spawnattr_t attr;
	sigset_t all, none;
	int rc;

	sigfillset(&all);
	sigemptyset(&none);
	rc = posix_spawnattr_init(&attr);
	if (rc)
		return -rc;
	rc = posix_spawn_file_actions_init(&files);
	if (rc) {
		posix_spawnattr_destroy(&attr);
		return -rc;
	}
	rc = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID |
						     POSIX_SPAWN_SETSIGDEF |
						     POSIX_SPAWN_SETSIGMASK);
	if (!rc)
		rc = posix_spawnattr_setsigdefault(&attr, &all);
	if (!rc)
		rc = posix_spawnattr_setsigmask(&attr, &none);
	if (!rc)
		rc = posix_spawn_file_actions_addopen(&files, 0, "/dev/null",
						      O_RDONLY, 0);
	if (!rc)
		rc = posix_spawn_file_actions_adddup2(&files, out, 1);
	if (!rc)
		rc = posix_spawn_file_actions_addopen(&files, 2, "/dev/null",
						      O_WRONLY, 0);
	if (!rc)
		rc = posix_spawn_file_actions_addclosefrom_np(&files, 3);
	if (!rc)
		rc = posix_spawn(pid, path, &files, &attr, argv, environ);
	posix_spawn_file_actions_destroy(&files);
	posix_spawnattr_destroy(&attr);
	return -rc;
}

int gfs_desktop_prompt_start(struct gfs_desktop_prompt *p, const char *title,
			     const char *body,
			     const struct gfs_desktop_action *actions, size_t n,
			     unsigned timeout_ms)
{
	struct gfs_buf labels[MAX_ACTIONS];
	char notifier[512], expire[24];
	char *argv[MAX_ARGS], *text = NULL;
	int out[2] = {-1, -1}, argc = 0, rc;
	size_t i;

	p->pid = 0;
	p->fd = -1;
	if (n > MAX_ACTIONS)
		return -EINVAL;
	if (!gfs_desktop_notifier(notifier, sizeof(notifier)))
		return -ENOENT;
	memset(labels, 0, sizeof(labels));
	snprintf(expire, sizeof(expire), "%u", timeout_ms);
	argv[argc++] = notifier;
	argv[argc++] = (char *)"-u";
	argv[argc++] = (char *)"critical";
	argv[argc++] = (char *)"-a";
	argv[argc++] = (char *)"guardfs";
	argv[argc++] = (char *)"-t";
	argv[argc++] = expire;
	rc = -ENOMEM;
	for (i = 0; i < n; i++) {
		if (gfs_buf_addf(&labels[i], "%s=%s", actions[i].key,
				 actions[i].label))
			goto out;
		argv[argc++] = (char *)"-A";
		argv[argc++] = labels[i].data;
	}
	text = body_arg(body);
	if (!text)
		goto out;
	argv[argc++] = (char *)"--";
	argv[argc++] = (char *)title;
	argv[argc++] = text;
	argv[argc] = NULL;

	/* the read end stays close-on-exec: no other child inherits it */
	if (pipe2(out, O_CLOEXEC)) {
		rc = -errno;
		goto out;
	}
	rc = spawn(&p->pid, notifier, argv, out[1]);
out:
	if (out[1] >= 0)
		close(out[1]);
	if (rc) {
		if (out[0] >= 0)
			close(out[0]);
		p->pid = 0;
	} else {
		p->fd = out[0];
	}
	for (i = 0; i < n; i++)
		gfs_buf_release(&labels[i]);
	free(text);
	return rc;
}
