#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "guardfs/audit.h"
#include "guardfs/util.h"

/*
 * A small direct-mapped cache of pid -> comm. A burst of requests from
 * one process (a tar, a compiler) then costs one /proc read. Entries
 * expire quickly because pids are reused and processes rename
 * themselves (exec).
 */
#define SLOTS	   256
#define MAX_AGE_NS 1000000000LL

struct slot {
	pid_t pid;
	long long stamp;
	char name[16];
};

static struct slot slots[SLOTS];
static pthread_mutex_t slots_lock = PTHREAD_MUTEX_INITIALIZER;

static void read_comm(pid_t pid, char *name, size_t size)
{
	char path[40];
	ssize_t n = -1;
	int fd;

	snprintf(path, sizeof(path), "/proc/%ld/comm", (long)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, name, size - 1);
		close(fd);
	}
	if (n <= 0) {
		snprintf(name, size, "?");
		return;
	}
	if (name[n - 1] == '\n')
		n--;
	name[n] = '\0';
}

void gfs_audit_process_name(pid_t pid, char *name, size_t size)
{
	struct slot *s = &slots[(unsigned long)pid % SLOTS];
	long long now = gfs_mono_ns();

	if (pid <= 0) {
		snprintf(name, size, "?");
		return;
	}
	pthread_mutex_lock(&slots_lock);
	if (s->pid == pid && now - s->stamp < MAX_AGE_NS) {
		snprintf(name, size, "%s", s->name);
		pthread_mutex_unlock(&slots_lock);
		return;
	}
	pthread_mutex_unlock(&slots_lock);
	read_comm(pid, name, size);
	pthread_mutex_lock(&slots_lock);
	s->pid = pid;
	s->stamp = now;
	snprintf(s->name, sizeof(s->name), "%s", name);
	pthread_mutex_unlock(&slots_lock);
}
