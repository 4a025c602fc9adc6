/*
 * Actions: what one `guardfs exec` did. The CLI tells the daemon the pid
 * namespace of the sandbox it starts ("action-begin NS LABEL"), and every
 * operation whose caller lives in that namespace carries LABEL into the
 * audit trail and the commit trailers. The sandbox cannot reach the
 * control socket, so it can neither begin, end nor rename an action.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs_internal.h"
#include "guardfs/control.h"

struct gfs_action {
	atomic_int refs;
	uint64_t sandbox;	 /* its number in this mount session */
	uint64_t pidns;		 /* inode of the sandbox's pid namespace */
	pid_t owner;		 /* the guardfs CLI that began it */
	struct gfs_action *next; /* in gfs_fs.actions */
	char label[];
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

void gfs_action_put(struct gfs_action *a)
{
	if (a && atomic_fetch_sub(&a->refs, 1) == 1)
		free(a);
}

struct gfs_action *gfs_action_of(struct gfs_fs *fs, pid_t pid)
{
	struct gfs_action *a;
	uint64_t ns;

	/* The common case: no exec running, one load. */
	if (!atomic_load_explicit(&fs->nactions, memory_order_relaxed))
		return NULL;
	ns = pidns_of(pid);
	if (!ns)
		return NULL;
	pthread_mutex_lock(&fs->action_lock);
	for (a = fs->actions; a && a->pidns != ns; a = a->next)
		;
	if (a)
		atomic_fetch_add(&a->refs, 1);
	pthread_mutex_unlock(&fs->action_lock);
	return a;
}

const char *gfs_action_label(const struct gfs_action *a)
{
	return a ? a->label : NULL;
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
	size_t len;

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
	len = strlen(end + 1);
	a = calloc(1, sizeof(*a) + len + 1);
	if (!a)
		return gfs_buf_adds(out, "action\tout of memory\n");
	atomic_init(&a->refs, 1);
	/* the agent's own verbs tell its actions by this (history_agent.c) */
	a->sandbox = atomic_fetch_add(&sandboxes, 1) + 1;
	a->pidns = ns;
	a->owner = peer;
	memcpy(a->label, end + 1, len + 1);
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
	atomic_init(&fs->nactions, 0);
}

void gfs_action_release(struct gfs_fs *fs)
{
	struct gfs_action *a;

	while ((a = fs->actions)) {
		fs->actions = a->next;
		gfs_action_put(a);
	}
	pthread_mutex_destroy(&fs->action_lock);
}
