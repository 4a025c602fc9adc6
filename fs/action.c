/*
 * Actions: what one command did. Every operation belongs to one:
 *
 * - a `guardfs exec`: the CLI tells the daemon the pid namespace of the
 *   sandbox it starts ("action-begin NS LABEL"), and every operation whose
 *   caller lives in that namespace belongs to it, labelled LABEL. The
 *   sandbox cannot reach the control socket, so it can neither begin, end
 *   nor rename an action;
 * - a restore or undo by the guardfs CLI (its group, gfs_guard_group):
 *   one action, labelled with the CLI's command line;
 * - otherwise the caller's process group (a shell's job: `make package`
 *   and every process it starts), until the group changes nothing for
 *   GFS_ACTION_GAP_NS (reads do not keep an action going: a harness
 *   reading files between two commands would join them); labelled with
 *   the group leader's command line.
 *
 * Each action gets a number from the store (gfs_store_action_new) the
 * first time one of its operations is recorded; the number and label go
 * into the audit trail and the commit trailers (Guardfs-Action-Id,
 * Guardfs-Action), and the store starts a new commit whenever the action
 * changes, so no commit mixes two. Labels and numbers say what a command
 * did; they grant nothing, so a pid reused while cached can at worst
 * mislabel an operation.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs_internal.h"
#include "guardfs/audit.h"
#include "guardfs/control.h"
#include "guardfs/store.h"

/* A quiet process group's next operation starts a new action. */
#define GFS_ACTION_GAP_NS 2000000000LL
/* Labels longer than this (a command line with many files) are cut. */
#define LABEL_MAX 160

struct gfs_action {
	atomic_int refs;
	_Atomic uint64_t id; /* 0 until an operation is recorded */
	uint64_t sandbox;    /* exec: its number in this mount session */
	uint64_t pidns;	     /* exec: inode of the sandbox's pid namespace */
	pid_t owner;	     /* exec: the guardfs CLI that began it */
	pid_t pgid;	     /* a group: its id; a restore: -its pid */
	_Atomic int64_t last_ns; /* a group: its last operation */
	struct gfs_action *next; /* in gfs_fs.actions or a groups bucket */
	/*
	 * A group's label is read again when its first change is recorded:
	 * the leader has usually exec'd its program by then (setsid, env,
	 * a shell's fork). The first label stays allocated with the action,
	 * as operations in flight may still point at it.
	 */
	_Atomic(const char *) label;
	char *relabel;
	char first_label[];
};

/*
 * The caller's pid namespace, remembered per thread for the last pid
 * asked about; any begin or end forgets it (generation). A pid reused
 * while an action runs could be labelled wrongly: labels say what a
 * command did, they grant nothing.
 */
static atomic_uint generation;
/* The sandboxes begun in this mount session (one daemon, one session). */
static atomic_uint_fast64_t sandboxes;
static __thread struct {
	pid_t pid;
	unsigned gen;
	uint64_t pidns;
} last_caller;

static uint64_t pidns_of(pid_t pid)
{
	unsigned gen = atomic_load_explicit(&generation, memory_order_acquire);
	char path[48];
	struct stat st;

	if (last_caller.pid == pid && last_caller.gen == gen && pid)
		return last_caller.pidns;
	snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int)pid);
	if (stat(path, &st))
		return 0;
	last_caller.pid = pid;
	last_caller.gen = gen;
	last_caller.pidns = (uint64_t)st.st_ino;
	return last_caller.pidns;
}

static int64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &t);
	return (int64_t)t.tv_sec * 1000000000LL + t.tv_nsec;
}

/*
 * The caller's process group (field 5 of /proc/PID/stat), remembered per
 * thread for a second: a burst from one process (rm -rf, tar) reads
 * /proc once.
 */
static __thread struct {
	pid_t pid;
	pid_t pgid;
	int64_t at;
} last_group;

static pid_t pgid_of(pid_t pid, int64_t now)
{
	char path[48], text[512], *p;
	long pgid = 0;
	ssize_t n;
	int fd;

	if (last_group.pid == pid && now - last_group.at < 1000000000LL)
		return last_group.pgid;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	text[n] = '\0';
	/* "pid (comm) state ppid pgrp ...": comm may hold anything */
	p = strrchr(text, ')');
	if (!p || sscanf(p + 1, " %*c %*d %ld", &pgid) != 1 || pgid <= 0)
		return 0;
	last_group.pid = pid;
	last_group.pgid = (pid_t)pgid;
	last_group.at = now;
	return (pid_t)pgid;
}

/*
 * /proc/PID/cmdline with spaces between the arguments, the program by
 * its base name, control
 * characters as '?', cut at LABEL_MAX ("..."). 0 or -errno.
 */
static int read_cmdline(pid_t pid, char *out, size_t size)
{
	char path[48], *base, *slash;
	ssize_t n, i;
	bool cut;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, out, size - 1);
	close(fd);
	cut = n == (ssize_t)size - 1;
	while (n > 0 && out[n - 1] == '\0')
		n--;
	if (n <= 0)
		return -ENOENT;
	/* a program's directory says little: /usr/bin/make is "make" */
	base = memchr(out, '\0', (size_t)n);
	slash = memrchr(out, '/', base ? (size_t)(base - out) : (size_t)n);
	if (slash && slash[1]) {
		n -= slash + 1 - out;
		memmove(out, slash + 1, (size_t)n);
	}
	for (i = 0; i < n; i++)
		if (out[i] == '\0')
			out[i] = ' ';
		else if ((unsigned char)out[i] < 0x20 || out[i] == 0x7f)
			out[i] = '?';
	out[n] = '\0';
	if (cut && n > 3)
		memcpy(out + n - 3, "...", 4);
	return 0;
}

void gfs_action_put(struct gfs_action *a)
{
	if (a && atomic_fetch_sub(&a->refs, 1) == 1) {
		free(a->relabel);
		free(a);
	}
}

static struct gfs_action *action_new(const char *label)
{
	size_t len = strlen(label);
	struct gfs_action *a = calloc(1, sizeof(*a) + len + 1);

	if (!a)
		return NULL;
	atomic_init(&a->refs, 1);
	memcpy(a->first_label, label, len + 1);
	atomic_init(&a->label, a->first_label);
	return a;
}

/* Drops (under action_lock) the groups quiet for longer than the gap. */
static void groups_sweep(struct gfs_fs *fs, int64_t now)
{
	struct gfs_action **p, *a;
	size_t i;

	for (i = 0; i < GFS_ACTION_BUCKETS; i++) {
		for (p = &fs->action_groups[i]; (a = *p);) {
			if (now - atomic_load(&a->last_ns) >
			    GFS_ACTION_GAP_NS) {
				*p = a->next;
				gfs_action_put(a);
			} else {
				p = &a->next;
			}
		}
	}
}

/*
 * The action of group key (a process group, or minus a restoring
 * process), a new one when it has been quiet for the gap; labelled with
 * leader's command line, or pid's when the leader is gone.
 */
static struct gfs_action *group_action(struct gfs_fs *fs, pid_t key,
				       pid_t leader, pid_t pid, int64_t now)
{
	struct gfs_action **bucket, *a, *fresh;
	char label[LABEL_MAX + 1];

	bucket = &fs->action_groups[(unsigned)key % GFS_ACTION_BUCKETS];
	pthread_mutex_lock(&fs->action_lock);
	for (a = *bucket; a && a->pgid != key; a = a->next)
		;
	if (a && now - atomic_load(&a->last_ns) <= GFS_ACTION_GAP_NS) {
		atomic_fetch_add(&a->refs, 1);
		pthread_mutex_unlock(&fs->action_lock);
		return a;
	}
	pthread_mutex_unlock(&fs->action_lock);
	/* a new action: once per command, the /proc reads outside the lock */
	if (read_cmdline(leader, label, sizeof(label)) &&
	    read_cmdline(pid, label, sizeof(label)))
		gfs_audit_process_name(pid, label, sizeof(label));
	fresh = action_new(label);
	if (!fresh)
		return NULL;
	fresh->pgid = key;
	atomic_init(&fresh->last_ns, now);
	atomic_fetch_add(&fresh->refs, 1); /* the caller's */
	pthread_mutex_lock(&fs->action_lock);
	groups_sweep(fs, now);
	/* another thread of the same group may have been first */
	for (a = *bucket; a && a->pgid != key; a = a->next)
		;
	if (a) {
		atomic_fetch_add(&a->refs, 1);
	} else {
		fresh->next = *bucket;
		*bucket = fresh;
	}
	pthread_mutex_unlock(&fs->action_lock);
	if (a) {
		gfs_action_put(fresh);
		gfs_action_put(fresh);
		return a;
	}
	return fresh;
}

struct gfs_action *gfs_action_of(struct gfs_fs *fs, pid_t pid)
{
	struct gfs_action *a = NULL;
	pid_t group, pgid;
	int64_t now;
	uint64_t ns;

	if (pid <= 0 || pid == fs->self_pid)
		return NULL;
	/* an exec: one load while none runs */
	if (atomic_load_explicit(&fs->nactions, memory_order_relaxed) &&
	    (ns = pidns_of(pid))) {
		pthread_mutex_lock(&fs->action_lock);
		for (a = fs->actions; a && a->pidns != ns; a = a->next)
			;
		if (a)
			atomic_fetch_add(&a->refs, 1);
		pthread_mutex_unlock(&fs->action_lock);
		if (a)
			return a;
	}
	now = now_ns();
	/* a restore or undo: the CLI's own command line */
	group = atomic_load(&fs->group_pid);
	if (group && gfs_guard_in_group(fs, pid))
		return group_action(fs, -group, group, pid, now);
	pgid = pgid_of(pid, now);
	return pgid ? group_action(fs, pgid, pgid, pid, now) : NULL;
}

uint64_t gfs_action_id(struct gfs_fs *fs, struct gfs_action *a)
{
	uint64_t id, fresh;

	if (!a)
		return 0;
	/* the quiet gap runs from the group's last recorded change */
	if (a->pgid)
		atomic_store(&a->last_ns, now_ns());
	id = atomic_load(&a->id);
	if (id)
		return id;
	fresh = fs->store ? gfs_store_action_new(fs->store)
			  : atomic_fetch_add(&fs->action_ids, 1) + 1;
	/* two threads may race here: the first number stays */
	if (!atomic_compare_exchange_strong(&a->id, &id, fresh))
		return id;
	if (a->pgid) {
		char label[LABEL_MAX + 1];
		pid_t leader = a->pgid > 0 ? a->pgid : -a->pgid;

		if (!read_cmdline(leader, label, sizeof(label)) &&
		    strcmp(label, a->first_label) &&
		    (a->relabel = strdup(label)))
			atomic_store(&a->label, a->relabel);
	}
	return fresh;
}

const char *gfs_action_label(const struct gfs_action *a)
{
	return a ? atomic_load(&a->label) : NULL;
}

uint64_t gfs_action_sandbox(const struct gfs_action *a)
{
	return a ? a->sandbox : 0;
}

/* Unlinks (under action_lock) the action of ns, or one whose CLI died. */
static struct gfs_action *take(struct gfs_fs *fs, uint64_t ns, bool dead)
{
	struct gfs_action **p, *a;

	for (p = &fs->actions; (a = *p); p = &a->next) {
		if (dead ? (kill(a->owner, 0) && errno == ESRCH)
			 : a->pidns == ns) {
			*p = a->next;
			atomic_fetch_sub(&fs->nactions, 1);
			atomic_fetch_add(&generation, 1);
			return a;
		}
	}
	return NULL;
}

int gfs_action_control(struct gfs_fs *fs, const char *args, bool begin,
		       pid_t peer, struct gfs_buf *out)
{
	size_t key_len = strcspn(args, " ");
	struct gfs_action *a, *gone;
	unsigned long long ns;
	const char *why;
	char *end;

	/*
	 * As for a restore (gfs_guard_group): only the guardfs program,
	 * unaltered, that can read the daemon's key may label operations.
	 */
	if (!gfs_control_key_matches(atomic_load(&fs->control), args, key_len))
		return gfs_buf_adds(out, "action\trefused: bad key\n");
	if (gfs_peer_check(peer, &why))
		return gfs_buf_addf(out, "action\trefused: %s\n", why);
	args += key_len + (args[key_len] == ' ');
	ns = strtoull(args, &end, 10);
	if (!ns || (begin ? *end != ' ' : *end != '\0'))
		return gfs_buf_adds(out, "action\tbad arguments\n");
	if (!begin) {
		pthread_mutex_lock(&fs->action_lock);
		a = fs->actions;
		while (a && a->pidns != ns)
			a = a->next;
		if (a && a->owner != peer)
			a = NULL;
		else if (a)
			a = take(fs, ns, false);
		pthread_mutex_unlock(&fs->action_lock);
		if (!a)
			return gfs_buf_adds(out, "action\tnot yours\n");
		gfs_action_put(a);
		return gfs_buf_adds(out, "action\tok\n");
	}
	a = action_new(end + 1);
	if (!a)
		return gfs_buf_adds(out, "action\tout of memory\n");
	/* the agent's own verbs tell its actions by this (history_agent.c) */
	a->sandbox = atomic_fetch_add(&sandboxes, 1) + 1;
	a->pidns = ns;
	a->owner = peer;
	pthread_mutex_lock(&fs->action_lock);
	/* actions whose CLI was killed end here */
	while ((gone = take(fs, 0, true)))
		gfs_action_put(gone);
	a->next = fs->actions;
	fs->actions = a;
	atomic_fetch_add(&fs->nactions, 1);
	atomic_fetch_add(&generation, 1);
	pthread_mutex_unlock(&fs->action_lock);
	return gfs_buf_adds(out, "action\tok\n");
}

void gfs_action_init(struct gfs_fs *fs)
{
	pthread_mutex_init(&fs->action_lock, NULL);
	fs->actions = NULL;
	memset(fs->action_groups, 0, sizeof(fs->action_groups));
	atomic_init(&fs->nactions, 0);
	atomic_init(&fs->action_ids, 0);
	/* read once: every operation asks, and getpid() is a system call */
	fs->self_pid = getpid();
}

void gfs_action_release(struct gfs_fs *fs)
{
	struct gfs_action *a;

	size_t i;

	while ((a = fs->actions)) {
		fs->actions = a->next;
		gfs_action_put(a);
	}
	for (i = 0; i < GFS_ACTION_BUCKETS; i++) {
		while ((a = fs->action_groups[i])) {
			fs->action_groups[i] = a->next;
			gfs_action_put(a);
		}
	}
	pthread_mutex_destroy(&fs->action_lock);
}
