/* fs/watch.c: watchers, the denied filter, trips, drops and counts. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "guardfs/buf.h"
#include "guardfs/watch.h"

/* Reads from fd until want lines came or a quiet second passed. */
static int read_lines(int fd, struct gfs_buf *out, int want)
{
	int lines = 0;
	size_t i;

	while (lines < want) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		char chunk[65536];
		ssize_t n;

		if (poll(&p, 1, 1000) <= 0)
			break;
		n = read(fd, chunk, sizeof(chunk));
		if (n <= 0)
			break;
		gfs_buf_add(out, chunk, (size_t)n);
		for (lines = 0, i = 0; i < out->len; i++)
			lines += out->data[i] == '\n';
	}
	return lines;
}

static void test_stream(void)
{
	struct gfs_watch *w;
	struct gfs_buf all = GFS_BUF_INIT, denied = GFS_BUF_INIT;
	int a[2], d[2];
	struct gfs_watch_event open_ev = {
		.op = "open",
		.path = "src/a\"b.c",
		.detail = "read",
		.pid = getpid(),
		.uid = 1000,
	};
	struct gfs_watch_event refused = {
		.op = "lookup",
		.path = ".env",
		.rule = "builtin:12",
		.error = ENOENT,
		.pid = getpid(),
		.refused = true,
	};

	CHECK(gfs_watch_new(&w) == 0);
	CHECK(!gfs_watch_active(w));
	CHECK(!gfs_watch_active(NULL));
	gfs_watch_publish(w, &open_ev); /* nobody: nothing, no cost */
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, a) == 0);
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, d) == 0);
	CHECK(gfs_watch_subscribe(w, a[0], 0) == 0);
	CHECK(gfs_watch_subscribe(w, d[0], GFS_WATCH_DENIED) == 0);
	CHECK(gfs_watch_active(w));
	gfs_watch_publish(w, &open_ev);
	gfs_watch_publish(w, &refused);
	gfs_watch_publish_text(w, "trip", "deletes_per_minute",
			       "301 deletes within a minute");
	CHECK(read_lines(a[1], &all, 4) == 4);
	CHECK(read_lines(d[1], &denied, 3) == 3);
	CHECK(!strncmp(all.data, "watch\tok\n{\"time\":\"", 18));
	CHECK(strstr(all.data, ",\"event\":\"op\",\"op\":\"open\",\"path\":"
			       "\"src/a\\\"b.c\",\"result\":\"ok\",\"detail\":"
			       "\"read\",\"pid\":"));
	CHECK(strstr(all.data, "\"uid\":1000}\n"));
	CHECK(strstr(all.data, "\"op\":\"lookup\",\"path\":\".env\",\"result\":"
			       "\"ENOENT\",\"refused\":true,\"rule\":"
			       "\"builtin:12\""));
	CHECK(strstr(all.data, "\"event\":\"trip\",\"rule\":"
			       "\"deletes_per_minute\",\"detail\":\"301 "
			       "deletes within a minute\"}\n"));
	/* --denied: the refusal and the trip, not the open */
	CHECK(denied.data && !strstr(denied.data, "\"open\""));
	CHECK(denied.data && strstr(denied.data, "\".env\"") &&
	      strstr(denied.data, "\"trip\""));
	/* a watcher that hangs up leaves the list */
	close(d[1]);
	gfs_watch_publish(w, &refused);
	usleep(200000);
	gfs_watch_publish(w, &refused);
	gfs_watch_free(w);
	/* the end of the mount ends the stream */
	gfs_buf_reset(&all);
	read_lines(a[1], &all, 1000);
	{
		char c;

		CHECK(read(a[1], &c, 1) == 0);
	}
	close(a[1]);
	gfs_buf_release(&all);
	gfs_buf_release(&denied);
}

/*
 * A watcher that does not read: publishing neither waits nor fails, and
 * once it reads again it is told how many events it missed.
 */
static void test_drops(void)
{
	struct gfs_watch_event ev = {.op = "unlink", .path = "f"};
	struct gfs_buf got = GFS_BUF_INIT;
	struct gfs_watch *w;
	unsigned long long dropped = 0;
	int s[2], small = 4096, i, events = 0;
	const char *p;

	CHECK(gfs_watch_new(&w) == 0);
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, s) == 0);
	setsockopt(s[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
	setsockopt(s[1], SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	CHECK(gfs_watch_subscribe(w, s[0], 0) == 0);
	for (i = 0; i < 20000; i++)
		gfs_watch_publish(w, &ev);
	read_lines(s[1], &got, 1 << 30);
	for (p = got.data; p && (p = strchr(p, '{')); p++) {
		if (!strncmp(p, "{\"event\":\"dropped\",\"count\":", 27))
			dropped += strtoull(p + 27, NULL, 10);
		else
			events++;
	}
	CHECK(dropped > 0);
	CHECK(events + dropped == 20000);
	gfs_watch_free(w);
	close(s[1]);
	gfs_buf_release(&got);
}

int main(void)
{
	test_stream();
	test_drops();
	printf("%s: %d failure(s)\n", failures ? "FAIL" : "ok", failures);
	return failures ? 1 : 0;
}
