/*
 * Whether a process asking the control socket runs this very program,
 * unaltered: the same executable file, no code loaded beside it, no
 * loader variables that would load some, no tracer. This is defence in
 * depth behind the control key (see control.h): a process of the same
 * uid outside any sandbox can still drive a genuine guardfs through
 * ptrace between two checks, and the README says so.
 */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs_internal.h"
#include "guardfs/util.h"

/* Reads a small /proc file of pid ("self" when pid is 0) into out. */
static int read_proc(pid_t pid, const char *name, struct gfs_buf *out)
{
	char path[64];
	int fd, rc;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, name);
	else
		snprintf(path, sizeof(path), "/proc/self/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	rc = gfs_buf_read_fd(out, fd);
	close(fd);
	if (!rc && !out->data)
		rc = gfs_buf_adds(out, "");
	return rc;
}

static bool same_exe(pid_t pid)
{
	struct stat peer, self;
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	return stat(path, &peer) == 0 && stat("/proc/self/exe", &self) == 0 &&
	       peer.st_dev == self.st_dev && peer.st_ino == self.st_ino;
}

/* Whether the environment names a loader variable that injects code. */
static bool loader_variables(const struct gfs_buf *environ_text)
{
	static const char *const names[] = {
		"LD_PRELOAD=", "LD_AUDIT=", "LD_LIBRARY_PATH="};
	const char *p = environ_text->data, *end = p + environ_text->len;
	size_t i;

	for (; p < end; p += strlen(p) + 1) {
		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			if (!strncmp(p, names[i], strlen(names[i])))
				return true;
		}
	}
	return false;
}

/*
 * The "dev inode" of each executable mapping in a maps text, each line
 * framed by newlines in out ("\nA\nB\n"); anonymous executable memory
 * other than the vdso counts as "anon".
 */
static void exec_mappings(const char *maps, struct gfs_buf *out)
{
	const char *line = maps;

	gfs_buf_addch(out, '\n');
	while (line && *line) {
		const char *nl = strchr(line, '\n');
		char perms[8], dev[16], rest[PATH_MAX] = "";
		unsigned long long ino;

		if (sscanf(line, "%*s %7s %*s %15s %llu %4095[^\n]", perms, dev,
			   &ino, rest) >= 3 &&
		    perms[2] == 'x') {
			if (ino)
				gfs_buf_addf(out, "%s %llu\n", dev, ino);
			else if (strcmp(rest, "[vdso]") &&
				 strcmp(rest, "[vsyscall]"))
				gfs_buf_adds(out, "anon\n");
		}
		line = nl ? nl + 1 : NULL;
	}
}

/* Whether every framed line of sub is a framed line of set. */
static bool lines_within(const struct gfs_buf *sub, const struct gfs_buf *set)
{
	const char *line = sub->data + 1; /* past the leading newline */
	const char *end = sub->data + sub->len;

	while (line < end) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		/* the line with the newlines before and after it */
		size_t n = (size_t)(nl - line) + 2;

		if (!memmem(set->data, set->len, line - 1, n))
			return false;
		line = nl + 1;
	}
	return true;
}

int gfs_peer_check(pid_t pid, const char **why)
{
	struct gfs_buf text = GFS_BUF_INIT, peer = GFS_BUF_INIT;
	struct gfs_buf self = GFS_BUF_INIT;
	const char *tracer;

	*why = NULL;
	if (!same_exe(pid))
		*why = "not the guardfs program";
	else if (read_proc(pid, "environ", &text))
		*why = "its environment cannot be read";
	else if (loader_variables(&text))
		*why = "a loader variable (LD_PRELOAD, LD_AUDIT, "
		       "LD_LIBRARY_PATH) in its environment";
	if (*why)
		goto out;
	gfs_buf_reset(&text);
	if (read_proc(pid, "status", &text) ||
	    !(tracer = strstr(text.data, "\nTracerPid:")) ||
	    atoi(tracer + 11) != 0) {
		*why = "it is traced";
		goto out;
	}
	/* Code beside the program: a preload that scrubbed its variable. */
	gfs_buf_reset(&text);
	if (read_proc(pid, "maps", &text)) {
		*why = "its mappings cannot be read";
		goto out;
	}
	exec_mappings(text.data, &peer);
	gfs_buf_reset(&text);
	if (read_proc(0, "maps", &text)) {
		*why = "own mappings cannot be read";
		goto out;
	}
	exec_mappings(text.data, &self);
	if (!peer.data || !lines_within(&peer, &self))
		*why = "code that guardfs does not load is mapped in it";
out:
	gfs_buf_release(&text);
	gfs_buf_release(&peer);
	gfs_buf_release(&self);
	return *why ? -EPERM : 0;
}
