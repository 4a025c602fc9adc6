/*
 * The first baseline's read-ahead (snapshot/store_prefetch.c) on its own:
 * the test plays the reader, reporting entries one by one, and checks
 * what the walk reached, what it opened and what it left in the page
 * cache. Under /var/tmp, where the page cache can be emptied file by
 * file; on a filesystem where it cannot (tmpfs) the cache checks are
 * skipped and said so.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "store_prefetch.h"

#include "check.h"
#include "shell.h"

#define MANY	     200
#define FILE_BYTES   8192
#define NAME_MAX_LEN 300

static char base[256], root[300], outside[300];
static int root_fd = -1;
static bool can_evict;

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;

	while (d && (de = readdir(d)))
		n += de->d_name[0] != '.';
	if (d)
		closedir(d);
	return n - 1; /* opendir's own */
}

/* Whether a thread of ours is called name. */
static bool thread_named(const char *name)
{
	return atoi(sh("grep -lx '%s' /proc/%d/task/*/comm 2>/dev/null | "
		       "wc -l",
		       name, (int)getpid())) > 0;
}

static void put(const char *rel, size_t len)
{
	char path[600], *data = malloc(len);
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	memset(data, 'x', len);
	f = fopen(path, "w");
	if (!f || fwrite(data, 1, len, f) != len || fclose(f)) {
		perror(path);
		exit(1);
	}
	free(data);
}

/*
 * Whether rel's first page is in the page cache. mincore, not the walk's
 * RWF_NOWAIT read: that one starts reading the page when it is not.
 */
static bool cached(const char *rel)
{
	int fd = openat(root_fd, rel, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	unsigned char vec = 0;
	void *map;

	if (fd < 0)
		return false;
	map = mmap(NULL, 1, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return false;
	if (mincore(map, 1, &vec) < 0)
		vec = 0;
	munmap(map, 1);
	return vec & 1;
}

/*
 * Empties rel's pages from the cache; false if some stayed (a page can
 * be busy for a moment), after a few tries.
 */
static bool evict(const char *rel)
{
	int fd = openat(root_fd, rel, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	int tries;

	if (fd < 0)
		return false;
	fdatasync(fd);
	for (tries = 0; tries < 20; tries++) {
		posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
		if (!cached(rel))
			break;
		nanosleep(&(struct timespec){.tv_nsec = 5000000}, NULL);
	}
	close(fd);
	return tries < 20;
}

/* The names of dir (below the root) in readdir order: the walk's. */
static int list(const char *dir, char names[][NAME_MAX_LEN], int max)
{
	char path[600];
	struct dirent *de;
	DIR *d;
	int n = 0;

	snprintf(path, sizeof(path), "%s/%s", root, dir);
	d = opendir(path);
	while (d && (de = readdir(d)) && n < max)
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			if (snprintf(names[n], NAME_MAX_LEN, "%s/%s", dir,
				     de->d_name) < NAME_MAX_LEN)
				n++;
	if (d)
		closedir(d);
	return n;
}

static bool evict_many(char names[][NAME_MAX_LEN], int n)
{
	bool all = true;
	int i;

	for (i = 0; i < n; i++)
		all &= evict(names[i]);
	return all;
}

/*
 * Waits (up to 5 s) until the walk, past entry `past`, waits for the
 * reader, or is done.
 */
static struct gfs_store_prefetch_stats settle(struct gfs_store_prefetch *p,
					      uint64_t past)
{
	struct gfs_store_prefetch_stats st;
	double end = now() + 5;

	do {
		gfs_store_prefetch_stats(p, &st);
		if ((st.waiting && st.entries > past) || st.done)
			break;
		nanosleep(&(struct timespec){.tv_nsec = 1000000}, NULL);
	} while (now() < end);
	return st;
}

/* Waits (up to 3 s) until names[from, to) are all in the cache. */
static bool all_cached(char names[][NAME_MAX_LEN], int from, int to)
{
	double end = now() + 3;
	int i;

	do {
		for (i = from; i < to && cached(names[i]); i++)
			;
		if (i == to)
			return true;
		nanosleep(&(struct timespec){.tv_nsec = 5000000}, NULL);
	} while (now() < end);
	fprintf(stderr, "not cached: %s\n", names[i]);
	return false;
}

static int none_cached(char names[][NAME_MAX_LEN], int from, int to)
{
	int i, n = 0;

	for (i = from; i < to; i++)
		n += cached(names[i]);
	return n == 0;
}

static bool skip_dir_x(const void *arg, const char *relpath, bool is_dir)
{
	(void)arg;
	return is_dir && !strcmp(relpath, "skip");
}

/*
 * The whole walk of a tree with what the reader also meets: nested
 * directories, an excluded one, symlinks to a directory inside and
 * outside the folder, a dangling one, a FIFO, a socket, an empty file,
 * an unreadable one. It counts the entries the reader counts, opens each
 * regular file once, never a FIFO, nothing outside, and leaves no
 * descriptor and no thread behind.
 */
static void test_walk(void)
{
	struct gfs_store_prefetch_opts o = {
		.root_fd = root_fd,
		.excluded = skip_dir_x,
	};
	struct gfs_store_prefetch_stats st;
	struct gfs_store_prefetch *p = NULL;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char buf[4096];
	int fds, wd, in, sock;
	double t0;

	sh("cd '%s' && mkdir -p a/b/c skip/deep && echo 1 >a/one && "
	   "echo 2 >a/b/two && echo 3 >a/b/c/three && echo s >skip/s && "
	   "echo d >skip/deep/d && : >empty && echo u >unreadable && "
	   "chmod 000 unreadable && mkfifo fifo && ln -s a/b inside && "
	   "ln -s '%s' out && ln -s nowhere dangling && "
	   "echo secret >'%s/file'",
	   root, outside, outside);
	CHECK(snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/sock", root) <
	      (int)sizeof(sa.sun_path));
	sock = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK(sock >= 0 && bind(sock, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	in = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	wd = inotify_add_watch(in, outside, IN_OPEN | IN_ACCESS);
	CHECK(wd >= 0);
	fds = count_fds();
	t0 = now();
	CHECK(gfs_store_prefetch_start(&p, &o) == 0);
	if (!p)
		return;
	st = settle(p, UINT64_MAX);
	CHECK(st.done);
	CHECK(now() - t0 < 5);
	gfs_store_prefetch_stop(p, &st);
	/* a, a/b, a/b/c, 4 files, skip (not below), 3 links, fifo, sock */
	CHECK(st.entries == 14);
	CHECK_STR(sh("cd '%s' && find . -mindepth 1 -path ./skip/'*' -prune "
		     "-o -print | wc -l",
		     root),
		  "14");
	/* one, two, three, unreadable: not the empty one, not the FIFO */
	CHECK(st.files == 4);
	CHECK(count_fds() == fds);
	CHECK(!thread_named("gfs-prefetch"));
	CHECK(read(in, buf, sizeof(buf)) < 0 && errno == EAGAIN);
	close(in);
	close(sock);
	sh("cd '%s' && chmod 600 unreadable && rm -rf ./* && rm -f '%s/file'",
	   root, outside);
}

/*
 * The walk stays within lead entries and lead_bytes bytes of the reader,
 * reads ahead exactly the files within them, goes on when the reader
 * does, walks past files deleted or replaced meanwhile, and stops at
 * once when told while it waits.
 */
static void test_lead(void)
{
	static char names[MANY][NAME_MAX_LEN];
	struct gfs_store_prefetch_opts o = {
		.root_fd = root_fd,
		.lead = 16,
	};
	struct gfs_store_prefetch_stats st;
	struct gfs_store_prefetch *p = NULL;
	char rel[64], buf[4096];
	int i, n, in, fds = count_fds();
	double t0;

	sh("mkdir -p '%s/many'", root);
	for (i = 0; i < MANY; i++) {
		snprintf(rel, sizeof(rel), "many/f%03d", i);
		put(rel, FILE_BYTES);
	}
	n = list("many", names, MANY);
	CHECK(n == MANY);
	can_evict = evict_many(names, n);
	if (!can_evict)
		fprintf(stderr, "test_prefetch: the page cache here cannot be "
				"emptied by file: cache checks skipped\n");

	/* the root's "many" is entry 1, names[i] entry i + 2 */
	CHECK(gfs_store_prefetch_start(&p, &o) == 0);
	if (!p)
		return;
	st = settle(p, 0);
	CHECK(st.waiting && st.entries == 16);
	if (can_evict) {
		CHECK(st.advised == 15 && st.bytes == 15 * FILE_BYTES);
		CHECK(all_cached(names, 0, 15));
		CHECK(none_cached(names, 15, n));
	}
	CHECK(thread_named("gfs-prefetch"));
	/*
	 * Meanwhile (the walk has read the listing already) f(16) goes,
	 * f(17) turns into a FIFO, f(18) a directory, f(19) a symlink out.
	 */
	sh("cd '%s' && rm %s %s %s %s && mkfifo %s && mkdir %s && "
	   "ln -s '%s/file' %s && echo secret >'%s/file'",
	   root, names[16], names[17], names[18], names[19], names[17],
	   names[18], outside, names[19], outside);
	in = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	CHECK(inotify_add_watch(in, outside, IN_OPEN | IN_ACCESS) >= 0);
	/* the reader reaches 4: not yet the quarter of the lead */
	for (i = 0; i < 4; i++)
		gfs_store_prefetch_passed(p);
	/* (time to move, which it must not take) */
	nanosleep(&(struct timespec){.tv_nsec = 50000000}, NULL);
	st = settle(p, 0);
	CHECK(st.waiting && st.entries == 16);
	/* at 5 it is: the walk goes on to 21, walking past the changes */
	gfs_store_prefetch_passed(p);
	st = settle(p, 16);
	CHECK(st.waiting && st.entries == 21);
	if (can_evict) {
		CHECK(st.advised == 16);
		CHECK(all_cached(names, 15, 16));
		CHECK(none_cached(names, 20, n));
	}
	CHECK(read(in, buf, sizeof(buf)) < 0 && errno == EAGAIN);
	close(in);
	t0 = now();
	gfs_store_prefetch_stop(p, &st);
	CHECK(now() - t0 < 0.5);
	CHECK(st.entries == 21);
	CHECK(count_fds() == fds);
	CHECK(!thread_named("gfs-prefetch"));

	sh("rm -rf '%s/many' '%s/file' && mkdir '%s/many'", root, outside,
	   root);
	for (i = 0; i < MANY; i++) {
		snprintf(rel, sizeof(rel), "many/f%03d", i);
		put(rel, FILE_BYTES);
	}
	/* five files' bytes fill lead_bytes: the walk waits at the sixth */
	n = list("many", names, MANY);
	if (can_evict)
		CHECK(evict_many(names, n));
	o.lead = 1000;
	o.lead_bytes = 5 * FILE_BYTES;
	CHECK(gfs_store_prefetch_start(&p, &o) == 0);
	if (!p)
		return;
	st = settle(p, 0);
	if (can_evict) {
		CHECK(st.waiting && st.entries == 6 && st.advised == 5);
		CHECK(none_cached(names, 5, n));
		/*
		 * the reader at the second file leaves 3/4 of lead_bytes
		 * asked for beyond it: the walk goes on, up to 5 files again
		 */
		gfs_store_prefetch_passed(p);
		gfs_store_prefetch_passed(p);
		st = settle(p, 0);
		CHECK(st.waiting && st.entries == 6);
		gfs_store_prefetch_passed(p);
		st = settle(p, 6);
		CHECK(st.waiting && st.entries == 8 && st.advised == 7);
	}
	/* the reader done, the walk runs to the end */
	for (i = 0; i < MANY + 1; i++)
		gfs_store_prefetch_passed(p);
	st = settle(p, UINT64_MAX);
	CHECK(st.done);
	gfs_store_prefetch_stop(p, &st);
	CHECK(st.entries == (uint64_t)n + 1);
	/*
	 * what the reader reached is not read ahead: at most a few more
	 * (the walk woke while the reader counted), not the 193 left
	 */
	if (can_evict)
		CHECK(st.advised < 100);
	CHECK(count_fds() == fds);
	sh("rm -rf '%s/many'", root);
}

/*
 * A folder found in the cache: after PREFETCH_WARM_AFTER (64) files in a
 * row found cached, one file in 16 is opened; one found uncached starts
 * it reading every file again.
 */
static void test_warm(void)
{
	static char names[MANY][NAME_MAX_LEN];
	struct gfs_store_prefetch_opts o = {.root_fd = root_fd};
	struct gfs_store_prefetch_stats st;
	struct gfs_store_prefetch *p = NULL;
	char rel[64];
	int i, n;

	sh("mkdir -p '%s/many'", root);
	for (i = 0; i < MANY; i++) {
		snprintf(rel, sizeof(rel), "many/f%03d", i);
		put(rel, FILE_BYTES);
	}
	n = list("many", names, MANY);
	sh("cat '%s'/many/* >/dev/null", root);
	if (can_evict)
		CHECK(evict_many(names + 100, n - 100));
	CHECK(gfs_store_prefetch_start(&p, &o) == 0);
	if (!p)
		return;
	st = settle(p, UINT64_MAX);
	CHECK(st.done);
	gfs_store_prefetch_stop(p, &st);
	if (can_evict) {
		/*
		 * 64 found cached, probes at 79, 95 (cached) and 111 (not),
		 * then every file: f(100) to f(110) are missed
		 */
		CHECK(st.files == 64 + 3 + 88);
		CHECK(st.advised == 1 + 88);
	} else {
		/* 64, then probes at 79, 95, ..., 191 */
		CHECK(st.files == 64 + 8);
	}
	sh("rm -rf '%s/many'", root);
}

int main(void)
{
	snprintf(base, sizeof(base), "/var/tmp/gfs-prefetch-XXXXXX");
	if (!mkdtemp(base))
		return 1;
	snprintf(root, sizeof(root), "%s/root", base);
	snprintf(outside, sizeof(outside), "%s/outside", base);
	mkdir(root, 0755);
	mkdir(outside, 0755);
	root_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root_fd < 0)
		return 1;
	test_walk();
	test_lead();
	test_warm();
	close(root_fd);
	return finish_scratch(base);
}
