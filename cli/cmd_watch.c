/* guardfs watch: the live view of what the agent does. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "guardfs/control.h"
#include "jsonl.h"
#include "options.h"
#include "pager.h"
#include "project.h"
#include "watch_view.h"

/* Asks shown and not answered yet, oldest first: keys answer the first. */
#define MAX_ASKS 64

struct watch_session {
	pid_t daemon;
	int fd;
	bool json;
	bool keys; /* a terminal on stdin: a, A, d, D answer asks */
	struct termios saved_tty;
	struct gfs_watch_view view;
	struct gfs_jsonl event;
	struct gfs_buf pending; /* bytes read, not yet a whole line */
	struct {
		unsigned long long id;
		char *line; /* the ask's event, to show it again */
	} asks[MAX_ASKS];
	int nasks;
};

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

/* Keys without Enter, not echoed; put back by keys_end. */
static void keys_begin(struct watch_session *s)
{
	struct sigaction sa = {.sa_handler = on_signal};
	struct termios raw;

	if (s->json || !isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO) ||
	    tcgetattr(STDIN_FILENO, &s->saved_tty))
		return;
	raw = s->saved_tty;
	raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
	raw.c_cc[VMIN] = 1;
	raw.c_cc[VTIME] = 0;
	/* no SA_RESTART: poll returns, and the terminal is put back */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	s->keys = tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
}

static void keys_end(struct watch_session *s)
{
	if (s->keys)
		tcsetattr(STDIN_FILENO, TCSANOW, &s->saved_tty);
	s->keys = false;
}

static void remember_ask(struct watch_session *s, unsigned long long id,
			 const char *line)
{
	int i;

	for (i = 0; i < s->nasks; i++)
		if (s->asks[i].id == id)
			return;
	if (s->nasks == MAX_ASKS)
		return;
	s->asks[s->nasks].id = id;
	s->asks[s->nasks].line = strdup(line);
	s->nasks++;
}

static void forget_ask(struct watch_session *s, unsigned long long id)
{
	int i;

	for (i = 0; i < s->nasks; i++) {
		if (s->asks[i].id != id)
			continue;
		free(s->asks[i].line);
		memmove(&s->asks[i], &s->asks[i + 1],
			(size_t)(s->nasks - i - 1) * sizeof(s->asks[0]));
		s->nasks--;
		return;
	}
}

/* Shows the ask the keys now answer, when it is not the one just shown. */
static void show_next_ask(struct watch_session *s)
{
	if (!s->keys || !s->nasks ||
	    gfs_jsonl_parse(&s->event, s->asks[0].line))
		return;
	if (s->nasks > 1)
		fprintf(stdout, "(%d asks waiting; the keys answer #%llu)\n",
			s->nasks, s->asks[0].id);
	gfs_watch_view_event(&s->view, &s->event, time(NULL));
}

/* A key pressed: answers the oldest ask waiting. */
static void answer_key(struct watch_session *s)
{
	static const char keys[] = "aAdD";
	static const char *const words[] = {"allow", "always", "deny", "never"};
	struct gfs_buf args = GFS_BUF_INIT, reply = GFS_BUF_INIT;
	const char *k;
	char c;
	int rc;

	if (read(STDIN_FILENO, &c, 1) != 1) {
		/* the terminal went away: watch on without keys */
		keys_end(s);
		return;
	}
	k = strchr(keys, c);
	if (!k || !c || !s->nasks)
		return;
	gfs_buf_addf(&args, "%llu %s", s->asks[0].id, words[k - keys]);
	rc = gfs_cli_ask_send(s->daemon, "answer", args.data, &reply);
	if (rc || !reply.data || strcmp(reply.data, "ask\tok\n"))
		fprintf(stdout, "(ask #%llu: %s)\n", s->asks[0].id,
			rc	     ? strerror(-rc)
			: reply.data ? reply.data + 4
				     : "no reply");
	/* settled either way: the stream says how */
	forget_ask(s, s->asks[0].id);
	show_next_ask(s);
	gfs_buf_release(&args);
	gfs_buf_release(&reply);
}

/* The asks that were waiting before this watcher came. */
static void load_asks(struct watch_session *s)
{
	struct gfs_buf reply = GFS_BUF_INIT, path = GFS_BUF_INIT;
	struct gfs_buf line = GFS_BUF_INIT;
	const char *p;

	if (gfs_cli_ask_send(s->daemon, "list", NULL, &reply))
		return;
	for (p = reply.data; p && *p;) {
		const char *nl = strchr(p, '\n');
		const char *end = nl ? nl : p + strlen(p);
		unsigned long long id;
		char op[16];
		long pid;
		int hex = 0;

		gfs_buf_reset(&path);
		gfs_buf_reset(&line);
		if (sscanf(p, "ask\t%llu\t%15s\t%ld\t%n", &id, op, &pid,
			   &hex) == 3 &&
		    hex &&
		    !gfs_buf_add_unhex(&path, p + hex,
				       (size_t)(end - p - hex))) {
			gfs_buf_addf(&line,
				     "{\"event\":\"ask\",\"id\":%llu,"
				     "\"op\":\"%s\",\"pid\":%ld,\"path\":",
				     id, op, pid);
			gfs_buf_add_json(&line, path.data ? path.data : "",
					 path.len);
			gfs_buf_addch(&line, '}');
			if (!gfs_jsonl_parse(&s->event, line.data)) {
				remember_ask(s, id, line.data);
				gfs_watch_view_event(&s->view, &s->event,
						     time(NULL));
			}
		}
		p = nl ? nl + 1 : NULL;
	}
	gfs_buf_release(&reply);
	gfs_buf_release(&path);
	gfs_buf_release(&line);
}

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
	const char *kind, *id;

	if (s->json) {
		/* as the daemon wrote it: one object per line */
		fputs(line, stdout);
		fputc('\n', stdout);
		fflush(stdout);
		return;
	}
	if (gfs_jsonl_parse(&s->event, line))
		return;
	kind = gfs_jsonl_get(&s->event, "event");
	id = gfs_jsonl_get(&s->event, "id");
	if (kind && id && !strcmp(kind, "ask"))
		remember_ask(s, strtoull(id, NULL, 10), line);
	else if (kind && id && !strcmp(kind, "answered"))
		forget_ask(s, strtoull(id, NULL, 10));
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
	while (!interrupted) {
		struct pollfd p[2] = {
			{.fd = s->fd, .events = POLLIN},
			{.fd = s->keys ? STDIN_FILENO : -1, .events = POLLIN},
		};
		struct timespec now;
		int wait_ms;

		/* wake at the next second, to print a burst's summary */
		clock_gettime(CLOCK_REALTIME, &now);
		wait_ms = 1000 - (int)(now.tv_nsec / 1000000) + 1;
		if (poll(p, 2, wait_ms) < 0 && errno != EINTR)
			return 1;
		if (p[0].revents && !read_events(s))
			break;
		if (p[1].revents)
			answer_key(s);
		if (!s->json)
			gfs_watch_view_tick(&s->view, time(NULL));
	}
	if (!s->json)
		gfs_watch_view_tick(&s->view, time(NULL) + 1);
	if (!interrupted)
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
			 "once. On a terminal, the keys answer the oldest "
			 "access waiting for you ([ask] in the config): a "
			 "allows it once, A always, d denies it once, D "
			 "always. Needs the mount's control key, so a process "
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
	keys_begin(&s);
	if (!s.json)
		load_asks(&s);
	rc = stream(&s);
	keys_end(&s);
out:
	while (s.nasks)
		forget_ask(&s, s.asks[0].id);
	if (s.fd >= 0)
		close(s.fd);
	gfs_jsonl_release(&s.event);
	gfs_buf_release(&s.pending);
	gfs_buf_release(&mount);
	gfs_buf_release(&key);
	gfs_buf_release(&command);
	return rc;
}
