/*
 * The socket of the agent's verbs, served by `guardfs run`/`exec` for
 * its sandbox.
 *
 * A child process of the CLI serves it, outside the sandbox: it can read
 * the store and the daemon's key, which the sandbox cannot, and it runs
 * as the user, so an undo writes nothing the user could not. Every peer
 * is the agent. The child serves one connection at a time: a request is
 * one line of at most GFS_AGENT_REQUEST_MAX bytes sent within
 * GFS_AGENT_READ_MS, the reply is written within GFS_AGENT_WRITE_MS, and
 * the connection is closed; a peer that stalls loses its connection, and
 * only the sandbox that stalls waits for it (each sandbox has its own
 * server), never the daemon.
 *
 * A reply is "status N\nout LEN\n" LEN bytes "err LEN\n" LEN bytes: the
 * exit status and what the command printed on stdout and stderr.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "cli.h"
#include "guardfs/control.h"
#include "guardfs/util.h"

/* Milliseconds on the monotonic clock, for the request's deadlines. */
static long long now_ms(void)
{
	return gfs_mono_ns() / 1000000;
}

/* The request line into line; -1 for one too long, too slow or cut. */
static int read_request(int fd, char *line, size_t size)
{
	long long deadline = now_ms() + GFS_AGENT_READ_MS;
	struct pollfd p = {.fd = fd, .events = POLLIN};
	size_t len = 0;
	ssize_t n;
	char *nl;

	for (;;) {
		long long left = deadline - now_ms();

		if (left <= 0 || poll(&p, 1, (int)left) <= 0)
			return -1;
		n = recv(fd, line + len, size - 1 - len, MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n <= 0)
			return -1;
		len += (size_t)n;
		line[len] = '\0';
		nl = memchr(line, '\n', len);
		if (nl) {
			*nl = '\0';
			/* one request a connection: nothing may follow */
			return nl == line + len - 1 ? 0 : -1;
		}
		if (len == size - 1)
			return -1;
	}
}

/* Writes all of data before the deadline; -1 when the peer stalls. */
static int write_all(int fd, const char *data, size_t len, long long deadline)
{
	struct pollfd p = {.fd = fd, .events = POLLOUT};
	ssize_t n;

	while (len) {
		long long left = deadline - now_ms();

		if (left <= 0 || poll(&p, 1, (int)left) <= 0)
			return -1;
		n = send(fd, data, len, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n <= 0)
			return -1;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Reads what a memfd holds, up to the cap, into out. */
static void drain(int fd, struct gfs_buf *out)
{
	char chunk[65536];
	ssize_t n;

	lseek(fd, 0, SEEK_SET);
	while ((n = read(fd, chunk, sizeof(chunk))) > 0 &&
	       out->len < GFS_AGENT_OUTPUT_MAX)
		gfs_buf_add(out, chunk, (size_t)n);
	if (out->len > GFS_AGENT_OUTPUT_MAX)
		out->len = GFS_AGENT_OUTPUT_MAX;
}

/*
 * Runs the request with stdout and stderr caught in memory, as the
 * command would have printed them, and sends the framed reply.
 */
static void answer(int fd, const struct gfs_config *cfg, pid_t daemon,
		   const char *mount, const char *request)
{
	struct gfs_buf out = GFS_BUF_INIT, err = GFS_BUF_INIT;
	struct gfs_buf head = GFS_BUF_INIT;
	int saved[2] = {dup(1), dup(2)};
	int caught[2] = {memfd_create("agent-out", MFD_CLOEXEC),
			 memfd_create("agent-err", MFD_CLOEXEC)};
	long long deadline;
	int status = 1, i;

	if (saved[0] < 0 || saved[1] < 0 || caught[0] < 0 || caught[1] < 0) {
		gfs_buf_adds(&err, "guardfs: the agent's verbs are out of "
				   "descriptors\n");
	} else {
		fflush(NULL);
		dup2(caught[0], 1);
		dup2(caught[1], 2);
		status = gfs_agent_answer(cfg, daemon, mount, request);
		fflush(NULL);
		dup2(saved[0], 1);
		dup2(saved[1], 2);
		drain(caught[0], &out);
		drain(caught[1], &err);
	}
	for (i = 0; i < 2; i++) {
		if (saved[i] >= 0)
			close(saved[i]);
		if (caught[i] >= 0)
			close(caught[i]);
	}
	deadline = now_ms() + GFS_AGENT_WRITE_MS;
	gfs_buf_addf(&head, "status %d\nout %zu\n", status, out.len);
	if (!write_all(fd, head.data, head.len, deadline) &&
	    !write_all(fd, out.data ? out.data : "", out.len, deadline)) {
		gfs_buf_reset(&head);
		gfs_buf_addf(&head, "err %zu\n", err.len);
		if (!write_all(fd, head.data, head.len, deadline))
			write_all(fd, err.data ? err.data : "", err.len,
				  deadline);
	}
	gfs_buf_release(&head);
	gfs_buf_release(&out);
	gfs_buf_release(&err);
}

static void refuse(int fd, const char *why)
{
	struct gfs_buf msg = GFS_BUF_INIT, reply = GFS_BUF_INIT;

	gfs_buf_addf(&msg, "guardfs: %s\n", why);
	gfs_buf_addf(&reply, "status 2\nout 0\nerr %zu\n", msg.len);
	gfs_buf_add(&reply, msg.data, msg.len);
	write_all(fd, reply.data, reply.len, now_ms() + GFS_AGENT_WRITE_MS);
	gfs_buf_release(&msg);
	gfs_buf_release(&reply);
}

/*
 * Closes a connection. What the peer sent beyond its request is read
 * away first, a little and briefly: closing on unread bytes would reset
 * the connection and lose the reply it is reading.
 */
static void hang_up(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	char sink[4096];
	int rounds;

	shutdown(fd, SHUT_WR);
	for (rounds = 0; rounds < 16 && poll(&p, 1, 50) > 0; rounds++)
		if (recv(fd, sink, sizeof(sink), MSG_DONTWAIT) <= 0)
			break;
	close(fd);
}

static void serve(int listen_fd, const struct gfs_config *cfg, pid_t daemon,
		  const char *mount)
{
	char line[GFS_AGENT_REQUEST_MAX + 1];
	sigset_t term;

	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	for (;;) {
		struct ucred cred;
		socklen_t len = sizeof(cred);
		int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			return;
		}
		/* the sandbox runs as the user; anyone else is no agent */
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) ||
		    (cred.uid != geteuid() && cred.uid != 0)) {
			close(fd);
			continue;
		}
		/* an undo half done is not cut short by the CLI's end */
		sigprocmask(SIG_BLOCK, &term, NULL);
		if (read_request(fd, line, sizeof(line)))
			refuse(fd, "bad request: one line of at most 1024 "
				   "bytes, sent at once");
		else
			answer(fd, cfg, daemon, mount, line);
		hang_up(fd);
		sigprocmask(SIG_UNBLOCK, &term, NULL);
	}
}

int gfs_agent_serve_start(struct gfs_agent_server *srv,
			  const struct gfs_config *cfg, pid_t daemon,
			  const char *mount)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	struct gfs_buf dir = GFS_BUF_INIT;
	int fd = -1, null;
	pid_t parent = getpid(), pid;

	memset(srv, 0, sizeof(*srv));
	/* beside the control sockets: out of the sandbox's sight */
	if (gfs_control_runtime_dir(&dir) ||
	    gfs_buf_addf(&dir, "/agent-%ld", (long)parent))
		goto fail;
	rmdir(dir.data);
	if (mkdir(dir.data, 0700))
		goto fail;
	srv->dir = gfs_buf_detach(&dir);
	if (asprintf(&srv->socket, "%s/sock", srv->dir) < 0) {
		srv->socket = NULL;
		goto fail;
	}
	if (strlen(srv->socket) >= sizeof(addr.sun_path)) {
		errno = ENAMETOOLONG;
		goto fail;
	}
	strcpy(addr.sun_path, srv->socket);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr)) ||
	    chmod(srv->socket, 0600) || listen(fd, 4))
		goto fail;
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		goto fail;
	if (pid == 0) {
		/* gone with the CLI, away from its terminal's signals */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent)
			_exit(0);
		setsid();
		signal(SIGINT, SIG_IGN);
		signal(SIGQUIT, SIG_IGN);
		signal(SIGPIPE, SIG_IGN);
		null = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (null >= 0)
			dup2(null, 0);
		/* (a working directory in the mount would keep it busy) */
		if (chdir("/"))
			_exit(1);
		serve(fd, cfg, daemon, mount);
		_exit(0);
	}
	close(fd);
	srv->pid = pid;
	return 0;
fail:
	gfs_cli_error("cannot serve the agent's verbs (log, diff, undo "
		      "inside the sandbox): %s",
		      strerror(errno));
	if (fd >= 0)
		close(fd);
	gfs_buf_release(&dir);
	gfs_agent_serve_stop(srv);
	return -1;
}

void gfs_agent_serve_stop(struct gfs_agent_server *srv)
{
	if (srv->pid > 0) {
		kill(srv->pid, SIGTERM);
		while (waitpid(srv->pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	if (srv->socket)
		unlink(srv->socket);
	if (srv->dir)
		rmdir(srv->dir);
	free(srv->socket);
	free(srv->dir);
	memset(srv, 0, sizeof(*srv));
}
