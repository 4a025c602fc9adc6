#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "config_trust.h"
#include "guardfs/config.h"
#include "guardfs/fs.h"
#include "guardfs/util.h"
#include "mounts.h"
#include "options.h"

/* Refuses a store or trail inside the root, where the agent could reach it. */
static int check_outside_root(const struct gfs_config *cfg, const char *what,
			      const char *path)
{
	struct gfs_buf resolved = GFS_BUF_INIT;
	int rc = 0;

	if (gfs_mounts_resolve_future(&resolved, path) == 0 &&
	    gfs_path_is_within(resolved.data, cfg->root)) {
		gfs_cli_error(
			"the %s '%s' lies inside the guarded folder '%s'; "
			"move it out (the agent could rewrite it)",
			what, path, cfg->root);
		rc = -1;
	}
	gfs_buf_release(&resolved);
	return rc;
}

static int choose_mountpoint(const struct gfs_config *cfg, const char *arg,
			     struct gfs_buf *out)
{
	const char *mp = arg		   ? arg
			 : cfg->mountpoint ? cfg->mountpoint
					   : cfg->root;
	struct stat st;

	if (gfs_realpath(out, mp) || stat(out->data, &st) ||
	    !S_ISDIR(st.st_mode)) {
		gfs_cli_error("cannot mount on '%s': %s", mp,
			      errno ? strerror(errno) : "not a directory");
		return -1;
	}
	if (strcmp(out->data, cfg->root) &&
	    gfs_path_is_within(out->data, cfg->root)) {
		gfs_cli_error("mount point '%s' lies inside the guarded folder "
			      "'%s'",
			      out->data, cfg->root);
		return -1;
	}
	if (gfs_mounts_is_guardfs(out->data)) {
		gfs_cli_error("'%s' is already guarded (see guardfs status)",
			      out->data);
		return -1;
	}
	return 0;
}

struct ready_pipe {
	int fd;
	bool foreground;
	bool progress_shown; /* on the terminal: end that line first */
	const char *root;
	const char *mountpoint;
};

/* Tells the waiting parent how start-up went: "ok" or the error. */
static void report_ready(void *arg, int rc, const char *message)
{
	struct ready_pipe *rp = arg;
	char line[600];
	int n;

	if (rp->foreground) {
		if (rp->progress_shown)
			fputc('\n', stderr);
		if (rc)
			gfs_cli_error("%s", message);
		else
			fprintf(stderr, "guardfs: guarding '%s' at '%s'\n",
				rp->root, rp->mountpoint);
		return;
	}
	n = snprintf(line, sizeof(line), "%s", rc ? message : "ok");
	/* If the parent is gone the daemon still goes on. */
	(void)!write(rp->fd, line, (size_t)n);
	close(rp->fd);
	rp->fd = -1;
}

/*
 * How far the store has read the folder as found (a first mount of a
 * big folder takes a while): a line to the waiting parent, or straight
 * to a terminal in the foreground.
 */
static void report_progress(void *arg, uint64_t entries)
{
	struct ready_pipe *rp = arg;
	char line[64];
	int n;

	if (rp->foreground) {
		if (isatty(STDERR_FILENO)) {
			fprintf(stderr,
				"\rguardfs: recording the folder as found: "
				"%llu entries",
				(unsigned long long)entries);
			rp->progress_shown = true;
		}
		return;
	}
	n = snprintf(line, sizeof(line), "progress %llu\n",
		     (unsigned long long)entries);
	(void)!write(rp->fd, line, (size_t)n);
}

/* Points stdio of the daemon at /dev/null and its log. */
static void detach_stdio(const char *log_path)
{
	int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	int log_fd =
		open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);

	if (null_fd >= 0)
		dup2(null_fd, STDIN_FILENO);
	if (log_fd < 0)
		log_fd = null_fd;
	if (log_fd >= 0) {
		dup2(log_fd, STDOUT_FILENO);
		dup2(log_fd, STDERR_FILENO);
	}
	if (null_fd > STDERR_FILENO)
		close(null_fd);
	if (log_fd > STDERR_FILENO && log_fd != null_fd)
		close(log_fd);
}

/*
 * Shows the "progress N" lines at the head of message (len bytes) on a
 * terminal, and drops them: what is left is the verdict, or more of them.
 */
static size_t show_progress(char *message, size_t len, bool *shown)
{
	char *nl;

	message[len] = '\0';
	while (!strncmp(message, "progress ", 9) &&
	       (nl = memchr(message, '\n', len))) {
		*nl = '\0';
		if (isatty(STDERR_FILENO)) {
			fprintf(stderr,
				"\rguardfs: recording the folder as found: %s "
				"entries",
				message + 9);
			*shown = true;
		}
		len -= (size_t)(nl + 1 - message);
		memmove(message, nl + 1, len + 1);
	}
	return len;
}

/* Waits for the daemon's verdict, then for the mount to answer. */
static int wait_for_daemon(int fd, pid_t pid, const char *mountpoint,
			   const char *log_path)
{
	char message[600];
	bool shown = false;
	size_t len = 0;
	ssize_t n;
	struct stat st;
	int status;

	while (len < sizeof(message) - 1 &&
	       (n = read(fd, message + len, sizeof(message) - 1 - len)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		len = show_progress(message, len + (size_t)n, &shown);
	}
	message[len] = '\0';
	close(fd);
	if (shown)
		fputc('\n', stderr);
	if (strcmp(message, "ok")) {
		if (len)
			gfs_cli_error("%s", message);
		else
			gfs_cli_error("the daemon exited during start-up "
				      "(see '%s')",
				      log_path);
		waitpid(pid, &status, 0);
		return 1;
	}
	/* The first stat waits for FUSE_INIT: the mount now answers. */
	if (stat(mountpoint, &st)) {
		gfs_cli_error("mounted '%s' but it does not answer: %s",
			      mountpoint, strerror(errno));
		return 1;
	}
	return 0;
}

int gfs_cli_mount(const struct gfs_mount_args *a)
{
	struct gfs_config cfg;
	struct gfs_buf mountpoint = GFS_BUF_INIT, log_path = GFS_BUF_INIT;
	struct ready_pipe rp = {.fd = -1};
	struct gfs_fs_opts opts;
	const char *config_path = a->config_path, *root_arg = a->root,
		   *mp_arg = a->mountpoint;
	bool foreground = a->foreground, debug = a->debug,
	     trust = a->trust_config;
	char err[600];
	int fds[2], root_fd, rc = 1;
	pid_t pid;

	gfs_config_init(&cfg);
	if (gfs_config_resolve(&cfg, config_path, root_arg, err, sizeof(err))) {
		gfs_cli_error("%s", err);
		goto out;
	}
	if (choose_mountpoint(&cfg, mp_arg, &mountpoint) ||
	    (cfg.snapshot_enabled &&
	     check_outside_root(&cfg, "store", cfg.store)) ||
	    check_outside_root(&cfg, "audit trail", cfg.audit_path) ||
	    (cfg.ask_answers &&
	     check_outside_root(&cfg, "answers file", cfg.ask_answers)))
		goto out;
	if (gfs_config_trust_check(&cfg, trust))
		goto out;
	if (access("/dev/fuse", R_OK | W_OK)) {
		gfs_cli_error("cannot open /dev/fuse: %s", strerror(errno));
		goto out;
	}
	/* Opened before mounting, so an in-place mount can still reach it. */
	root_fd = open(cfg.root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root_fd < 0) {
		gfs_cli_error("cannot open root '%s': %s", cfg.root,
			      strerror(errno));
		goto out;
	}
	memset(&opts, 0, sizeof(opts));
	opts.cfg = &cfg;
	opts.root_fd = root_fd;
	opts.mountpoint = mountpoint.data;
	opts.debug = debug;
	opts.ready = report_ready;
	opts.progress = report_progress;
	opts.ready_arg = &rp;
	rp.root = cfg.root;
	rp.mountpoint = mountpoint.data;
	/* From here on the agent may write: the session begins. */
	if (gfs_config_trust_begin(&cfg))
		gfs_cli_error("cannot record the session of '%s'; the next "
			      "mount cannot tell whether its config changed "
			      "meanwhile",
			      cfg.root);
	if (foreground) {
		rp.foreground = true;
		rc = gfs_fs_run(&opts);
		gfs_config_trust_end(&cfg);
		goto out;
	}
	gfs_buf_addf(&log_path, "%s.log", cfg.audit_path);
	{
		char *dir = strdup(cfg.audit_path);

		if (dir && strrchr(dir, '/')) {
			*strrchr(dir, '/') = '\0';
			gfs_mkdir_p(dir, 0700);
		}
		free(dir);
	}
	if (pipe2(fds, O_CLOEXEC)) {
		gfs_cli_error("cannot create a pipe: %s", strerror(errno));
		close(root_fd);
		goto out;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		gfs_cli_error("cannot fork: %s", strerror(errno));
		close(root_fd);
		goto out;
	}
	if (pid == 0) {
		close(fds[0]);
		rp.fd = fds[1];
		setsid();
		if (chdir("/"))
			_exit(1);
		detach_stdio(log_path.data);
		rc = gfs_fs_run(&opts);
		gfs_config_trust_end(&cfg);
		gfs_config_release(&cfg);
		gfs_buf_release(&mountpoint);
		gfs_buf_release(&log_path);
		_exit(rc);
	}
	close(fds[1]);
	close(root_fd);
	rc = wait_for_daemon(fds[0], pid, mountpoint.data, log_path.data);
	if (rc == 0 && !a->quiet)
		printf("guarding %s at %s (pid %ld)\n", cfg.root,
		       mountpoint.data, (long)pid);
	if (rc == 0 && a->mounted_at)
		gfs_buf_adds(a->mounted_at, mountpoint.data);
out:
	gfs_config_release(&cfg);
	gfs_buf_release(&mountpoint);
	gfs_buf_release(&log_path);
	return rc;
}

int gfs_cmd_mount(int argc, char **argv)
{
	struct gfs_mount_args a = {0};
	const struct gfs_option options[] = {
		GFS_OPT_STR('c', "config", "FILE",
			    "read FILE (default: ROOT/.guardfs.ini, then "
			    "$XDG_CONFIG_HOME/guardfs/config.ini); ROOT then "
			    "defaults to the config's [guard] root",
			    &a.config_path),
		GFS_OPT_BOOL(
			0, "trust-config",
			"load a config that changed while the last guarded "
			"session of ROOT was running (refused otherwise: "
			"the agent may have written it); the change is "
			"shown",
			&a.trust_config),
		GFS_OPT_BOOL('f', "foreground",
			     "stay in the foreground, log to stderr",
			     &a.foreground),
		GFS_OPT_BOOL('d', "debug",
			     "trace every FUSE request (implies -f)", &a.debug),
		GFS_OPT_END,
	};
	const struct gfs_command_spec spec = {
		.usage = "guardfs mount [-c FILE] [--trust-config] "
			 "[-f|--foreground] [-d|--debug] [ROOT [MOUNTPOINT]]",
		.about = "Guards the folder ROOT: mounts it at MOUNTPOINT, by "
			 "default in place over ROOT itself, so the path the "
			 "agent knows is the guarded one. Credentials are "
			 "hidden, every operation is audited and every change "
			 "is snapshotted.\n"
			 "Returns once the mount answers; the daemon keeps "
			 "running until `guardfs umount`, SIGTERM or SIGINT.",
		.options = options,
		.options_first = true,
	};
	int first = gfs_options_parse(&spec, argc, argv);

	if (first < 0)
		return gfs_options_exit(first);
	if (argc - first > 2)
		return gfs_options_usage(&spec);
	if (a.debug)
		a.foreground = true;
	if (first < argc)
		a.root = argv[first];
	if (first + 1 < argc)
		a.mountpoint = argv[first + 1];
	return gfs_cli_mount(&a);
}
