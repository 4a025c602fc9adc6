#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/random.h>
#include <sys/un.h>
#include <unistd.h>

#include "guardfs/control.h"
#include "guardfs/util.h"

#define REPLY_TIMEOUT_MS 3000
/* A flush may have to commit a burst of thousands of operations. */
#define ASK_TIMEOUT_MS 300000

struct gfs_control {
	int listen_fd;
	int stop_pipe[2];
	char *socket_path;
	char *key_path;
	char key[GFS_CONTROL_KEY_LEN + 1]; /* hex, NUL-terminated */
	gfs_control_fn fn;
	void *arg;
	pthread_t thread;
};

int gfs_control_runtime_dir(struct gfs_buf *out)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");

	if (xdg && xdg[0] == '/')
		return gfs_buf_addf(out, "%s/guardfs", xdg);
	if (geteuid() == 0)
		return gfs_buf_adds(out, "/run/guardfs");
	return gfs_buf_addf(out, "/tmp/guardfs-%lu", (unsigned long)geteuid());
}

/*
 * Makes the key that privileged verbs must quote and writes it to path,
 * readable by this user only (in a 0700 directory). A process that cannot
 * see the runtime directory, as in `guardfs run`, cannot quote it.
 */
static int make_key(struct gfs_control *c, const char *path)
{
	static const char digits[] = "0123456789abcdef";
	unsigned char raw[GFS_CONTROL_KEY_LEN / 2];
	size_t i;
	int fd, rc = 0;

	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
		return -EIO;
	for (i = 0; i < sizeof(raw); i++) {
		c->key[2 * i] = digits[raw[i] >> 4];
		c->key[2 * i + 1] = digits[raw[i] & 15];
	}
	c->key[GFS_CONTROL_KEY_LEN] = '\0';
	unlink(path); /* a leftover of a dead daemon with our pid */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		  0600);
	if (fd < 0)
		return -errno;
	if (write(fd, c->key, GFS_CONTROL_KEY_LEN) != GFS_CONTROL_KEY_LEN)
		rc = -EIO;
	close(fd);
	if (rc)
		unlink(path);
	return rc;
}

bool gfs_control_key_matches(const struct gfs_control *c, const char *key,
			     size_t len)
{
	unsigned char diff = 0;
	size_t i;

	if (!c || len != GFS_CONTROL_KEY_LEN)
		return false;
	/* constant time: the reply must not tell how much was right */
	for (i = 0; i < GFS_CONTROL_KEY_LEN; i++)
		diff |= (unsigned char)(c->key[i] ^ key[i]);
	return diff == 0;
}

/* The connection serve_one is answering on this thread, until detached. */
static __thread int serving_fd = -1;

int gfs_control_detach(void)
{
	int fd = serving_fd;

	serving_fd = -1;
	return fd;
}

/* Answers one request; false when the fd was detached (no longer ours). */
static bool serve_one(struct gfs_control *c, int fd, pid_t peer)
{
	struct gfs_buf reply = GFS_BUF_INIT;
	struct pollfd p = {.fd = fd, .events = POLLIN};
	char command[1024];
	size_t len = 0;
	ssize_t n;

	/* A client that does not speak within the timeout is dropped. */
	while (len < sizeof(command) - 1 && poll(&p, 1, REPLY_TIMEOUT_MS) > 0) {
		n = read(fd, command + len, sizeof(command) - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
		if (memchr(command, '\n', len))
			break;
	}
	command[len] = '\0';
	command[strcspn(command, "\n")] = '\0';
	serving_fd = fd;
	if (c->fn(c->arg, command, peer, &reply))
		gfs_buf_adds(&reply, "error\tunknown command\n");
	if (serving_fd != fd) {
		gfs_buf_release(&reply);
		return false;
	}
	serving_fd = -1;
	/* A client that went away gets nothing; that is fine. */
	if (reply.len && write(fd, reply.data, reply.len) < 0)
		reply.len = 0;
	gfs_buf_release(&reply);
	return true;
}

static void *control_main(void *arg)
{
	struct gfs_control *c = arg;
	struct pollfd p[2] = {
		{.fd = c->listen_fd, .events = POLLIN},
		{.fd = c->stop_pipe[0], .events = POLLIN},
	};

	pthread_setname_np(pthread_self(), "gfs-control");
	for (;;) {
		int fd;

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[1].revents)
			break;
		fd = accept4(c->listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		/* Only the user that owns the mount may ask. */
		{
			struct ucred cred;
			socklen_t len = sizeof(cred);

			if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred,
				       &len) == 0 &&
			    (cred.uid == geteuid() || cred.uid == 0) &&
			    !serve_one(c, fd, cred.pid))
				continue; /* a stream now owns it */
		}
		close(fd);
	}
	return NULL;
}

int gfs_control_start(struct gfs_control **out, gfs_control_fn fn, void *arg,
		      char *err, size_t err_size)
{
	struct gfs_buf dir = GFS_BUF_INIT;
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	struct gfs_control *c;
	int rc;

	*out = NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->listen_fd = -1;
	c->stop_pipe[0] = c->stop_pipe[1] = -1;
	c->fn = fn;
	c->arg = arg;
	rc = gfs_control_runtime_dir(&dir);
	if (!rc)
		rc = gfs_mkdir_p(dir.data, 0700);
	if (!rc && gfs_buf_addf(&dir, "/%ld.sock", (long)getpid()))
		rc = -ENOMEM;
	if (rc) {
		snprintf(err, err_size,
			 "cannot create the runtime directory "
			 "'%s': %s",
			 dir.data ? dir.data : "", strerror(-rc));
		goto fail;
	}
	if (dir.len >= sizeof(addr.sun_path)) {
		rc = -ENAMETOOLONG;
		snprintf(err, err_size, "control socket path too long: '%s'",
			 dir.data);
		goto fail;
	}
	memcpy(addr.sun_path, dir.data, dir.len + 1);
	unlink(dir.data); /* a leftover of a dead daemon with our pid */
	c->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->listen_fd < 0 ||
	    bind(c->listen_fd, (struct sockaddr *)&addr, sizeof(addr)) ||
	    chmod(dir.data, 0600) || listen(c->listen_fd, 8) ||
	    pipe2(c->stop_pipe, O_CLOEXEC)) {
		rc = -errno;
		snprintf(err, err_size, "cannot serve control socket '%s': %s",
			 dir.data, strerror(errno));
		goto fail;
	}
	c->socket_path = gfs_buf_detach(&dir);
	rc = gfs_control_key_path(&dir, getpid());
	if (!rc)
		rc = make_key(c, dir.data);
	if (rc) {
		snprintf(err, err_size, "cannot write the control key '%s': %s",
			 dir.data ? dir.data : "", strerror(-rc));
		unlink(c->socket_path);
		goto fail;
	}
	c->key_path = gfs_buf_detach(&dir);
	rc = pthread_create(&c->thread, NULL, control_main, c);
	if (rc) {
		rc = -rc;
		snprintf(err, err_size, "cannot start the control thread");
		unlink(c->socket_path);
		unlink(c->key_path);
		goto fail;
	}
	*out = c;
	return 0;
fail:
	if (c->listen_fd >= 0)
		close(c->listen_fd);
	if (c->stop_pipe[0] >= 0) {
		close(c->stop_pipe[0]);
		close(c->stop_pipe[1]);
	}
	free(c->socket_path);
	free(c->key_path);
	free(c);
	gfs_buf_release(&dir);
	return rc;
}

void gfs_control_stop(struct gfs_control *c)
{
	if (!c)
		return;
	/* One byte wakes the thread; the pipe cannot be full. */
	(void)!write(c->stop_pipe[1], "x", 1);
	pthread_join(c->thread, NULL);
	unlink(c->socket_path);
	unlink(c->key_path);
	close(c->listen_fd);
	close(c->stop_pipe[0]);
	close(c->stop_pipe[1]);
	free(c->socket_path);
	free(c->key_path);
	free(c);
}

int gfs_control_ask_socket(const char *path, const char *command,
			   int timeout_ms, struct gfs_buf *out)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	struct pollfd p;
	char chunk[1024];
	int fd, rc = 0;
	ssize_t n;

	if (strlen(path) >= sizeof(addr.sun_path))
		return -ENAMETOOLONG;
	strcpy(addr.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* a daemon that refuses our uid closes at once: EPIPE, no signal */
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) ||
	    send(fd, command, strlen(command), MSG_NOSIGNAL) < 0 ||
	    send(fd, "\n", 1, MSG_NOSIGNAL) < 0) {
		rc = -errno;
		goto out;
	}
	p.fd = fd;
	p.events = POLLIN;
	for (;;) {
		if (poll(&p, 1, timeout_ms) <= 0) {
			rc = -ETIMEDOUT;
			break;
		}
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0) {
			rc = -errno;
			break;
		}
		if (n == 0)
			break;
		gfs_buf_add(out, chunk, (size_t)n);
	}
out:
	close(fd);
	return rc;
}

int gfs_control_connect(pid_t pid, const char *command)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	struct gfs_buf path = GFS_BUF_INIT;
	int fd = -1, rc = gfs_control_runtime_dir(&path);

	if (!rc)
		rc = gfs_buf_addf(&path, "/%ld.sock", (long)pid);
	if (!rc && path.len >= sizeof(addr.sun_path))
		rc = -ENAMETOOLONG;
	if (!rc) {
		memcpy(addr.sun_path, path.data, path.len + 1);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0 ||
		    connect(fd, (struct sockaddr *)&addr, sizeof(addr)) ||
		    write(fd, command, strlen(command)) < 0 ||
		    write(fd, "\n", 1) < 0)
			rc = -errno;
	}
	if (rc && fd >= 0)
		close(fd);
	gfs_buf_release(&path);
	return rc ? rc : fd;
}

int gfs_control_key_path(struct gfs_buf *out, pid_t pid)
{
	int rc = gfs_control_runtime_dir(out);

	return rc ? rc : gfs_buf_addf(out, "/%ld.key", (long)pid);
}

int gfs_control_read_key(pid_t pid, struct gfs_buf *out)
{
	struct gfs_buf path = GFS_BUF_INIT;
	int fd, rc = gfs_control_key_path(&path, pid);

	fd = rc ? -1 : open(path.data, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		rc = rc ? rc : -errno;
	else
		rc = gfs_buf_read_fd(out, fd);
	if (fd >= 0)
		close(fd);
	gfs_buf_release(&path);
	return rc;
}

int gfs_control_ask(pid_t pid, const char *command, struct gfs_buf *out)
{
	struct gfs_buf path = GFS_BUF_INIT;
	int rc = gfs_control_runtime_dir(&path);

	if (!rc)
		rc = gfs_buf_addf(&path, "/%ld.sock", (long)pid);
	if (!rc)
		rc = gfs_control_ask_socket(path.data, command, ASK_TIMEOUT_MS,
					    out);
	gfs_buf_release(&path);
	return rc;
}

int gfs_control_query_all(const char *command,
			  void (*visit)(void *arg, pid_t pid,
					const char *reply),
			  void *arg)
{
	struct gfs_buf dir = GFS_BUF_INIT, path = GFS_BUF_INIT;
	struct gfs_buf reply = GFS_BUF_INIT;
	struct dirent *d;
	DIR *listing;
	int answered = 0;

	if (gfs_control_runtime_dir(&dir))
		return -ENOMEM;
	listing = opendir(dir.data);
	if (!listing) {
		gfs_buf_release(&dir);
		return errno == ENOENT ? 0 : -errno;
	}
	while ((d = readdir(listing))) {
		char *end;
		long pid = strtol(d->d_name, &end, 10);
		int rc;

		if (pid <= 0 || strcmp(end, ".sock"))
			continue;
		gfs_buf_reset(&path);
		gfs_buf_addf(&path, "%s/%s", dir.data, d->d_name);
		gfs_buf_reset(&reply);
		rc = gfs_control_ask_socket(path.data, command,
					    REPLY_TIMEOUT_MS, &reply);
		if (rc == -ECONNREFUSED || rc == -ENOENT) {
			unlink(path.data); /* its daemon is gone */
			gfs_buf_reset(&path);
			if (!gfs_control_key_path(&path, (pid_t)pid))
				unlink(path.data);
			continue;
		}
		if (rc || !reply.data)
			continue;
		answered++;
		visit(arg, (pid_t)pid, reply.data);
	}
	closedir(listing);
	gfs_buf_release(&dir);
	gfs_buf_release(&path);
	gfs_buf_release(&reply);
	return answered;
}

int gfs_control_reply_get(const char *reply, const char *key,
			  struct gfs_buf *out)
{
	size_t klen = strlen(key);
	const char *line = reply;

	while (line && *line) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);

		if (len > klen && !strncmp(line, key, klen) &&
		    line[klen] == '\t')
			return gfs_buf_add(out, line + klen + 1,
					   len - klen - 1);
		line = end ? end + 1 : NULL;
	}
	return -ENOENT;
}
