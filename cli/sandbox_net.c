/*
 * The sandbox's own network: a user and a network namespace made before
 * bwrap starts, served by slirp4netns (see sandbox_net.h for why).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/close_range.h>

#include "guardfs/buf.h"
#include "sandbox.h"
#include "sandbox_net.h"

/* How long slirp4netns may take to configure the namespace. */
#define HELPER_START_MS 10000

/*
 * The helper's fixed options. The host's loopback stays out of reach
 * (a credential helper or a database listening on 127.0.0.1 is no
 * business of the agent's); slirp4netns parses every packet the agent
 * sends, so it confines itself: a mount namespace holding only /etc and
 * /run, inside the sandbox's user namespace, and a seccomp filter.
 * 65520 is the MTU slirp4netns recommends for throughput.
 */
static const char *const helper_options[] = {
	"--configure",	    "--mtu=65520",	"--disable-host-loopback",
	"--enable-sandbox", "--enable-seccomp",
};

/* The interface inside; slirp4netns gives it 10.0.2.100/24. */
static const char helper_ifname[] = "tap0";

/* slirp4netns's DNS forwarder, inside. */
static const char helper_dns[] = "10.0.2.3";

int gfs_sandbox_net_find(char *out, size_t size, char *err, size_t err_size)
{
	if (!gfs_sandbox_find_program("slirp4netns", out, size))
		return 0;
	/* Never the host's network instead: that is the hole this closes. */
	snprintf(err, err_size,
		 "slirp4netns not found in PATH: the sandbox's own network "
		 "needs it (apt install slirp4netns); or choose --network=no "
		 "(none) or --network=host (the host's, abstract sockets "
		 "included)");
	return -1;
}

int gfs_sandbox_net_init(struct gfs_sandbox_net *n, char *err, size_t err_size)
{
	if (gfs_sandbox_net_find(n->helper_path, sizeof(n->helper_path), err,
				 err_size))
		return -1;
	/* (written by the child, formatted here: it only makes syscalls) */
	snprintf(n->uid_map, sizeof(n->uid_map), "0 %u 1", (unsigned)geteuid());
	snprintf(n->gid_map, sizeof(n->gid_map), "0 %u 1", (unsigned)getegid());
	if (pipe2(n->made, O_CLOEXEC) || pipe2(n->go, O_CLOEXEC)) {
		snprintf(err, err_size, "cannot create a pipe: %s",
			 strerror(errno));
		return -1;
	}
	return 0;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static int write_file(const char *path, const char *text)
{
	size_t len = strlen(text);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t w;

	if (fd < 0)
		return -errno;
	w = write(fd, text, len);
	if (w != (ssize_t)len) {
		int e = w < 0 ? errno : EIO;

		close(fd);
		return -e;
	}
	close(fd);
	return 0;
}

/*
 * The namespaces, from inside: the user is root in the new user
 * namespace (slirp4netns's --enable-sandbox needs that; bwrap maps the
 * command back to the user's own ids with --uid and --gid). setgroups
 * must be denied before an unprivileged gid_map is written.
 */
static int unshare_namespaces(const struct gfs_sandbox_net *n)
{
	int rc;

	if (unshare(CLONE_NEWUSER | CLONE_NEWNET))
		return -errno;
	rc = write_file("/proc/self/setgroups", "deny");
	if (rc && rc != -ENOENT)
		return rc;
	rc = write_file("/proc/self/uid_map", n->uid_map);
	return rc ? rc : write_file("/proc/self/gid_map", n->gid_map);
}

void gfs_sandbox_net_child(struct gfs_sandbox_net *n)
{
	int status;
	char go;
	ssize_t r;

	/* Our copy of guardfs's end would hide guardfs's death. */
	close_fd(&n->made[0]);
	close_fd(&n->go[1]);
	status = -unshare_namespaces(n);
	if (write(n->made[1], &status, sizeof(status)) != sizeof(status) ||
	    status)
		_exit(127);
	close_fd(&n->made[1]);
	do
		r = read(n->go[0], &go, 1);
	while (r < 0 && errno == EINTR);
	if (r != 1)
		_exit(127); /* guardfs said why, or is gone */
	close_fd(&n->go[0]);
}

/* The helper's argv into argv (16 entries), its numbers into nums. */
static void helper_argv(const char **argv, const char *path, char nums[3][32],
			const char *pid, int ready_fd, int exit_fd)
{
	size_t i, k = 0;

	argv[k++] = path;
	for (i = 0; i < sizeof(helper_options) / sizeof(helper_options[0]); i++)
		argv[k++] = helper_options[i];
	if (ready_fd >= 0) {
		snprintf(nums[0], sizeof(nums[0]), "--ready-fd=%d", ready_fd);
		snprintf(nums[1], sizeof(nums[1]), "--exit-fd=%d", exit_fd);
	} else {
		snprintf(nums[0], sizeof(nums[0]), "--ready-fd=FD");
		snprintf(nums[1], sizeof(nums[1]), "--exit-fd=FD");
	}
	argv[k++] = nums[0];
	argv[k++] = nums[1];
	argv[k++] = pid;
	argv[k++] = helper_ifname;
	argv[k] = NULL;
}

void gfs_sandbox_net_print(FILE *out)
{
	struct gfs_buf line = GFS_BUF_INIT;
	char path[PATH_MAX], nums[3][32];
	const char *argv[16];
	size_t i;

	if (gfs_sandbox_find_program("slirp4netns", path, sizeof(path)))
		snprintf(path, sizeof(path), "slirp4netns");
	helper_argv(argv, path, nums, "PID", -1, -1);
	for (i = 0; argv[i]; i++) {
		if (i)
			gfs_buf_addch(&line, ' ');
		gfs_sandbox_quote(&line, argv[i]);
	}
	fprintf(out, "%s\n", line.data ? line.data : "");
	gfs_buf_release(&line);
}

/* Shows what slirp4netns printed, which says why it failed. */
static void show_log(int fd)
{
	char buf[4096];
	ssize_t r;

	if (fd < 0 || lseek(fd, 0, SEEK_SET) < 0)
		return;
	fflush(stderr);
	while ((r = read(fd, buf, sizeof(buf))) > 0)
		if (write(STDERR_FILENO, buf, (size_t)r) < 0)
			break;
}

/* Waits for the child's word that its namespaces exist: 0 or -errno. */
static int wait_made(struct gfs_sandbox_net *n)
{
	int status = 0;
	ssize_t r;

	do
		r = read(n->made[0], &status, sizeof(status));
	while (r < 0 && errno == EINTR);
	close_fd(&n->made[0]);
	if (r != sizeof(status))
		return -ECHILD;
	return -status;
}

/* Forks slirp4netns on the namespaces of pid; -errno. */
static int spawn_helper(struct gfs_sandbox_net *n, pid_t pid, int ready_w,
			int exit_r)
{
	char target[24], nums[3][32];
	const char *argv[16];
	int null;

	snprintf(target, sizeof(target), "%ld", (long)pid);
	helper_argv(argv, n->helper_path, nums, target, ready_w, exit_r);
	n->helper = fork();
	if (n->helper < 0)
		return -errno;
	if (n->helper)
		return 0;
	/* The child: away from the terminal, its output in the log. */
	setsid();
	null = open("/dev/null", O_RDONLY);
	if (null >= 0)
		dup2(null, STDIN_FILENO);
	if (n->log_fd >= 0) {
		dup2(n->log_fd, STDOUT_FILENO);
		dup2(n->log_fd, STDERR_FILENO);
	}
	/* Nothing else of guardfs's, nor of whoever started it. */
	close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
	fcntl(ready_w, F_SETFD, 0);
	fcntl(exit_r, F_SETFD, 0);
	execv(argv[0], (char *const *)argv);
	dprintf(STDERR_FILENO, "cannot run '%s': %s\n", argv[0],
		strerror(errno));
	_exit(127);
}

/* Waits for slirp4netns's "1" on the ready pipe: 0, or -errno. */
static int wait_ready(int ready_r)
{
	struct pollfd p = {.fd = ready_r, .events = POLLIN};
	char c;
	int rc;

	do
		rc = poll(&p, 1, HELPER_START_MS);
	while (rc < 0 && errno == EINTR);
	if (rc == 0)
		return -ETIMEDOUT;
	do
		rc = (int)read(ready_r, &c, 1);
	while (rc < 0 && errno == EINTR);
	return rc == 1 && c == '1' ? 0 : -EIO;
}

int gfs_sandbox_net_start(struct gfs_sandbox_net *n, pid_t child, char *err,
			  size_t err_size)
{
	int ready[2] = {-1, -1}, exits[2] = {-1, -1};
	int rc;

	close_fd(&n->made[1]);
	close_fd(&n->go[0]);
	rc = wait_made(n);
	if (rc) {
		snprintf(err, err_size,
			 "cannot make the sandbox's network namespace: %s",
			 strerror(-rc));
		return -1;
	}
	n->log_fd = memfd_create("slirp4netns", MFD_CLOEXEC);
	if (pipe2(ready, O_CLOEXEC) || pipe2(exits, O_CLOEXEC))
		rc = -errno;
	if (!rc)
		rc = spawn_helper(n, child, ready[1], exits[0]);
	close_fd(&ready[1]);
	close_fd(&exits[0]);
	n->exit_fd = exits[1];
	if (!rc)
		rc = wait_ready(ready[0]);
	close_fd(&ready[0]);
	if (!rc && write(n->go[1], "x", 1) != 1)
		rc = -errno;
	/* Closed either way: on failure the child reads EOF and exits. */
	close_fd(&n->go[1]);
	if (!rc)
		return 0;
	if (rc == -ETIMEDOUT && n->helper > 0)
		kill(n->helper, SIGKILL);
	close_fd(&n->exit_fd);
	show_log(n->log_fd);
	snprintf(err, err_size,
		 "slirp4netns could not give the sandbox its network (%s); "
		 "--network=no runs the command without network",
		 rc == -ETIMEDOUT ? "no answer within 10 s"
		 : rc == -EIO	  ? "see above"
				  : strerror(-rc));
	return -1;
}

/* Whether a resolv.conf line names a resolver on the loopback. */
static bool loopback_nameserver(const char *line, size_t len)
{
	char addr[64];
	size_t n;

	while (len && (*line == ' ' || *line == '\t')) {
		line++;
		len--;
	}
	if (len < 11 || strncmp(line, "nameserver", 10) ||
	    (line[10] != ' ' && line[10] != '\t'))
		return false;
	line += 10;
	len -= 10;
	while (len && (*line == ' ' || *line == '\t')) {
		line++;
		len--;
	}
	for (n = 0; n < len && n < sizeof(addr) - 1; n++) {
		if (line[n] == ' ' || line[n] == '\t' || line[n] == '\r')
			break;
		addr[n] = line[n];
	}
	addr[n] = '\0';
	return !strncmp(addr, "127.", 4) || !strcmp(addr, "::1") ||
	       !strcmp(addr, "0.0.0.0");
}

/*
 * The host's resolv.conf with its loopback nameservers replaced by the
 * forwarder (once, where the first stood); false when there are none.
 */
static bool rewrite_resolv(const char *text, struct gfs_buf *out)
{
	const char *line, *end;
	bool changed = false;

	gfs_buf_addf(out, "# guardfs: the host's resolver on its loopback, "
			  "through slirp4netns\n");
	for (line = text; *line; line = *end ? end + 1 : end) {
		end = strchrnul(line, '\n');
		if (!loopback_nameserver(line, (size_t)(end - line))) {
			gfs_buf_add(out, line, (size_t)(end - line));
			gfs_buf_addch(out, '\n');
		} else if (!changed) {
			gfs_buf_addf(out, "nameserver %s\n", helper_dns);
			changed = true;
		}
	}
	return changed;
}

/*
 * Reads a file of at most 64 KiB that others may read into out: 0 or
 * -errno. A resolv.conf others may not read is private like any such
 * entry of /etc (sandbox_etc.h): its lines must not reach the sandbox,
 * rewritten or not, even when guardfs runs as root and can read it.
 */
static int read_small(struct gfs_buf *out, const char *path)
{
	char buf[4096];
	ssize_t r;
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc = 0;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		rc = -errno;
	else if (!S_ISREG(st.st_mode) || !(st.st_mode & S_IROTH))
		rc = -EACCES;
	while (!rc && (r = read(fd, buf, sizeof(buf))) != 0) {
		if (r < 0)
			rc = errno == EINTR ? 0 : -errno;
		else if (out->len + (size_t)r > 65536)
			rc = -EFBIG;
		else
			rc = gfs_buf_add(out, buf, (size_t)r);
	}
	close(fd);
	return rc;
}

int gfs_sandbox_net_resolv_fd(char *dest, size_t dest_size)
{
	static const char path[] = "/etc/resolv.conf";
	struct gfs_buf text = GFS_BUF_INIT, out = GFS_BUF_INIT;
	char resolved[PATH_MAX];
	int fd = -1, rc = -ENOENT;

	/* A link (into /run, say) is bound where it leads. */
	if (read_small(&text, path) || !realpath(path, resolved) ||
	    strlen(resolved) >= dest_size ||
	    !rewrite_resolv(text.data ? text.data : "", &out))
		goto out;
	/* bwrap reads it from where the offset stands: the start */
	fd = memfd_create("resolv.conf", MFD_CLOEXEC);
	if (fd < 0 || write(fd, out.data, out.len) != (ssize_t)out.len ||
	    lseek(fd, 0, SEEK_SET) != 0) {
		rc = -EIO;
		goto out;
	}
	strcpy(dest, resolved);
	rc = fd;
	fd = -1;
out:
	if (fd >= 0)
		close(fd);
	gfs_buf_release(&text);
	gfs_buf_release(&out);
	return rc;
}

void gfs_sandbox_net_release(struct gfs_sandbox_net *n)
{
	close_fd(&n->made[0]);
	close_fd(&n->made[1]);
	close_fd(&n->go[0]);
	close_fd(&n->go[1]);
	/*
	 * slirp4netns exits at once, but its exit removes the tap device,
	 * which takes the kernel 25 ms (measured): more than the rest of
	 * the network costs exec. So it is not waited for; guardfs exits
	 * next, and init reaps it.
	 */
	close_fd(&n->exit_fd);
	if (n->helper > 0)
		waitpid(n->helper, NULL, WNOHANG);
	n->helper = -1;
	close_fd(&n->log_fd);
}
