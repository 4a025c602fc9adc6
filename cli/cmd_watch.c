/* guardfs watch: the live view of what the agent does. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "guardfs/control.h"
#include "jsonl.h"
#include "options.h"
#include "pager.h"
#include "project.h"
#include "watch_view.h"

struct watch_session {
	pid_t daemon;
	int fd;
	bool json;
	struct gfs_watch_view view;
	struct gfs_jsonl event;
	struct gfs_buf pending; /* bytes read, not yet a whole line */
};

/* Reads the daemon's first line: "watch<TAB>ok", or why not. */
static int read_greeting(struct watch_session *s)
{
	char c;

	for (;;) {
		ssize_t n = read(s->fd, &c, 1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (c == '\n')
			break;
		gfs_buf_addch(&s->pending, c);
	}
	if (s->pending.data && !strcmp(s->pending.data, "watch\tok")) {
		gfs_buf_reset(&s->pending);
		return 0;
	}
	gfs_cli_error("the mount (pid %ld) refused to be watched: %s",
		      (long)s->daemon,
		      s->pending.data && !strncmp(s->pending.data, "watch\t", 6)
			      ? s->pending.data + 6
			      : "no answer");
	return -1;
}

static void handle_line(struct watch_session *s, const char *line)
{
	if (s->json) {
		/* as the daemon wrote it: one object per line */
		fputs(line, stdout);
		fputc('\n', stdout);
		fflush(stdout);
		return;
	}
	if (gfs_jsonl_parse(&s->event, line))
		return;
	gfs_watch_view_event(&s->view, &s->event, time(NULL));
}

/* Reads what the daemon sent; false at the end of the stream. */
static bool read_events(struct watch_session *s)
{
	char chunk[65536];
	ssize_t n = read(s->fd, chunk, sizeof(chunk));
	char *line, *nl;

	if (n < 0 && errno == EINTR)
		return true;
	if (n <= 0)
		return false;
	gfs_buf_add(&s->pending, chunk, (size_t)n);
	line = s->pending.data;
	while ((nl = strchr(line, '\n'))) {
		*nl = '\0';
		handle_line(s, line);
		line = nl + 1;
	}
	/* keep the unfinished line */
	n = (ssize_t)(s->pending.len - (size_t)(line - s->pending.data));
	memmove(s->pending.data, line, (size_t)n);
	s->pending.len = (size_t)n;
	s->pending.data[n] = '\0';
	return true;
}

static int stream(struct watch_session *s)
{
	for (;;) {
		struct pollfd p = {.fd = s->fd, .events = POLLIN};
		struct timespec now;
		int wait_ms;

		/* wake at the next second, to print a burst's summary */
		clock_gettime(CLOCK_REALTIME, &now);
		wait_ms = 1000 - (int)(now.tv_nsec / 1000000) + 1;
		if (poll(&p, 1, wait_ms) < 0 && errno != EINTR)
			return 1;
		if (p.revents && !read_events(s))
			break;
		if (!s->json)
			gfs_watch_view_tick(&s->view, time(NULL));
	}
	if (!s->json)
		gfs_watch_view_tick(&s->view, time(NULL) + 1);
	fprintf(stderr, "guardfs: the mount ended\n");
	return 0;
}

int gfs_cmd_watch(int argc, char **argv)
{
	struct watch_session s = {.fd = -1};
	struct gfs_buf mount = GFS_BUF_INIT, key = GFS_BUF_INIT;
	struct gfs_buf command = GFS_BUF_INIT;
	const char *color_when = NULL, *path;
	bool denied = false;
	int first, color, rc = 1;
	const struct gfs_option options[] = {
		GFS_OPT_BOOL(0, "denied",
			     "only refusals, breaker trips and asks", &denied),
		GFS_OPT_BOOL(
			0, "json",
			"one JSON object per event, per line, never "
			"folded: time, event, op, path, path2, result, "
			"refused, rule, detail, pid, process, uid, action, "
			"seq, id",
			&s.json),
		GFS_OPT_STR(0, "color", "WHEN",
			    "auto (default: on a terminal, unless NO_COLOR is "
			    "set), always or never",
			    &color_when),
		GFS_OPT_END,
	};
	const struct gfs_command_spec spec = {
		.usage = "guardfs watch [--denied] [--json] [PATH]",
		.about = "Shows, as it happens, what is done in the guarded "
			 "folder that holds PATH (default: the current "
			 "directory): time, process, operation, path and "
			 "result, refusals in red with the rule that refused, "
			 "breaker trips and asks highlighted. When more than "
			 "25 events arrive within a second, the rest of that "
			 "second is folded into one line (\"+1234 ops (unlink "
			 "1200, write 34), 3 refused\"). A watcher that cannot "
			 "keep up never slows the folder down: events it "
			 "missed are counted and said. Several may watch at "
			 "once. Needs the mount's control key, so a process "
			 "inside `guardfs run` or `exec` cannot watch.",
		.options = options,
	};

	first = gfs_options_parse(&spec, argc, argv);
	if (first < 0)
		return gfs_options_exit(first);
	if (argc - first > 1)
		return gfs_options_usage(&spec);
	color = gfs_color_wanted(color_when);
	if (color < 0)
		return 2;
	path = first < argc ? argv[first] : ".";
	s.daemon = gfs_project_mount_at(path, &mount);
	if (!s.daemon) {
		gfs_cli_error("no guarded folder is mounted at '%s'", path);
		goto out;
	}
	if (gfs_control_read_key(s.daemon, &key) || !key.data) {
		gfs_cli_error("cannot read the control key of the mount of "
			      "'%s'",
			      mount.data);
		goto out;
	}
	gfs_buf_addf(&command, "watch %s%s", key.data, denied ? " denied" : "");
	s.fd = gfs_control_connect(s.daemon, command.data);
	if (s.fd < 0) {
		gfs_cli_error("cannot reach the mount of '%s': %s", mount.data,
			      strerror(-s.fd));
		goto out;
	}
	if (read_greeting(&s))
		goto out;
	gfs_watch_view_init(&s.view, stdout, color);
	if (!s.json)
		fprintf(stderr, "guardfs: watching %s (Ctrl-C ends)\n",
			mount.data);
	rc = stream(&s);
out:
	if (s.fd >= 0)
		close(s.fd);
	gfs_jsonl_release(&s.event);
	gfs_buf_release(&s.pending);
	gfs_buf_release(&mount);
	gfs_buf_release(&key);
	gfs_buf_release(&command);
	return rc;
}
