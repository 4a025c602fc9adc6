/*
 * gfs_probe: runs one system call and prints its outcome, so shell tests
 * can assert exact errno values: "ok" (plus a result where there is one)
 * or the errno name ("ENOENT"). Always exits 0 unless misused (2).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/xattr.h>
#include <unistd.h>

static int report(int rc)
{
	if (rc < 0)
		printf("%s\n",
		       strerrorname_np(errno) ? strerrorname_np(errno) : "E?");
	else
		printf("ok\n");
	return 0;
}

static int open_flags(const char *spec)
{
	int flags = 0;

	if (strchr(spec, 'r') && strchr(spec, 'w'))
		flags = O_RDWR;
	else if (strchr(spec, 'w'))
		flags = O_WRONLY;
	if (strchr(spec, 'c'))
		flags |= O_CREAT;
	if (strchr(spec, 'x'))
		flags |= O_EXCL;
	if (strchr(spec, 't'))
		flags |= O_TRUNC;
	if (strchr(spec, 'n'))
		flags |= O_NOFOLLOW;
	if (strchr(spec, 'a'))
		flags |= O_APPEND;
	return flags;
}

static int do_socket(const char *path)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
	return report(bind(fd, (struct sockaddr *)&addr, sizeof(addr)));
}

static int do_connect(const char *path)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
	return report(connect(fd, (struct sockaddr *)&addr, sizeof(addr)));
}

/* Writes, then reads back through SEEK_DATA/SEEK_HOLE on a sparse file. */
static int do_seek(const char *path)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	off_t data, hole;

	if (fd < 0)
		return report(-1);
	if (pwrite(fd, "x", 1, 1 << 20) != 1)
		return report(-1);
	data = lseek(fd, 0, SEEK_DATA);
	hole = lseek(fd, 0, SEEK_HOLE);
	printf("data=%lld hole=%lld\n", (long long)data, (long long)hole);
	close(fd);
	return 0;
}

/* Takes a POSIX lock, then checks a second open file sees it (OFD). */
static int do_lock(const char *path)
{
	struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
	int a = open(path, O_RDWR), b = open(path, O_RDWR);

	if (a < 0 || b < 0)
		return report(-1);
	if (fcntl(a, F_OFD_SETLK, &fl))
		return report(-1);
	fl.l_type = F_WRLCK;
	if (fcntl(b, F_OFD_SETLK, &fl) == 0) {
		printf("second lock granted\n");
		return 0;
	}
	printf("%s\n", strerrorname_np(errno));
	return 0;
}

static int do_copy_range(const char *from, const char *to)
{
	int in = open(from, O_RDONLY), out;
	ssize_t n;
	struct stat st;

	out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (in < 0 || out < 0 || fstat(in, &st))
		return report(-1);
	n = copy_file_range(in, NULL, out, NULL, (size_t)st.st_size, 0);
	if (n < 0)
		return report(-1);
	printf("ok %zd\n", n);
	return 0;
}

/* Writes text at offset 0 of an existing file through a shared mapping. */
static int do_mmap_write(const char *path, const char *text)
{
	size_t len = strlen(text);
	int fd = open(path, O_RDWR);
	char *map;

	if (fd < 0)
		return report(-1);
	map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		close(fd);
		return report(-1);
	}
	memcpy(map, text, len);
	if (msync(map, len, MS_SYNC)) {
		munmap(map, len);
		close(fd);
		return report(-1);
	}
	munmap(map, len);
	return report(close(fd));
}

static void bus_error(int sig)
{
	static const char msg[] = "SIGBUS\n";

	(void)sig;
	(void)!write(STDOUT_FILENO, msg, sizeof(msg) - 1);
	_exit(0);
}

/*
 * Writes text at the current offset of descriptor fd, inherited from the
 * caller (opened by the shell before the state under test began).
 */
static int do_fd_write(const char *fd, const char *text)
{
	return report(write(atoi(fd), text, strlen(text)) ==
				      (ssize_t)strlen(text)
			      ? 0
			      : -1);
}

/*
 * Maps the inherited descriptor fd shared and stores text at offset 0:
 * "ok", the errno of the mapping, or "SIGBUS" when the store faults.
 */
static int do_fd_mmap_write(const char *fd, const char *text)
{
	size_t len = strlen(text);
	char *map;

	signal(SIGBUS, bus_error);
	map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, atoi(fd), 0);
	if (map == MAP_FAILED)
		return report(-1);
	memcpy(map, text, len);
	return report(msync(map, len, MS_SYNC));
}

int main(int argc, char **argv)
{
	const char *op = argc > 1 ? argv[1] : "";
	struct stat st;
	char buf[4096];
	ssize_t n;

	if (argc < 3) {
		fprintf(stderr, "usage: gfs_probe OP PATH [ARGS]\n");
		return 2;
	}
	if (!strcmp(op, "stat"))
		return report(stat(argv[2], &st));
	if (!strcmp(op, "lstat"))
		return report(lstat(argv[2], &st));
	if (!strcmp(op, "open") && argc == 4) {
		int fd = open(argv[2], open_flags(argv[3]), 0644);

		report(fd);
		return 0;
	}
	if (!strcmp(op, "read")) {
		int fd = open(argv[2], O_RDONLY);

		if (fd < 0)
			return report(-1);
		n = read(fd, buf, sizeof(buf));
		return report(n < 0 ? -1 : 0);
	}
	if (!strcmp(op, "readlink")) {
		n = readlink(argv[2], buf, sizeof(buf) - 1);
		if (n < 0)
			return report(-1);
		buf[n] = '\0';
		printf("%s\n", buf);
		return 0;
	}
	if (!strcmp(op, "mkdir"))
		return report(mkdir(argv[2], 0755));
	if (!strcmp(op, "rmdir"))
		return report(rmdir(argv[2]));
	if (!strcmp(op, "unlink"))
		return report(unlink(argv[2]));
	if (!strcmp(op, "fifo"))
		return report(mkfifo(argv[2], 0644));
	if (!strcmp(op, "chardev"))
		return report(mknod(argv[2], S_IFCHR | 0644, makedev(1, 3)));
	if (!strcmp(op, "socket"))
		return do_socket(argv[2]);
	if (!strcmp(op, "connect"))
		return do_connect(argv[2]);
	if (!strcmp(op, "kill")) /* PATH is a pid here; sends SIGTERM */
		return report(kill((pid_t)atol(argv[2]), SIGTERM));
	if (!strcmp(op, "seek"))
		return do_seek(argv[2]);
	if (!strcmp(op, "lock"))
		return do_lock(argv[2]);
	if (!strcmp(op, "flock")) {
		int a = open(argv[2], O_RDONLY), b = open(argv[2], O_RDONLY);

		if (a < 0 || b < 0 || flock(a, LOCK_EX))
			return report(-1);
		return report(flock(b, LOCK_EX | LOCK_NB));
	}
	if (argc < 4) {
		fprintf(stderr, "gfs_probe: %s needs two arguments\n", op);
		return 2;
	}
	if (!strcmp(op, "mmap-write"))
		return do_mmap_write(argv[2], argv[3]);
	if (!strcmp(op, "fd-write")) /* PATH is a descriptor here */
		return do_fd_write(argv[2], argv[3]);
	if (!strcmp(op, "fd-mmap-write"))
		return do_fd_mmap_write(argv[2], argv[3]);
	if (!strcmp(op, "rename"))
		return report(rename(argv[2], argv[3]));
	if (!strcmp(op, "rename-noreplace"))
		return report(renameat2(AT_FDCWD, argv[2], AT_FDCWD, argv[3],
					RENAME_NOREPLACE));
	if (!strcmp(op, "rename-exchange"))
		return report(renameat2(AT_FDCWD, argv[2], AT_FDCWD, argv[3],
					RENAME_EXCHANGE));
	if (!strcmp(op, "link"))
		return report(link(argv[2], argv[3]));
	if (!strcmp(op, "symlink"))
		return report(symlink(argv[2], argv[3]));
	if (!strcmp(op, "copy-range"))
		return do_copy_range(argv[2], argv[3]);
	if (!strcmp(op, "truncate"))
		return report(truncate(argv[2], atoll(argv[3])));
	if (!strcmp(op, "chmod"))
		return report(chmod(argv[2], (mode_t)strtol(argv[3], NULL, 8)));
	if (!strcmp(op, "getxattr")) {
		n = getxattr(argv[2], argv[3], buf, sizeof(buf) - 1);
		if (n < 0)
			return report(-1);
		buf[n] = '\0';
		printf("%s\n", buf);
		return 0;
	}
	if (!strcmp(op, "removexattr"))
		return report(removexattr(argv[2], argv[3]));
	if (argc < 5) {
		fprintf(stderr, "gfs_probe: %s needs three arguments\n", op);
		return 2;
	}
	if (!strcmp(op, "setxattr"))
		return report(setxattr(argv[2], argv[3], argv[4],
				       strlen(argv[4]), 0));
	fprintf(stderr, "gfs_probe: unknown op '%s'\n", op);
	return 2;
}
