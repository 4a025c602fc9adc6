#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "guardfs/control.h"
#include "mounts.h"
#include "options.h"

/* How long the daemon may take to write out its last snapshots. */
#define DRAIN_TIMEOUT_S 120

struct find_daemon {
	const char *mountpoint;
	pid_t pid;
};

static void match_daemon(void *arg, pid_t pid, const char *reply)
{
	struct find_daemon *fd = arg;
	struct gfs_buf mp = GFS_BUF_INIT;

	if (gfs_control_reply_get(reply, "mountpoint", &mp) == 0 &&
	    !strcmp(mp.data, fd->mountpoint))
		fd->pid = pid;
	gfs_buf_release(&mp);
}

/* Unmounts as root directly, as a user through fusermount3. */
static int detach(const char *path, bool lazy)
{
	pid_t pid;
	int status;

	if (geteuid() == 0)
		return umount2(path, lazy ? MNT_DETACH : 0) ? -errno : 0;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		execlp("fusermount3", "fusermount3", lazy ? "-uz" : "-u", path,
		       (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EBUSY;
}

/*
 * True while pid runs. A daemon whose parent exited belongs to init,
 * which may take its time to reap it: a zombie has finished.
 */
static bool is_running(pid_t pid)
{
	char path[64], state = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	/* The state follows the command name, which ends at the last ')'. */
	{
		char line[512];
		char *paren;

		if (fgets(line, sizeof(line), f) &&
		    (paren = strrchr(line, ')')) && paren[1] == ' ')
			state = paren[2];
	}
	fclose(f);
	return state != 0 && state != 'Z' && state != 'X';
}

/*
 * What the daemon still has to record, from the file it rewrites while
 * it drains (fs/drain.c): 0 and left/first/bytes set, or -errno. (A
 * daemon of an older build writes no bytes: 0.)
 */
static int read_drain(pid_t pid, unsigned long long *left,
		      unsigned long long *first, unsigned long long *bytes)
{
	struct gfs_buf path = GFS_BUF_INIT;
	int rc = gfs_control_runtime_dir(&path);
	FILE *f = NULL;

	if (!rc && gfs_buf_addf(&path, "/%ld.drain", (long)pid))
		rc = -ENOMEM;
	if (!rc && !(f = fopen(path.data, "re")))
		rc = -errno;
	*bytes = 0;
	if (!rc && fscanf(f, "%llu %llu %llu", left, first, bytes) < 2)
		rc = -EINVAL;
	if (f)
		fclose(f);
	gfs_buf_release(&path);
	return rc;
}

/*
 * Waits for the daemon to exit once it has recorded everything. On a
 * terminal a line says how much is left, rewritten in place; otherwise
 * (or while nothing says) one line after 2 s says what the wait is for.
 */
static int wait_for_exit(pid_t pid)
{
	time_t start = time(NULL);
	bool tty = isatty(2), told = false, shown = false;
	unsigned long long left, first, bytes, last = 0, last_mib = 0;

	while (is_running(pid)) {
		if (time(NULL) - start >= DRAIN_TIMEOUT_S) {
			if (shown)
				fputc('\n', stderr);
			return -ETIMEDOUT;
		}
		if (tty && read_drain(pid, &left, &first, &bytes) == 0 &&
		    (left || bytes) &&
		    (left != last || (bytes + 1048575) >> 20 != last_mib)) {
			last = left;
			last_mib = (bytes + 1048575) >> 20;
			fprintf(stderr,
				"\rguardfs: recording the last changes: %llu "
				"of %llu left",
				left, first);
			if (bytes)
				fprintf(stderr, ", %llu MiB of large files",
					last_mib);
			fputs("\033[K", stderr);
			shown = true;
		} else if (!shown && !told && time(NULL) - start >= 2) {
			fprintf(stderr,
				"guardfs: waiting for the daemon (pid "
				"%ld) to finish recording...\n",
				(long)pid);
			told = true;
		}
		usleep(20000);
	}
	if (shown)
		fprintf(stderr, "\rguardfs: recording the last changes: "
				"done\033[K\n");
	return 0;
}

int gfs_cmd_umount(int argc, char **argv)
{
	struct gfs_buf path = GFS_BUF_INIT;
	struct find_daemon found = {0};
	bool lazy = false;
	const struct gfs_option options[] = {
		GFS_OPT_BOOL(
			'l', "lazy",
			"detach now even if a process still uses the mount",
			&lazy),
		GFS_OPT_END,
	};
	const struct gfs_command_spec spec = {
		.usage = "guardfs umount [--lazy] PATH",
		.about =
			"Unmounts the guarded folder mounted at PATH and waits "
			"until its daemon has written out the audit trail and "
			"the last snapshots. A stale mount whose daemon died "
			"is cleared too.",
		.options = options,
		.options_first = true,
	};
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
	found.mountpoint = path.data;
	gfs_control_query_all("status", match_daemon, &found);
	if (!found.pid && !gfs_mounts_is_guardfs(path.data)) {
		gfs_cli_error("'%s' is not a guardfs mount", path.data);
		goto out;
	}
	err = detach(path.data, lazy);
	if (err && !found.pid && !lazy)
		err = detach(path.data, true); /* stale: nobody serves it */
	if (err) {
		gfs_cli_error("cannot unmount '%s': %s%s", path.data,
			      strerror(-err),
			      err == -EBUSY ? " (a process uses it; close it "
					      "or use --lazy)"
					    : "");
		goto out;
	}
	if (found.pid && wait_for_exit(found.pid)) {
		gfs_cli_error("unmounted '%s', but its daemon (pid %ld) is "
			      "still running",
			      path.data, (long)found.pid);
		goto out;
	}
	rc = 0;
out:
	gfs_buf_release(&path);
	return rc;
}
