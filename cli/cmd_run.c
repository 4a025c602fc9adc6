/*
 * guardfs run and guardfs exec: a command in a bubblewrap sandbox whose
 * only project is the guarded mount.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent.h"
#include "cli.h"
#include "guardfs/control.h"
#include "guardfs/util.h"
#include "mounts.h"
#include "options.h"
#include "project.h"
#include "sandbox.h"
#include "sandbox_etc.h"
#include "sandbox_net.h"

static const char sandbox_about[] =
	"The sandbox (bubblewrap): new user, PID, IPC and UTS namespaces, no "
	"capabilities, no new privileges; system directories read-only; a "
	"private /tmp; $HOME an empty tmpfs but for the [run] ro and rw paths; "
	"the mount read-write at its usual path and the working directory; "
	"credential variables removed from the environment but for [run] env; "
	"a network namespace of its own, served by slirp4netns, which reaches "
	"the internet and the host's network addresses but neither the host's "
	"loopback nor its abstract Unix sockets. Never shown: the credential "
	"places of the home, guardfs's configs, stores, audit trails and "
	"control sockets, the daemon, what others may not read in /etc "
	"(/etc/shadow, host keys): /etc is a copy of the rest, as it was when "
	"the sandbox started. Exits with CMD's status (128+N when a signal N "
	"ended it).";

/* The running mount that serves a root, or holds a directory. */
struct mount_match {
	const char *root; /* match exactly this root, or NULL */
	const char *dir; /* else: the mount whose root or mountpoint holds it */
	pid_t pid;
	struct gfs_buf found_root;
	struct gfs_buf mountpoint;
	struct gfs_buf config;
};

static void match_mount(void *arg, pid_t pid, const char *reply)
{
	struct mount_match *m = arg;
	struct gfs_buf root = GFS_BUF_INIT, mp = GFS_BUF_INIT;
	bool match;

	if (gfs_control_reply_get(reply, "root", &root) ||
	    gfs_control_reply_get(reply, "mountpoint", &mp))
		goto out;
	if (m->root)
		match = !strcmp(root.data, m->root);
	else
		match = (gfs_path_is_within(m->dir, root.data) ||
			 gfs_path_is_within(m->dir, mp.data)) &&
			mp.len > m->mountpoint.len;
	if (match) {
		m->pid = pid;
		gfs_buf_reset(&m->found_root);
		gfs_buf_adds(&m->found_root, root.data);
		gfs_buf_reset(&m->mountpoint);
		gfs_buf_adds(&m->mountpoint, mp.data);
		gfs_buf_reset(&m->config);
		gfs_control_reply_get(reply, "config", &m->config);
	}
out:
	gfs_buf_release(&root);
	gfs_buf_release(&mp);
}

static void match_release(struct mount_match *m)
{
	gfs_buf_release(&m->found_root);
	gfs_buf_release(&m->mountpoint);
	gfs_buf_release(&m->config);
}

/* The nearest directory from dir upwards holding a .guardfs.ini. */
static bool nearest_ini(const char *dir, struct gfs_buf *out)
{
	struct stat st;
	char *slash;

	gfs_buf_adds(out, dir);
	for (;;) {
		size_t len = out->len;

		gfs_buf_adds(out, "/.guardfs.ini");
		if (stat(out->data, &st) == 0 && S_ISREG(st.st_mode)) {
			out->len = len;
			out->data[len] = '\0';
			return true;
		}
		out->len = len;
		out->data[len] = '\0';
		slash = strrchr(out->data, '/');
		if (!slash || out->len <= 1)
			return false;
		out->len = slash == out->data ? 1 : (size_t)(slash - out->data);
		out->data[out->len] = '\0';
	}
}

struct run_state {
	bool is_run;
	const char *config_path;
	int network; /* enum gfs_run_network; -1: the config decides */
	bool print;
	char **cmd;

	struct gfs_config cfg;
	struct gfs_buf cwd;
	struct gfs_buf mount; /* where the folder is (or will be) mounted */
	pid_t daemon;	      /* 0 until mounted */
	bool we_mounted;
};

/*
 * Finds the project and whether it is mounted. Prints the error and
 * returns -1 when there is none (exec: when it is not mounted).
 */
static int find_project(struct run_state *s)
{
	struct mount_match m = {0};
	struct gfs_buf dir = GFS_BUF_INIT;
	const char *root_hint = NULL, *config = s->config_path;
	char err[600];
	int rc = -1;

	if (gfs_mounts_abspath(&s->cwd, ".")) {
		gfs_cli_error("cannot resolve the current directory");
		return -1;
	}
	if (!config) {
		m.dir = s->cwd.data;
		gfs_control_query_all("status", match_mount, &m);
		if (m.pid) {
			root_hint = m.found_root.data;
			config = m.config.len ? m.config.data : NULL;
		} else if (!s->is_run) {
			gfs_cli_error(
				"no guarded folder is mounted at or above "
				"'%s'; mount it first, or use guardfs run",
				s->cwd.data);
			goto out;
		} else {
			root_hint = nearest_ini(s->cwd.data, &dir)
					    ? dir.data
					    : s->cwd.data;
		}
	}
	/*
	 * The mount hides its own config (P6) from us too: the daemon
	 * sends the text it loaded.
	 */
	if (m.pid ? gfs_project_load_mounted(&s->cfg, m.pid, root_hint, err,
					     sizeof(err))
		  : gfs_config_resolve(&s->cfg, config, root_hint, err,
				       sizeof(err))) {
		gfs_cli_error("%s", err);
		goto out;
	}
	if (!m.pid) {
		match_release(&m);
		memset(&m, 0, sizeof(m));
		m.root = s->cfg.root;
		gfs_control_query_all("status", match_mount, &m);
	}
	if (m.pid) {
		s->daemon = m.pid;
		gfs_buf_adds(&s->mount, m.mountpoint.data);
	} else if (!s->is_run) {
		gfs_cli_error("'%s' is not mounted; mount it first, or use "
			      "guardfs run",
			      s->cfg.root);
		goto out;
	} else if (gfs_mounts_abspath(&s->mount, s->cfg.mountpoint
							 ? s->cfg.mountpoint
							 : s->cfg.root)) {
		gfs_cli_error("cannot resolve the mount point");
		goto out;
	}
	rc = 0;
out:
	match_release(&m);
	gfs_buf_release(&dir);
	return rc;
}

/* Where the command starts: the current directory when in the project. */
static void inner_cwd(const struct run_state *s, struct gfs_buf *out)
{
	const char *cwd = s->cwd.data;
	size_t len;

	if (gfs_path_is_within(cwd, s->mount.data)) {
		gfs_buf_adds(out, cwd);
	} else if (gfs_path_is_within(cwd, s->cfg.root)) {
		len = strlen(s->cfg.root);
		gfs_buf_addf(out, "%s%s", s->mount.data, cwd + len);
	} else {
		gfs_buf_adds(out, s->mount.data);
	}
}

static volatile sig_atomic_t pending_signal;

static void on_signal(int sig, siginfo_t *info, void *ctx)
{
	(void)ctx;
	/*
	 * A terminal's ^C reaches the whole foreground group, the command
	 * included (SI_KERNEL): only a signal sent to guardfs alone is
	 * passed on.
	 */
	if (info->si_code != SI_KERNEL)
		pending_signal = sig;
}

/* The command: the child of the sandbox's init (bwrap's pid 1). */
static void forward(pid_t init, pid_t bwrap, int sig)
{
	char path[64];
	long pid = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/task/%ld/children", (long)init,
		 (long)init);
	f = fopen(path, "re");
	if (f) {
		if (fscanf(f, "%ld", &pid) != 1)
			pid = 0;
		fclose(f);
	}
	if (pid > 0)
		kill((pid_t)pid, sig);
	else
		kill(bwrap, sig); /* --die-with-parent ends the rest */
}

static const int forwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
#define NFORWARDED (sizeof(forwarded) / sizeof(forwarded[0]))

/*
 * Catches the forwarded signals from before bwrap starts (exec resets
 * them to their defaults in bwrap) until it has exited.
 */
static void catch_signals(struct sigaction *old)
{
	struct sigaction sa;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_signal;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < NFORWARDED; i++)
		sigaction(forwarded[i], &sa, &old[i]);
}

static void restore_signals(const struct sigaction *old)
{
	size_t i;

	for (i = 0; i < NFORWARDED; i++)
		sigaction(forwarded[i], &old[i], NULL);
}

static int wait_forwarding(pid_t bwrap, pid_t init)
{
	int status = 0, sig;

	for (;;) {
		/* (a signal may have come before the wait began) */
		sig = pending_signal;
		pending_signal = 0;
		if (sig && init > 0)
			forward(init, bwrap, sig);
		else if (sig)
			kill(bwrap, sig);
		if (waitpid(bwrap, &status, 0) == bwrap)
			break;
		if (errno != EINTR) {
			status = 1 << 8;
			break;
		}
	}
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 1;
}

/* The value of a number field of bwrap's info JSON, or 0. */
static unsigned long long info_number(const char *json, const char *key)
{
	char quoted[64];
	const char *p;

	snprintf(quoted, sizeof(quoted), "\"%s\"", key);
	p = strstr(json, quoted);
	if (!p)
		return 0;
	p = strchr(p + strlen(quoted), ':');
	return p ? strtoull(p + 1, NULL, 10) : 0;
}

/* Reads bwrap's info until the object closes or bwrap gives up. */
static void read_info(int fd, char *buf, size_t size)
{
	size_t len = 0;
	ssize_t n;

	while (len < size - 1) {
		n = read(fd, buf + len, size - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		buf[len] = '\0';
		if (strchr(buf, '}'))
			break;
	}
	buf[len] = '\0';
}

/* The label of this action: the command line, on one bounded line. */
static void action_label(char **cmd, struct gfs_buf *out)
{
	struct gfs_buf line = GFS_BUF_INIT;
	size_t i;

	for (i = 0; cmd[i]; i++) {
		if (i)
			gfs_buf_addch(&line, ' ');
		gfs_sandbox_quote(&line, cmd[i]);
	}
	for (i = 0; i < line.len && i < 400; i++)
		gfs_buf_addch(out, line.data[i] == '\n' || line.data[i] == '\t'
					   ? ' '
					   : line.data[i]);
	if (i < line.len)
		gfs_buf_adds(out, "...");
	gfs_buf_release(&line);
}

static void action_tell(const struct run_state *s, unsigned long long ns,
			bool begin)
{
	struct gfs_buf cmd = GFS_BUF_INIT, reply = GFS_BUF_INIT;
	struct gfs_buf key = GFS_BUF_INIT;

	if (!s->daemon || !ns)
		return;
	/* The daemon's key proves this process may see the runtime dir. */
	if (gfs_control_read_key(s->daemon, &key) || !key.data) {
		gfs_cli_error("cannot read the running mount's key; this "
			      "command is not recorded as one action");
		return;
	}
	if (begin) {
		gfs_buf_addf(&cmd, "action-begin %s %llu ", key.data, ns);
		action_label(s->cmd, &cmd);
	} else {
		gfs_buf_addf(&cmd, "action-end %s %llu", key.data, ns);
	}
	gfs_buf_release(&key);
	if (gfs_control_ask(s->daemon, cmd.data, &reply) == 0 &&
	    !strstr(reply.data ? reply.data : "", "action\tok"))
		gfs_cli_error("the mount did not record this command as an "
			      "action: %s",
			      reply.data ? reply.data : "no reply");
	gfs_buf_release(&cmd);
	gfs_buf_release(&reply);
}

static int unmount_ours(struct run_state *s)
{
	char *argv[] = {(char *)"umount", s->mount.data, NULL};

	if (!s->we_mounted)
		return 0;
	s->we_mounted = false;
	optind = 1;
	return gfs_cmd_umount(2, argv);
}

/*
 * In the child that becomes bwrap: every descriptor past stderr closes on
 * exec, whoever opened it. What the caller's own caller left open (a
 * shell's redirection, an IDE's or a CI runner's descriptors) would
 * otherwise reach the agent through bwrap: a file outside the folder, a
 * socket to a host service, a directory that openat() leads out of the
 * sandbox from. Those bwrap needs are inherited again one by one.
 */
static void close_others_on_exec(void)
{
	DIR *d;
	struct dirent *e;

	if (!close_range(3, ~0U, CLOSE_RANGE_CLOEXEC))
		return;
	/* (a kernel before 5.11: walk them) */
	d = opendir("/proc/self/fd");
	if (!d)
		_exit(127); /* rather not start than leak */
	while ((e = readdir(d))) {
		int fd = atoi(e->d_name);

		if (fd > 2 && fd != dirfd(d))
			fcntl(fd, F_SETFD, FD_CLOEXEC);
	}
	closedir(d);
}

/* Sets an inherited descriptor up for bwrap: clears close-on-exec. */
static void inherit(int fd)
{
	if (fd >= 0)
		fcntl(fd, F_SETFD, 0);
}

static int run_sandboxed(struct run_state *s)
{
	struct gfs_sandbox sb = {0};
	struct gfs_sandbox_opts o = {0};
	struct gfs_buf cwd = GFS_BUF_INIT;
	struct gfs_mount_args ma = {0};
	struct gfs_buf mounted = GFS_BUF_INIT;
	struct gfs_agent_server agent = {0};
	struct gfs_sandbox_net net = GFS_SANDBOX_NET_INIT;
	char exe[PATH_MAX];
	ssize_t exe_len;
	int info[2] = {-1, -1}, block[2] = {-1, -1}, seccomp = -1;
	char resolv_dest[PATH_MAX];
	struct sigaction old_handlers[NFORWARDED];
	struct gfs_freeze_watch *watch = NULL;
	bool caught = false;
	unsigned long long ns = 0;
	char err[700] = "", json[1024];
	pid_t pid = -1, init;
	int rc = 1;

	inner_cwd(s, &cwd);
	o.cfg = &s->cfg;
	o.mount = s->mount.data;
	o.cwd = cwd.data;
	o.network = s->network >= 0 ? (enum gfs_run_network)s->network
				    : s->cfg.run_network;
	o.tty = isatty(STDIN_FILENO);
	{
		struct sigaction now;

		/* (a command started with ^C ignored keeps ignoring it) */
		o.reset_intr = o.tty && gfs_sandbox_reset_intr() &&
			       sigaction(SIGINT, NULL, &now) == 0 &&
			       now.sa_handler != SIG_IGN;
	}
	o.seccomp_fd = o.info_fd = o.block_fd = o.resolv_fd = -1;
	if (s->print) {
		if (gfs_sandbox_build(&sb, &o, s->cmd, err, sizeof(err))) {
			gfs_cli_error("%s", err);
			goto out;
		}
		printf("# at run time guardfs adds --seccomp FD (no TIOCSTI), "
		       "--info-fd FD and --block-fd FD, and the agent's verbs "
		       "(--bind SOCKET " GFS_AGENT_SOCKET
		       ", --ro-bind GUARDFS " GFS_AGENT_BIN
		       "/guardfs, --setenv " GFS_AGENT_ENV " and PATH)%s\n",
		       o.network == GFS_RUN_NETWORK_OWN
			       ? ", and --ro-bind-data FD /etc/resolv.conf "
				 "when "
				 "the host's resolver is on its loopback"
			       : "");
		if (o.network == GFS_RUN_NETWORK_OWN) {
			printf("# bwrap starts in a user and network namespace "
			       "of guardfs's own, served by: ");
			gfs_sandbox_net_print(stdout);
		}
		if (sb.etc)
			printf("# /etc is the copy %s/%s of what others may "
			       "read in it, bound by --ro-bind-fd\n",
			       sb.etc->path, sb.etc->name);
		gfs_sandbox_print(&sb, stdout);
		rc = 0;
		goto out;
	}
	if (gfs_sandbox_check_userns())
		goto out;
	if (!s->daemon) {
		/* Built once before mounting: a refusal leaves nothing. */
		if (gfs_sandbox_build(&sb, &o, s->cmd, err, sizeof(err))) {
			gfs_cli_error("%s", err);
			goto out;
		}
		gfs_sandbox_release(&sb);
		ma.config_path = s->cfg.path;
		ma.root = s->cfg.root;
		ma.quiet = true;
		ma.mounted_at = &mounted;
		if (gfs_cli_mount(&ma))
			goto out;
		s->we_mounted = true;
		{
			struct mount_match m = {.root = s->cfg.root};

			gfs_control_query_all("status", match_mount, &m);
			s->daemon = m.pid;
			match_release(&m);
		}
	}
	/*
	 * The agent's own log, diff and undo, served from out here (before
	 * the pipes below: the server must not hold them open either).
	 */
	exe_len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (exe_len > 0 && s->daemon &&
	    !gfs_agent_serve_start(&agent, &s->cfg, s->daemon, s->mount.data)) {
		exe[exe_len] = '\0';
		o.agent_socket = agent.socket;
		o.agent_exe = exe;
	}
	/* (after mounting: the daemon must not hold these pipes open) */
	seccomp = gfs_sandbox_seccomp_fd();
	if (pipe2(info, O_CLOEXEC) || pipe2(block, O_CLOEXEC)) {
		gfs_cli_error("cannot create a pipe: %s", strerror(errno));
		goto out;
	}
	o.seccomp_fd = seccomp;
	o.info_fd = info[1];
	o.block_fd = block[0];
	if (o.network == GFS_RUN_NETWORK_OWN) {
		o.resolv_fd = gfs_sandbox_net_resolv_fd(resolv_dest,
							sizeof(resolv_dest));
		o.resolv_dest = resolv_dest;
	}
	if (gfs_sandbox_build(&sb, &o, s->cmd, err, sizeof(err)) ||
	    (o.network == GFS_RUN_NETWORK_OWN &&
	     gfs_sandbox_net_init(&net, err, sizeof(err)))) {
		gfs_cli_error("%s", err);
		goto out;
	}
	fflush(NULL);
	pending_signal = 0;
	catch_signals(old_handlers);
	caught = true;
	pid = fork();
	if (pid < 0) {
		gfs_cli_error("cannot fork: %s", strerror(errno));
		goto out;
	}
	if (pid == 0) {
		close_others_on_exec();
		inherit(seccomp);
		inherit(info[1]);
		inherit(block[0]);
		inherit(o.resolv_fd);
		gfs_sandbox_inherit_fds(&sb);
		if (o.reset_intr) {
			signal(SIGINT, SIG_IGN);
			signal(SIGQUIT, SIG_IGN);
		}
		if (o.network == GFS_RUN_NETWORK_OWN)
			gfs_sandbox_net_child(&net);
		execv(sb.argv[0], sb.argv);
		fprintf(stderr, "guardfs: cannot run '%s': %s\n", sb.argv[0],
			strerror(errno));
		_exit(127);
	}
	close(info[1]);
	close(block[0]);
	info[1] = block[0] = -1;
	if (o.resolv_fd >= 0)
		close(o.resolv_fd);
	o.resolv_fd = -1;
	if (o.network == GFS_RUN_NETWORK_OWN &&
	    gfs_sandbox_net_start(&net, pid, err, sizeof(err))) {
		gfs_cli_error("%s", err);
		waitpid(pid, NULL, 0); /* it exits without running anything */
		goto out;
	}
	read_info(info[0], json, sizeof(json));
	init = (pid_t)info_number(json, "child-pid");
	ns = info_number(json, "pid-namespace");
	if (init > 0 && !ns) {
		struct stat st;
		char path[64];

		snprintf(path, sizeof(path), "/proc/%ld/ns/pid", (long)init);
		if (stat(path, &st) == 0)
			ns = (unsigned long long)st.st_ino;
	}
	if (init > 0)
		action_tell(s, ns, true);
	if (init > 0 && s->daemon)
		watch = gfs_cli_freeze_watch(s->daemon, s->mount.data);
	/* Now the command may start. */
	if (write(block[1], "x", 1) < 0 && init > 0)
		gfs_cli_error("cannot start the sandbox: %s", strerror(errno));
	close(block[1]);
	block[1] = -1;
	rc = wait_forwarding(pid, init);
	gfs_sandbox_net_release(&net);
	gfs_cli_freeze_watch_end(watch);
	if (init <= 0) {
		gfs_cli_error(
			"bubblewrap could not build the sandbox (see its "
			"message above)%s",
			geteuid() ? "; an ordinary user needs the kernel to "
				    "allow unprivileged user namespaces"
				  : "; the kernel must allow user namespaces");
		if (rc == 0)
			rc = 1;
	}
	action_tell(s, ns, false);
out:
	gfs_sandbox_net_release(&net);
	gfs_agent_serve_stop(&agent);
	if (caught)
		restore_signals(old_handlers);
	if (unmount_ours(s) && rc == 0)
		rc = 1;
	if (seccomp >= 0)
		close(seccomp);
	if (o.resolv_fd >= 0)
		close(o.resolv_fd);
	for (int i = 0; i < 2; i++) {
		if (info[i] >= 0)
			close(info[i]);
		if (block[i] >= 0)
			close(block[i]);
	}
	gfs_sandbox_release(&sb);
	gfs_buf_release(&cwd);
	gfs_buf_release(&mounted);
	return rc;
}

static int run_or_exec(int argc, char **argv, bool is_run)
{
	struct run_state s = {.is_run = is_run, .network = -1};
	const char *network = NULL;
	const struct gfs_option options[] = {
		GFS_OPT_STR('c', "config", "FILE", "the project's config",
			    &s.config_path),
		GFS_OPT_STR(0, "network", "WHICH",
			    "yes (the default): a network of its own, as "
			    "above; no: none, the loopback alone; host: the "
			    "host's, shared, its loopback and abstract sockets "
			    "included; overrides [run] network",
			    &network),
		GFS_OPT_BOOL(0, "print",
			     "print the bwrap command line and exit", &s.print),
		GFS_OPT_END,
	};
	struct gfs_buf about = GFS_BUF_INIT;
	struct gfs_command_spec spec = {
		.usage = is_run ? "guardfs run [-c FILE] "
				  "[--network=yes|no|host] "
				  "[--print] [--] CMD [ARGS...]"
				: "guardfs exec [-c FILE] "
				  "[--network=yes|no|host] "
				  "[--print] [--] CMD [ARGS...]",
		.options = options,
		.options_first = true,
	};
	enum gfs_run_network which;
	int first, rc;

	gfs_buf_adds(&about,
		     is_run ? "Runs CMD in a sandbox whose only project is the "
			      "guarded folder, mounting it first if it is not "
			      "mounted (and unmounting at the end only what it "
			      "mounted). The folder is the config's [guard] "
			      "root with -c, else the mount holding the "
			      "current directory, else the nearest folder "
			      "above with a .guardfs.ini, else the current "
			      "directory.\n"
			    : "Runs CMD in the sandbox of `guardfs run` on a "
			      "folder that is already mounted, fast enough to "
			      "wrap every shell command of an agent. Its "
			      "operations are recorded as one action: the "
			      "audit trail and the commits name the command "
			      "line.\n");
	gfs_buf_adds(&about, sandbox_about);
	spec.about = about.data;
	first = gfs_options_parse(&spec, argc, argv);
	gfs_buf_release(&about);
	if (first < 0)
		return gfs_options_exit(first);
	if (network) {
		if (gfs_config_network_parse(network, &which)) {
			gfs_cli_error("bad value '%s' for --network "
				      "(expected yes, no or host)",
				      network);
			return 2;
		}
		s.network = (int)which;
	}
	if (first >= argc)
		return gfs_options_usage(&spec);
	s.cmd = argv + first;
	gfs_config_init(&s.cfg);
	rc = find_project(&s) ? 1 : run_sandboxed(&s);
	gfs_config_release(&s.cfg);
	gfs_buf_release(&s.cwd);
	gfs_buf_release(&s.mount);
	return rc;
}

int gfs_cmd_run(int argc, char **argv)
{
	return run_or_exec(argc, argv, true);
}

int gfs_cmd_exec(int argc, char **argv)
{
	return run_or_exec(argc, argv, false);
}
